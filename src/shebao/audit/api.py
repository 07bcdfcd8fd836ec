"""Audit HTTP API: auditors and administrators verify and read the chain.

The router also carries the checkpoint timer in its lifespan: wherever the app is served, the chain gets
signed checkpoints without an operator (see shebao.audit.timer)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query

from shebao.audit.checkpoints import Anchor
from shebao.audit.timer import CheckpointTimer
from shebao.audit.verification import verify_anchored
from shebao.core import audit
from shebao.core.clock import iso_utc
from shebao.core.http import PrincipalDep, RuntimeDep, SessionDep
from shebao.core.ids import MAX_BIGINT
from shebao.core.security import Role


@asynccontextmanager
async def checkpoints_while_serving(app: FastAPI) -> AsyncIterator[None]:
    runtime = app.state.runtime
    minutes = runtime.settings.audit_checkpoint_minutes
    timer = None
    if minutes > 0:
        # One anchor for the app's life: the audit key is unsealed (scrypt) once, not on every tick.
        anchor = Anchor.for_settings(runtime.settings, runtime.database.url)
        timer = CheckpointTimer(database=runtime.database, anchor=anchor, clock=runtime.clock, minutes=minutes)
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.stop()


router = APIRouter(prefix="/api/v1/audit", tags=["audit"], lifespan=checkpoints_while_serving)


@router.get("/verify", summary="Walk the hash chain, hold it against every signed checkpoint, name the first problem")
def verify_chain(session: SessionDep, who: PrincipalDep, rt: RuntimeDep) -> dict:
    who.require_role(Role.AUDITOR, Role.ADMIN)
    return verify_anchored(session=session, anchor=Anchor.for_settings(rt.settings, rt.database.url)).as_dict()


@router.get("/records", summary="The newest audit records")
def recent_records(session: SessionDep, who: PrincipalDep, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                   before_seq: Annotated[int | None, Query(ge=1, le=MAX_BIGINT)] = None) -> list[dict]:
    who.require_role(Role.AUDITOR, Role.ADMIN)
    return [{"seq": r.seq, "at": iso_utc(r.at), "actor": r.actor, "action": r.action, "subject": r.subject,
             "detail": r.detail, "hash": r.hash} for r in audit.recent(session, limit=limit, before_seq=before_seq)]
