"""Audit HTTP API: auditors and administrators verify and read the chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shebao.core import audit
from shebao.core.http import PrincipalDep, SessionDep
from shebao.core.ids import MAX_BIGINT
from shebao.core.security import Role

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("/verify", summary="Walk the hash chain and name the first broken record")
def verify_chain(session: SessionDep, who: PrincipalDep) -> dict:
    who.require_role(Role.AUDITOR, Role.ADMIN)
    return audit.verify(session).as_dict()


@router.get("/records", summary="The newest audit records")
def recent_records(session: SessionDep, who: PrincipalDep, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                   before_seq: Annotated[int | None, Query(ge=1, le=MAX_BIGINT)] = None) -> list[dict]:
    who.require_role(Role.AUDITOR, Role.ADMIN)
    return [{"seq": r.seq, "at": r.at.isoformat(), "actor": r.actor, "action": r.action, "subject": r.subject,
             "detail": r.detail, "hash": r.hash} for r in audit.recent(session, limit=limit, before_seq=before_seq)]
