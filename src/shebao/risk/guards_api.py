"""`GET /api/v1/risk/blocked?region=CODE`: the attempts the in-process risk rules blocked in a region and below (the
subject's region as stored). Staff of the region, administrators and auditors read it (services/permissions.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shebao.core.http import SessionDep
from shebao.risk import guards

router = APIRouter(prefix="/api/v1/risk", tags=["risk"])


@router.get("/blocked", summary="Attempts blocked by the in-process risk rules in a region (办理时拦截记录)")
def blocked(*, region: Annotated[str, Query(max_length=12, description="a region code")], session: SessionDep,
            limit: Annotated[int, Query(ge=1, le=5000)] = 200) -> dict:
    return guards.blocked_attempts(session=session, region=region, limit=limit)
