"""The card's financial function as banks see it, the blacklist that restricts it, and the notices
that tell each bank of every freeze and release.

The financial function may be used while the card is active and its holder is not on the blacklist;
insurance services stay available to blacklisted people so that they can pay what they owe.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from shebao.cards import rules
from shebao.cards.models import BankNotice, BlacklistEntry, Card
from shebao.cards.rules import VALID_STATES, CardState
from shebao.cards.schemas import BlacklistEntryCreate, BlacklistEntryRelease, FinancialStatusRead, NoticeRead
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, InvalidInput, not_in_scope
from shebao.core.regions import region_prefix
from shebao.core.security import FieldCipher, Principal, Role
from shebao.registry import rules as registry_rules
from shebao.registry import service as registry
from shebao.registry.models import Employer, Person

GROUNDS = ("refused_to_insure", "malicious_arrears")


def list_on_blacklist(*, session: Session, principal: Principal, command: BlacklistEntryCreate, now: datetime) -> int:
    """Staff of the subject's region list a person or employer, with a reason and a date."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    _require_subject_in_scope(session, principal, command.subject_kind, command.subject_id)
    if command.listed_on > china_today(now):
        raise InvalidInput("blacklist.future", "列入日期不能晚于今天", "the listing date is in the future")
    if _active_entry(session, command.subject_kind, command.subject_id) is not None:
        raise Conflict("blacklist.already_listed", "已在黑名单中", "already on the blacklist")
    entry = BlacklistEntry(subject_kind=command.subject_kind, subject_id=command.subject_id, ground=command.ground,
                           reason=command.reason, listed_on=command.listed_on, listed_by=principal.actor)
    session.add(entry)
    session.flush()
    audit.append(session, actor=principal.actor, action="blacklist.listed", subject=f"{command.subject_kind}:{command.subject_id}",
                 now=now, ground=command.ground, reason=command.reason)
    if command.subject_kind == "person":
        _tell_banks(session, command.subject_id, "restricted", f"黑名单 blacklist: {command.ground}", now)
    return entry.id


def release_from_blacklist(*, session: Session, principal: Principal, entry_id: int, command: BlacklistEntryRelease,
                           now: datetime) -> None:
    """Staff release a listing; the card's financial function returns if the card is active."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    entry = session.get(BlacklistEntry, entry_id)
    if entry is None:
        raise not_in_scope("黑名单记录", "blacklist entry")
    _require_subject_in_scope(session, principal, entry.subject_kind, entry.subject_id)
    if entry.released_on is not None:
        raise Conflict("blacklist.released", f"该记录已于 {entry.released_on} 移出黑名单", f"the entry was already released from the blacklist on {entry.released_on}")
    if command.released_on < entry.listed_on or command.released_on > china_today(now):
        raise InvalidInput("blacklist.release_date", "移出日期应在列入日期和今天之间", "the release date is between the listing and today")
    entry.released_on, entry.released_by, entry.release_reason = command.released_on, principal.actor, command.reason
    audit.append(session, actor=principal.actor, action="blacklist.released", subject=f"{entry.subject_kind}:{entry.subject_id}",
                 now=now, reason=command.reason)
    if entry.subject_kind == "person":
        _tell_banks(session, entry.subject_id, "released", "移出黑名单 released from the blacklist", now)


def financial_status(*, session: Session, principal: Principal, card_number: str) -> FinancialStatusRead:
    """What a bank asks before using a card's financial function."""
    card = card_in_scope(session=session, principal=principal, card_number=card_number)
    restrictions = []
    if card.state != CardState.ACTIVE.value:
        restrictions.append(f"card_{card.state}")
    if card.bank_frozen:
        restrictions.append("lost_bank_freeze")
    if _active_entry(session, "person", card.person_id) is not None:
        restrictions.append("blacklisted")
    return FinancialStatusRead(card_number=card.card_number, state=card.state, financial_function=not restrictions,
                           restrictions=restrictions)


def financial_function_allowed(*, session: Session, card: Card) -> bool:
    return (card.state == CardState.ACTIVE.value and not card.bank_frozen
            and _active_entry(session, "person", card.person_id) is None)


def release_bank_freeze(*, session: Session, principal: Principal, card_number: str, now: datetime) -> FinancialStatusRead:
    """The card's own bank lifts the freeze a loss report put on the account, once the holder has shown
    themselves at the bank; the card must be working again (found and unfrozen) first."""
    principal.require_role(Role.BANK)
    card = card_in_scope(session=session, principal=principal, card_number=card_number)
    if not card.bank_frozen:
        raise Conflict("card.bank_not_frozen", "该卡的金融账户未因挂失冻结", "the card's bank account is not frozen by a loss")
    if card.state != CardState.ACTIVE.value:
        raise Conflict("card.not_active", "社保卡尚未解除挂失，请持卡人先到经办机构或在线解挂",
                       "the card is still reported lost: the holder unfreezes it at an agency or online first")
    card.bank_frozen, card.updated_at = False, utc_naive(now)
    session.add(BankNotice(bank_code=card.bank_code, card_number=card.card_number, event="enabled",
                           financial_function=financial_function_allowed(session=session, card=card), reason="bank_release",
                           at=utc_naive(now)))
    audit.append(session, actor=principal.actor, action="card.bank_freeze_released", subject=f"card:{card.id}", now=now)
    return financial_status(session=session, principal=principal, card_number=card_number)


def notices(*, session: Session, principal: Principal, after: int, limit: int) -> list[NoticeRead]:
    """A bank's notices after the last one it has seen, oldest first."""
    principal.require_role(Role.BANK)
    rows = session.scalars(select(BankNotice).where(BankNotice.bank_code == principal.bank_code, BankNotice.id > after)
                           .order_by(BankNotice.id).limit(limit))
    return [NoticeRead(id=n.id, card_number=n.card_number, event=n.event, financial_function=n.financial_function,
                       reason=n.reason, at=n.at) for n in rows]


def notify_card_move(*, session: Session, card: Card, move: str, now: datetime) -> None:
    """Tells the card's bank when a move changes what the card may do."""
    event = {"activate": "enabled", "report_lost": "frozen", "unfreeze": "released", "replace": "closed",
             "cancel": "closed"}.get(move)
    if event and card.bank_code and card.card_number:
        session.add(BankNotice(bank_code=card.bank_code, card_number=card.card_number, event=event,
                               financial_function=financial_function_allowed(session=session, card=card), reason=move,
                               at=utc_naive(now)))


def _tell_banks(session: Session, person_id: int, event: str, reason: str, now: datetime) -> None:
    cards = session.scalars(select(Card).where(Card.person_id == person_id, Card.card_number.is_not(None),
                                               Card.state.in_([s.value for s in VALID_STATES]))).all()
    session.flush()
    for card in cards:
        if card.bank_code:
            session.add(BankNotice(bank_code=card.bank_code, card_number=card.card_number, event=event,
                                   financial_function=financial_function_allowed(session=session, card=card), reason=reason[:200],
                                   at=utc_naive(now)))


def card_in_scope(*, session: Session, principal: Principal, card_number: str) -> Card:
    """A card by its number, if the principal may handle it: a bank its own cards, staff those of holders in
    their region, the whole country's roles. One answer otherwise, whether or not the number exists."""
    principal.require_role(Role.BANK, Role.STAFF, Role.ADMIN, Role.AUDITOR)
    card = session.scalar(select(Card).where(Card.card_number == rules.check_card_number(card_number)))
    holder = session.get(Person, card.person_id) if card is not None else None
    if holder is None or not (card.bank_code == principal.bank_code if principal.role == Role.BANK
                              else principal.serves(holder.residence_region_code, holder.hukou_region_code)):
        raise not_in_scope("社保卡", "card")
    return card


def _active_entry(session: Session, kind: str, subject_id: int) -> BlacklistEntry | None:
    return session.scalar(select(BlacklistEntry).where(BlacklistEntry.subject_kind == kind,
                                                       BlacklistEntry.subject_id == subject_id,
                                                       BlacklistEntry.released_on.is_(None)))


def _require_subject_in_scope(session: Session, principal: Principal, kind: str, subject_id: int) -> None:
    if kind == "person":
        registry.require_person_in_scope(principal, session.get(Person, subject_id))
    elif kind == "employer":
        registry.require_employer_in_scope(principal, session.get(Employer, subject_id))
    else:
        raise InvalidInput("blacklist.kind", "只能列入人员或单位", "only persons and employers are listed")


GROUND_NAMES = {"refused_to_insure": ("拒不参保", "refused to insure"), "malicious_arrears": ("恶意欠费", "malicious arrears")}


def blacklist_entries(*, session: Session, principal: Principal, region: str, released: bool = False,
                      limit: int = 200) -> list[dict]:
    """The listings of a region, newest first: persons who live or hold hukou in it (masked names and ID numbers) and
    employers seated in it; the current ones, or those released when `released`."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    principal.require_region(region)
    prefix = region_prefix(region)
    state = BlacklistEntry.released_on.is_not(None) if released else BlacklistEntry.released_on.is_(None)
    limit = min(max(limit, 1), 500)
    persons = session.execute(
        select(BlacklistEntry, Person.name, Person.id_number_masked)
        .join(Person, and_(BlacklistEntry.subject_kind == "person", Person.id == BlacklistEntry.subject_id))
        .where(state, or_(Person.residence_region_code.startswith(prefix, autoescape=True),
                          Person.hukou_region_code.startswith(prefix, autoescape=True)))
        .order_by(BlacklistEntry.id.desc()).limit(limit)).all()
    employers = session.execute(
        select(BlacklistEntry, Employer.name, Employer.uscc)
        .join(Employer, and_(BlacklistEntry.subject_kind == "employer", Employer.id == BlacklistEntry.subject_id))
        .where(state, Employer.region_code.startswith(prefix, autoescape=True))
        .order_by(BlacklistEntry.id.desc()).limit(limit)).all()
    rows = [_listing(e, registry_rules.masked_name(name), masked) for e, name, masked in persons]
    rows += [_listing(e, name, uscc) for e, name, uscc in employers]
    return sorted(rows, key=lambda r: r["id"], reverse=True)[:limit]


def _listing(entry: BlacklistEntry, name: str, identifier: str) -> dict:
    ground_zh, ground_en = GROUND_NAMES.get(entry.ground, (entry.ground, entry.ground))
    return {"id": entry.id, "subject_kind": entry.subject_kind, "name": name, "identifier": identifier,
            "ground": entry.ground, "ground_zh": ground_zh, "ground_en": ground_en, "reason": entry.reason,
            "listed_on": entry.listed_on, "listed_by": entry.listed_by, "released_on": entry.released_on,
            "released_by": entry.released_by, "release_reason": entry.release_reason}


REASON_MIN, REASON_MAX = 4, 200  # as BlacklistEntryCreate and BlacklistEntryRelease ask


def list_by_identifier(*, session: Session, cipher: FieldCipher, principal: Principal, subject_kind: str,
                       identifier: str, ground: str, reason: str, now: datetime) -> int:
    """A counter's listing, dated today: the person by their ID number or the employer by its unified social credit
    code, found only within the clerk's region (one answer outside it, whether or not they exist)."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    if ground not in GROUNDS:
        raise InvalidInput("blacklist.ground", "请选择列入原因：拒不参保或恶意欠费",
                           "choose the ground: refused to insure or malicious arrears")
    reason = _reason(reason)
    if subject_kind == "person":
        subject_id = registry.find_person_by_id_number(session=session, cipher=cipher, principal=principal,
                                                       id_number=identifier, now=now).id
    elif subject_kind == "employer":
        code = registry_rules.parse_credit_code(identifier).code
        subject_id = registry.require_employer_in_scope(
            principal, session.scalar(select(Employer).where(Employer.uscc == code))).id
    else:
        raise InvalidInput("blacklist.kind", "只能列入人员或单位", "only persons and employers are listed")
    return list_on_blacklist(session=session, principal=principal, now=now, command=BlacklistEntryCreate.model_construct(
        subject_kind=subject_kind, subject_id=subject_id, ground=ground, reason=reason, listed_on=china_today(now)))


def release_today(*, session: Session, principal: Principal, entry_id: int, reason: str, now: datetime) -> None:
    """A counter's release of a listing, dated today, with the reason."""
    release_from_blacklist(session=session, principal=principal, entry_id=entry_id, now=now,
                           command=BlacklistEntryRelease.model_construct(reason=_reason(reason),
                                                                         released_on=china_today(now)))


def _reason(text: str) -> str:
    reason = " ".join((text or "").split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise InvalidInput("blacklist.reason", f"请填写原因（{REASON_MIN}至{REASON_MAX}个字）",
                           f"give the reason ({REASON_MIN} to {REASON_MAX} characters)")
    return reason
