"""HTTP API of the cross-context services."""

from __future__ import annotations

from fastapi import APIRouter

from shebao.core.http import NowDep, PrincipalDep, SessionDep
from shebao.services import archive

router = APIRouter(prefix="/api/v1", tags=["archive"])


@router.get("/persons/{person_id}/record", response_model=archive.PersonRecord,
            summary="The electronic archive: contributions, months counted and interrupted, account statement")
def person_record(person_id: int, session: SessionDep, who: PrincipalDep, now: NowDep):
    return archive.person_record(session=session, principal=who, person_id=person_id, now=now)
