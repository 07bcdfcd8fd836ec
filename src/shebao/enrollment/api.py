"""Enrollment HTTP API: who an employer insures, a person's participations. Hire, leave, enrollment, suspend,
resume and end are events the bills react to too (a date back into billed months corrects them): services/api.py."""

from __future__ import annotations

from fastapi import APIRouter

from shebao.core.http import NowDep, PrincipalDep, SessionDep
from shebao.core.ids import EmployerIdPath, RecordIdPath
from shebao.enrollment import service
from shebao.enrollment.schemas import ParticipationRead

router = APIRouter(prefix="/api/v1", tags=["enrollment"])


@router.get("/employers/{employer_id}/employees", response_model=list[ParticipationRead],
            summary="Who the employer insures today")
def employees(employer_id: EmployerIdPath, session: SessionDep, who: PrincipalDep):
    return service.employees_of(session=session, principal=who, employer_id=employer_id)


@router.get("/persons/{person_id}/participations", response_model=list[ParticipationRead],
            summary="Every participation of a person, with its events")
def participations(person_id: RecordIdPath, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.participations_of(session=session, principal=who, person_id=person_id, now=now)
