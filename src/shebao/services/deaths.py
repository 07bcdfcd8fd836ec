"""A death: one event that every context reacts to.

Civil affairs (or a hospital, a family at the counter) reports a death; the agency records it once, and
in the same transaction the registry marks the person deceased, the pension stops from the month after
(what was paid after the death is recovered), a running unemployment benefit stops, every valid card is
cancelled and its bank told, every open participation ends (no more contributions), the person's logins
stop, and the family is offered the funeral grant and the personal-account balance.

A death dated before a proof of life already recorded contradicts what is known: it is held for review
by a second clerk instead of being taken, and nothing else changes until it is confirmed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.accounts import service as accounts
from shebao.benefits import receivers, survivors
from shebao.benefits.schemas import DeathReport
from shebao.cards import service as cards
from shebao.contributions import corrections
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, Forbidden, InvalidInput
from shebao.core.periods import Period
from shebao.core.regions import province_of, region_prefix
from shebao.core.security import Principal, Role
from shebao.enrollment import service as enrollment
from shebao.registry import service as registry
from shebao.registry.models import DeathReview, Person
from shebao.services.schemas import (
    DeathHeldRead,
    DeathRecordedRead,
    DeathReviewConfirmedRead,
    DeathReviewDecide,
    DeathReviewRead,
    DeathReviewRejectedRead,
    Decision,
)


def record_death(*, session: Session, principal: Principal, command: DeathReport,
                 now: datetime) -> DeathRecordedRead | DeathHeldRead:
    """Records a death and has every context react to it — or holds it for review when the person was proved
    alive after the date reported."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    person = registry.require_person_in_scope(principal, session.get(Person, command.person_id))
    _refuse_impossible(person, command.death_date, now)
    proved_alive = receivers.latest_certification(session=session, person_id=person.id)
    if proved_alive is not None and proved_alive > command.death_date:
        return _hold_for_review(session, principal, person, command, proved_alive, now)
    return apply_death(session=session, person=person, death_date=command.death_date, source=command.source,
                       actor=principal.actor, now=now, may_reopen=principal.role == Role.ADMIN)


def apply_death(*, session: Session, person: Person, death_date: date, source: str, actor: str,
                now: datetime, may_reopen: bool = False) -> DeathRecordedRead:
    """Every context's reaction, in one transaction (the caller's)."""
    award = receivers.lock_award(session=session, person_id=person.id)  # first: see receivers.lock_award
    # The logins next, before any audit record: a login holds its account row and then wants the audit head,
    # so taking the rows in the same order keeps a death and a login from deadlocking.
    logins = accounts.disable_logins_of_person(session=session, person_id=person.id, reason="death", actor=actor, now=now)
    registry.record_death(session=session, person=person, death_date=death_date, reason=source, actor=actor, now=now)
    benefits = receivers.stop_for_death(session=session, person_id=person.id, award=award, death_date=death_date,
                                        actor=actor, now=now)
    cancelled = cards.cancel_for_death(session=session, person_id=person.id, death_date=death_date, actor=actor, now=now)
    ended = enrollment.end_for_event(session=session, person_id=person.id, last_day=death_date,
                                     reason=f"死亡 death {death_date}", actor=actor, now=now)
    for province in sorted({province_of(p.region_code) for p in ended}):  # months billed after the death, given back
        corrections.correct(session=session, province=province, persons=[person.id], since=Period.of(death_date),
                            cause="death", reason=f"死亡 death on {death_date} ({source})", actor=actor, now=now,
                            may_reopen=may_reopen)
    offered = survivors.offer_on_death(session=session, person=person, death_date=death_date, actor=actor, now=now)
    return DeathRecordedRead(person_id=person.id, death_date=death_date, award=benefits.award, recovery=benefits.recovery,
                             unemployment_stopped=benefits.unemployment_stopped, cards_cancelled=cancelled,
                             participations_ended=len(ended), logins_disabled=logins, survivor_benefits=offered)


def _refuse_impossible(person: Person, death_date: date, now: datetime) -> None:
    if person.status == "deceased":
        raise Conflict("person.already_deceased", f"此人已于 {person.death_date} 登记死亡" if person.death_date else "此人已登记死亡",
                       f"already recorded deceased on {person.death_date}" if person.death_date else "already recorded deceased")
    if not person.birth_date <= death_date <= china_today(now):
        raise InvalidInput("person.death_date", "死亡日期应不晚于今天、不早于出生日期",
                           "a death date lies between the birth date and today")


def _hold_for_review(session: Session, principal: Principal, person: Person, command: DeathReport, proved_alive: date,
                     now: datetime) -> DeathHeldRead:
    if session.scalar(select(DeathReview.id).where(DeathReview.person_id == person.id, DeathReview.status == "pending")):
        raise Conflict("death.review_pending", "此人已有待核查的死亡信息", "a death report for this person is already under review")
    conflict = (f"{proved_alive} 已通过待遇资格认证，晚于报告的死亡日期 {command.death_date} / "
                f"proved alive on {proved_alive}, after the reported death on {command.death_date}")
    review = DeathReview(person_id=person.id, death_date=command.death_date, source=command.source, conflict=conflict,
                         status="pending", recorded_by=principal.actor, recorded_at=utc_naive(now))
    session.add(review)
    session.flush()
    audit.append(session, actor=principal.actor, action="death.held_for_review", subject=f"person:{person.id}", now=now,
                 review=review.id, death_date=command.death_date.isoformat(), proved_alive=proved_alive.isoformat())
    return DeathHeldRead(review_id=review.id, person_id=person.id, death_date=command.death_date, conflict=conflict)


def decide_review(*, session: Session, principal: Principal, review_id: int, command: DeathReviewDecide,
                  now: datetime) -> DeathReviewRejectedRead | DeathReviewConfirmedRead:
    """A second clerk confirms the death (every context then reacts) or rejects the report."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    review = session.get(DeathReview, review_id)
    person = registry.require_person_in_scope(principal, session.get(Person, review.person_id) if review else None)
    if review.status != "pending":
        raise Conflict("death.review_decided", "该死亡信息核查已有结论", "this death review has already been decided")
    if review.recorded_by == principal.actor:
        raise Forbidden("death.review_four_eyes", "核查须由登记人以外的经办人员作出结论",
                        "the review is decided by a clerk other than the one who recorded the report")
    review.status = "confirmed" if command.decision == Decision.CONFIRM else "rejected"
    review.decided_by, review.decided_at, review.decision_reason = principal.actor, utc_naive(now), command.reason
    audit.append(session, actor=principal.actor, action=f"death.review_{review.status}", subject=f"person:{person.id}",
                 now=now, review=review.id, reason=command.reason)
    if review.status == "rejected":
        return DeathReviewRejectedRead(review_id=review.id, person_id=person.id)
    return DeathReviewConfirmedRead(review_id=review.id, person_id=person.id, death=apply_death(
        session=session, person=person, death_date=review.death_date, source=review.source, actor=principal.actor, now=now,
        may_reopen=principal.role == Role.ADMIN))


def pending_reviews(*, session: Session, principal: Principal, limit: int = 100) -> list[DeathReviewRead]:
    """Death reports held for review among the persons the principal handles."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    query = select(DeathReview, Person).join(Person, Person.id == DeathReview.person_id).where(
        DeathReview.status == "pending").order_by(DeathReview.id).limit(limit)
    if principal.role == Role.STAFF:
        prefix = region_prefix(principal.region_code or "")
        query = query.where(Person.residence_region_code.startswith(prefix, autoescape=True)
                            | Person.hukou_region_code.startswith(prefix, autoescape=True))
    return [DeathReviewRead(review_id=review.id, person_id=person.id, name=person.name, death_date=review.death_date,
                            source=review.source, conflict=review.conflict, recorded_by=review.recorded_by)
            for review, person in session.execute(query).all()]
