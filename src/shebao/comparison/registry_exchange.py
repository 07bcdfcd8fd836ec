"""Exchange by message with other departments, in the shape of the DCI social-registry API (see comparison/dci.py).

Partners are registered with their Ed25519 public key and an agreement (what they may do, and the region whose
persons they may ask about). Every message is authenticated by its signature before anything else is read, must be
fresh (message_ts within the window) and is taken once per message id: a message that changed something answers the
same message again with the answer kept, any other repeat is refused. Answers are signed with the platform's key.

    search          sync search by ID number or by name + birth date + sex (the on-search answer at once)
    search (async)  the same, acknowledged with the transaction id and delivered to the partner's callback
                    (/registry/on-search) through the outbox
    alive_check     many ID numbers (or our keyed hashes) → alive / deceased (with the date) / unknown, in one query
    subscribe       to our deaths and pension starts; `announce_changes` enqueues the notifications
    notify          deaths and births pushed to us: services/registry_events.py (the death use case is above us)

A partner never learns whether a person exists unless its agreement lets it search, and then only for persons of its
region: outside, the answer is the one for nobody.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.audit.signing import AuditKeyring
from shebao.benefits.models import PensionAward
from shebao.comparison import dci, outbox
from shebao.comparison.models import (
    ExchangeEvent,
    ExchangeImport,
    ExchangeMessage,
    ExchangePartner,
    ExchangeSubscription,
    ExtDeath,
)
from shebao.comparison.rules import HASH
from shebao.comparison.schemas import (
    AliveCheckMessage,
    BirthEvent,
    DciHeader,
    DeathEvent,
    IdCriteria,
    NotifyMessage,
    PartnerCreate,
    PartnerRead,
    SearchMessage,
    SearchRequestItem,
    SubscribeMessage,
    UnsubscribeMessage,
)
from shebao.core import audit
from shebao.core.clock import Clock, SystemClock, china_today, utc_naive
from shebao.core.db import Database
from shebao.core.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from shebao.core.regions import region_prefix
from shebao.core.security import FieldCipher, Principal, Role
from shebao.enrollment.models import Participation
from shebao.registry.models import Person
from shebao.registry.rules import masked_name, parse_id_number
from shebao.settings import Settings

ModelT = TypeVar("ModelT", bound=BaseModel)
SIGNATURE_LIFETIME = timedelta(minutes=10)  # an answer's or a callback's signature stays in force this long
SEALED_FIELD = "exchange.message"  # the field cipher's label for a message sealed in the outbox
ANNOUNCE_SETTLE = timedelta(minutes=10)  # longer than any one transaction that records a death or an award runs


class ExchangeKeyring(AuditKeyring):
    """The platform's Ed25519 key that signs every envelope it sends, sealed on disk as the audit key is."""

    key_file = "exchange-key.json"
    key_prefix = "exchange"
    code = "exchange"
    name_zh, name_en = "数据交换签名密钥", "the exchange signing key"
    purpose_zh, purpose_en = "签署交换消息", "signing an exchange message"


@dataclass
class Platform:
    """What the platform brings to every message: its sender id, its signing keys, the window, the field cipher."""

    sender_id: str
    keyring: ExchangeKeyring
    window: timedelta
    cipher: FieldCipher

    @classmethod
    def for_settings(cls, settings: Settings, cipher: FieldCipher) -> Platform:
        directory = settings.exchange_key_dir or Path(settings.key_dir) / "exchange"
        return cls(settings.exchange_platform_id, ExchangeKeyring(directory, settings.key_passphrase),
                   timedelta(seconds=settings.exchange_message_window_seconds), cipher)

    def sign(self, *, header: dict, message: dict, now: datetime) -> dict:
        key_id, key = self.keyring.signer(now=now)
        return dci.envelope(header=header, message=message, key=key, key_id=key_id, now=now, lifetime=SIGNATURE_LIFETIME)

    def answer(self, *, received: Received, action: str, message: dict, count: int, now: datetime,
               status: str = "succ") -> dict:
        header = dci.answer_header(action=action, platform_id=self.sender_id, receiver_id=received.partner.code,
                                   message_id=new_id(), now=now, total_count=count, status=status)
        return self.sign(header=header, message=message, now=now)

    def public_keys(self) -> dict:
        return {"sender_id": self.sender_id,
                "keys": [{"kid": kid, "x": public} for kid, public in self.keyring.public_keys().items()]}


@dataclass(frozen=True)
class PartnerView:
    id: int
    code: str
    name_zh: str
    agreement: str
    region_code: str

    def may(self, capability: str) -> bool:
        return capability in self.agreement.split(",")


@dataclass(frozen=True)
class Received:
    """A message whose signature, header and freshness were checked; `earlier_answer` when it came before."""

    partner: PartnerView
    header: DciHeader
    message: dict
    digest: str
    earlier_answer: dict | None


def new_id() -> str:
    return uuid.uuid4().hex


# ------------------------------------------------------------------ partners


def register_partner(*, session: Session, principal: Principal, command: PartnerCreate, now: datetime) -> PartnerRead:
    """Registers another department as a partner: its key, its callback, its agreement (or its department's)."""
    principal.require_role(Role.ADMIN)
    actor = principal.actor
    agreement = dci.agreement_text(command.department, command.allowed)
    if session.scalar(select(ExchangePartner.id).where(ExchangePartner.code == command.code)) is not None:
        raise Conflict("exchange.partner_exists", f"交换伙伴「{command.code}」已登记", f"partner {command.code} is registered already")
    partner = ExchangePartner(code=command.code, name_zh=command.name_zh, name_en=command.name_en,
                              department=command.department, public_key=dci.parse_public_key(command.public_key),
                              key_id=dci.check_key_id(command.key_id), callback_url=command.callback_url,
                              agreement=agreement, region_code=command.region_code, active=True,
                              registered_by=actor, registered_at=utc_naive(now))
    session.add(partner)
    session.flush()
    audit.append(session, actor=actor, action="exchange.partner_registered", subject=f"partner:{partner.code}", now=now,
                 department=partner.department, agreement=agreement, region=partner.region_code, key_id=partner.key_id)
    return _partner_read(partner)


def list_partners(*, session: Session, principal: Principal) -> list[PartnerRead]:
    principal.require_role(Role.ADMIN, Role.AUDITOR)
    return [_partner_read(p) for p in session.scalars(select(ExchangePartner).order_by(ExchangePartner.code))]


def deactivate_partner(*, session: Session, principal: Principal, code: str, now: datetime) -> PartnerRead:
    """The partner's messages are refused from now on (its key is no longer trusted); its records stay."""
    principal.require_role(Role.ADMIN)
    partner = session.scalar(select(ExchangePartner).where(ExchangePartner.code == code))
    if partner is None:
        raise NotFound("exchange.partner_unknown", f"没有登记交换伙伴「{code[:100]}」", f"no partner {code[:100]!r} is registered")
    partner.active = False
    audit.append(session, actor=principal.actor, action="exchange.partner_deactivated", subject=f"partner:{partner.code}",
                 now=now)
    return _partner_read(partner)


def _partner_read(partner: ExchangePartner) -> PartnerRead:
    return PartnerRead(code=partner.code, name_zh=partner.name_zh, name_en=partner.name_en, department=partner.department,
                       key_id=partner.key_id, public_key=partner.public_key, callback_url=partner.callback_url,
                       agreement=[c for c in partner.agreement.split(",") if c], region_code=partner.region_code,
                       active=partner.active, registered_at=partner.registered_at)


# ------------------------------------------------------------------ receiving a message


def receive(*, session: Session, platform: Platform, envelope: object, action: str, now: datetime) -> Received:
    """Authenticates a message (signature first: nothing else is read from an unsigned one), then its header."""
    if not isinstance(envelope, dict):
        envelope = {}
    params = dci.parse_signature(envelope.get("signature"))
    partner = session.scalar(select(ExchangePartner).where(ExchangePartner.code == params.sender_id[:100],
                                                           ExchangePartner.active.is_(True)))
    if partner is None:
        raise Unauthenticated("exchange.unknown_sender", "发送方不是已登记且有效的交换伙伴",
                              "the sender is not a registered, active partner")
    header, message = envelope.get("header"), envelope.get("message")
    dci.verify(params=params, header=header, message=message, public_key=partner.public_key, key_id=partner.key_id,
               now=now, skew=platform.window)
    if not isinstance(header, dict) or not isinstance(message, dict):
        raise InvalidInput("exchange.envelope", "消息的「header」和「message」都应为一组键值", "header and message are JSON objects")
    checked = dci.check_header(header, partner_code=partner.code, platform_id=platform.sender_id, action=action, now=now,
                               window=platform.window)
    digest = dci.message_digest(header, message).hex()
    view = PartnerView(partner.id, partner.code, partner.name_zh, partner.agreement, partner.region_code)
    return Received(view, checked, message, digest, _earlier_answer(session, view, checked.message_id, digest))


def _earlier_answer(session: Session, partner: PartnerView, message_id: str, digest: str) -> dict | None:
    """The kept answer when this very message came before; a message id used for anything else is refused."""
    earlier = session.scalar(select(ExchangeMessage).where(ExchangeMessage.partner_id == partner.id,
                                                           ExchangeMessage.message_id == message_id))
    if earlier is None:
        return None
    if earlier.digest == digest and earlier.answer is not None:
        return earlier.answer
    raise _replayed(message_id)


def _replayed(message_id: str) -> Conflict:
    return Conflict("exchange.message_replayed", "此消息编号「message_id」已用过：新的消息须用新的编号",
                    f"message_id {message_id!r} was used before: a new message needs a new message_id")


def remember(*, session: Session, received: Received, transaction_id: str, answer: dict | None, now: datetime) -> int:
    """Takes the message id (kept with its answer when the message changed something); a race for it is refused."""
    row = ExchangeMessage(partner_id=received.partner.id, message_id=received.header.message_id,
                          action=received.header.action, digest=received.digest, transaction_id=transaction_id,
                          answer=answer, received_at=utc_naive(now))
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise _replayed(received.header.message_id) from None
    return row.id


def parsed(model: type[ModelT], message: dict, *, items: object, limit: int) -> ModelT:
    """The message as its action's model, refused (422) when it is too large or does not fit."""
    dci.check_batch(items, limit)
    try:
        return model.model_validate(message)
    except ValidationError as exc:
        raise dci.invalid_part(exc, "message") from None


def in_region(region_code: str):  # noqa: ANN201 - a SQL condition
    """Persons living or registered (hukou) within the partner's region; the whole country for "000000"."""
    prefix = region_prefix(region_code)
    return or_(Person.residence_region_code.startswith(prefix, autoescape=True),
               Person.hukou_region_code.startswith(prefix, autoescape=True))


# ------------------------------------------------------------------ search


def search(*, database: Database, platform: Platform, envelope: object, now: datetime) -> dict:
    """The sync search: the on-search answer at once. Reading only: a repeated message id is refused."""
    with database.transaction() as session:
        received, request = _search_request(session, platform, envelope, now)
        responses, shown = _search_responses(session, platform.cipher, received.partner, request.search_request, now)
        answer = platform.answer(received=received, action="on-search", count=len(responses), now=now, message={
            "transaction_id": request.transaction_id, "correlation_id": new_id(), "search_response": responses})
        remember(session=session, received=received, transaction_id=request.transaction_id, answer=None, now=now)
        _audit_search(session, received, shown, now)
        return answer


def accept_search(*, database: Database, platform: Platform, envelope: object, now: datetime) -> dict:
    """The async search: acknowledged with the transaction id; the on-search result goes to the partner's callback
    through the outbox. The same message again answers the same acknowledgement."""
    with database.transaction() as session:
        received, request = _search_request(session, platform, envelope, now)
        if received.earlier_answer is not None:
            return received.earlier_answer
        responses, shown = _search_responses(session, platform.cipher, received.partner, request.search_request, now)
        correlation = new_id()
        result = {"transaction_id": request.transaction_id, "correlation_id": correlation, "search_response": responses}
        ack = platform.answer(received=received, action="on-search", count=0, now=now, status="rcvd", message={
            "ack_status": "ACK", "timestamp": dci.timestamp(now), "transaction_id": request.transaction_id,
            "correlation_id": correlation})
        row = remember(session=session, received=received, transaction_id=request.transaction_id, answer=ack, now=now)
        outbox.enqueue(session=session, channel="dci", recipient=received.partner.code, subject_kind="exchange_message",
                       subject_id=row, body_zh=f"查询结果（{len(responses)} 项）", body_en=f"search result ({len(responses)} items)",
                       payload=sealed_payload(platform.cipher, "on-search", "/registry/on-search", result, len(responses)),
                       idempotency_key=f"dci:on-search:{received.partner.code}:{received.header.message_id}", now=now)
        _audit_search(session, received, shown, now)
        return ack


def _search_request(session: Session, platform: Platform, envelope: object, now: datetime) -> tuple[Received, SearchMessage]:
    received = receive(session=session, platform=platform, envelope=envelope, action="search", now=now)
    dci.require_capability(received.partner.agreement, "search")
    request = parsed(SearchMessage, received.message, items=received.message.get("search_request"), limit=dci.MAX_SEARCHES)
    dci.check_count(received.header, len(request.search_request))
    return received, request


def _search_responses(session: Session, cipher: FieldCipher, partner: PartnerView, items: list[SearchRequestItem],
                      now: datetime) -> tuple[list[dict], list[int]]:
    """Each request's response: ID numbers looked up together, attribute searches one by one (at most 100)."""
    today = china_today(now)
    hashes = {item.reference_id: _id_hash(cipher, item.search_criteria.query.value, today)
              for item in items if isinstance(item.search_criteria, IdCriteria)}
    by_hash = _persons_by_hash(session, partner.region_code, {h for h in hashes.values() if h})
    found: dict[str, list[Person] | None] = {}
    for item in items:
        if isinstance(item.search_criteria, IdCriteria):
            found[item.reference_id] = None if hashes[item.reference_id] is None else \
                [p for p in [by_hash.get(hashes[item.reference_id])] if p]
        else:
            found[item.reference_id] = _persons_by_attributes(session, partner.region_code, item.search_criteria.query)
    persons = [p for matches in found.values() for p in matches or []]
    flags = _insurance_flags(session, [p.id for p in persons])
    responses = [_search_response(cipher, item, found[item.reference_id], flags, now) for item in items]
    return responses, sorted({p.id for p in persons})


def _id_hash(cipher: FieldCipher, value: str, today: date) -> str | None:
    try:
        return cipher.lookup_hash(parse_id_number(value, today=today).number)
    except InvalidInput:
        return None


def _persons_by_hash(session: Session, region_code: str, hashes: set[str]) -> dict[str, Person]:
    if not hashes:
        return {}
    rows = session.scalars(select(Person).where(Person.id_number_hash.in_(sorted(hashes)), in_region(region_code)))
    return {p.id_number_hash: p for p in rows}


def _persons_by_attributes(session: Session, region_code: str, predicates: list) -> list[Person] | None:
    """None when the predicates are not name, birth date and sex, each once and well formed."""
    given = {p.attribute_name: p.attribute_value.strip() for p in predicates}
    if len(given) != 3 or given["sex"] not in ("M", "F"):
        return None
    try:
        birth = date.fromisoformat(given["birth_date"])
    except ValueError:
        return None
    query = select(Person).where(Person.name == given["name"], Person.birth_date == birth, Person.sex == given["sex"],
                                 in_region(region_code)).order_by(Person.id).limit(dci.MAX_MATCHES)
    return list(session.scalars(query))


def _insurance_flags(session: Session, person_ids: list[int]) -> dict[str, set[int]]:
    if not person_ids:
        return {"insured": set(), "pension": set()}
    insured = session.scalars(select(Participation.person_id).where(Participation.person_id.in_(person_ids),
                                                                    Participation.status == "active"))
    pension = session.scalars(select(PensionAward.person_id).where(PensionAward.person_id.in_(person_ids),
                                                                   PensionAward.status == "paying"))
    return {"insured": set(insured), "pension": set(pension)}


def _search_response(cipher: FieldCipher, item: SearchRequestItem, matches: list[Person] | None,
                     flags: dict[str, set[int]], now: datetime) -> dict:
    base = {"reference_id": item.reference_id, "timestamp": dci.timestamp(now)}
    if matches is None:
        return base | {"status": "rjct", "status_reason_code": "rjct.search_criteria.invalid",
                       "status_reason_message": "the identifier or the attributes are not well formed"}
    return base | {"status": "succ", "data": {"reg_type": "shebao:insured_persons",
                                              "reg_records": [_record(cipher, p, flags) for p in matches]}}


def _record(cipher: FieldCipher, person: Person, flags: dict[str, set[int]]) -> dict:
    deceased = person.status == "deceased"
    return {"identifier": [{"identifier_type": "RIC", "identifier_value": cipher.decrypt("id_number", person.id_number_enc)}],
            "name": masked_name(person.name), "sex": person.sex, "birth_date": person.birth_date.isoformat(),
            "status": "deceased" if deceased else "alive",
            "death_date": person.death_date.isoformat() if deceased and person.death_date else None,
            "insured": person.id in flags["insured"], "drawing_pension": person.id in flags["pension"]}


def _audit_search(session: Session, received: Received, shown: list[int], now: datetime) -> None:
    audit.append(session, actor=f"partner:{received.partner.code}", action="exchange.searched",
                 subject=f"partner:{received.partner.code}", now=now, message_id=received.header.message_id,
                 persons=shown[:1_000])


# ------------------------------------------------------------------ the bulk alive check


def alive_check(*, database: Database, platform: Platform, envelope: object, now: datetime) -> dict:
    """Many ID numbers (or our keyed hashes) answered alive, deceased (with the date) or unknown — in one query."""
    with database.transaction() as session:
        received = receive(session=session, platform=platform, envelope=envelope, action="alive-check", now=now)
        dci.require_capability(received.partner.agreement, "alive_check")
        request = received.message.get("alive_check_request")
        request = parsed(AliveCheckMessage, received.message, limit=dci.MAX_ALIVE_CHECKS,
                         items=request.get("identifiers") if isinstance(request, dict) else None)
        identifiers = request.alive_check_request.identifiers
        dci.check_count(received.header, len(identifiers))
        answers = _alive_answers(session, platform.cipher, received.partner.region_code, identifiers, china_today(now))
        answer = platform.answer(received=received, action="on-alive-check", count=len(answers), now=now, message={
            "transaction_id": request.transaction_id, "correlation_id": new_id(), "alive_check_response": answers})
        remember(session=session, received=received, transaction_id=request.transaction_id, answer=None, now=now)
        counts = {status: sum(a["status"] == status for a in answers) for status in ("alive", "deceased", "unknown")}
        audit.append(session, actor=f"partner:{received.partner.code}", action="exchange.alive_checked",
                     subject=f"partner:{received.partner.code}", now=now, message_id=received.header.message_id, **counts)
        return answer


def _alive_answers(session: Session, cipher: FieldCipher, region_code: str, identifiers: list[str],
                   today: date) -> list[dict]:
    """Our register's answer for each identifier as given, in its order; outside the region, the answer for nobody."""
    hashes = [_alive_hash(cipher, identifier, today) for identifier in identifiers]
    wanted = sorted({h for h in hashes if h})
    rows = session.execute(select(Person.id_number_hash, Person.status, Person.death_date)
                           .where(Person.id_number_hash.in_(wanted), in_region(region_code))).all() if wanted else []
    known = {row.id_number_hash: row for row in rows}
    return [_alive_answer(identifier, known.get(h) if h else None, h is not None)
            for identifier, h in zip(identifiers, hashes, strict=True)]


def _alive_hash(cipher: FieldCipher, identifier: str, today: date) -> str | None:
    text = identifier.strip()
    return text.lower() if HASH.match(text.lower()) else _id_hash(cipher, text, today)


def _alive_answer(identifier: str, row, well_formed: bool) -> dict:  # noqa: ANN001 - a result row
    answer: dict = {"identifier": identifier}
    if row is None:
        answer["status"] = "unknown"
        if not well_formed:
            answer |= {"status_reason_code": "rjct.identifier.invalid",
                       "status_reason_message": "neither a valid ID number nor a 64-hex keyed hash"}
        return answer
    if row.status == "deceased":
        return answer | {"status": "deceased", "death_date": row.death_date.isoformat() if row.death_date else None}
    return answer | {"status": "alive"}


# ------------------------------------------------------------------ subscriptions


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


# ------------------------------------------------------------------ deaths and births pushed to us
# The flow is services/registry_events.py's (a death starts the death use case, which sits above this context): the
# message accepted here, each new event claimed in its own transaction with the use case's reaction, then the answer.


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


# ------------------------------------------------------------------ sending to a partner's callback


def sealed_payload(cipher: FieldCipher, action: str, path: str, message: dict, count: int) -> dict:
    """An outgoing DCI message as the outbox keeps it: its records (ID numbers among them) sealed at rest."""
    sealed = cipher.encrypt(SEALED_FIELD, dci.canonical(message).decode())
    return {"action": action, "path": path, "message_id": new_id(), "total_count": count,
            "sealed": base64.b64encode(sealed).decode()}


def unsealed_message(cipher: FieldCipher, payload: dict) -> dict:
    return json.loads(cipher.decrypt(SEALED_FIELD, base64.b64decode(payload["sealed"])))


class DciCallbackSender:
    """Delivers the outbox's dci messages: signed with the platform's key at the moment of sending, POSTed to the
    partner's callback address (its base URL + the action's path, e.g. /registry/on-search)."""

    PERMANENT = {400, 404, 405, 410, 413, 422}  # the partner will never take this message as it is

    def __init__(self, *, database: Database, platform: Platform, timeout: float, clock: Clock | None = None) -> None:
        self.database, self.platform, self.timeout = database, platform, timeout
        self.clock = clock or SystemClock()

    def send(self, message: outbox.Outgoing) -> outbox.Delivered:
        with self.database.unit_of_work() as uow:
            partner = uow.session.scalar(select(ExchangePartner).where(ExchangePartner.code == message.recipient))
            address = (partner.callback_url, partner.active) if partner else (None, False)
        if not address[1]:
            return outbox.Delivered(False, "the partner is not registered or not active", permanent=True)
        if not address[0]:
            return outbox.Delivered(False, "the partner has no callback address yet")
        body = self._envelope(message)
        return self._post(address[0].rstrip("/") + message.payload["path"], body)

    def _envelope(self, message: outbox.Outgoing) -> bytes:
        now = self.clock.now()
        payload = message.payload
        header = dci.answer_header(action=payload["action"], platform_id=self.platform.sender_id,
                                   receiver_id=message.recipient, message_id=payload["message_id"], now=now,
                                   total_count=payload["total_count"])
        signed = self.platform.sign(header=header, message=unsealed_message(self.platform.cipher, payload), now=now)
        return json.dumps(signed, ensure_ascii=False).encode()

    def _post(self, url: str, body: bytes) -> outbox.Delivered:
        if not url.startswith(("http://", "https://")):
            return outbox.Delivered(False, "the callback address is not http(s)", permanent=True)
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
        try:
            with _NO_REDIRECTS.open(request, timeout=self.timeout) as response:
                return outbox.Delivered(True, f"HTTP {response.status}")
        except urllib.error.HTTPError as exc:
            return outbox.Delivered(False, f"HTTP {exc.code}", permanent=exc.code in self.PERMANENT)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return outbox.Delivered(False, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}")


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201 - urllib's own signature
        return None  # a callback that redirects is answered as its status: the message never goes elsewhere


_NO_REDIRECTS = urllib.request.build_opener(_RefuseRedirects)
