"""Helpers that tests share: a street, staff users and their tokens, a registered person."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient
from stdnum.cn import ric

from shebao.accounts.schemas import UserCreate
from shebao.accounts.service import create_user
from shebao.core.db import Database
from shebao.core.security import SYSTEM, Role
from shebao.registry.service import add_streets

PASSWORD = "correct-horse-battery"
CHAOYANG, HAIDIAN, PUDONG = "110105", "110108", "310115"
CHAOYANG_STREET, HAIDIAN_STREET = "110105001", "110108001"


def id_number(address: str = "110105", birth: date = date(1980, 5, 17), sequence: int = 123) -> str:
    """A valid 18-character ID number (odd sequence: male)."""
    body = f"{address}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def add_test_streets(database: Database, clock) -> None:  # noqa: ANN001
    with database.transaction() as session:
        add_streets(session=session, streets=[(CHAOYANG_STREET, "建外街道"), (HAIDIAN_STREET, "中关村街道")],
                    origin="import", actor="test", now=clock.now())


def make_user(database: Database, clock, username: str, role: Role, **binding) -> None:  # noqa: ANN001
    with database.transaction() as session:
        create_user(session=session, principal=SYSTEM, now=clock.now(), command=UserCreate(
            username=username, display_name=username, password=PASSWORD, role=role, **binding))


def token_for(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def person_payload(**overrides) -> dict:
    payload = {"id_number": id_number(), "name": "张伟", "hukou_region_code": CHAOYANG,
               "residence_region_code": CHAOYANG_STREET, "phone": "13800138000"}
    payload.update(overrides)
    return payload


def register(database: Database, cipher, clock, *, birth: date, sequence: int, name: str = "退休职工",  # noqa: ANN001
             hukou: str = CHAOYANG) -> int:
    """A registered person (odd sequence: a man, even: a woman); returns the id."""
    from shebao.registry.schemas import PersonCreate
    from shebao.registry.service import register_person

    with database.transaction() as session:
        return register_person(session=session, cipher=cipher, principal=SYSTEM, now=clock.now(), command=PersonCreate(
            id_number=id_number(hukou[:6], birth, sequence), name=name, hukou_region_code=hukou,
            residence_region_code=CHAOYANG_STREET)).id


def give_active_card(database: Database, cipher, clock, person_id: int) -> int:  # noqa: ANN001
    """An active card with a bank account, as a receiver's pension is paid into it."""
    from stdnum import luhn

    from shebao.cards import service as cards
    from shebao.cards.schemas import CardActivate, CardApply, CardIssue
    from shebao.core.security import Principal

    serial, account = f"11{person_id:08d}", f"62220200{person_id:07d}"
    with database.transaction() as session:
        card = cards.apply_for_card(session=session, principal=SYSTEM, now=clock.now(),
                                    command=CardApply(person_id=person_id, region_code=CHAOYANG_STREET))
        cards.issue_on_the_spot(session=session, cipher=cipher, principal=SYSTEM, card_id=card.id, now=clock.now(),
                                command=CardIssue(card_number=serial + luhn.calc_check_digit(serial), chip_serial="C0FFEE",
                                                     bank_code="ICBC", bank_account=account + luhn.calc_check_digit(account),
                                                     region_code=CHAOYANG_STREET))
        holder = Principal(user_id=None, username=f"p{person_id}", role=Role.INSURED, person_id=person_id)
        cards.activate(session=session, principal=holder, card_id=card.id, command=CardActivate(pin="730294"), now=clock.now())
        return card.id


# ---------------------------------------------------------------- one language per field (issue 9)

# What a Chinese reason may hold in Latin letters: literal text inside 「」 (a field of the API, a value the person
# gave, a command to run), standard names, and codes that carry letters (credit codes, ID numbers ending in X).
_ALLOWED_IN_CHINESE = re.compile(r"「[^」]*」|UTF-8|JSON|Ed25519|GB/T|\b[0-9A-Z]{18}\b")
_LATIN = re.compile(r"[A-Za-z]")
_CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def assert_chinese(reason: str, where: str = "", *, whole: bool = True) -> None:
    """A Chinese reason: Chinese names only, no enum value, None, repr or English word outside the allowed tokens.
    `whole=False` checks a part of one (text around interpolations), which need not hold Chinese itself."""
    assert not whole or (reason and _CHINESE.search(reason)), f"{where}: not Chinese: {reason!r}"
    left = _ALLOWED_IN_CHINESE.sub("", reason)
    assert not _LATIN.search(left), f"{where}: Latin letters in the Chinese reason: {reason!r}"


def assert_english(reason_en: str, where: str = "", *, whole: bool = True) -> None:
    assert not whole or reason_en, f"{where}: no English reason"
    assert not _CHINESE.search(reason_en), f"{where}: Chinese in the English reason: {reason_en!r}"


def assert_bilingual(reason: str, reason_en: str, where: str = "") -> None:
    assert_chinese(reason, where)
    assert_english(reason_en, where)
