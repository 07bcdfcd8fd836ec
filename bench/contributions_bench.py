"""Month-end over a synthetic province of a million insured, against the driver's own bulk write of every row
the month-end wrote (assessments, bills, accounts, journal entries and lines), measured in the same run."""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bench.common import Result, Written, bulk_write_baseline, timed
from bench.registry_bench import _fresh_database
from shebao.contributions.batch import run_month_end
from shebao.contributions.models import Assessment, Bill
from shebao.core.db import Database
from shebao.ledger.models import JournalEntry, JournalLine, LedgerAccount

NOW = datetime(2024, 8, 20, 2, 0, tzinfo=UTC)
PROVINCE, PERIOD, COUNTY = "440000", "202407", "440305"
PERSONS_PER_EMPLOYER = 50
FLEXIBLE_EVERY = 5  # one insured in five is a flexible worker


def _series(database: Database, count: int) -> str:
    """A row source of n = 1..count in the database's own dialect."""
    if database.engine.dialect.name == "postgresql":
        return f"(SELECT generate_series(1, {count}) AS n) AS seq"
    return f"(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count}) SELECT n FROM s) AS seq"


def populate(database: Database, persons: int) -> None:
    """Employers, persons, participations and declared bases, generated inside the database."""
    employers = persons // PERSONS_PER_EMPLOYER + 1
    stamp = "'2024-01-01 00:00:00'"
    statements = [
        f"INSERT INTO employers (id, uscc, name, region_code, industry_code, status, registered_at, updated_at) "
        f"SELECT n, 'B' || n, '单位' || n, '{COUNTY}', 'C13', 'active', {stamp}, {stamp} FROM {_series(database, employers)}",
        f"INSERT INTO persons (id, id_number_hash, id_number_enc, id_number_masked, birth_date, sex, address_code, name, "
        f"hukou_region_code, residence_region_code, phone_enc, status, death_date, version, effective_from, created_at, updated_at) "
        f"SELECT n, 'h' || n, {_blob(database)}, '440305********0000', '1980-01-01', 'M', '{COUNTY}', '参保人', "
        f"'{COUNTY}', '{COUNTY}', NULL, 'living', NULL, 1, '2000-01-01', {stamp}, {stamp} FROM {_series(database, persons)}",
        f"INSERT INTO participations (person_id, scheme, exclusion_group, mode, employer_id, region_code, province, start_date, "
        f"end_date, status, created_at, updated_at) "
        f"SELECT n, 'employee_pension', 'pension', CASE WHEN n % {FLEXIBLE_EVERY} = 0 THEN 'flexible' ELSE 'employer' END, "
        f"CASE WHEN n % {FLEXIBLE_EVERY} = 0 THEN NULL ELSE n / {PERSONS_PER_EMPLOYER} + 1 END, '{COUNTY}', '{PROVINCE}', "
        f"'2020-01-01', NULL, 'active', {stamp}, {stamp} FROM {_series(database, persons)}",
        f"INSERT INTO base_declarations (person_id, payer_kind, payer_id, effective_period, declared_base_fen, declared_by, declared_at) "
        f"SELECT n, CASE WHEN n % {FLEXIBLE_EVERY} = 0 THEN 'flexible' ELSE 'employer' END, "
        f"CASE WHEN n % {FLEXIBLE_EVERY} = 0 THEN n ELSE n / {PERSONS_PER_EMPLOYER} + 1 END, '202401', "
        f"400000 + (CAST(n AS BIGINT) * 7919) % 3000000, 'bench', {stamp} FROM {_series(database, persons)}",
    ]
    execute_all(database, statements, ids_given_in=("employers", "persons"))


def execute_all(database: Database, statements: list[str], *, ids_given_in: tuple[str, ...]) -> None:
    """Runs generated SQL in one transaction; on PostgreSQL, moves the sequences past the ids given and analyses
    the tables it filled, as autovacuum would have done to tables filled over time. Only those: an empty table
    analysed says "empty" until autovacuum comes by again, which a table that was never analysed does not."""
    with database.transaction() as session:
        for statement in statements:
            session.execute(text(statement))
    if database.engine.dialect.name == "postgresql":
        filled = dict.fromkeys(re.findall(r"^INSERT INTO (\w+)", "\n".join(statements), flags=re.MULTILINE))
        with database.transaction() as session:
            for table in ids_given_in:
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
            session.execute(text(f"ANALYZE {', '.join(filled)}"))


def _blob(database: Database) -> str:
    return "'\\x00'::bytea" if database.engine.dialect.name == "postgresql" else "x'00'"


def month_end(persons: int, url: str | None = None) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        database = _fresh_database(url, Path(folder))
        backend = database.engine.dialect.name
        populate(database, persons)
        seconds = timed(lambda: run_month_end(database=database, province=PROVINCE, period=PERIOD, now=NOW, actor="bench"))
        # Every row it wrote: the province starts with no bill, account or entry.
        baseline, rows = bulk_write_baseline(database, [Written(t.__table__) for t in
                                                        (Assessment, Bill, LedgerAccount, JournalEntry, JournalLine)])
        database.dispose()
    return Result(f"month_end_{backend}", f"month-end over {persons:,} insured on {backend}", persons, seconds,
                  f"{_bulk(backend)} of the {rows:,} rows it wrote (assessments, bills, accounts, entries, lines)", baseline)


def _bulk(backend: str) -> str:
    return "COPY" if backend == "postgresql" else "executemany"
