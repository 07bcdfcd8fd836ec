"""Exchange by message with other departments, in the shape of the DCI social-registry API (see comparison/dci.py).

Partners are registered with their Ed25519 public key and an agreement (what they may do, and the region whose
persons they may ask about). Every message is authenticated by its signature before anything else is read, must be
fresh (message_ts within the window) and is taken once per message id: a message that changed something answers the
same message again with the answer kept, any other repeat is refused. Answers are signed with the platform's key.

    search          sync search by ID number or by name + birth date + sex (the on-search answer at once)
    search (async)  the same, acknowledged with the transaction id and delivered to the partner's callback
                    (/registry/on-search) through the outbox
    alive_check     many ID numbers (or our keyed hashes) → alive / deceased (with the date) / unknown, in one query
    subscribe       to our deaths and pension starts: comparison/subscriptions.py
    notify          deaths and births pushed to us: comparison/pushed_events.py, services/registry_events.py
                    (the death use case is above us)

The platform's key, the authenticated message and the callback sender: comparison/exchange_platform.py.

A partner never learns whether a person exists unless its agreement lets it search, and then only for persons of its
region: outside, the answer is the one for nobody.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.benefits.models import PensionAward
from shebao.comparison import dci, outbox
from shebao.comparison.exchange_platform import PartnerView, Platform, Received, new_id, sealed_payload
from shebao.comparison.models import ExchangeMessage, ExchangePartner
from shebao.comparison.rules import HASH
from shebao.comparison.schemas import (
    AliveCheckMessage,
    IdCriteria,
    PartnerCreate,
    PartnerRead,
    SearchMessage,
    SearchRequestItem,
)
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database
from shebao.core.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from shebao.core.regions import region_prefix
from shebao.core.security import FieldCipher, Principal, Role
from shebao.enrollment.models import Participation
from shebao.registry.models import Person
from shebao.registry.rules import masked_name, parse_id_number

ModelT = TypeVar("ModelT", bound=BaseModel)


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
