"""Employment events — a hire, a leave, a participation ended, suspended or resumed — that the insurances, the
bills and a running unemployment benefit all react to, in one transaction.

The participation changes first (enrollment); then, when the change is dated back into months month-end has
already billed, those months are corrected for the person (contributions.corrections): what was billed for days
no longer covered is credited back, what a back-dated start owes is billed, and the personal account, the funds
and the months counted follow. The correction is the event's own reaction, under the same principal: months
in a closed period or a settled year are reopened only by an administrator, or nothing happens at all.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from shebao.benefits import claims
from shebao.contributions import corrections
from shebao.core.periods import Period
from shebao.core.regions import province_of
from shebao.core.security import FieldCipher, Principal, Role
from shebao.enrollment import service as enrollment
from shebao.enrollment.schemas import (
    EmployeeHire,
    EmployeeLeave,
    ParticipationCreate,
    ParticipationMoveRequest,
    ParticipationRead,
)


def hire(*, session: Session, cipher: FieldCipher, principal: Principal, employer_id: int, command: EmployeeHire,
         now: datetime) -> list[ParticipationRead]:
    """An employer registers an employee: the insurances start, unemployment benefit stops, and months already
    billed since the start date are billed by a correction."""
    started = enrollment.hire(session=session, cipher=cipher, principal=principal, employer_id=employer_id,
                              command=command, now=now)
    claims.stop_on_reemployment(session=session, person_id=started[0].person_id, start=command.start_date, now=now)
    correct_dated_back(session=session, principal=principal, changed=started, since=command.start_date, cause="start",
                       reason=f"增员 hired from {command.start_date}", now=now)
    return started


def leave(*, session: Session, principal: Principal, employer_id: int, person_id: int, command: EmployeeLeave,
          now: datetime) -> list[ParticipationRead]:
    """An employer stops an employee; months billed after the last day are credited back."""
    ended = enrollment.leave(session=session, principal=principal, employer_id=employer_id, person_id=person_id,
                             command=command, now=now)
    correct_dated_back(session=session, principal=principal, changed=ended, since=command.end_date, cause="end",
                       reason=f"减员 left on {command.end_date}: {command.reason}", now=now)
    return ended


def enroll(*, session: Session, principal: Principal, person_id: int, command: ParticipationCreate,
           now: datetime) -> list[ParticipationRead]:
    """A flexible worker or a resident enrolls; months already billed since the start date are billed too."""
    started = enrollment.enroll(session=session, principal=principal, person_id=person_id, command=command, now=now)
    correct_dated_back(session=session, principal=principal, changed=started, since=command.start_date, cause="start",
                       reason=f"参保 enrolled from {command.start_date}", now=now)
    return started


def end(*, session: Session, principal: Principal, participation_id: int, command: ParticipationMoveRequest,
        now: datetime) -> ParticipationRead:
    ended = enrollment.end(session=session, principal=principal, participation_id=participation_id, command=command,
                           now=now)
    correct_dated_back(session=session, principal=principal, changed=[ended], since=command.on, cause="end",
                       reason=f"停保 ended on {command.on}: {command.reason}", now=now)
    return ended


def suspend(*, session: Session, principal: Principal, participation_id: int, command: ParticipationMoveRequest,
            now: datetime) -> ParticipationRead:
    suspended = enrollment.suspend(session=session, principal=principal, participation_id=participation_id,
                                   command=command, now=now)
    correct_dated_back(session=session, principal=principal, changed=[suspended], since=command.on,
                       cause="suspension", reason=f"暂停 suspended from {command.on}: {command.reason}", now=now)
    return suspended


def resume(*, session: Session, principal: Principal, participation_id: int, command: ParticipationMoveRequest,
           now: datetime) -> ParticipationRead:
    resumed = enrollment.resume(session=session, principal=principal, participation_id=participation_id,
                                command=command, now=now)
    correct_dated_back(session=session, principal=principal, changed=[resumed], since=command.on,
                       cause="suspension", reason=f"恢复 resumed from {command.on}: {command.reason}", now=now)
    return resumed


def correct_dated_back(*, session: Session, principal: Principal, changed: list[ParticipationRead], since: date,
                       cause: str, reason: str, now: datetime) -> None:
    """Corrects, in each province the changed participations are in, the billed months from `since` on."""
    for province in sorted({province_of(p.region_code) for p in changed}):
        corrections.correct(session=session, province=province, persons=sorted({p.person_id for p in changed}),
                            since=Period.of(since), cause=cause, reason=reason, actor=principal.actor, now=now,
                            may_reopen=principal.role == Role.ADMIN)
