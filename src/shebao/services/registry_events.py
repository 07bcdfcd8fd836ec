"""Deaths and births pushed to us by other departments (the DCI notify message), each recorded once.

A message is checked whole first (signature, header, every event's fields): a refused message writes nothing. Then
each event it carries that this partner has not sent before is recorded in its own transaction, together with what
follows from it: a death of a person in our register starts the death use case at once (services/deaths.py —
every context reacts, or the death is held for a second clerk when the person was proved alive after the date); a
death of someone we do not know is recorded as such; every death also lands in ext_deaths for the comparison; a
birth is recorded. One transaction per event keeps a batch's deaths from holding the audit chain's head while the
next one takes its pension and login rows (the order services/deaths.py keeps), and lets a batch cut short by a
failure be sent again: what was recorded is answered as recorded, the rest is done.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from shebao.benefits.schemas import DeathReport
from shebao.comparison import pushed_events as pushed
from shebao.comparison.exchange_platform import PartnerView, Platform
from shebao.comparison.models import ExchangeEvent
from shebao.core.db import Database
from shebao.core.errors import DomainError
from shebao.core.regions import NATIONAL_REGION
from shebao.core.security import Principal, Role
from shebao.services import deaths
from shebao.services.schemas import DeathRecordedRead

# A refusal of the death use case that is itself an outcome rather than a failure.
OUTCOME_OF_REFUSAL = {"person.already_deceased": "already_deceased", "death.review_pending": "held_for_review"}


def receive_events(*, database: Database, platform: Platform, envelope: object, now: datetime) -> dict:
    """The signed on-notify answer: each event's status (what the partner may learn of it)."""
    with database.unit_of_work() as uow:
        notification = pushed.accept_notification(session=uow.session, platform=platform, envelope=envelope, now=now)
    if notification.received.earlier_answer is not None:
        return notification.received.earlier_answer
    fresh = [event for event in notification.events if event.reference_id not in notification.recorded_before]
    import_id = _deaths_import(database, notification, fresh, now)
    partner = notification.received.partner
    for event in fresh:
        with database.transaction() as session:
            row = pushed.claim_event(session=session, partner=partner, event=event, import_id=import_id, now=now)
            if row is not None and row.event_type == "death" and row.person_id is not None:
                _start_death(session, partner, row, now)
    with database.transaction() as session:
        return pushed.finish_notification(session=session, platform=platform, notification=notification,
                                            import_id=import_id, now=now)


def _deaths_import(database: Database, notification: pushed.Notification, fresh: list[pushed.PushedEvent],
                   now: datetime) -> int | None:
    deaths_sent = sum(event.event_type == "death" for event in fresh)
    if not deaths_sent:
        return None
    with database.transaction() as session:
        return pushed.deaths_import(session=session, notification=notification, deaths=deaths_sent,
                                      actor=f"partner:{notification.received.partner.code}", now=now)


def _start_death(session: Session, partner: PartnerView, row: ExchangeEvent, now: datetime) -> None:
    """The death use case, as a clerk of the whole country would record it (never reopening a closed month: a death
    that reaches one is left to an administrator); its refusal is the event's outcome, and undoes only its own part."""
    principal = Principal(user_id=None, username=f"exchange.{partner.code}", role=Role.STAFF, region_code=NATIONAL_REGION)
    source = f"{partner.name_zh} {row.details.get('certificate') or row.reference_id}"[:200]
    command = DeathReport(person_id=row.person_id, death_date=row.event_date, source=source.ljust(3))
    try:
        with session.begin_nested():
            result = deaths.record_death(session=session, principal=principal, command=command, now=now)
    except DomainError as refused:
        pushed.set_outcome(row, OUTCOME_OF_REFUSAL.get(refused.code, "refused"), refused.reason, refused.reason_en)
        return
    pushed.set_outcome(row, "applied" if isinstance(result, DeathRecordedRead) else "held_for_review")
