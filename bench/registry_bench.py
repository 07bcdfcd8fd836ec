"""Foundation benchmarks: ID validation, seeding a province, verifying the audit chain."""

from __future__ import annotations

import hashlib
import random
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert, select, text
from stdnum.cn import ric

from bench.common import Result, best_of, timed
from shebao.core import audit
from shebao.core.db import Database
from shebao.core.migrate import upgrade
from shebao.core.security import FieldCipher
from shebao.demo.seed import seed_demo
from shebao.registry.divisions import all_divisions
from shebao.registry.models import Person
from shebao.registry.rules import parse_id_number
from shebao.registry.service import load_divisions

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
TODAY = date(2025, 3, 1)


def id_validation(count: int = 50_000) -> Result:
    """parse_id_number against python-stdnum's own validate on the same numbers."""
    rng = random.Random(1)
    counties = [c for c, d in all_divisions().items() if d.level == 3 and d.first_year is None and d.last_year is None]
    numbers = []
    for _ in range(count):
        body = f"{rng.choice(counties)}{1950 + rng.randrange(70)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randrange(1000):03d}"
        numbers.append(body + ric.calc_check_digit(body + "0"))
    ours = best_of(3, lambda: [parse_id_number(n, today=TODAY) for n in numbers])
    raw = best_of(3, lambda: [ric.validate(n) for n in numbers])
    return Result("id_validation", "parse_id_number (format, check, birth date, address code in time)", count, ours,
                  "stdnum.cn.ric.validate on the same numbers", raw)


def _fresh_database(url: str | None, folder: Path) -> Database:
    url = url or f"sqlite:///{folder / 'bench.db'}"
    if url.startswith("postgresql"):
        engine = Database(url).engine
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    database = Database(url)
    with database.transaction() as session:
        load_divisions(session=session)
    return database


def seed_province(persons: int, url: str | None = None) -> Result:
    """Seeding persons (generate, validate-by-construction, encrypt, bulk insert with history) against a
    raw bulk insert of the same number of ready-made person rows."""
    cipher = FieldCipher("bench")
    with tempfile.TemporaryDirectory() as folder:
        database = _fresh_database(url, Path(folder))
        backend = database.engine.dialect.name
        with database.transaction() as session:
            seconds = timed(lambda: seed_demo(session=session, cipher=cipher, province="440000", persons=persons, now=NOW))
        with database.unit_of_work() as uow:
            template = [dict(row._mapping) for row in uow.session.execute(select(Person.__table__).limit(1000))]
        rows = []
        for index in range(persons):
            row = dict(template[index % len(template)])
            row["id"] = 10_000_000 + index
            row["id_number_hash"] = hashlib.sha256(str(index).encode()).hexdigest()
            rows.append(row)
        with database.transaction() as session:
            baseline = timed(lambda: [session.execute(insert(Person), rows[i:i + 5000]) for i in range(0, persons, 5000)])
        database.dispose()
    return Result(f"seed_province_{backend}", f"demo seed of {persons:,} persons on {backend}", persons, seconds,
                  f"raw bulk insert of {persons:,} prepared person rows", baseline,
                  note="the seed also writes one history row per person and encrypts two fields")


def verify_audit_chain(records: int = 20_000) -> Result:
    """Walking and re-hashing the chain against merely reading the same rows."""
    with tempfile.TemporaryDirectory() as folder:
        database = _fresh_database(None, Path(folder))
        with database.transaction() as session:
            for index in range(records):
                audit.append(session, actor="bench", action="bench.write", subject=f"thing:{index}", now=NOW, n=index)
        with database.unit_of_work() as uow:
            seconds = timed(lambda: audit.verify(uow.session))
        with database.unit_of_work() as uow:
            baseline = timed(lambda: uow.session.execute(text("SELECT * FROM audit_records ORDER BY seq")).all())
        database.dispose()
    return Result("audit_verify", f"audit verify over {records:,} records (SQLite)", records, seconds,
                  "reading the same rows with one SELECT", baseline)
