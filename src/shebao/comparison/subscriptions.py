"""Partners' subscriptions to our changes (deaths, pension starts), and telling them: `announce_changes` puts what each
subscriber has not yet been told into the outbox as DCI notify messages, moving its mark in the same transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.benefits.models import PensionAward
from shebao.comparison import dci, outbox
from shebao.comparison.exchange_platform import PartnerView, Platform, new_id, sealed_payload
from shebao.comparison.models import ExchangePartner, ExchangeSubscription
from shebao.comparison.registry_exchange import in_region, parsed, receive, remember
from shebao.comparison.schemas import SubscribeMessage, UnsubscribeMessage
from shebao.core import audit
from shebao.core.clock import utc_naive
from shebao.core.db import Database
from shebao.core.security import FieldCipher
from shebao.registry.models import Person

ANNOUNCE_SETTLE = timedelta(minutes=10)  # longer than any one transaction that records a death or an award runs


def subscribe(*, database: Database, platform: Platform, envelope: object, now: datetime) -> dict:
    """Subscribes the partner to kinds of change; the same kind again keeps the one subscription."""
    with database.transaction() as session:
        received = receive(session=session, platform=platform, envelope=envelope, action="subscribe", now=now)
        if received.earlier_answer is not None:
            return received.earlier_answer
        request = parsed(SubscribeMessage, received.message, items=received.message.get("subscribe_request"),
                         limit=dci.MAX_SUBSCRIPTIONS)
        dci.check_count(received.header, len(request.subscribe_request))
        for item in request.subscribe_request:
            dci.require_capability(received.partner.agreement, f"subscribe.{item.subscribe_criteria.reg_event_type}")
        responses = [{"reference_id": item.reference_id, "status": "succ",
                      "reg_event_type": item.subscribe_criteria.reg_event_type,
                      "subscription_code": _subscription(session, received.partner, item.subscribe_criteria.reg_event_type,
                                                         now).code}
                     for item in request.subscribe_request]
        answer = platform.answer(received=received, action="on-subscribe", count=len(responses), now=now, message={
            "transaction_id": request.transaction_id, "correlation_id": new_id(), "subscribe_response": responses})
        remember(session=session, received=received, transaction_id=request.transaction_id, answer=answer, now=now)
        audit.append(session, actor=f"partner:{received.partner.code}", action="exchange.subscribed",
                     subject=f"partner:{received.partner.code}", now=now, kinds=[r["reg_event_type"] for r in responses])
        return answer


def _subscription(session: Session, partner: PartnerView, kind: str, now: datetime) -> ExchangeSubscription:
    row = session.scalar(select(ExchangeSubscription).where(ExchangeSubscription.partner_id == partner.id,
                                                            ExchangeSubscription.change_kind == kind))
    stamp = utc_naive(now)
    if row is None:
        row = ExchangeSubscription(partner_id=partner.id, change_kind=kind, code=f"sub-{new_id()}", active=True,
                                   announced_through=stamp, created_at=stamp)
        session.add(row)
        session.flush()
    elif not row.active:  # subscribed again: told of what happens from now on
        row.active, row.ended_at, row.announced_through = True, None, stamp
    return row


def unsubscribe(*, database: Database, platform: Platform, envelope: object, now: datetime) -> dict:
    """Ends the partner's own subscriptions named; a code that is not one of them is answered unknown."""
    with database.transaction() as session:
        received = receive(session=session, platform=platform, envelope=envelope, action="unsubscribe", now=now)
        if received.earlier_answer is not None:
            return received.earlier_answer
        request = received.message.get("unsubscribe_request")
        request = parsed(UnsubscribeMessage, received.message, limit=dci.MAX_SUBSCRIPTIONS,
                         items=request.get("subscription_codes") if isinstance(request, dict) else None)
        codes = request.unsubscribe_request.subscription_codes
        dci.check_count(received.header, len(codes))
        own = {row.code: row for row in session.scalars(select(ExchangeSubscription).where(
            ExchangeSubscription.partner_id == received.partner.id, ExchangeSubscription.code.in_(codes)))}
        for row in own.values():
            row.active, row.ended_at = False, row.ended_at or utc_naive(now)
        statuses = [{"code": code, "status": "unsubscribe" if code in own else "unknown"} for code in codes]
        answer = platform.answer(received=received, action="on-unsubscribe", count=len(statuses), now=now, message={
            "transaction_id": request.transaction_id, "correlation_id": new_id(), "subscription_status": statuses})
        remember(session=session, received=received, transaction_id=request.transaction_id, answer=answer, now=now)
        audit.append(session, actor=f"partner:{received.partner.code}", action="exchange.unsubscribed",
                     subject=f"partner:{received.partner.code}", now=now, codes=sorted(own))
        return answer


# ------------------------------------------------------------------ telling subscribers


def announce_changes(*, database: Database, cipher: FieldCipher, now: datetime) -> dict:
    """For every active subscription: the changes since it was last told, as notify messages in the outbox (in one
    transaction with moving its mark, so a change is announced once). Only changes stamped ANNOUNCE_SETTLE ago or
    earlier are taken: a use case stamps its change with its start and commits later, and a mark moved past a change
    not yet committed would never announce it."""
    stamp = utc_naive(now) - ANNOUNCE_SETTLE
    announced: dict[str, int] = {}
    with database.transaction() as session:
        rows = session.execute(select(ExchangeSubscription, ExchangePartner)
                               .join(ExchangePartner, ExchangePartner.id == ExchangeSubscription.partner_id)
                               .where(ExchangeSubscription.active.is_(True), ExchangePartner.active.is_(True))
                               .order_by(ExchangeSubscription.id)).all()
        for subscription, partner in rows:
            if not _still_agreed(partner, subscription.change_kind) or subscription.announced_through >= stamp:
                continue
            events = CHANGES[subscription.change_kind](session, cipher, partner.region_code,
                                                       subscription.announced_through, stamp)
            _enqueue_notifications(session, cipher, subscription, partner, events, now)
            subscription.announced_through = stamp
            announced[partner.code] = announced.get(partner.code, 0) + len(events)
    return {"subscriptions": len(rows), "events": sum(announced.values()), "by_partner": announced}


def _still_agreed(partner: ExchangePartner, kind: str) -> bool:
    return f"subscribe.{kind}" in partner.agreement.split(",")


def _deaths_since(session: Session, cipher: FieldCipher, region_code: str, since: datetime, until: datetime) -> list[dict]:
    rows = session.scalars(select(Person).where(Person.status == "deceased", Person.updated_at > since,
                                                Person.updated_at <= until, in_region(region_code)).order_by(Person.id))
    return [{"reference_id": f"death-{p.id}", "timestamp": dci.timestamp(p.updated_at), "reg_event_type": "death",
             "data": {"id_number": cipher.decrypt("id_number", p.id_number_enc), "name": p.name,
                      "death_date": p.death_date.isoformat() if p.death_date else None}} for p in rows]


def _pension_starts_since(session: Session, cipher: FieldCipher, region_code: str, since: datetime,
                          until: datetime) -> list[dict]:
    rows = session.execute(select(PensionAward, Person).join(Person, Person.id == PensionAward.person_id)
                           .where(PensionAward.awarded_at > since, PensionAward.awarded_at <= until, in_region(region_code))
                           .order_by(PensionAward.id)).all()
    return [{"reference_id": f"pension-{award.id}", "timestamp": dci.timestamp(award.awarded_at),
             "reg_event_type": "pension_start",
             "data": {"id_number": cipher.decrypt("id_number", person.id_number_enc), "name": person.name,
                      "first_period": award.first_period, "province": award.province}} for award, person in rows]


CHANGES: dict[str, Callable[[Session, FieldCipher, str, datetime, datetime], list[dict]]] = {
    "death": _deaths_since, "pension_start": _pension_starts_since}
CHANGE_NAMES = {"death": ("死亡", "deaths"), "pension_start": ("养老金开始发放", "pension starts")}


def _enqueue_notifications(session: Session, cipher: FieldCipher, subscription: ExchangeSubscription,
                           partner: ExchangePartner, events: list[dict], now: datetime) -> None:
    zh, en = CHANGE_NAMES[subscription.change_kind]
    for index, chunk in enumerate(_chunks(events, dci.MAX_EVENTS)):
        message = {"transaction_id": new_id(), "notify_event": chunk}
        outbox.enqueue(session=session, channel="dci", recipient=partner.code, subject_kind="exchange_subscription",
                       subject_id=subscription.id, body_zh=f"订阅通知：{zh} {len(chunk)} 条",
                       body_en=f"subscription notice: {len(chunk)} {en}",
                       payload=sealed_payload(cipher, "notify", "/registry/notify", message, len(chunk)),
                       idempotency_key=f"dci:notify:{subscription.code}:{dci.timestamp(now)}:{index}", now=now)


def _chunks(items: list[dict], size: int) -> Iterable[list[dict]]:
    return (items[start:start + size] for start in range(0, len(items), size))
