"""The cockpit: how fast a page's figures come, and how long the refresh of the summary tables takes.

1. Latency. The summary tables of a province of 10 million people — every street of Guangdong's 361 county codes
   (four streets each), 21 figure rows a street, rolled up to county, city, province and the country, for twelve
   month-end days; its pooling funds of six insurances for ten years — are generated set-based, and `figures` is asked
   for random regions (the province, its cities, counties and streets) and days, each request in its own unit of work
   as the API runs it: p50, p95 and p99. The baseline, in the same run: the province's insured and card holders
   counted straight from the base tables of the refresh's persons (below), as a page would without summary tables.
2. Refresh. Base rows for a province — persons living in those streets, their pension and medical participations,
   cards, e-cards, a comparison run's uninsured and interrupted lists — and `refresh` for the province, against the
   baseline of one plain GROUP BY over the same persons by street.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import text

from bench.common import Result, best_of, timed
from bench.contributions_bench import _blob, _series, execute_all
from bench.registry_bench import _fresh_database
from shebao.core.security import SYSTEM
from shebao.policy.store import default_store
from shebao.risk import cockpit

PROVINCE, NOW = "440000", datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
STREETS_PER_COUNTY = 4
PEOPLE = 10_000_000  # the province whose summary tables are read
DAYS = [date(2024, m, 28) for m in range(1, 13)]  # twelve refreshes kept
INSURANCES = ("employee_pension", "resident_pension", "medical", "unemployment", "work_injury", "maternity")
SEVERITIES = ("low", "medium", "high", "critical")
STAMP = "'2024-01-01 00:00:00'"


def _streets(database) -> list[str]:  # noqa: ANN001 - a Database
    """Four streets under every county code of the province, added to the regions (persons' homes refer to them)."""
    with database.transaction() as session:
        counties = [row[0] for row in session.execute(text(
            f"SELECT code FROM regions WHERE level = 3 AND code LIKE '{PROVINCE[:2]}%' ORDER BY code"))]
        streets = [f"{county}{k:03d}" for county in counties for k in range(1, STREETS_PER_COUNTY + 1)]
        session.execute(text("INSERT INTO regions (code, name, level, parent_code, name_history, origin) "
                             "VALUES (:code, '街道', 4, :parent, '[]', 'import')"),
                        [{"code": s, "parent": s[:6]} for s in streets])
        session.execute(text("CREATE TABLE bench_streets (i INTEGER PRIMARY KEY, code VARCHAR(9))"))
        session.execute(text("INSERT INTO bench_streets (i, code) VALUES (:i, :code)"),
                        [{"i": i, "code": s} for i, s in enumerate(streets)])
    return streets


def _figure_source() -> str:
    """(figure, key, weight ‰ of a street's people) as a row source: the counts a street of the province holds."""
    rows = [("pension_insured", "", 850), ("uninsured", "", 40), ("card_holders", "", 900), ("ecard_holders", "", 450),
            ("interrupted", "", 30), ("recovered_fen", "repayment", 5), ("recovered_fen", "offset", 2)]
    rows += [("insured", insurance, 700 - 90 * i) for i, insurance in enumerate(INSURANCES)]
    rows += [("open_cases", severity, 1) for severity in SEVERITIES]
    rows += [("open_cases_fen", severity, 300) for severity in SEVERITIES]
    return "(" + " UNION ALL ".join(f"SELECT '{f}' AS figure, '{k}' AS fkey, {w} AS weight" for f, k, w in rows) + ") AS f"


def summary_tables(database, streets: list[str]) -> int:  # noqa: ANN001 - a Database
    """The summary rows of a province of PEOPLE, generated in the database: streets, then each level summed."""
    per_street = PEOPLE // len(streets)
    days = "(" + " UNION ALL ".join(f"SELECT '{d.isoformat()}' AS day" for d in DAYS) + ") AS d"
    cast_day = "CAST(d.day AS DATE)" if database.engine.dialect.name == "postgresql" else "d.day"
    columns = "(as_of, province, region_code, parent_code, level, figure, key, value, refreshed_at)"
    statements = [
        f"INSERT INTO cockpit_region_figures {columns} SELECT {cast_day}, '{PROVINCE}', s.code, SUBSTR(s.code, 1, 6), 4, "
        f"f.figure, f.fkey, {per_street} * f.weight / 1000 + (s.i * 37) % 101, {STAMP} "
        f"FROM bench_streets s CROSS JOIN {_figure_source()} CROSS JOIN {days}",
    ]
    county, city = "SUBSTR(region_code, 1, 6)", "SUBSTR(region_code, 1, 4) || '00'"
    # (level, code, parent, what is grouped by besides the day, figure and key): constants are not grouped by.
    for level, code, parent, grouped in ((3, county, city, [county, city]), (2, city, f"'{PROVINCE}'", [city]),
                                         (1, f"'{PROVINCE}'", "'000000'", []), (0, "'000000'", "NULL", [])):
        statements.append(
            f"INSERT INTO cockpit_region_figures {columns} SELECT as_of, '{PROVINCE if level else '000000'}', "
            f"{code}, {parent}, {level}, figure, key, SUM(value), {STAMP} FROM cockpit_region_figures "
            f"WHERE level = 4 GROUP BY {', '.join(['as_of', *grouped, 'figure', 'key'])}")
    months = "(" + " UNION ALL ".join(f"SELECT '{y}{m:02d}' AS period, {(y - 2015) * 12 + m} AS k"
                                      for y in range(2015, 2025) for m in range(1, 13)) + ") AS m"
    insurances = "(" + " UNION ALL ".join(f"SELECT '{i}' AS insurance, {n + 1} AS w"
                                          for n, i in enumerate(INSURANCES)) + ") AS ins"
    statements.append(
        f"INSERT INTO cockpit_fund_months (as_of, province, insurance, period, income_fen, spending_fen, balance_fen, "
        f"refreshed_at) SELECT {cast_day}, '{PROVINCE}', ins.insurance, m.period, CAST(900000000 AS BIGINT) * ins.w, "
        f"CAST(800000000 AS BIGINT) * ins.w, CAST(100000000 AS BIGINT) * ins.w * m.k, {STAMP} FROM {months} CROSS JOIN {insurances} CROSS JOIN {days}")
    execute_all(database, statements, ids_given_in=())
    with database.unit_of_work() as uow:
        return int(uow.session.execute(text("SELECT COUNT(*) FROM cockpit_region_figures")).scalar())


def base_rows(database, persons: int, streets: int) -> None:  # noqa: ANN001 - a Database
    """Persons in the province's streets with pension and medical participations, cards, e-cards, and a comparison's
    uninsured and interrupted lists, generated in the database."""
    home = f"JOIN bench_streets s ON s.i = n % {streets}"
    participation = ("INSERT INTO participations (person_id, scheme, exclusion_group, mode, region_code, province, "
                     "start_date, end_date, status, created_at, updated_at) SELECT n, '{scheme}', '{group}', 'flexible', "
                     f"s.code, '{PROVINCE}', '2020-01-01', NULL, 'active', {STAMP}, {STAMP} FROM {_series(database, persons)} "
                     f"{home} WHERE n % {{every}} <> 0")
    statements = [
        f"INSERT INTO persons (id, id_number_hash, id_number_enc, id_number_masked, birth_date, sex, address_code, name, "
        f"hukou_region_code, residence_region_code, phone_enc, status, death_date, version, effective_from, created_at, "
        f"updated_at) SELECT n, 'h' || n, {_blob(database)}, '000000********0000', '1980-01-01', 'M', "
        f"SUBSTR(s.code, 1, 6), '居民', s.code, s.code, NULL, 'living', NULL, 1, '1980-01-01', {STAMP}, {STAMP} "
        f"FROM {_series(database, persons)} {home}",
        participation.format(scheme="employee_pension", group="pension", every=10),
        participation.format(scheme="medical", group="medical", every=20),
        f"INSERT INTO cards (id, person_id, province, state, issue_date, pin_failures, bank_frozen, applied_region, "
        f"created_at, updated_at) SELECT n, n, '{PROVINCE}', 'active', '2021-01-01', 0, "
        f"{'false' if database.engine.dialect.name == 'postgresql' else '0'}, s.code, {STAMP}, {STAMP} "
        f"FROM {_series(database, persons)} {home} WHERE n % 8 <> 0",
        f"INSERT INTO ecards (card_id, person_id, device_tag, opened_at, closed_at) SELECT id, person_id, 'd', {STAMP}, "
        f"NULL FROM cards WHERE id % 2 = 0",
        f"INSERT INTO compare_runs (id, province, as_of, engine, inputs_digest, lists_digest, counts, cases_opened, "
        f"cases_closed, actor, started_at, finished_at) VALUES (1, '{PROVINCE}', '2024-12-01', 'duckdb', 'x', 'x', '{{}}', "
        f"0, 0, 'bench', {STAMP}, {STAMP})",
        f"INSERT INTO compare_findings (run_id, list_kind, finding_key, region_code, amount_fen, months, people_reported, "
        f"people_insured, reason) SELECT 1, CASE WHEN n % 2 = 0 THEN 'uninsured' ELSE 'interrupted' END, 'f' || n, "
        f"s.code, 0, 0, 0, 0, '' FROM {_series(database, persons // 20)} {home}",
    ]
    execute_all(database, statements, ids_given_in=("persons", "cards", "compare_runs"))


BASELINE_FIGURES = [
    "SELECT COUNT(DISTINCT pa.person_id) FROM participations pa JOIN persons p ON p.id = pa.person_id "
    f"WHERE pa.exclusion_group = 'pension' AND p.residence_region_code LIKE '{PROVINCE[:2]}%'",
    f"SELECT COUNT(DISTINCT c.person_id) FROM cards c JOIN persons p ON p.id = c.person_id "
    f"WHERE c.state IN ('issued', 'active', 'frozen') AND p.residence_region_code LIKE '{PROVINCE[:2]}%'",
]
# The counts the refresh reads, per street, read by the plain GROUP BYs and not summed up or written.
_HOME = "JOIN persons p ON p.id = {alias}.person_id"
BASELINE_REFRESH = [
    f"SELECT p.residence_region_code, pa.scheme, COUNT(DISTINCT pa.person_id) FROM participations pa "
    f"{_HOME.format(alias='pa')} GROUP BY p.residence_region_code, pa.scheme",
    f"SELECT p.residence_region_code, COUNT(DISTINCT pa.person_id) FROM participations pa {_HOME.format(alias='pa')} "
    f"WHERE pa.exclusion_group = 'pension' GROUP BY p.residence_region_code",
    f"SELECT p.residence_region_code, COUNT(DISTINCT c.person_id) FROM cards c {_HOME.format(alias='c')} "
    f"GROUP BY p.residence_region_code",
    f"SELECT p.residence_region_code, COUNT(DISTINCT e.person_id) FROM ecards e {_HOME.format(alias='e')} "
    f"GROUP BY p.residence_region_code",
    "SELECT region_code, list_kind, COUNT(*) FROM compare_findings GROUP BY region_code, list_kind",
]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _latency(database, streets: list[str], requests: int) -> dict[str, float]:  # noqa: ANN001 - a Database
    """`figures` for random regions and days, each in its own unit of work, as the API serves a page."""
    picker = random.Random(15)
    counties = sorted({s[:6] for s in streets})
    cities = sorted({s[:4] + "00" for s in streets})
    store = default_store()
    timings = []
    for n in range(requests):
        region = picker.choice([[PROVINCE], cities, counties, streets][n % 4])
        day = picker.choice([None, *DAYS])
        started = time.perf_counter()
        with database.unit_of_work() as uow:
            result = cockpit.figures(session=uow.session, principal=SYSTEM, region=region, as_of=day, store=store)
        timings.append((time.perf_counter() - started) * 1000)
        assert result["as_of"] is not None, region
    return {"p50": statistics.median(timings), "p95": _percentile(timings, 0.95), "p99": _percentile(timings, 0.99)}


def cockpit_figures(persons: int, url: str | None = None, requests: int | None = None) -> list[Result]:
    requests = requests or int(os.environ.get("SHEBAO_BENCH_COCKPIT_REQUESTS", "400"))
    with tempfile.TemporaryDirectory() as folder:
        database = _fresh_database(url, Path(folder))
        backend = database.engine.dialect.name
        streets = _streets(database)
        summary = summary_tables(database, streets)
        base_rows(database, persons, len(streets))

        def baseline() -> None:
            with database.unit_of_work() as uow:
                for statement in BASELINE_FIGURES:
                    uow.session.execute(text(statement)).scalar()

        baseline()  # warms the cache, as the pages' own queries are warmed by the first request
        baseline_seconds = best_of(3, baseline)
        _latency(database, streets, 20)  # warm-up
        latency = _latency(database, streets, requests)

        def refresh() -> None:
            with database.transaction() as session:
                cockpit.refresh(session=session, province=PROVINCE, as_of=date(2024, 12, 31), now=NOW)

        refresh_seconds = timed(refresh)
        _plain(database)  # the refresh read the same pages just before
        plain = timed(lambda: _plain(database))
        with database.unit_of_work() as uow:
            written = cockpit.figures(session=uow.session, principal=SYSTEM, region=PROVINCE, as_of=date(2024, 12, 31))
        database.dispose()
    coverage = written["figures"]["coverage"]
    assert coverage["insured"] == persons - persons // 10, coverage
    note = (f"p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms, p99 {latency['p99']:.1f} ms over {requests} "
            f"requests (province, cities, counties, {len(streets):,} streets; 12 days); {summary:,} summary rows")
    return [
        Result(f"cockpit_latency_{backend}", f"cockpit figures of a region of a 10,000,000-person province on {backend}: "
               f"p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms, p99 {latency['p99']:.1f} ms of {requests} "
               f"requests (the seconds: p95)", requests, latency["p95"] / 1000,
               f"the province's insured and card holders counted from the base tables of {persons:,} persons",
               baseline_seconds, note=note),
        Result(f"cockpit_refresh_{backend}", f"cockpit refresh of a province of {persons:,} persons on {backend}",
               persons, refresh_seconds, f"the same counts by street read by plain GROUP BYs over the same {persons:,} persons", plain,
               note="participations, cards, e-cards, comparison lists, cases, recoveries, funds; street to country"),
    ]


def _plain(database) -> None:  # noqa: ANN001 - a Database
    with database.unit_of_work() as uow:
        for statement in BASELINE_REFRESH:
            uow.session.execute(text(statement)).all()
