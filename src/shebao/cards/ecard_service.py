"""Opening an electronic card on one device and showing its QR code there.

Opening asks for the login password again; opening on another device moves the binding (the old
device's codes stop at once because codes name the device). A code is shown only while the physical
card is usable: a loss report stops the electronic card too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.accounts import service as accounts
from shebao.cards.ecard import LIFETIME_SECONDS, device_tag, issue_code
from shebao.cards.keys import KeyStore
from shebao.cards.models import Card, ElectronicCard
from shebao.cards.rules import CardState, state_name
from shebao.cards.schemas import EcardCodeRead, EcardOpen
from shebao.core import audit
from shebao.core.clock import utc_naive
from shebao.core.errors import Conflict, Forbidden, NotFound, Unauthenticated
from shebao.core.security import Principal, Role

USABLE = (CardState.ACTIVE.value, CardState.ISSUED.value)


def open_ecard(*, session: Session, principal: Principal, command: EcardOpen, now: datetime) -> dict:
    """The holder of a valid card opens its electronic card on this device."""
    card = _holders_card(session, principal)
    if not accounts.confirm_password(session=session, principal=principal, password=command.password, now=now):
        raise Unauthenticated("ecard.reauthentication", "开通电子社保卡需要再次输入登录密码",
                              "opening the electronic card needs your login password again")
    stamp = utc_naive(now)
    for old in session.scalars(select(ElectronicCard).where(ElectronicCard.person_id == principal.person_id,
                                                             ElectronicCard.closed_at.is_(None))):
        old.closed_at = stamp
    session.add(ElectronicCard(card_id=card.id, person_id=principal.person_id, device_tag=device_tag(command.device_id),
                               opened_at=stamp))
    session.flush()
    audit.append(session, actor=principal.actor, action="ecard.opened", subject=f"card:{card.id}", now=now,
                 device=device_tag(command.device_id))
    return {"card_number": card.card_number, "device": device_tag(command.device_id)}


def current_code(*, session: Session, keys: KeyStore, principal: Principal, device_id: str, now: datetime) -> EcardCodeRead:
    """A fresh signed code for the holder's bound device."""
    card = _holders_card(session, principal)
    ecard = session.scalar(select(ElectronicCard).where(ElectronicCard.person_id == principal.person_id,
                                                         ElectronicCard.closed_at.is_(None)))
    if ecard is None or ecard.card_id != card.id:
        raise NotFound("ecard.not_open", "尚未开通电子社保卡", "the electronic card is not open")
    if ecard.device_tag != device_tag(device_id):
        raise Forbidden("ecard.other_device", "电子社保卡已绑定其他设备，请在本设备重新开通",
                        "the electronic card is bound to another device; open it again on this one")
    code = issue_code(keys=keys, card_number=card.card_number, province=card.province, device_id=device_id, now=now)
    return EcardCodeRead(code=code, card_number=card.card_number, expires_in_seconds=LIFETIME_SECONDS)


def _holders_card(session: Session, principal: Principal) -> Card:
    if principal.role != Role.INSURED:
        raise Forbidden("ecard.holder_only", "电子社保卡只能由持卡人本人使用", "only the card holder uses the electronic card")
    card = session.scalar(select(Card).where(Card.person_id == principal.person_id, Card.card_number.is_not(None))
                          .order_by(Card.id.desc()).limit(1))
    if card is None:
        raise NotFound("ecard.no_card", "没有已制发的社保卡，不能开通电子社保卡", "no issued card: the electronic card needs one")
    if card.state not in USABLE:
        state_zh, state_en = state_name(card.state)
        raise Conflict("ecard.card_not_usable", f"社保卡状态为“{state_zh}”，电子社保卡不能使用",
                       f"the card is {state_en}; the electronic card cannot be used")
    return card
