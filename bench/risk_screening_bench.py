"""The after-the-fact screening of one province (risk/screening.py) at scale: `SHEBAO_BENCH_SCREENING_INSURED`
(default 1,000,000) insured in Guangdong, 30% of them pension receivers paid for the twelve months of 2024 (payroll
lines), a fiftieth of the rest drawing unemployment benefit for six months, each working insured person declared by an
employer for one month, with findings planted for every payment rule — deaths in our record and in the civil affairs
register, prison terms, numbers linked to a receiver paid by Shanghai, residents' scheme enrolments, jobs and tax wages
during unemployment, unemployment beside a pension, one county's payroll jumping 15%. Generated set-based straight
into SQLite (INSERT … SELECT over a recursive series, not through the use cases), then screened through every rule
present, the time per rule taken from the run, against a baseline measured in the same run: one plain scan of the
province's payroll lines (COUNT and SUM per receiver). Each receiver has an active card whose bank account is
encrypted as the cards context stores it, three in every 2,000 sharing one (R16): the screening hashes them all on
its first run (the one step that reads row by row). The screening's counts are checked against the planted truth:
the bench fails rather than time a wrong answer.

Run alone: `SHEBAO_BENCH_ONLY=screening make bench`, or `python -m bench.risk_screening_bench [INSURED]`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import text

from bench.common import Result, timed
from bench.contributions_bench import _blob, _series, execute_all
from bench.registry_bench import _fresh_database
from shebao.cards.models import Card
from shebao.core.db import Database
from shebao.core.security import FieldCipher
from shebao.risk.screening import screen_province

NOW = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
AS_OF = date(2025, 2, 28)
PROVINCE, OTHER_PROVINCE = "440000", "310000"
MONTHS = [f"2024{m:02d}" for m in range(1, 13)]
STAMP = "'2024-01-01 00:00:00'"
CHUNK = 50_000
CIPHER = FieldCipher("bench-secret-for-the-screening")


def _months(months: list[str]) -> str:
    return "(" + " UNION ALL ".join(f"SELECT '{m}' AS m" for m in months) + ") AS months"


def _counties(database: Database, province: str, count: int) -> list[str]:
    with database.transaction() as session:
        return list(session.scalars(text("SELECT code FROM regions WHERE level = 3 AND code LIKE :p ORDER BY code "
                                         "LIMIT :n"), {"p": province[:2] + "%", "n": count}))


def populate(database: Database, insured: int) -> dict[str, int]:
    """The province, generated inside the database; returns the planted truth (findings per rule)."""
    receivers, unemployed, linked = insured * 3 // 10, insured // 50, max(insured // 3000, 1)
    counties = _counties(database, PROVINCE, 8)
    other_county = _counties(database, OTHER_PROVINCE, 1)[0]
    county = "CASE n % {k} {whens} END".format(k=len(counties), whens=" ".join(
        f"WHEN {i} THEN '{code}'" for i, code in enumerate(counties)))
    everyone, blob = _series(database, insured), _blob(database)
    receiver_rows = f"{everyone} WHERE n <= {receivers}"
    jumped = counties[0]
    statements = [
        "INSERT INTO exchange_imports (id, kind, source, checksum, file_format, encoding, rows_read, rows_loaded, "
        f"rows_rejected, imported_by, imported_at) VALUES (1, 'deaths', 'bench', 'bench', 'csv', 'utf-8', 0, 0, 0, "
        f"'bench', {STAMP})",
        "INSERT INTO persons (id, id_number_hash, id_number_enc, id_number_masked, birth_date, sex, address_code, name, "
        "hukou_region_code, residence_region_code, phone_enc, status, death_date, version, effective_from, created_at, "
        f"updated_at) SELECT n, 'h' || n, {blob}, '440305********0000', "
        f"CASE WHEN n <= {receivers} THEN '1960-01-01' ELSE '1985-01-01' END, 'M', '440305', '参保人', {county}, "
        f"{county}, NULL, CASE WHEN n <= {receivers} AND n % 200 = 0 THEN 'deceased' ELSE 'active' END, "
        f"CASE WHEN n <= {receivers} AND n % 200 = 0 THEN '2024-06-15' END, 1, '1960-01-01', {STAMP}, {STAMP} "
        f"FROM {everyone}",
        # Shanghai's receivers: the same people under another number, linked (R03)
        "INSERT INTO persons (id, id_number_hash, id_number_enc, id_number_masked, birth_date, sex, address_code, name, "
        "hukou_region_code, residence_region_code, status, version, effective_from, created_at, updated_at) "
        f"SELECT {insured} + n, 'x' || n, {blob}, '310115********0000', '1960-01-01', 'M', '310115', '参保人', "
        f"'{other_county}', '{other_county}', 'active', 1, '1960-01-01', {STAMP}, {STAMP} "
        f"FROM {_series(database, linked)}",
        "INSERT INTO retirement_applications (id, person_id, province, region_code, category, retire_date, age_months, "
        f"ground, status, applied_by, applied_at) SELECT n, n, '{PROVINCE}', '440305', 'male', '2020-01-01', 720, "
        f"'statutory', 'awarded', 'bench', {STAMP} FROM {receiver_rows}",
        "INSERT INTO retirement_applications (id, person_id, province, region_code, category, retire_date, age_months, "
        f"ground, status, applied_by, applied_at) SELECT {insured} + n, {insured} + n, '{OTHER_PROVINCE}', "
        f"'{other_county}', 'male', '2020-01-01', 720, 'statutory', 'awarded', 'bench', {STAMP} "
        f"FROM {_series(database, linked)}",
        "INSERT INTO pension_awards (id, person_id, application_id, province, retire_date, first_period, age_months, "
        "contribution_months, deemed_months, index_ten_thousandths, personal_account_fen, calculation_wage_fen, "
        "divisor_units, basic_fen, account_fen, transitional_fen, monthly_fen, account_remaining_fen, status, "
        "status_reason, certified_on, awarded_by, awarded_at) "
        "SELECT id, person_id, id, province, '2020-01-01', '202001', 720, 360, 0, 10000, 0, 1000000, 83400, "
        "300000, 0, 0, 300000 + id % 200000, 0, 'paying', '', '2020-01-01', 'bench', applied_at "
        "FROM retirement_applications",
        # Every receiver paid for every month; one county's pensions 15% higher from July (R20)
        "INSERT INTO payroll_lines (award_id, person_id, province, for_period, kind, amount_fen, account_part_fen, "
        "status, hold_reason, paid_period) "
        f"SELECT a.id, a.person_id, a.province, months.m, 'monthly', CASE WHEN months.m >= '202407' AND "
        f"p.residence_region_code = '{jumped}' THEN a.monthly_fen * 115 / 100 ELSE a.monthly_fen END, 0, 'paid', '', "
        f"months.m FROM pension_awards AS a JOIN persons AS p ON p.id = a.person_id CROSS JOIN {_months(MONTHS)} "
        f"WHERE a.province = '{PROVINCE}'",
        "INSERT INTO payroll_lines (award_id, person_id, province, for_period, kind, amount_fen, account_part_fen, "
        "status, hold_reason, paid_period) "
        f"SELECT a.id, a.person_id, a.province, months.m, 'monthly', a.monthly_fen, 0, 'paid', '', months.m "
        f"FROM pension_awards AS a CROSS JOIN {_months(MONTHS[6:])} WHERE a.province = '{OTHER_PROVINCE}'",
        # The civil affairs register knows deaths our record does not (R01)
        "INSERT INTO ext_deaths (import_id, id_hash, name, death_date, source) "
        f"SELECT 1, 'h' || n, '参保人', '2024-09-10', '民政部门' FROM {receiver_rows} AND n % 200 = 100",
        "INSERT INTO ext_prisoners (import_id, id_hash, name, from_date, to_date) "
        f"SELECT 1, 'h' || n, '参保人', '2024-03-15', '2024-08-20' FROM {receiver_rows} AND n % 1000 = 7",
        "INSERT INTO link_candidates (id, province, person_id, other_kind, other_id, match_probability, match_weight, "
        f"levels, status, found_by, found_at) SELECT n, '{PROVINCE}', n * 1000 + 3, 'person', {insured} + n, 0.99, 12, "
        f"'{{}}', 'confirmed', 'bench', {STAMP} FROM {_series(database, linked)} WHERE n * 1000 + 3 <= {receivers}",
        "INSERT INTO person_links (candidate_id, person_id_a, person_id_b, match_probability, source, method, "
        "confirmed_by, confirmed_at) SELECT id, person_id, other_id, 0.99, 'linkage', 'clerical', 'bench', found_at "
        "FROM link_candidates",
        "INSERT INTO participations (person_id, scheme, exclusion_group, mode, region_code, province, start_date, "
        f"status, created_at, updated_at) SELECT n, 'resident_pension', 'pension', 'resident', {county}, "
        f"'{PROVINCE}', '2024-10-01', 'active', {STAMP}, {STAMP} FROM {receiver_rows} AND n % 1000 = 5",
        # Unemployment: a fiftieth of the working insured, and a few receivers (R15)
        "INSERT INTO unemployment_claims (id, person_id, province, region_code, separation_date, separation_reason, "
        "contribution_months, entitled_months, carried_months, monthly_fen, start_period, medical_paid_by_fund, status, "
        f"stop_reason, explanation, recorded_by, recorded_at) SELECT n, n, '{PROVINCE}', {county}, '2023-12-15', "
        f"'contract_ended', 60, 6, 0, 200000, '202401', {_true(database)}, 'drawing', '', '{{}}', 'bench', {STAMP} "
        f"FROM {everyone} WHERE (n > {receivers} AND n <= {receivers + unemployed}) OR (n <= {receivers} "
        "AND n % 500 = 11)",
        "INSERT INTO unemployment_payments (claim_id, person_id, province, period, benefit_fen, medical_fen) "
        f"SELECT c.id, c.person_id, c.province, months.m, 200000, 0 FROM unemployment_claims AS c "
        f"CROSS JOIN {_months(MONTHS[:6])}",
        # The working insured declared for June; some unemployed declared from March (R14) or paid wages (R14)
        "INSERT INTO assessments (period, province, person_id, payer_kind, payer_id, region_code, declared_base_fen, "
        "used_base_fen, pension_employer_fen, pension_individual_fen, pension_account_fen, medical_employer_fen, "
        "medical_individual_fen, unemployment_employer_fen, unemployment_individual_fen, work_injury_employer_fen, "
        "maternity_employer_fen, total_fen, bill_reference) "
        f"SELECT months.m, '{PROVINCE}', n, 'employer', 1 + n % 5000, {county}, 800000, 800000, 128000, 64000, 64000, "
        f"0, 0, 0, 0, 0, 0, 192000, '' FROM {everyone} CROSS JOIN {_months(MONTHS[2:6])} "
        f"WHERE (n > {receivers + unemployed} AND months.m = '202406') "
        f"OR (n > {receivers} AND n <= {receivers + unemployed} AND (n - {receivers}) % 10 = 0)",
        "INSERT INTO ext_tax_employment (import_id, uscc, id_hash, period, wage_fen) "
        f"SELECT 1, 'B1', 'h' || n, months.m, 800000 FROM {everyone} CROSS JOIN {_months(MONTHS[3:6])} "
        f"WHERE n > {receivers} AND n <= {receivers + unemployed} AND (n - {receivers}) % 10 = 5",
    ]
    execute_all(database, statements, ids_given_in=("persons", "exchange_imports", "retirement_applications",
                                                    "pension_awards", "link_candidates", "unemployment_claims"))
    _cards(database, receivers)
    if database.engine.dialect.name == "sqlite":  # what a database filled over time would know of its tables
        with database.transaction() as session:
            session.execute(text("ANALYZE"))
    r = range(1, receivers + 1)
    u = range(1, unemployed + 1)
    return {
        "receivers": receivers, "unemployed": unemployed, "linked": linked,
        "R01_paid_after_death": sum(1 for n in r if n % 200 in (0, 100)),
        "R02_paid_during_sentence": sum(1 for n in r if n % 1000 == 7),
        "R03_paid_by_two_provinces": sum(1 for n in range(1, linked + 1) if n * 1000 + 3 <= receivers),
        "R04_exclusive_schemes_together": sum(1 for n in r if n % 1000 == 5),
        "R14_unemployment_while_employed": sum(1 for k in u if k % 10 in (0, 5)),
        "R15_unemployment_while_pension": sum(1 for n in r if n % 500 == 11),
        "R16_shared_bank_account": sum(1 for n in r if n % 2000 == 9 and n + 2 <= receivers),
    }


def _account(n: int) -> str:
    """Receiver n's bank account; three receivers in every 2,000 share one (R16)."""
    return f"62220{(n - n % 2000 + 9 if n % 2000 in (9, 10, 11) else n):014d}"


def _cards(database: Database, receivers: int) -> None:
    """An active card per receiver, its bank account encrypted as the cards context stores it (a fresh nonce each):
    encrypted in Python, written by executemany."""
    table = Card.__table__
    at = datetime(2024, 1, 1)
    with database.transaction() as session:
        for start in range(1, receivers + 1, CHUNK):
            session.execute(table.insert(), [
                {"id": n, "person_id": n, "province": PROVINCE, "state": "active", "card_number": f"C{n:010d}",
                 "bank_code": "ICBC", "bank_account_enc": CIPHER.encrypt("bank_account", _account(n)), "pin_failures": 0,
                 "bank_frozen": False, "applied_region": "440305", "created_at": at, "updated_at": at}
                for n in range(start, min(start + CHUNK, receivers + 1))])


def _true(database: Database) -> str:
    return "true" if database.engine.dialect.name == "postgresql" else "1"


def _baseline(database: Database) -> tuple[float, int]:
    """One plain scan of the province's paid payroll lines: count and sum per receiver."""
    found = {}

    def scan() -> None:
        with database.transaction() as session:
            found["rows"] = len(session.execute(text(
                "SELECT person_id, COUNT(*), SUM(amount_fen) FROM payroll_lines WHERE province = :p AND status = 'paid' "
                "GROUP BY person_id"), {"p": PROVINCE}).all())

    return timed(scan), found["rows"]


def screening(insured: int, url: str | None = None) -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        database = _fresh_database(url, Path(folder))
        backend = database.engine.dialect.name
        started = time.perf_counter()
        truth = populate(database, insured)
        generated = time.perf_counter() - started
        with database.transaction() as session:
            lines = session.scalar(text("SELECT COUNT(*) FROM payroll_lines"))
        baseline, scanned = _baseline(database)
        started = time.perf_counter()
        with database.transaction() as session:
            result = screen_province(session=session, province=PROVINCE, as_of=AS_OF, actor="bench", now=NOW,
                                     cipher=CIPHER)
        seconds = time.perf_counter() - started
        started = time.perf_counter()  # again, as the next night: every case known, no card changed
        with database.transaction() as session:
            again = screen_province(session=session, province=PROVINCE, as_of=AS_OF, actor="bench", now=NOW,
                                    cipher=CIPHER)
        again_seconds = time.perf_counter() - started
        database.dispose()
    wrong = {rule: (result["counts"].get(rule), want) for rule, want in truth.items()
             if rule.startswith("R") and result["counts"].get(rule) != want}
    if wrong or not result["counts"].get("R20_payroll_jump"):
        raise AssertionError(f"the screening found other counts than planted: {wrong}, R20 "
                             f"{result['counts'].get('R20_payroll_jump')}")
    assert scanned == truth["receivers"], (scanned, truth["receivers"])
    assert again["counts"] == result["counts"] and again["cases_opened"] == 0, again
    per_rule = ", ".join(f"{rule.split('_')[0]} {ms / 1000:.1f}s" for rule, ms in result["timings_ms"].items())
    per_rule_again = ", ".join(f"{rule.split('_')[0]} {ms / 1000:.1f}s" for rule, ms in again["timings_ms"].items())
    return [
        Result(f"risk_screening_generate_{backend}",
               f"screening data generated set-based on {backend}: {insured:,} insured, {truth['receivers']:,} receivers, "
               f"{lines:,} payroll lines, {truth['unemployed']:,} unemployed", lines, generated,
               "(no baseline: generation)", generated),
        Result(f"risk_screening_{backend}",
               f"screening a province through {len(result['counts'])} rules on {backend}: {insured:,} insured, "
               f"{truth['receivers']:,} receivers, {lines:,} payroll lines → {result['findings']:,} findings, "
               f"{result['cases_opened']:,} cases opened ({per_rule})",
               lines, seconds, "one plain scan of the province's payroll lines (COUNT, SUM per receiver)", baseline,
               note=f"not screened: {', '.join(result['not_screened']) or 'none'}"),
        Result(f"risk_screening_again_{backend}",
               f"screening the same province again on {backend} (every case known, no card changed): "
               f"{again['cases_updated']:,} cases updated, none opened ({per_rule_again})",
               lines, again_seconds, "one plain scan of the province's payroll lines (COUNT, SUM per receiver)",
               baseline),
    ]


if __name__ == "__main__":
    for row in screening(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000):
        print(f"{row.what}\n  {row.seconds:.2f}s (baseline {row.baseline}: {row.baseline_seconds:.2f}s) {row.note}")
