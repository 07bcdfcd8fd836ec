"""Cards for the demo: the key hierarchy with an issuing key for the demo province, and an active card
for the demo insured person, so that the electronic card can be opened at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, literal, select
from stdnum import luhn

from shebao.accounts.models import User
from shebao.cards import batch as production
from shebao.cards import service as cards
from shebao.cards.keys import KeyStore
from shebao.cards.models import Card
from shebao.cards.schemas import CardActivate, CardApply, CardIssue, CardMoveRequest
from shebao.core.clock import utc_naive
from shebao.core.db import Database
from shebao.core.errors import NotFound
from shebao.core.regions import province_of
from shebao.core.security import SYSTEM, FieldCipher, Principal, Role
from shebao.registry.models import Person

DEMO_PIN = "730294"
HANDED_OUT = 40
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
        person = session.get(Person, user.person_id)
        if session.scalar(select(Card.id).where(Card.person_id == user.person_id)) is not None:
            return
        card = cards.apply_for_card(session=session, principal=SYSTEM, now=now,
                                    command=CardApply(person_id=person.id, region_code=person.residence_region_code))
        serial = f"{province[:2]}{person.id:08d}"
        account = "62220200" + f"{person.id:07d}"
        cards.issue_on_the_spot(session=session, cipher=cipher, principal=SYSTEM, card_id=card.id, now=now,
                                command=CardIssue(card_number=serial + luhn.calc_check_digit(serial), chip_serial="D3E0C0DE",
                                                     bank_code=DEMO_BANK, bank_account=account + luhn.calc_check_digit(account),
                                                     region_code=person.residence_region_code))
        holder = Principal(user_id=user.id, username=user.username, role=Role.INSURED, person_id=person.id)
        cards.activate(session=session, principal=holder, card_id=card.id, command=CardActivate(pin=DEMO_PIN), now=now)
    _county_batch(database=database, cipher=cipher, county=person.residence_region_code[:6], now=now)


def _county_batch(*, database: Database, cipher: FieldCipher, county: str, now: datetime) -> None:
    """Everyone in the demo county applies; one production batch is made and returned, and the first
    cards are handed out, so the batch shows made, handed out and not yet collected."""
    stamp = utc_naive(now)
    with database.transaction() as session:
        session.execute(insert(Card).from_select(
            ["person_id", "province", "state", "pin_failures", "applied_region", "created_at", "updated_at"],
            select(Person.id, literal(province_of(county)), literal("applied"), literal(0), Person.residence_region_code,
                   literal(stamp), literal(stamp))
            .where(Person.residence_region_code.startswith(county), Person.status == "living",
                   ~select(Card.id).where(Card.person_id == Person.id).exists())))
        batch, manifest = production.submit_batch(session=session, principal=SYSTEM, region_code=county, now=now)
        lines = ["card_id,card_number,chip_serial,bank_code,bank_account"]
        for row in manifest.splitlines()[1:]:
            card_id = int(row.split(",")[0])
            number, account = f"{county[:2]}{card_id + 50_000_000:08d}", f"62220300{card_id:07d}"
            lines.append(f"{card_id},{number}{luhn.calc_check_digit(number)},{card_id:08X},{DEMO_BANK},"
                         f"{account}{luhn.calc_check_digit(account)}")
        production.record_factory_return(session=session, cipher=cipher, principal=SYSTEM, batch_id=batch.id,
                                         csv_text="\n".join(lines) + "\n", now=now)
        for card_id in session.scalars(select(Card.id).where(Card.batch_id == batch.id).order_by(Card.id).limit(HANDED_OUT)):
            cards.hand_out(session=session, principal=SYSTEM, card_id=card_id, now=now,
                           command=CardMoveRequest(region_code=county, reason="窗口领卡 collected at the counter"))
