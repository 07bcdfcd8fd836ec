"""The card's financial function as banks see it, the blacklist that restricts it, and the notices
that tell each bank of every freeze and release.

The financial function may be used while the card is active and its holder is not on the blacklist;
insurance services stay available to blacklisted people so that they can pay what they owe.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.cards import rules
from shebao.cards.models import BankNotice, BlacklistEntry, Card
from shebao.cards.rules import VALID_STATES, CardState
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shebao.core.security import Principal, Role
from shebao.registry import service as registry

GROUNDS = ("refused_to_insure", "malicious_arrears")


class BlacklistCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_kind: str = Field(pattern="^(person|employer)$")
    subject_id: int
    ground: str = Field(pattern="^(refused_to_insure|malicious_arrears)$")
    reason: str = Field(min_length=4, max_length=200)
    listed_on: date


class ReleaseCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=4, max_length=200)
    released_on: date


class FinancialStatus(BaseModel):
    card_number: str
    state: str
    financial_function: bool
    restrictions: list[str]


class NoticeRead(BaseModel):
    id: int
    card_number: str
    event: str
    financial_function: bool
    reason: str
    at: datetime


def list_on_blacklist(*, session: Session, principal: Principal, command: BlacklistCommand, now: datetime) -> int:
    """Staff of the subject's region list a person or employer, with a reason and a date."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    principal.require_region(_subject_region(session, command.subject_kind, command.subject_id))
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


def release_from_blacklist(*, session: Session, principal: Principal, entry_id: int, command: ReleaseCommand,
                           now: datetime) -> None:
    """Staff release a listing; the card's financial function returns if the card is active."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    entry = session.get(BlacklistEntry, entry_id)
    if entry is None or entry.released_on is not None:
        raise NotFound("blacklist.unknown", "没有这条有效的黑名单记录", "no such active blacklist entry")
    principal.require_region(_subject_region(session, entry.subject_kind, entry.subject_id))
    if command.released_on < entry.listed_on or command.released_on > china_today(now):
        raise InvalidInput("blacklist.release_date", "移出日期应在列入日期和今天之间", "the release date is between the listing and today")
    entry.released_on, entry.released_by, entry.release_reason = command.released_on, principal.actor, command.reason
    audit.append(session, actor=principal.actor, action="blacklist.released", subject=f"{entry.subject_kind}:{entry.subject_id}",
                 now=now, reason=command.reason)
    if entry.subject_kind == "person":
        _tell_banks(session, entry.subject_id, "released", "移出黑名单 released from the blacklist", now)


def financial_status(*, session: Session, principal: Principal, card_number: str) -> FinancialStatus:
    """What a bank asks before using a card's financial function."""
    card = _bank_card(session, principal, card_number)
    restrictions = []
    if card.state != CardState.ACTIVE.value:
        restrictions.append(f"card_{card.state}")
    if _active_entry(session, "person", card.person_id) is not None:
        restrictions.append("blacklisted")
    return FinancialStatus(card_number=card.card_number, state=card.state, financial_function=not restrictions,
                           restrictions=restrictions)


def financial_function_allowed(session: Session, card: Card) -> bool:
    return card.state == CardState.ACTIVE.value and _active_entry(session, "person", card.person_id) is None


def notices(*, session: Session, principal: Principal, after: int, limit: int) -> list[NoticeRead]:
    """A bank's notices after the last one it has seen, oldest first."""
    principal.require_role(Role.BANK)
    rows = session.scalars(select(BankNotice).where(BankNotice.bank_code == principal.bank_code, BankNotice.id > after)
                           .order_by(BankNotice.id).limit(limit))
    return [NoticeRead(id=n.id, card_number=n.card_number, event=n.event, financial_function=n.financial_function,
                       reason=n.reason, at=n.at) for n in rows]


def notify_card_move(session: Session, card: Card, move: str, now: datetime) -> None:
    """Tells the card's bank when a move changes what the card may do."""
    event = {"activate": "enabled", "report_lost": "frozen", "unfreeze": "released", "replace": "closed",
             "cancel": "closed"}.get(move)
    if event and card.bank_code and card.card_number:
        session.add(BankNotice(bank_code=card.bank_code, card_number=card.card_number, event=event,
                               financial_function=financial_function_allowed(session, card), reason=move,
                               at=utc_naive(now)))


def _tell_banks(session: Session, person_id: int, event: str, reason: str, now: datetime) -> None:
    cards = session.scalars(select(Card).where(Card.person_id == person_id, Card.card_number.is_not(None),
                                               Card.state.in_([s.value for s in VALID_STATES]))).all()
    session.flush()
    for card in cards:
        if card.bank_code:
            session.add(BankNotice(bank_code=card.bank_code, card_number=card.card_number, event=event,
                                   financial_function=financial_function_allowed(session, card), reason=reason[:200],
                                   at=utc_naive(now)))


def _bank_card(session: Session, principal: Principal, card_number: str) -> Card:
    principal.require_role(Role.BANK, Role.STAFF, Role.ADMIN)
    card = session.scalar(select(Card).where(Card.card_number == rules.check_card_number(card_number)))
    if card is None or (principal.role == Role.BANK and card.bank_code != principal.bank_code):
        raise NotFound("card.unknown", "本行没有这张社保卡", "no such card at this bank")
    return card


def _active_entry(session: Session, kind: str, subject_id: int) -> BlacklistEntry | None:
    return session.scalar(select(BlacklistEntry).where(BlacklistEntry.subject_kind == kind,
                                                       BlacklistEntry.subject_id == subject_id,
                                                       BlacklistEntry.released_on.is_(None)))


def _subject_region(session: Session, kind: str, subject_id: int) -> str:
    if kind == "person":
        return registry.person_by_id(session=session, person_id=subject_id).residence_region_code
    if kind == "employer":
        return registry.employer_by_id(session=session, employer_id=subject_id).region_code
    raise Forbidden("blacklist.kind", "只能列入人员或单位", "only persons and employers are listed")
