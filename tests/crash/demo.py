"""A small demo province for the crash test, seeded once per backend and copied for every run.

The demo is seeded as of the 20th of last month (or SHEBAO_CRASH_DEMO_DAY), by the same functions as
`shebao demo seed`: its history ends the month before, and its payroll at that month. So month-end has
that month open and payroll the month after, while the jobs themselves run on today's clock.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shebao.cards.keys import KeyStore
from shebao.core.clock import SystemClock, china_today
from shebao.core.db import Database
from shebao.core.migrate import upgrade
from shebao.core.periods import Period
from shebao.core.security import FieldCipher
from shebao.demo.cards import prepare_demo_cards
from shebao.demo.history import run_history
from shebao.demo.retirees import prepare_demo_retirees
from shebao.demo.seed import seed_demo
from shebao.demo.unemployed import prepare_demo_unemployed

PROVINCE = "110000"
PERSONS = 1000  # about 570 insured, 75 payers and 48 pension receivers (3 suspended, 1 stopped)
HISTORY_MONTHS = 16  # enough paid months for the demo's unemployed to qualify
SECRET = "crash-test-secret"
KEY_PASSPHRASE = "crash-test-key-passphrase"


def demo_day() -> date:
    """The day the demo is seeded as of: SHEBAO_CRASH_DEMO_DAY to replay a failure, else the 20th of last month."""
    if given := os.environ.get("SHEBAO_CRASH_DEMO_DAY"):
        return date.fromisoformat(given)
    this_month = Period.of(china_today(SystemClock().now()))
    last = this_month.plus_months(-1)
    return date(last.year, last.month, 20)


def seed_small_demo(url: str, day: date, key_dir: Path) -> None:
    """Migrates and seeds the demo province as `shebao demo seed` would on `day`, with fewer people and months."""
    upgrade(url)
    now = datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)  # noon in Beijing
    start = Period.of(day).plus_months(-HISTORY_MONTHS)
    cipher = FieldCipher(SECRET)
    database = Database(url)
    try:
        with database.transaction() as session:
            seed_demo(session=session, cipher=cipher, province=PROVINCE, persons=PERSONS, now=now, history_start=start)
        run_history(database=database, province=PROVINCE, start=start, now=now)
        prepare_demo_cards(database=database, cipher=cipher, keys=KeyStore(str(key_dir), KEY_PASSPHRASE),
                           province=PROVINCE, now=now)
        prepare_demo_retirees(database=database, cipher=cipher, province=PROVINCE, now=now)
        prepare_demo_unemployed(database=database, province=PROVINCE, now=now)
    finally:
        database.dispose()


@dataclass
class SqliteDemo:
    """The seeded file, copied whole for each run."""

    template: Path
    folder: Path

    def copy(self, name: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{name}.db"
        for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
        with closing(sqlite3.connect(self.template)) as source, closing(sqlite3.connect(target)) as copy:
            source.backup(copy)  # a consistent copy, whatever is still in the template's WAL
        return f"sqlite:///{target}"

    def drop_copies(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class PostgresDemo:
    """The seeded database kept as a template; each run gets CREATE DATABASE … TEMPLATE of it."""

    url: str  # SHEBAO_TEST_POSTGRES_URL: the server and the name the crash databases are derived from
    copies: list[str] = field(default_factory=list)

    @property
    def template(self) -> str:
        return f"{make_url(self.url).database}_crash_template"

    def url_of(self, database: str) -> str:
        return make_url(self.url).set(database=database).render_as_string(hide_password=False)

    def _admin(self, *statements: str) -> None:
        engine = create_engine(self.url_of("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement))
        finally:
            engine.dispose()

    def create_template(self) -> str:
        self._admin(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)', f'CREATE DATABASE "{self.template}"')
        return self.url_of(self.template)

    def copy(self, name: str) -> str:
        database = f"{make_url(self.url).database}_crash_{name}"
        self._admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)',
                    f'CREATE DATABASE "{database}" TEMPLATE "{self.template}"')
        self.copies.append(database)
        return self.url_of(database)

    def drop_copies(self) -> None:
        self._admin(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in [*self.copies, self.template]))
        self.copies.clear()
