"""Deaths and births other departments push to us (the DCI notify message), recorded once each. The flow is
services/registry_events.py's — a death starts the death use case, which sits above this context —: the message
accepted here whole, each new event claimed in its own transaction with the use case's reaction, then the answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.comparison import dci
from shebao.comparison.exchange_platform import PartnerView, Platform, Received, new_id
from shebao.comparison.models import ExchangeEvent, ExchangeImport, ExtDeath
from shebao.comparison.registry_exchange import in_region, parsed, receive, remember
from shebao.comparison.schemas import BirthEvent, DeathEvent, NotifyMessage
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import InvalidInput
from shebao.core.security import FieldCipher
from shebao.registry.models import Person
from shebao.registry.rules import parse_id_number


@dataclass(frozen=True)
class PushedEvent:
    reference_id: str
    event_type: str  # death | birth
    id_hash: str | None
    name: str
    event_date: date
    details: dict


@dataclass(frozen=True)
class Notification:
    received: Received
    transaction_id: str
    events: list[PushedEvent]
    recorded_before: frozenset[str]  # reference ids this partner sent in an earlier message


def accept_notification(*, session: Session, platform: Platform, envelope: object, now: datetime) -> Notification:
    """The notify message authenticated and checked whole (nothing is written for a message that is refused)."""
    received = receive(session=session, platform=platform, envelope=envelope, action="notify", now=now)
    if received.earlier_answer is not None:
        return Notification(received, "", [], frozenset())
    request = parsed(NotifyMessage, received.message, items=received.message.get("notify_event"), limit=dci.MAX_EVENTS)
    dci.check_count(received.header, len(request.notify_event))
    for kind in sorted({event.reg_event_type for event in request.notify_event}):
        dci.require_capability(received.partner.agreement, f"notify.{kind}")
    references = [event.reference_id for event in request.notify_event]
    if len(set(references)) != len(references):
        raise InvalidInput("exchange.event_repeated", "同一条消息中的事件编号「reference_id」重复",
                           "an event's reference_id appears twice in one message")
    today = china_today(now)
    events = [_pushed(platform.cipher, event, today) for event in request.notify_event]
    before = session.scalars(select(ExchangeEvent.reference_id).where(ExchangeEvent.partner_id == received.partner.id,
                                                                      ExchangeEvent.reference_id.in_(references)))
    return Notification(received, request.transaction_id, events, frozenset(before))


def _pushed(cipher: FieldCipher, event: DeathEvent | BirthEvent, today: date) -> PushedEvent:
    data = event.data
    number = _event_id_number(data.id_number, event.reference_id, today) if data.id_number else None
    day = data.death_date if isinstance(event, DeathEvent) else data.birth_date
    if day > today:
        raise InvalidInput("exchange.event_date", f"事件「{event.reference_id}」的日期 {day} 晚于今天",
                           f"event {event.reference_id!r} is dated {day}, after today")
    details = data.model_dump(mode="json", exclude={"id_number", "name", "death_date", "birth_date"}, exclude_none=True)
    return PushedEvent(event.reference_id, event.reg_event_type, cipher.lookup_hash(number) if number else None,
                       data.name, day, details)


def _event_id_number(value: str, reference: str, today: date) -> str:
    try:
        return parse_id_number(value, today=today).number
    except InvalidInput as exc:
        raise InvalidInput("exchange.event_id_number", f"事件「{reference}」的身份证号码有误：{exc.reason}",
                           f"event {reference!r}: {exc.reason_en}") from None


def deaths_import(*, session: Session, notification: Notification, deaths: int, actor: str, now: datetime) -> int:
    """The import record the message's deaths are loaded under into ext_deaths (one per message, found again when
    the same message is sent again after a failure)."""
    existing = session.scalar(select(ExchangeImport.id).where(ExchangeImport.checksum == notification.received.digest))
    if existing is not None:
        return existing
    record = ExchangeImport(kind="deaths", source=f"{notification.received.partner.code} "
                                                  f"{notification.received.header.message_id}"[:200],
                            checksum=notification.received.digest, file_format="dci", encoding="json",
                            hash_key_fingerprint=None, rows_read=deaths, rows_loaded=0, rows_rejected=0,
                            imported_by=actor, imported_at=utc_naive(now))
    session.add(record)
    session.flush()
    return record.id


def claim_event(*, session: Session, partner: PartnerView, event: PushedEvent, import_id: int | None,
                now: datetime) -> ExchangeEvent | None:
    """Records the event once (None: another message recorded it meanwhile), and a death also as an ext_deaths row."""
    person = session.scalar(select(Person).where(Person.id_number_hash == event.id_hash)) if event.id_hash else None
    unknown = event.event_type == "death" and person is None
    outcome = "unknown_person" if unknown else "recorded"
    zh, en = dci.OUTCOMES[outcome]
    row = ExchangeEvent(partner_id=partner.id, reference_id=event.reference_id, event_type=event.event_type,
                        id_hash=event.id_hash, person_id=person.id if person else None, name=event.name,
                        event_date=event.event_date, details=event.details, outcome=outcome, outcome_reason=zh,
                        outcome_reason_en=en, import_id=import_id if event.event_type == "death" else None,
                        received_at=utc_naive(now))
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    if event.event_type == "death":
        session.add(ExtDeath(import_id=import_id, id_hash=event.id_hash, name=event.name, death_date=event.event_date,
                             source=f"{partner.code}:{event.reference_id}"[:200]))
    return row


def set_outcome(row: ExchangeEvent, outcome: str, reason: str | None = None, reason_en: str | None = None) -> None:
    zh, en = dci.OUTCOMES[outcome]
    row.outcome, row.outcome_reason, row.outcome_reason_en = outcome, (reason or zh)[:300], (reason_en or en)[:300]


def finish_notification(*, session: Session, platform: Platform, notification: Notification, import_id: int | None,
                        now: datetime) -> dict:
    """The signed on-notify answer, kept with the message id so the same message again answers the same."""
    received = notification.received
    references = [event.reference_id for event in notification.events]
    rows = {row.reference_id: row for row in session.scalars(select(ExchangeEvent).where(
        ExchangeEvent.partner_id == received.partner.id, ExchangeEvent.reference_id.in_(references)))}
    visible = _visible_persons(session, received.partner, [r.person_id for r in rows.values() if r.person_id])
    statuses = [_event_status(received.partner, rows[reference], visible, reference in notification.recorded_before)
                for reference in references]
    answer = platform.answer(received=received, action="on-notify", count=len(statuses), now=now, message={
        "transaction_id": notification.transaction_id, "correlation_id": new_id(), "notify_status": statuses})
    message_row = remember(session=session, received=received, transaction_id=notification.transaction_id, answer=answer,
                           now=now)
    for row in rows.values():
        row.message_row_id = row.message_row_id or message_row
    if import_id is not None:
        _count_loaded(session, import_id)
    audit.append(session, actor=f"partner:{received.partner.code}", action="exchange.notified",
                 subject=f"partner:{received.partner.code}", now=now, message_id=received.header.message_id,
                 events=len(references), new=len(references) - len(notification.recorded_before),
                 outcomes={o: sum(r.outcome == o for r in rows.values()) for o in sorted({r.outcome for r in rows.values()})})
    return answer


def _visible_persons(session: Session, partner: PartnerView, person_ids: list[int]) -> set[int]:
    """The persons whose outcome the partner may learn: none unless it may search, then those of its region."""
    if not person_ids or not partner.may("search"):
        return set()
    return set(session.scalars(select(Person.id).where(Person.id.in_(person_ids), in_region(partner.region_code))))


def _event_status(partner: PartnerView, row: ExchangeEvent, visible: set[int], duplicate: bool) -> dict:
    """What the partner is told of one event. Without the right to search it learns only that the event is
    recorded; outside its region a person's outcome reads as if there were nobody."""
    if not partner.may("search") or row.event_type == "birth":
        outcome = "recorded"
    elif row.person_id is not None and row.person_id not in visible:
        outcome = "unknown_person"
    else:
        outcome = row.outcome
    zh, en = (row.outcome_reason, row.outcome_reason_en) if outcome == row.outcome else dci.OUTCOMES[outcome]
    return {"reference_id": row.reference_id, "status": "succ", "outcome": outcome, "duplicate": duplicate,
            "status_reason_message": en, "status_reason_message_zh": zh}


def _count_loaded(session: Session, import_id: int) -> None:
    record = session.get(ExchangeImport, import_id)
    record.rows_loaded = session.scalar(select(func.count()).select_from(ExtDeath).where(ExtDeath.import_id == import_id))
    record.rows_rejected = max(record.rows_read - record.rows_loaded, 0)
