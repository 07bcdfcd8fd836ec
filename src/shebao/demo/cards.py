"""Cards for the demo: the key hierarchy with an issuing key for the demo province, and an active card
for the demo insured person, so that the electronic card can be opened at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from stdnum import luhn

from shebao.accounts.models import User
from shebao.cards import service as cards
from shebao.cards.keys import KeyStore
from shebao.cards.models import Card
from shebao.cards.schemas import Activation, CardApply, InstantIssue
from shebao.core.db import Database
from shebao.core.errors import NotFound
from shebao.core.security import SYSTEM, FieldCipher, Principal, Role
from shebao.registry.models import Person

DEMO_PIN = "730294"
DEMO_BANK = "ICBC"


def prepare_demo_cards(*, database: Database, cipher: FieldCipher, keys: KeyStore, province: str, now: datetime) -> None:
    if not keys.exists():
        keys.init(now=now)
    try:
        keys.signing_key(province=province, now=now)
    except NotFound:
        keys.rotate_province(province=province, now=now)
    with database.transaction() as session:
        user = session.scalar(select(User).where(User.username == "demo.person"))
        if user is None or user.person_id is None:
            return
        if session.scalar(select(Card.id).where(Card.person_id == user.person_id)) is not None:
            return
        person = session.get(Person, user.person_id)
        card = cards.apply_for_card(session=session, principal=SYSTEM, now=now,
                                    command=CardApply(person_id=person.id, region_code=person.residence_region_code))
        serial = f"{province[:2]}{person.id:08d}"
        account = "62220200" + f"{person.id:07d}"
        cards.issue_on_the_spot(session=session, cipher=cipher, principal=SYSTEM, card_id=card.id, now=now,
                                command=InstantIssue(card_number=serial + luhn.calc_check_digit(serial), chip_serial="D3E0C0DE",
                                                     bank_code=DEMO_BANK, bank_account=account + luhn.calc_check_digit(account),
                                                     region_code=person.residence_region_code))
        holder = Principal(user_id=user.id, username=user.username, role=Role.INSURED, person_id=person.id)
        cards.activate(session=session, principal=holder, card_id=card.id, command=Activation(pin=DEMO_PIN), now=now)
