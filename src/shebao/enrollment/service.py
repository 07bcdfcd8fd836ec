"""Enrollment use cases: hire and leave, flexible and resident enrollment, suspend, resume, end."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, InvalidInput, NotFound, not_in_scope
from shebao.core.regions import province_of
from shebao.core.security import FieldCipher, Principal, Role
from shebao.enrollment import rules
from shebao.enrollment.models import Participation, ParticipationEvent
from shebao.enrollment.rules import Mode, Scheme, Status
from shebao.enrollment.schemas import (
    EmployeeHire,
    EmployeeLeave,
    EventRead,
    ParticipationCreate,
    ParticipationMoveRequest,
    ParticipationRead,
)
from shebao.registry import service as registry
from shebao.registry.models import Employer, Person
from shebao.registry.rules import EMPLOYER_STATUS_NAMES, EmployerStatus


def hire(*, session: Session, cipher: FieldCipher, principal: Principal, employer_id: int, command: EmployeeHire,
         now: datetime) -> list[ParticipationRead]:
    """An employer registers an employee: the five insurances start on the hire date, all or none (the hire
    event, with its other reactions, is services.employment.hire)."""
    principal.require_role(Role.EMPLOYER, Role.STAFF, Role.ADMIN)
    employer = _employer_for(session, principal, employer_id)
    if employer.status != "active":
        status_zh, status_en = EMPLOYER_STATUS_NAMES[EmployerStatus(employer.status)]
        raise Conflict("employer.not_active", f"单位状态为“{status_zh}”，不能增员",
                       f"the employer is {status_en}; it cannot hire", status=employer.status)
    today = china_today(now)
    person = registry.person_by_id_number(session=session, cipher=cipher, id_number=command.id_number, today=today)
    return _start(session, principal, person, Mode.EMPLOYER, employer.region_code, command.start_date, now,
                  employer_id=employer.id, chosen=command.schemes)


def leave(*, session: Session, principal: Principal, employer_id: int, person_id: int, command: EmployeeLeave,
          now: datetime) -> list[ParticipationRead]:
    """An employer stops an employee: every participation through that employer ends on the last day."""
    principal.require_role(Role.EMPLOYER, Role.STAFF, Role.ADMIN)
    employer = _employer_for(session, principal, employer_id)
    current = session.scalars(select(Participation).where(
        Participation.person_id == person_id, Participation.employer_id == employer.id,
        Participation.status != Status.ENDED.value)).all()
    if not current:
        raise NotFound("participation.not_employed", "此人目前不在本单位参保", "this person is not insured through this employer")
    return [_end(session, principal, p, command.end_date, command.reason, now) for p in current]


def enroll(*, session: Session, principal: Principal, person_id: int, command: ParticipationCreate,
           now: datetime) -> list[ParticipationRead]:
    """A flexible worker (pension and medical where they work) or a resident (residents' pension) enrolls."""
    if command.mode == Mode.EMPLOYER:
        raise InvalidInput("participation.mode", "职工参保由用人单位办理增员", "employees are enrolled by their employer (hire)")
    person = registry.person_by_id(session=session, person_id=person_id)
    _may_act_for_person(principal, person)
    region = registry.require_current_region(session=session, code=command.region_code, field="region_code")
    if principal.role == Role.STAFF:
        principal.require_region(region.code)
    return _start(session, principal, person, command.mode, region.code, command.start_date, now, chosen=command.schemes)


def suspend(*, session: Session, principal: Principal, participation_id: int, command: ParticipationMoveRequest,
            now: datetime) -> ParticipationRead:
    """A flexible or resident participation pauses (no contribution is due while suspended)."""
    participation = _own_lifecycle(session, principal, participation_id)
    if participation.status != Status.ACTIVE.value:
        raise Conflict("participation.not_active", "只有正常参保状态可以暂停", "only an active participation can be suspended")
    _check_event_date(session, participation, command.on, now)
    participation.status = Status.SUSPENDED.value
    return _record(session, principal.actor, participation, "suspended", command.on, command.reason, now)


def resume(*, session: Session, principal: Principal, participation_id: int, command: ParticipationMoveRequest,
           now: datetime) -> ParticipationRead:
    """A suspended participation resumes, unless another one of its group began meanwhile."""
    participation = _own_lifecycle(session, principal, participation_id)
    if participation.status != Status.SUSPENDED.value:
        raise Conflict("participation.not_suspended", "只有暂停状态可以恢复", "only a suspended participation can resume")
    _check_event_date(session, participation, command.on, now)
    _refuse_overlap(session, participation.person_id, Scheme(participation.scheme), command.on,
                    ignore_id=participation.id)
    participation.status = Status.ACTIVE.value
    return _record(session, principal.actor, participation, "resumed", command.on, command.reason, now)


def end(*, session: Session, principal: Principal, participation_id: int, command: ParticipationMoveRequest,
        now: datetime) -> ParticipationRead:
    """A flexible or resident participation ends on its last day."""
    participation = _own_lifecycle(session, principal, participation_id)
    if participation.status == Status.ENDED.value:
        raise Conflict("participation.ended", "此参保已终止", "this participation has already ended")
    return _end(session, principal, participation, command.on, command.reason, now)


def participations_of(*, session: Session, principal: Principal, person_id: int, now: datetime) -> list[ParticipationRead]:
    """Every participation of a person, across employers and provinces, with its events."""
    person = registry.person_by_id(session=session, person_id=person_id)
    _may_act_for_person(principal, person, reading=True)
    if principal.role != Role.INSURED:
        audit.append(session, actor=principal.actor, action="participation.viewed", subject=f"person:{person_id}", now=now)
    rows = session.scalars(select(Participation).where(Participation.person_id == person_id)
                           .order_by(Participation.start_date, Participation.id)).all()
    return [_read(session, p) for p in rows]


def last_job_ended(*, session: Session, person_id: int) -> dict | None:
    """The person's latest job that ended (a participation through an employer): its last day, the employer's name and
    the reason recorded with the end; None when every job is still running or there was none. The caller has judged
    the person."""
    row = session.execute(select(Participation.end_date, Employer.name, ParticipationEvent.reason).join(
        Employer, Employer.id == Participation.employer_id).join(
        ParticipationEvent, (ParticipationEvent.participation_id == Participation.id) & (ParticipationEvent.event == "ended"))
        .where(Participation.person_id == person_id, Participation.mode == Mode.EMPLOYER.value,
               Participation.end_date.isnot(None))
        .order_by(Participation.end_date.desc(), ParticipationEvent.id.desc()).limit(1)).first()
    return None if row is None else {"end_date": row[0], "employer": row[1], "reason": row[2]}


def employees_of(*, session: Session, principal: Principal, employer_id: int) -> list[ParticipationRead]:
    """The employer's current pension participations: who it insures today."""
    employer = _employer_for(session, principal, employer_id)
    rows = session.scalars(select(Participation).where(
        Participation.employer_id == employer.id, Participation.scheme == Scheme.EMPLOYEE_PENSION.value,
        Participation.status != Status.ENDED.value).order_by(Participation.person_id)).all()
    return [_read(session, p, with_events=False) for p in rows]


def end_for_event(*, session: Session, person_id: int, last_day: date, reason: str, actor: str, now: datetime,
                  employment_only: bool = False, outside_province: str | None = None) -> list[ParticipationRead]:
    """A life event (a death, a registered unemployment, a move) ends the person's open participations wherever they
    are, each on the last day (or when it began, if that was later): a reaction to an event already
    authorised by its use case, so it is recorded under that actor and judged on no clerk's region."""
    query = select(Participation).where(Participation.person_id == person_id, Participation.status != Status.ENDED.value)
    if employment_only:
        query = query.where(Participation.mode == Mode.EMPLOYER.value)
    if outside_province is not None:  # a move: what the person had elsewhere ends, the new province's goes on
        query = query.where(Participation.province != outside_province)
    ended = []
    for participation in session.scalars(query.order_by(Participation.id)).all():
        day = max(last_day, participation.start_date)
        participation.end_date, participation.status = day, Status.ENDED.value
        ended.append(_record(session, actor, participation, "ended", day, reason, now))
    return ended


# ---------------------------------------------------------------- internals


def _start(session: Session, principal: Principal, person: Person, mode: Mode, region_code: str, start: date,
           now: datetime, employer_id: int | None = None, chosen: list[Scheme] | None = None) -> list[ParticipationRead]:
    if person.status != "living":
        raise Conflict("person.deceased", "此人已死亡，不能参保", "this person has died and cannot be enrolled")
    rules.check_start(birth_date=person.birth_date, start=start, today=china_today(now))
    schemes = rules.schemes_for(mode, chosen)
    for scheme in schemes:
        _refuse_overlap(session, person.id, scheme, start, province=province_of(region_code))
    stamp = utc_naive(now)
    created = []
    for scheme in schemes:
        participation = Participation(
            person_id=person.id, scheme=scheme.value, exclusion_group=rules.exclusion_group(scheme), mode=mode.value,
            employer_id=employer_id, region_code=region_code, province=province_of(region_code), start_date=start,
            end_date=None, status=Status.ACTIVE.value, created_at=stamp, updated_at=stamp)
        session.add(participation)
        session.flush()
        created.append(_record(session, principal.actor, participation, "started", start, f"{rules.MODE_NAMES[mode][0]}参保 {mode.value} enrollment", now))
    return created


def _refuse_overlap(session: Session, person_id: int, scheme: Scheme, start: date, ignore_id: int | None = None,
                    province: str | None = None) -> None:
    """One active participation per person per insurance group at a time, across the whole country."""
    group = rules.exclusion_group(scheme)
    others = session.scalars(select(Participation).where(Participation.person_id == person_id,
                                                         Participation.exclusion_group == group)).all()
    for other in others:
        if other.id == ignore_id or not rules.overlaps(start, None, other.start_date, other.end_date):
            continue
        holder = f"单位 {other.employer_id}" if other.employer_id else rules.MODE_NAMES[Mode(other.mode)][0]
        elsewhere = other.end_date is None and province is not None and other.province != province
        raise Conflict(
            "participation.overlap",
            f"{rules.SCHEME_NAMES[Scheme(other.scheme)]}已在 {other.region_code}（{holder}）自 {other.start_date} 参保"
            f"{'至 ' + str(other.end_date) if other.end_date else '，尚未停保'}，不能重复参保"
            + ("；跨省就业请先在新参保地申请转移接续（shebao transfer apply），原参保地的参保随之终止" if elsewhere else ""),
            f"already in {other.scheme} at {other.region_code} ({rules.MODE_NAMES[Mode(other.mode)][1]}"
            f"{', employer ' + str(other.employer_id) if other.employer_id else ''}) from {other.start_date}"
            f"{' to ' + str(other.end_date) if other.end_date else ', not ended'}: one at a time"
            + ("; moving to another province, apply for a transfer there first (shebao transfer apply): the old "
               "participation then ends" if elsewhere else ""),
            scheme=other.scheme, existing_participation=other.id, region_code=other.region_code,
        )


def _end(session: Session, principal: Principal, participation: Participation, last_day: date, reason: str,
         now: datetime) -> ParticipationRead:
    rules.check_end(start=participation.start_date, end=last_day, today=china_today(now))
    _check_event_date(session, participation, last_day, now)
    participation.end_date = last_day
    participation.status = Status.ENDED.value
    return _record(session, principal.actor, participation, "ended", last_day, reason, now)


def _check_event_date(session: Session, participation: Participation, on: date, now: datetime) -> None:
    latest = session.scalar(select(ParticipationEvent.on).where(ParticipationEvent.participation_id == participation.id)
                            .order_by(ParticipationEvent.on.desc()).limit(1))
    if on > china_today(now):
        raise InvalidInput("participation.date_in_future", f"日期 {on} 晚于今天", f"the date {on} is in the future")
    if latest is not None and on < latest:
        raise InvalidInput("participation.date_before_latest", f"日期 {on} 早于上一次变动（{latest}）",
                           f"the date {on} is before the latest change ({latest})")


def _record(session: Session, actor: str, participation: Participation, event: str, on: date, reason: str,
            now: datetime) -> ParticipationRead:
    participation.updated_at = utc_naive(now)
    session.add(ParticipationEvent(participation_id=participation.id, event=event, on=on, reason=reason[:200],
                                   actor=actor, recorded_at=utc_naive(now)))
    session.flush()
    audit.append(session, actor=actor, action=f"participation.{event}", subject=f"participation:{participation.id}",
                 now=now, person=participation.person_id, scheme=participation.scheme, on=on.isoformat())
    return _read(session, participation)


def _employer_for(session: Session, principal: Principal, employer_id: int) -> Employer:
    principal.require_role(Role.EMPLOYER, Role.STAFF, Role.ADMIN, Role.AUDITOR)
    return registry.require_employer_in_scope(principal, session.get(Employer, employer_id))


def _may_act_for_person(principal: Principal, person: Person, reading: bool = False) -> None:
    principal.require_role(*((Role.INSURED, Role.STAFF, Role.ADMIN, Role.AUDITOR) if reading
                             else (Role.INSURED, Role.STAFF, Role.ADMIN)))
    registry.require_person_in_scope(principal, person)


def _own_lifecycle(session: Session, principal: Principal, participation_id: int) -> Participation:
    """A participation the principal may suspend, resume or end: the insured's own, or one insured in the
    clerk's region (judged on where the participation is, not on anything the request says)."""
    principal.require_role(Role.INSURED, Role.STAFF, Role.ADMIN)
    participation = session.get(Participation, participation_id)
    if participation is None or not (principal.person_id == participation.person_id if principal.role == Role.INSURED
                                     else principal.serves(participation.region_code)):
        raise not_in_scope("参保记录", "participation")
    if participation.mode == Mode.EMPLOYER.value:
        raise InvalidInput("participation.through_employer", "职工参保的停保由用人单位办理减员",
                           "an employee's participation is ended by the employer (leave)")
    return participation


def _read(session: Session, participation: Participation, with_events: bool = True) -> ParticipationRead:
    events = []
    if with_events:
        events = [EventRead(event=e.event, on=e.on, reason=e.reason, actor=e.actor) for e in session.scalars(
            select(ParticipationEvent).where(ParticipationEvent.participation_id == participation.id)
            .order_by(ParticipationEvent.id))]
    return ParticipationRead(id=participation.id, person_id=participation.person_id, scheme=Scheme(participation.scheme),
                             mode=Mode(participation.mode), employer_id=participation.employer_id,
                             region_code=participation.region_code, start_date=participation.start_date,
                             end_date=participation.end_date, status=Status(participation.status), events=events)
