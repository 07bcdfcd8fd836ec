"""Enrollment HTTP API: hire and leave, flexible and resident enrollment, suspend, resume, end."""

from __future__ import annotations

from fastapi import APIRouter

from shebao.core.http import NowDep, PrincipalDep, SessionDep
from shebao.core.ids import EmployerIdPath, RecordIdPath
from shebao.enrollment import service
from shebao.enrollment.schemas import (
    EmployeeLeave,
    ParticipationCreate,
    ParticipationMoveRequest,
    ParticipationRead,
)

router = APIRouter(prefix="/api/v1", tags=["enrollment"])


@router.get("/employers/{employer_id}/employees", response_model=list[ParticipationRead],
            summary="Who the employer insures today")
def employees(employer_id: EmployerIdPath, session: SessionDep, who: PrincipalDep):
    return service.employees_of(session=session, principal=who, employer_id=employer_id)


@router.post("/employers/{employer_id}/employees/{person_id}/leave", response_model=list[ParticipationRead],
             summary="Leave: every participation through the employer ends (减员)")
def leave(employer_id: EmployerIdPath, person_id: RecordIdPath, body: EmployeeLeave, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.leave(session=session, principal=who, employer_id=employer_id, person_id=person_id, command=body, now=now)


@router.get("/persons/{person_id}/participations", response_model=list[ParticipationRead],
            summary="Every participation of a person, with its events")
def participations(person_id: RecordIdPath, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.participations_of(session=session, principal=who, person_id=person_id, now=now)


@router.post("/persons/{person_id}/participations", response_model=list[ParticipationRead], status_code=201,
             summary="Enroll as a flexible worker or a resident")
def enroll(person_id: RecordIdPath, body: ParticipationCreate, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.enroll(session=session, principal=who, person_id=person_id, command=body, now=now)


@router.post("/participations/{participation_id}/suspend", response_model=ParticipationRead, summary="Suspend")
def suspend(participation_id: RecordIdPath, body: ParticipationMoveRequest, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.suspend(session=session, principal=who, participation_id=participation_id, command=body, now=now)


@router.post("/participations/{participation_id}/resume", response_model=ParticipationRead, summary="Resume")
def resume(participation_id: RecordIdPath, body: ParticipationMoveRequest, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.resume(session=session, principal=who, participation_id=participation_id, command=body, now=now)


@router.post("/participations/{participation_id}/end", response_model=ParticipationRead, summary="End")
def end_participation(participation_id: RecordIdPath, body: ParticipationMoveRequest, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.end(session=session, principal=who, participation_id=participation_id, command=body, now=now)
