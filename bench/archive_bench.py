"""The electronic archive, one person at a time as a citizen opens it: `person_archive` for each of N persons (three
platform months in Guangdong, one unpaid; ten archive years in Beijing), timed per archive for its latency
percentiles, against `person_record` for the same persons in the same run (the platform's months alone)."""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bench.common import Result
from bench.contributions_bench import PROVINCE, _series, execute_all, populate
from bench.registry_bench import _fresh_database
from shebao.contributions.batch import run_month_end
from shebao.contributions.collection import settle_period_in_full
from shebao.core.db import Database
from shebao.core.security import Principal, Role
from shebao.policy.store import default_store
from shebao.services.archive import person_archive, person_record

NOW = datetime(2024, 8, 20, 2, 0, tzinfo=UTC)
PERIODS = {"202405": date(2024, 6, 10), "202406": None, "202407": date(2024, 8, 10)}  # June left unpaid
ARCHIVE_PROVINCE, ARCHIVE_YEARS = "110000", range(2010, 2020)
SECRET = "bench-secret"


def prepare(database: Database, persons: int) -> None:
    """The month-end bench's province (persons insured since 2020 through employers or on their own), three months
    billed and two of them paid, and ten years each from a legacy archive in another province."""
    populate(database, persons)
    years = " UNION ALL ".join(f"SELECT {y} AS y" for y in ARCHIVE_YEARS)
    execute_all(database, [
        f"INSERT INTO contribution_years (person_id, province, year, kind, months, base_sum_fen, average_wage_fen, "
        f"index_sum_millionths) SELECT n, '{ARCHIVE_PROVINCE}', years.y, 'archive', 12, 12 * 600000, 700000, "
        f"12 * 857143 FROM ({years}) AS years CROSS JOIN {_series(database, persons)}"], ids_given_in=())
    for period, paid_on in PERIODS.items():
        run_month_end(database=database, province=PROVINCE, period=period, now=NOW, actor="bench")
        if paid_on:
            settle_period_in_full(database=database, province=PROVINCE, period=period, paid_on=paid_on, actor="bench",
                                  now=NOW)


def _latencies(database: Database, persons: int, read) -> list[float]:  # noqa: ANN001 - a use case
    """Seconds per person: one transaction each, as one request of the person's own page."""
    store, spent = default_store(), []
    for person_id in range(1, persons + 1):
        who = Principal(user_id=person_id, username=f"p{person_id}", role=Role.INSURED, person_id=person_id)
        started = time.perf_counter()
        with database.transaction() as session:
            read(session, who, person_id, store)
        spent.append(time.perf_counter() - started)
    return spent


def _percentiles(spent: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(spent, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


def archives(persons: int, url: str | None = None) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        database = _fresh_database(url, Path(folder))
        backend = database.engine.dialect.name
        prepare(database, persons)
        sample = []
        with database.transaction() as session:  # the figures are what they should be before anything is timed
            sample.append(person_archive(session=session, principal=Principal(1, "p1", Role.INSURED, person_id=1),
                                         person_id=1, now=NOW, secret=SECRET))
        assert sample[0].contribution_months == 12 * len(ARCHIVE_YEARS) + 2, sample[0].contribution_months
        assert [o.first_period for o in sample[0].omitted][-1] == "202406", sample[0].omitted
        records = _latencies(database, persons, lambda session, who, person_id, _store: person_record(
            session=session, principal=who, person_id=person_id, now=NOW))
        archived = _latencies(database, persons, lambda session, who, person_id, store: person_archive(
            session=session, principal=who, person_id=person_id, now=NOW, secret=SECRET, store=store))
        database.dispose()
    a50, a95, a99 = _percentiles(archived)
    r50, r95, r99 = _percentiles(records)
    return Result(f"archive_{backend}",
                  f"archives of {persons:,} persons one by one on {backend}: per archive p50 {a50:.1f} ms, p95 {a95:.1f} "
                  f"ms, p99 {a99:.1f} ms", persons, sum(archived),
                  f"person_record of the same persons (p50 {r50:.1f} ms, p95 {r95:.1f} ms, p99 {r99:.1f} ms)", sum(records),
                  note="each archive reads the yearly record by province, participations, the ledger by year, the award, "
                       "claims, transfers and temporary accounts, and looks for omitted months since 2020")
