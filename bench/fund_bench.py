"""The national adjustment's yearly settlement over 31 provinces: a year of monthly assessments for every insured and
the retirees on each province's rolls, settled (two GROUP BYs, the pot shared to the fen, 62 entries, 31 lines)
against a plain SELECT … SUM … GROUP BY province over the same assessments, measured in the same run."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bench.common import Result, timed
from bench.contributions_bench import _blob, _series, execute_all
from bench.registry_bench import _fresh_database
from shebao.core.security import SYSTEM
from shebao.ledger import national_fund
from shebao.policy.store import default_store

YEAR, NOW = 2024, datetime(2025, 3, 1, 2, 0, tzinfo=UTC)  # the year is over
PROVINCES = ("110000", "120000", "130000", "140000", "150000", "210000", "220000", "230000", "310000", "320000",
             "330000", "340000", "350000", "360000", "370000", "410000", "420000", "430000", "440000", "450000",
             "460000", "500000", "510000", "520000", "530000", "540000", "610000", "620000", "630000", "640000",
             "650000")
DEFICIT = 5  # the first provinces (the north-east among them) get half of all retirees: they receive more than they remit
RETIREES_PER_INSURED = 4  # one retiree for four insured, as in the country


def _provinces() -> str:
    """The 31 provinces as a row source (i, code)."""
    return "(" + " UNION ALL ".join(f"SELECT {i} AS i, '{code}' AS code" for i, code in enumerate(PROVINCES)) + ") AS p"


def populate(database, insured: int) -> int:  # noqa: ANN001 - a Database
    """Every insured assessed each month of the year in their province (bases varying by province and person), and
    the retirees with their persons, applications and awards. Returns the number of assessments."""
    stamp, retirees = "'2024-01-01 00:00:00'", insured // RETIREES_PER_INSURED
    months = "(" + " UNION ALL ".join(f"SELECT '{YEAR}{m:02d}' AS period" for m in range(1, 13)) + ") AS months"
    base = "(300000 + p.i * 40000 + (CAST(n AS BIGINT) * 7919) % 400000)"
    home = f"(CASE WHEN n % 2 = 0 THEN n % {DEFICIT} ELSE n % {len(PROVINCES)} END)"  # a retiree's province index
    statements = [
        f"INSERT INTO assessments (period, province, person_id, payer_kind, payer_id, region_code, declared_base_fen, "
        f"used_base_fen, pension_employer_fen, pension_individual_fen, pension_account_fen, medical_employer_fen, "
        f"medical_individual_fen, unemployment_employer_fen, unemployment_individual_fen, work_injury_employer_fen, "
        f"maternity_employer_fen, total_fen, bill_reference, version) "
        f"SELECT months.period, p.code, n, 'flexible', n, p.code, {base}, {base}, {base} * 16 / 100, {base} * 8 / 100, "
        f"{base} * 8 / 100, 0, 0, 0, 0, 0, 0, {base} * 24 / 100, '', 1 "
        f"FROM {_series(database, insured)} JOIN {_provinces()} ON p.i = n % {len(PROVINCES)} CROSS JOIN {months}",
        f"INSERT INTO persons (id, id_number_hash, id_number_enc, id_number_masked, birth_date, sex, address_code, name, "
        f"hukou_region_code, residence_region_code, phone_enc, status, death_date, version, effective_from, created_at, "
        f"updated_at) SELECT n, 'h' || n, {_blob(database)}, '000000********0000', '1960-01-01', 'M', p.code, '退休人员', "
        f"p.code, p.code, NULL, 'living', NULL, 1, '1960-01-01', {stamp}, {stamp} "
        f"FROM {_series(database, retirees)} JOIN {_provinces()} ON p.i = {home}",
        f"INSERT INTO retirement_applications (id, person_id, province, region_code, category, retire_date, age_months, "
        f"ground, status, applied_by, applied_at) SELECT id, id, province_code, province_code, 'male', '2020-01-01', 720, "
        f"'statutory', 'awarded', 'bench', {stamp} FROM (SELECT id, address_code AS province_code FROM persons) AS r",
        f"INSERT INTO pension_awards (person_id, application_id, province, retire_date, first_period, age_months, "
        f"contribution_months, deemed_months, index_ten_thousandths, personal_account_fen, calculation_wage_fen, "
        f"divisor_units, basic_fen, account_fen, transitional_fen, monthly_fen, account_remaining_fen, status, "
        f"status_reason, certified_on, awarded_by, awarded_at) "
        f"SELECT id, id, province, '2020-01-01', '202002', 720, 360, 0, 10000, 0, 1000000, 83400, 300000, 0, 0, 300000, 0, "
        f"'paying', '', '2024-01-01', 'bench', {stamp} FROM retirement_applications",
    ]
    execute_all(database, statements, ids_given_in=("persons", "retirement_applications"))
    return insured * 12


BASELINE = (f"SELECT province, SUM(used_base_fen), COUNT(*) FROM assessments "
            f"WHERE period BETWEEN '{YEAR}01' AND '{YEAR}12' GROUP BY province")


def national_settlement(insured: int, url: str | None = None) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        database = _fresh_database(url, Path(folder))
        backend = database.engine.dialect.name
        assessments = populate(database, insured)

        def baseline() -> dict:
            with database.unit_of_work() as uow:
                return {row[0]: int(row[1]) for row in uow.session.execute(text(BASELINE))}

        bases = baseline()  # warms the cache for both: each then reads the same pages
        default_store()  # the parameter files read once per process, as any command does before its batch
        baseline_seconds = timed(baseline)
        outcome = {}

        def settle() -> None:
            with database.transaction() as session:
                outcome["statement"] = national_fund.settle(session=session, principal=SYSTEM, year=YEAR, now=NOW)

        seconds = timed(settle)
        database.dispose()
    statement = outcome["statement"]
    assert statement.balanced and statement.national_movement_fen == 0 and len(statement.lines) == len(PROVINCES)
    assert {line.province: line.base_fen for line in statement.lines} == bases
    assert statement.remitted_fen == statement.received_fen
    assert sum(line.net_fen > 0 for line in statement.lines) >= DEFICIT  # the provinces with many retirees gain
    return Result(f"national_fund_{backend}",
                  f"national fund yearly settlement over 31 provinces, {assessments:,} assessments on {backend}",
                  assessments, seconds, f"SELECT SUM(base) GROUP BY province over the same {assessments:,} assessments",
                  baseline_seconds, note=f"{insured // RETIREES_PER_INSURED:,} retirees counted; 62 entries, 31 lines "
                                         "written; the pot shared to the fen")
