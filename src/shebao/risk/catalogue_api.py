"""The rule catalogue over HTTP: `GET /api/v1/risk/rules` — every risk rule with its parameters' values in force in a
region on a day. For staff, auditors and administrators (the permission table); it reads only the policy store."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from shebao.core.clock import china_today
from shebao.core.http import NowDep
from shebao.policy.store import NATIONAL, default_store
from shebao.risk.catalogue import rules_in_force

router = APIRouter(prefix="/api/v1/risk", tags=["risk"])


@router.get("/rules", summary="The risk rule catalogue, with each rule's parameters in force on a day")
def risk_rules(*, now: NowDep, on: date | None = None,
               region: Annotated[str, Query(max_length=12, description="a region code (default: national)")] = NATIONAL) -> dict:
    """Each rule's id, Chinese and English name and description, severity, when it runs (in process, after the fact
    or both), whom a finding concerns, its legal basis (document, article, the text read and where), and its
    parameters with their values, sources and sane ranges in force in `region` on `on` (default: today in China)."""
    return rules_in_force(store=default_store(), day=on or china_today(now), region_code=region)
