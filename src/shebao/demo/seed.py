"""A believable synthetic province: streets, people of every age (locals and migrants), employers,
and the demo accounts. Rows are built in memory and written in bulk, never one ORM object at a time."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from faker import Faker
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session
from stdnum.cn import ric, uscc

from shebao.accounts.models import User
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import is_postgres
from shebao.core.errors import InvalidInput
from shebao.core.periods import Period
from shebao.core.security import FieldCipher, Role, hash_password
from shebao.demo.accounts import DEMO_ACCOUNTS
from shebao.demo.history import enroll_working_population
from shebao.demo.movers import seed_movers
from shebao.enrollment.models import Participation
from shebao.registry import divisions, rules
from shebao.registry.models import Employer, Person, PersonVersion, Region
from shebao.registry.service import add_streets, load_divisions

Progress = Callable[[str, int, int], None]
INDUSTRIES = ("C13", "C26", "C39", "E47", "F51", "F52", "G54", "H61", "I64", "J66", "K70", "M73", "P83", "Q84", "R86")
MIGRANT_SHARE = 0.15
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z


@dataclass(frozen=True)
class SeedReport:
    province: str
    persons: int
    employers: int
    streets: int
    migrants: int

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def seed_demo(*, session: Session, cipher: FieldCipher, province: str, persons: int, now: datetime,
              random_seed: int = 20240701, progress: Progress | None = None,
              history_start: Period | None = None) -> SeedReport:
    """Seeds a province: streets under each county, persons, employers and the demo accounts; with a
    history start, jobs, flexible work and declared bases from then on (run_history adds the months)."""
    if persons < 1 or persons > 5_000_000:
        raise InvalidInput("demo.persons", "人数应在 1 至 5,000,000 之间", "persons must be between 1 and 5,000,000")
    if rules.region_level(province) != 1:
        raise InvalidInput("demo.province", f"「{province}」不是省级区划代码", f"{province} is not a province code")
    progress = progress or (lambda _stage, _done, _total: None)
    load_divisions(session=session)
    today = china_today(now)
    rng = random.Random(random_seed)
    faker = Faker("zh_CN")
    faker.seed_instance(random_seed)

    counties = _current_counties(province)
    if not counties:
        raise InvalidInput("demo.province", f"{province} 下没有现行区县", f"no current counties under {province}")
    streets = _ensure_streets(session, counties, rng, faker, now)
    progress("streets", len(streets), len(streets))
    person_rows, migrants = _build_people(session, cipher, province, persons, counties, streets, rng, faker, today, now, progress)
    employers = _insert_employers(session, counties, max(5, persons // 50), rng, faker, now)
    progress("employers", employers, employers)
    if history_start is not None:
        enroll_working_population(session=session, province=province, start=history_start, now=now,
                                  random_seed=random_seed)
        migrants += seed_movers(session=session, cipher=cipher, province=province, now=now)
    _create_demo_users(session, province, counties, now)
    audit.append(session, actor="system:demo", action="demo.seeded", subject=f"region:{province}", now=now,
                 persons=len(person_rows), employers=employers, streets=len(streets), migrants=migrants, seed=random_seed)
    return SeedReport(province, len(person_rows), employers, len(streets), migrants)


def _current_counties(province: str) -> list[str]:
    prefix = province[:2]
    return sorted(code for code, d in divisions.all_divisions().items()
                  if d.level == 3 and code.startswith(prefix) and d.last_year is None)


def _ensure_streets(session: Session, counties: list[str], rng: random.Random, faker: Faker, now: datetime) -> list[str]:
    """3 to 6 streets or townships under each county (kept if already there)."""
    existing = list(session.scalars(select(Region.code).where(Region.level == 4, Region.parent_code.in_(counties))))
    have = {code[:6] for code in existing}
    new = []
    for county in counties:
        if county in have:
            continue
        names: set[str] = set()
        for index in range(1, rng.randint(3, 6) + 1):
            base = faker.street_name().rstrip("路街道")[:6] or faker.last_name()
            suffix = "街道" if index <= 3 else rng.choice(["镇", "乡", "街道"])
            name = base + suffix
            while name in names:
                name = faker.last_name() + name
            names.add(name)
            new.append((f"{county}{index:03d}", name))
    if new:
        add_streets(session=session, streets=new, origin="demo", actor="system:demo", now=now)
    return existing + [code for code, _ in new]


def _build_people(session: Session, cipher: FieldCipher, province: str, count: int, counties: list[str],
                  streets: list[str], rng: random.Random, faker: Faker, today: date, now: datetime,
                  progress: Progress) -> tuple[list[dict], int]:
    every = divisions.all_divisions()
    home_codes = [c for c, d in every.items() if d.level == 3 and c.startswith(province[:2])]
    away_codes = [c for c, d in every.items() if d.level == 3 and not c.startswith(province[:2]) and c[:2] not in ("71", "81", "82")]
    current_elsewhere = [c for c in away_codes if every[c].last_year is None]
    taken = set(session.scalars(select(Person.id_number_hash)))
    next_id = (session.scalar(select(func.max(Person.id))) or 0) + 1
    stamp = utc_naive(now)
    rows, versions, migrants = [], [], 0
    while len(rows) < count:
        migrant = rng.random() < MIGRANT_SHARE
        birth = _birth_date(rng, today)
        pool = away_codes if migrant else home_codes
        address = _county_existing_in(pool, birth.year, every, rng)
        sex = rules.Sex.MALE if rng.random() < 0.51 else rules.Sex.FEMALE
        number = _id_number(address, birth, sex, rng)
        lookup = cipher.lookup_hash(number)
        if lookup in taken:
            continue
        taken.add(lookup)
        migrants += migrant
        hukou = address if every[address].last_year is None else rng.choice(current_elsewhere if migrant else counties)
        residence = rng.choice(streets)
        name = faker.name_male() if sex == rules.Sex.MALE else faker.name_female()
        age = (today - birth).days // 365
        phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if age >= 14 else None
        deceased = age >= 80 and rng.random() < 0.03
        death = today - timedelta(days=rng.randint(1, 700)) if deceased else None
        effective = birth if not deceased else max(death, birth)
        row = {
            "id": next_id, "id_number_hash": lookup, "id_number_enc": cipher.encrypt("id_number", number),
            "id_number_masked": number[:6] + "*" * 8 + number[-4:], "birth_date": birth, "sex": sex.value,
            "address_code": address, "name": name, "hukou_region_code": hukou, "residence_region_code": residence,
            "phone_enc": cipher.encrypt("phone", phone) if phone else None,
            "phone_hash": cipher.lookup_hash(phone) if phone else None,
            # Three people in a row share a household (户号), so that staff's family members exist in the demo.
            "household_number": f"H{(next_id + 2) // 3:09d}",
            "status": "deceased" if deceased else "living", "death_date": death, "version": 1,
            "effective_from": effective, "created_at": stamp, "updated_at": stamp,
        }
        rows.append(row)
        versions.append({"person_id": next_id, "version": 1, "effective_from": effective, "name": name,
                         "hukou_region_code": hukou, "residence_region_code": residence, "phone_enc": row["phone_enc"],
                         "status": row["status"], "death_date": death, "reason": "演示数据 demo seed",
                         "recorded_by": "system:demo", "recorded_at": stamp})
        next_id += 1
        if len(rows) % 5000 == 0:
            _flush_people(session, rows[-5000:], versions[-5000:])
            progress("persons", len(rows), count)
    tail = len(rows) % 5000
    if tail:
        _flush_people(session, rows[-tail:], versions[-tail:])
    progress("persons", len(rows), count)
    _advance_sequence(session, "persons")
    return rows, migrants


def _flush_people(session: Session, rows: list[dict], versions: list[dict]) -> None:
    session.execute(insert(Person), rows)
    session.execute(insert(PersonVersion), versions)


def _advance_sequence(session: Session, table: str) -> None:
    """Rows were written with explicit ids; move PostgreSQL's sequence past them."""
    if is_postgres(session):
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


def _birth_date(rng: random.Random, today: date) -> date:
    # Ages 0-95 with fewer of the oldest, roughly like a real population pyramid.
    age = min(95, int(rng.triangular(0, 100, 38)))
    return today - timedelta(days=age * 365 + rng.randint(0, 364))


def _county_existing_in(pool: list[str], year: int, every: dict, rng: random.Random) -> str:
    for _ in range(50):
        code = rng.choice(pool)
        if every[code].existed_between(year, year):
            return code
    return next(c for c in pool if every[c].existed_between(year, year) or every[c].last_year is None)


def _id_number(address: str, birth: date, sex: rules.Sex, rng: random.Random) -> str:
    sequence = rng.randrange(500) * 2 + (1 if sex == rules.Sex.MALE else 0)
    body = f"{address}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def _insert_employers(session: Session, counties: list[str], count: int, rng: random.Random, faker: Faker,
                      now: datetime) -> int:
    taken = set(session.scalars(select(Employer.uscc)))
    stamp = utc_naive(now)
    rows = []
    while len(rows) < count:
        county = rng.choice(counties)
        code = demo_credit_code(county, rng)
        if code in taken:
            continue
        taken.add(code)
        name = faker.company()
        rows.append({"uscc": code, "name": name, "region_code": county, "industry_code": rng.choice(INDUSTRIES),
                     "status": "active", "registered_at": stamp, "updated_at": stamp})
    session.execute(insert(Employer), rows)
    return len(rows)


def demo_credit_code(region: str, rng: random.Random) -> str:
    """A valid unified social credit code of an enterprise (registered by market regulation, 9 1)."""
    organization = "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(8))
    body = f"91{region}{organization}{rules.organization_code_check(organization)}"
    return body + uscc.calc_check_digit(body)


def _create_demo_users(session: Session, province: str, counties: list[str], now: datetime) -> None:
    existing = set(session.scalars(select(User.username)))
    county = "110105" if "110105" in counties else counties[0]
    adults = (select(Person.id).where(Person.residence_region_code.startswith(county), Person.status == "living",
                                      Person.birth_date < date(now.year - 25, 1, 1)).order_by(Person.id).limit(1))
    employed = adults.where(select(Participation.id).where(Participation.person_id == Person.id,
                                                           Participation.mode == "employer").exists())
    person_id = session.scalar(employed) or session.scalar(adults)
    employer_id = session.scalar(select(Employer.id).where(Employer.region_code == county).order_by(Employer.id).limit(1))
    employer_id = employer_id or session.scalar(select(Employer.id).order_by(Employer.id).limit(1))
    binding = {
        "demo.person": {"person_id": person_id}, "demo.employer": {"employer_id": employer_id},
        "demo.county": {"region_code": county}, "demo.province": {"region_code": province},
    }
    stamp = utc_naive(now)
    for account in DEMO_ACCOUNTS:
        if account.username in existing or account.username in ("demo.retiree", "demo.laidoff"):  # made with their stories
            continue
        session.add(User(username=account.username, display_name=account.label_zh, role=Role(account.role).value,
                         password_hash=hash_password(account.password), failed_logins=0, active=True,
                         created_at=stamp, **binding.get(account.username, {})))
    session.flush()
