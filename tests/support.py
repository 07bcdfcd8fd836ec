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


# ---------------------------------------------------------------- fuzzy linkage: a small province with planted truth

LINK_PROVINCE = "130000"


def linkage_world(database: Database, cipher, clock, tmp_path) -> dict:  # noqa: ANN001
    """Hebei: background people (no two of them one person) and planted pairs — a second number with a homophone in
    the name (linked), day and month swapped (linked), the same name, birth date and sex in another city (review), a
    household-register row under another number (linked to our person), a register row under our own number (never a
    candidate) and a stranger in the register. Returns the ids and the planted truth as (person, kind, other) keys."""
    from shebao.comparison.linkage_planted import plant
    from shebao.comparison.service import import_file
    from shebao.registry.divisions import all_divisions
    from shebao.registry.schemas import PersonCreate
    from shebao.registry.service import register_person

    counties = sorted(code for code, d in all_divisions().items()
                      if code.startswith("13") and d.level == 3 and d.last_year is None)
    background = plant(people=60, duplicate_share=0.0, counties=counties, today=clock.now().date(), seed=7)
    ids: dict[str, int] = {}

    def person(key: str, name: str, number: str, hukou: str, residence: str | None = None) -> None:
        with database.transaction() as session:
            ids[key] = register_person(session=session, cipher=cipher, principal=SYSTEM, now=clock.now(), command=PersonCreate(
                id_number=number, name=name, hukou_region_code=hukou, residence_region_code=residence or hukou)).id

    for index in range(len(background)):
        person(f"bg{index}", background.name[index], background.id_number[index], background.hukou[index],
               background.residence[index])
    person("wang", "王晓明", id_number("130102", date(1980, 5, 17), 135), "130102")
    person("wang2", "王小明", id_number("130104", date(1980, 5, 17), 457), "130102", "130104")
    person("li", "李娜", id_number("130105", date(1975, 3, 8), 28), "130105")
    person("li2", "李娜", id_number("130105", date(1975, 8, 3), 28), "130105")
    person("zhang", "张建国", id_number("130102", date(1985, 1, 20), 311), "130102")
    person("zhang2", "张建国", id_number("130203", date(1985, 1, 20), 517), "130203")
    person("zhao", "赵敏", id_number("130302", date(1990, 12, 1), 62), "130302")
    person("sun", "孙丽", id_number("130104", date(1970, 2, 2), 44), "130104")
    register_rows = [
        "id_number,name,sex,birth_date,hukou_region,residence_region,status",
        f"{id_number('130302', date(1990, 12, 1), 84)},赵敏,F,1990-12-01,130302,130302,normal",  # Zhao's second number
        f"{id_number('130104', date(1970, 2, 2), 44)},孙丽,F,1970-02-02,130104,130104,normal",  # Sun's own number
        f"{id_number('130183', date(1966, 6, 6), 71)},钱多多,M,1966-06-06,130183,130183,normal",  # nobody of ours
    ]
    path = tmp_path / "population.csv"
    path.write_text("\n".join(register_rows) + "\n", encoding="utf-8")
    imported = import_file(database=database, cipher=cipher, kind="population", path=path, actor="test", now=clock.now())
    from sqlalchemy import select

    from shebao.comparison.models import ExtPopulation
    with database.unit_of_work() as uow:
        ext = {row.name: row.id for row in uow.session.execute(select(ExtPopulation.name, ExtPopulation.id).where(
            ExtPopulation.import_id == imported["import_id"]))}

    def pair(a: str, b: str) -> tuple[int, str, int]:
        first, second = sorted((ids[a], ids[b]))
        return first, "person", second

    return {"ids": ids, "ext": ext, "persons": len(ids),
            "linked": {pair("wang", "wang2"), pair("li", "li2"), (ids["zhao"], "ext_population", ext["赵敏"])},
            "review": {pair("zhang", "zhang2")}}


# ---------------------------------------------------------------- web forms (issue 16)


def csrf_form(client: TestClient, data: dict | None = None, *, page: str = "/login") -> dict:
    """A page form's fields with the browser's current CSRF token, as a browser has it after showing a page (the
    cookie is set on the first page; logging in and out give a new one, so ask again before each form)."""
    if not client.cookies.get("shebao_csrf"):
        client.get(page)
    return {"csrf": client.cookies.get("shebao_csrf")} | (data or {})
