"""Card use cases: apply, issue on the spot, activate with a PIN, report lost anywhere, unfreeze,
replace, cancel. Every move goes through the one table in rules.py, records who, where and when, and
goes to the audit log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.accounts import service as accounts
from shebao.cards import bank, rules
from shebao.cards.models import Card, CardEvent
from shebao.cards.rules import VALID_STATES, CardMove, CardState
from shebao.cards.schemas import (
    BankAccountBind,
    CardActivate,
    CardApply,
    CardEventRead,
    CardIssue,
    CardMoveRequest,
    CardRead,
    PinCheck,
    PinReset,
)
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, Forbidden, InvalidInput, Locked, Unauthenticated, not_in_scope
from shebao.core.regions import province_of
from shebao.core.security import FieldCipher, Principal, Role, hash_password, verify_password
from shebao.policy.store import default_store
from shebao.registry import rules as registry_rules
from shebao.registry import service as registry
from shebao.registry.models import Person


def apply_for_card(*, session: Session, principal: Principal, command: CardApply, now: datetime) -> CardRead:
    """One person, one valid card in the whole country: a second application is refused."""
    principal.require_role(Role.INSURED, Role.STAFF, Role.ADMIN)
    person = registry.require_person_in_scope(principal, session.get(Person, command.person_id))
    region = registry.require_current_region(session=session, code=command.region_code, field="region_code")
    if principal.role != Role.INSURED:
        principal.require_region(region.code)  # the counter taking the application is the clerk's own
    if person.status != "living":
        raise Conflict("person.deceased", "此人已死亡，不能申领社保卡", "this person has died; no card can be issued")
    _refuse_second_card(session, person.id)
    stamp = utc_naive(now)
    card = Card(person_id=person.id, province=province_of(region.code), state=CardState.APPLIED.value,
                applied_region=region.code, pin_failures=0, created_at=stamp, updated_at=stamp)
    try:
        with session.begin_nested():
            session.add(card)
            session.flush()
    except IntegrityError:
        _refuse_second_card(session, person.id)
        raise
    _record(session, principal, card, "apply", None, region.code, "申领 application", now)
    return _read(session, card, None)


def _refuse_second_card(session: Session, person_id: int) -> None:
    existing = session.scalar(select(Card).where(Card.person_id == person_id,
                                                 Card.state.in_([s.value for s in VALID_STATES])))
    if existing is not None:
        state_zh, state_en = rules.state_name(existing.state)
        raise Conflict("card.exists", f"此人已有有效社保卡（{existing.province}，状态为“{state_zh}”），如需新卡请办理补换",
                       f"this person already holds a valid card ({existing.province}, {state_en}); "
                       "ask for a replacement instead", card_id=existing.id, state=existing.state)


def issue_on_the_spot(*, session: Session, cipher: FieldCipher, principal: Principal, card_id: int,
                      command: CardIssue, now: datetime) -> CardRead:
    """Instant issuance at a counter: the card is printed and handed over with its bank account bound."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    card, holder = _card_in_scope(session, principal, card_id)
    counter = _where_made(session, principal, holder, command.region_code)
    target = rules.next_state(CardState(card.state), CardMove.ISSUE_ON_THE_SPOT)
    number = rules.check_card_number(command.card_number)
    if number[:2] != card.province[:2]:
        raise Conflict("card.number_province", f"卡号 {number} 不属于签发省份 {card.province}",
                       f"card number {number} does not belong to the issuing province {card.province}")
    account = rules.check_bank_account(command.bank_account)
    if session.scalar(select(Card.id).where(Card.card_number == number)) is not None:
        raise Conflict("card.number_taken", f"卡号 {number} 已被使用", f"card number {number} is already in use")
    today = china_today(now)
    years = default_store().at(card.province, today).value("card.validity_years")
    card.card_number, card.chip_serial, card.bank_code = number, command.chip_serial, command.bank_code
    card.bank_account_enc = cipher.encrypt("bank_account", account)
    card.issue_date, card.expiry_date = today, date(today.year + years, today.month, min(today.day, 28))
    return _move(session, principal, card, CardMove.ISSUE_ON_THE_SPOT, target, counter, "即时制卡 instant", now)


BINDABLE = (CardState.ISSUED.value, CardState.ACTIVE.value, CardState.FROZEN.value)


def bind_bank_account(*, session: Session, cipher: FieldCipher, principal: Principal, card_id: int,
                      command: BankAccountBind, now: datetime) -> CardRead:
    """The card's bank account bound again — at a counter of the holder's region, or by the card's own bank, which
    binds only an account of its own. Payments the bank returned from the old account are paid again into it."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.BANK)
    if principal.role == Role.BANK:
        card = session.get(Card, card_id)
        if card is None or principal.bank_code is None or card.bank_code != principal.bank_code:
            raise not_in_scope("社保卡", "card")
        if command.bank_code != principal.bank_code:
            raise Forbidden("card.other_bank", "银行只能绑定本行账户", "a bank binds only an account of its own")
    else:
        card, _holder = _card_in_scope(session, principal, card_id)
    if card.state not in BINDABLE:
        state_zh, state_en = rules.state_name(card.state)
        raise Conflict("card.not_bindable", f"社保卡状态为“{state_zh}”，不能绑定银行账户",
                       f"the card is {state_en}; no bank account can be bound to it", state=card.state)
    account = rules.check_bank_account(command.bank_account)
    card.bank_code, card.bank_account_enc = command.bank_code, cipher.encrypt("bank_account", account)
    card.updated_at = utc_naive(now)
    session.flush()
    audit.append(session, actor=principal.actor, action="card.bank_account_bound", subject=f"card:{card.id}", now=now,
                 person=card.person_id, bank=command.bank_code, reason=command.reason)
    return _read(session, card, cipher)


def hand_out(*, session: Session, principal: Principal, card_id: int, command: CardMoveRequest, now: datetime) -> CardRead:
    """A card made by the factory reaches its holder at the agency."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    card, holder = _card_in_scope(session, principal, card_id)
    counter = _where_made(session, principal, holder, command.region_code)
    target = rules.next_state(CardState(card.state), CardMove.HAND_OUT)
    if card.card_number is None:
        raise Conflict("card.not_made", "卡片尚未制成（制卡厂尚未回盘）", "the card is not made yet: the factory has not returned it")
    return _move(session, principal, card, CardMove.HAND_OUT, target, counter, command.reason, now)


def activate(*, session: Session, principal: Principal, card_id: int, command: CardActivate, now: datetime) -> CardRead:
    """The holder activates their card by setting a PIN that cannot be guessed."""
    principal.require_role(Role.INSURED)
    card, person = _card_in_scope(session, principal, card_id)
    target = rules.next_state(CardState(card.state), CardMove.ACTIVATE)
    card.pin_hash = hash_password(rules.check_pin(command.pin, birth_date=person.birth_date))
    card.pin_failures = 0
    return _move(session, principal, card, CardMove.ACTIVATE, target, person.residence_region_code, "持卡人启用 activation", now)


def report_lost(*, session: Session, cipher: FieldCipher, principal: Principal, card_id: int, command: CardMoveRequest,
                now: datetime) -> CardRead:
    """Loss in one place freezes every use: the holder online, staff of the holder's region, or any counter in
    the country where the holder shows their own ID number. The bank account behind the card freezes too."""
    principal.require_role(Role.INSURED, Role.STAFF, Role.ADMIN)
    card = session.get(Card, card_id)
    holder = session.get(Person, card.person_id) if card is not None else None
    shown = command.holder_id_number
    present = bool(holder is not None and shown and cipher.lookup_hash(shown.strip().upper()) == holder.id_number_hash)
    if not present or principal.role != Role.STAFF:
        card, holder = _card_in_scope(session, principal, card_id)
    counter = _where_made(session, principal, holder, command.region_code)
    target = rules.next_state(CardState(card.state), CardMove.REPORT_LOST)
    card.bank_frozen = card.bank_code is not None
    return _move(session, principal, card, CardMove.REPORT_LOST, target, counter, command.reason, now)


def unfreeze(*, session: Session, principal: Principal, card_id: int, command: CardMoveRequest, now: datetime) -> CardRead:
    """A card found again works again for social insurance; its bank account stays frozen until the holder
    asks their bank, which releases it (`release_bank_freeze`)."""
    principal.require_role(Role.INSURED, Role.STAFF, Role.ADMIN)
    card, holder = _card_in_scope(session, principal, card_id)
    counter = _where_made(session, principal, holder, command.region_code)
    target = rules.next_state(CardState(card.state), CardMove.UNFREEZE)
    return _move(session, principal, card, CardMove.UNFREEZE, target, counter, command.reason, now)


def replace(*, session: Session, principal: Principal, card_id: int, command: CardMoveRequest, now: datetime) -> CardRead:
    """The old card ends and a new application takes its place, in one step."""
    principal.require_role(Role.INSURED, Role.STAFF, Role.ADMIN)
    card, holder = _card_in_scope(session, principal, card_id)
    counter = _where_made(session, principal, holder, command.region_code)
    target = rules.next_state(CardState(card.state), CardMove.REPLACE)
    _move(session, principal, card, CardMove.REPLACE, target, counter, command.reason, now)
    session.flush()  # the old card leaves the valid states before the new one is written
    stamp = utc_naive(now)
    new = Card(person_id=card.person_id, province=province_of(counter), state=CardState.APPLIED.value,
               applied_region=counter, pin_failures=0, replaces_card_id=card.id, created_at=stamp, updated_at=stamp)
    session.add(new)
    session.flush()
    _record(session, principal, new, "apply", None, counter, f"补换 replaces card {card.id}", now)
    return _read(session, new, None)


def cancel(*, session: Session, principal: Principal, card_id: int, command: CardMoveRequest, now: datetime) -> CardRead:
    """A card ends for good: the holder's death, or at the holder's request."""
    principal.require_role(Role.INSURED, Role.STAFF, Role.ADMIN)
    card, holder = _card_in_scope(session, principal, card_id)
    counter = _where_made(session, principal, holder, command.region_code)
    target = rules.next_state(CardState(card.state), CardMove.CANCEL)
    return _move(session, principal, card, CardMove.CANCEL, target, counter, command.reason, now)


def cancel_for_death(*, session: Session, person_id: int, death_date: date, actor: str, now: datetime) -> list[int]:
    """A death ends every valid card of the person, and each card's bank is told (a reaction to the death
    event, already authorised by its use case)."""
    cancelled = []
    for card in session.scalars(select(Card).where(Card.person_id == person_id,
                                                   Card.state.in_([s.value for s in VALID_STATES]))).all():
        before, card.state, card.updated_at = card.state, CardState.CANCELLED.value, utc_naive(now)
        card.bank_frozen = card.bank_code is not None
        session.add(CardEvent(card_id=card.id, move=CardMove.CANCEL.value, from_state=before, to_state=card.state,
                              actor=actor, region_code=card.applied_region, reason=f"持卡人死亡 holder died {death_date}",
                              at=utc_naive(now)))
        session.flush()
        audit.append(session, actor=actor, action="card.cancel", subject=f"card:{card.id}", now=now,
                     person=person_id, state=card.state, reason="death")
        bank.notify_card_move(session=session, card=card, move=CardMove.CANCEL.value, now=now)
        cancelled.append(card.id)
    return cancelled


PIN_ATTEMPTS = 3


def check_pin(*, session: Session, principal: Principal, command: PinCheck, now: datetime) -> dict:
    """A terminal or bank checks a PIN; three wrong in a row lock it until a reset."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.BANK)
    card = bank.card_in_scope(session=session, principal=principal, card_number=command.card_number)
    if card.state != CardState.ACTIVE.value:
        state_zh, state_en = rules.state_name(card.state)
        raise Conflict("card.not_active", f"社保卡状态为“{state_zh}”，不能使用", f"the card is {state_en}; it cannot be used")
    if card.pin_failures >= PIN_ATTEMPTS:
        raise Locked("pin.locked", "密码已锁定，请到柜台核验身份后重置，或登录后在线重置",
                     "the PIN is locked: reset it at a counter with identity checked, or online after logging in")
    if card.pin_hash is None or not verify_password(card.pin_hash, command.pin[:12]):
        card.pin_failures += 1
        audit.append(session, actor=principal.actor, action="card.pin_failed", subject=f"card:{card.id}", now=now,
                     failures=card.pin_failures)
        left = PIN_ATTEMPTS - card.pin_failures
        return {"ok": False, "attempts_left": max(left, 0), "locked": left <= 0}
    card.pin_failures = 0
    return {"ok": True, "attempts_left": PIN_ATTEMPTS, "locked": False}


def reset_pin(*, session: Session, principal: Principal, card_id: int, command: PinReset, now: datetime) -> CardRead:
    """A new PIN, only with the holder's identity checked at a counter or their password given again online."""
    principal.require_role(Role.INSURED, Role.STAFF, Role.ADMIN)
    card, person = _card_in_scope(session, principal, card_id)
    counter = _where_made(session, principal, person, command.region_code)
    if principal.role == Role.INSURED:
        if not accounts.confirm_password(session=session, principal=principal, password=command.password, now=now):
            raise Unauthenticated("pin.reauthentication", "在线重置密码需要再次输入登录密码",
                                  "an online PIN reset needs your login password again")
    else:
        if not command.identity_checked:
            raise InvalidInput("pin.identity_unchecked", "柜台重置密码须先核验持卡人身份证件",
                               "at a counter, check the holder's identity document before resetting the PIN")
    if card.state not in (CardState.ACTIVE.value, CardState.ISSUED.value):
        state_zh, state_en = rules.state_name(card.state)
        raise Conflict("card.not_active", f"社保卡状态为“{state_zh}”，不能重置密码",
                       f"the card is {state_en}; its PIN cannot be reset")
    card.pin_hash = hash_password(rules.check_pin(command.new_pin, birth_date=person.birth_date))
    card.pin_failures = 0
    card.updated_at = utc_naive(now)
    audit.append(session, actor=principal.actor, action="card.pin_reset", subject=f"card:{card.id}", now=now,
                 region=counter, way="online" if principal.role == Role.INSURED else "counter")
    return _read(session, card, None)


def cards_of(*, session: Session, cipher: FieldCipher, principal: Principal, person_id: int, now: datetime) -> list[CardRead]:
    """A person's cards, newest first, with their moves."""
    principal.require_role(Role.INSURED, Role.STAFF, Role.ADMIN, Role.AUDITOR)
    registry.require_person_in_scope(principal, session.get(Person, person_id))
    if principal.role != Role.INSURED:
        audit.append(session, actor=principal.actor, action="card.viewed", subject=f"person:{person_id}", now=now)
    cards = session.scalars(select(Card).where(Card.person_id == person_id).order_by(Card.id.desc())).all()
    return [_read(session, card, cipher) for card in cards]


# ---------------------------------------------------------------- internals


def _card_in_scope(session: Session, principal: Principal, card_id: int) -> tuple[Card, Person]:
    """The card and its holder, if the principal may act on it: the holder, staff of the holder's region
    (as stored, never a region the request names), the whole country's roles. One answer otherwise."""
    card = session.get(Card, card_id)
    holder = session.get(Person, card.person_id) if card is not None else None
    if holder is None or not (principal.person_id == holder.id if principal.role == Role.INSURED
                              else principal.serves(holder.residence_region_code, holder.hukou_region_code)):
        raise not_in_scope("社保卡", "card")
    return card, holder


def _where_made(session: Session, principal: Principal, holder: Person, region_code: str | None) -> str:
    """Where a move is made, for the record: the clerk's counter (within their own region; by default the
    region itself), or the holder's residence when they act online."""
    if principal.role == Role.INSURED:
        return holder.residence_region_code
    if region_code is None:
        return principal.region_code if principal.role == Role.STAFF and principal.region_code \
            else holder.residence_region_code
    region = registry.require_current_region(session=session, code=region_code, field="region_code", min_level=1)
    principal.require_region(region.code)
    return region.code


def _move(session: Session, principal: Principal, card: Card, move: CardMove, target: CardState, region_code: str,
          reason: str, now: datetime) -> CardRead:
    before = card.state
    card.state, card.updated_at = target.value, utc_naive(now)
    _record(session, principal, card, move.value, before, region_code, reason, now)
    bank.notify_card_move(session=session, card=card, move=move.value, now=now)
    return _read(session, card, None)


def _record(session: Session, principal: Principal, card: Card, move: str, before: str | None, region_code: str,
            reason: str, now: datetime) -> None:
    session.add(CardEvent(card_id=card.id, move=move, from_state=before, to_state=card.state, actor=principal.actor,
                          region_code=region_code, reason=reason[:200], at=utc_naive(now)))
    session.flush()
    audit.append(session, actor=principal.actor, action=f"card.{move}", subject=f"card:{card.id}", now=now,
                 person=card.person_id, state=card.state, region=region_code)


def _read(session: Session, card: Card, cipher: FieldCipher | None) -> CardRead:
    masked = None
    if card.bank_account_enc is not None and cipher is not None:
        account = cipher.decrypt("bank_account", card.bank_account_enc)
        masked = account[:4] + "*" * (len(account) - 8) + account[-4:]
    events = [CardEventRead(move=e.move, from_state=e.from_state, to_state=e.to_state, actor=e.actor,
                            region_code=e.region_code, reason=e.reason, at=e.at)
              for e in session.scalars(select(CardEvent).where(CardEvent.card_id == card.id).order_by(CardEvent.id))]
    return CardRead(id=card.id, person_id=card.person_id, province=card.province, state=CardState(card.state),
                    card_number=card.card_number, issue_date=card.issue_date, expiry_date=card.expiry_date,
                    bank_code=card.bank_code, bank_account_masked=masked, replaces_card_id=card.replaces_card_id,
                    financial_function=bank.financial_function_allowed(session=session, card=card), events=events)


def card_counts(*, session: Session) -> dict[str, int]:
    """How many cards are in each state (aggregates only, for the front page and the cockpit)."""
    return {state: count for state, count in session.execute(
        select(Card.state, func.count()).group_by(Card.state)).all()}


# ---------------------------------------------------------------- handing out at a counter, by ID number

COUNTER_HAND_OUT = "窗口领卡 collected at the counter"


def card_waiting_for(*, session: Session, cipher: FieldCipher, principal: Principal, id_number: str,
                     now: datetime) -> dict:
    """The card made for the person with this ID number and waiting at the agency: the person is found only within
    the clerk's region as stored (the look-up is audited); names and numbers are shown masked."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    person = registry.find_person_by_id_number(session=session, cipher=cipher, principal=principal,
                                               id_number=id_number, now=now)
    card = session.scalar(select(Card).where(Card.person_id == person.id, Card.state.in_([s.value for s in VALID_STATES])))
    if card is None or card.state != CardState.IN_PRODUCTION.value or card.card_number is None:
        if card is None:
            zh, en = "此人没有待领取的社保卡", "this person has no card waiting to be collected"
        elif card.state == CardState.IN_PRODUCTION.value:
            zh, en = "此人的社保卡尚在制作中（制卡厂尚未回盘）", "this person's card is still being made: the factory has not returned it"
        else:
            state_zh, state_en = rules.state_name(card.state)
            zh, en = f"此人的社保卡状态为“{state_zh}”，没有待领取的卡", f"this person's card is {state_en}; none is waiting"
        raise Conflict("card.none_waiting", zh, en)
    return {"card_id": card.id, "card_number": card.card_number, "batch_id": card.batch_id,
            "name_masked": registry_rules.masked_name(person.name), "id_number_masked": person.id_number_masked}


def hand_out_at_counter(*, session: Session, cipher: FieldCipher, principal: Principal, id_number: str,
                        identity_checked: bool, now: datetime) -> dict:
    """The holder collects their card at the counter: the clerk has checked the identity document shown; the card
    waiting for the ID number moves to issued at the clerk's own counter."""
    if not identity_checked:
        raise InvalidInput("card.identity_unchecked", "发卡前须核验领卡人的身份证件",
                           "check the holder's identity document before handing the card out")
    waiting = card_waiting_for(session=session, cipher=cipher, principal=principal, id_number=id_number, now=now)
    hand_out(session=session, principal=principal, card_id=waiting["card_id"], now=now,
             command=CardMoveRequest(reason=COUNTER_HAND_OUT))
    return waiting
