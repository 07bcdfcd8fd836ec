"""Pension awards for a million retirees from their records, then one payroll month over them, each
against the driver's own bulk write of every row it wrote, measured in the same run."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.common import Result, Written, bulk_write_baseline, timed
from bench.contributions_bench import _blob, _bulk, _series, execute_all
from bench.registry_bench import _fresh_database
from shebao.benefits.awards import award_pending
from shebao.benefits.models import PayrollLine, PensionAward
from shebao.benefits.payroll import run_payroll
from shebao.core.db import Database
from shebao.ledger.models import JournalEntry, JournalLine
from shebao.payouts.models import PayoutLine
from shebao.risk import guards as _risk_guards  # noqa: F401 - the payroll asks the in-process rules (R01, R22)

NOW = datetime(2024, 8, 20, 2, 0, tzinfo=UTC)
PROVINCE, COUNTY, PERIOD = "440000", "440305", "202407"
ARCHIVE_YEARS = 5  # yearly rows of the record per retiree (the index and months come from all of them)


def populate(database: Database, retirees: int) -> None:
    """Retirees born 1964-06, their archive years, opening account balances, applications and active cards."""
    stamp, series = "'2024-01-01 00:00:00'", _series(database, retirees)
    years = " UNION ALL ".join(f"SELECT {2019 + k} AS y" for k in range(ARCHIVE_YEARS))
    statements = [
        f"INSERT INTO persons (id, id_number_hash, id_number_enc, id_number_masked, birth_date, sex, address_code, name, "
        f"hukou_region_code, residence_region_code, phone_enc, status, death_date, version, effective_from, created_at, updated_at) "
        f"SELECT n, 'h' || n, {_blob(database)}, '440305********0000', '1964-06-01', 'M', '{COUNTY}', '退休人员', "
        f"'{COUNTY}', '{COUNTY}', NULL, 'living', NULL, 1, '1964-06-01', {stamp}, {stamp} FROM {series}",
        f"INSERT INTO contribution_years (person_id, province, year, kind, months, base_sum_fen, average_wage_fen, "
        f"index_sum_millionths) SELECT n, '{PROVINCE}', 1990, 'deemed', 12 * 10, 0, 0, 0 FROM {series}",
        f"INSERT INTO contribution_years (person_id, province, year, kind, months, base_sum_fen, average_wage_fen, "
        f"index_sum_millionths) SELECT n, '{PROVINCE}', years.y, 'archive', 12 * 5, 12 * 5 * (600000 + n % 900000), 1000000, "
        f"12 * 5 * (600000 + n % 900000) FROM {series} CROSS JOIN ({years}) AS years",
        f"INSERT INTO ledger_accounts (id, code, kind, province, insurance, person_id, employer_id, opened_at) "
        f"SELECT n, 'pa:person:' || n, 'personal_account', '{PROVINCE}', NULL, n, NULL, {stamp} FROM {series}",
        f"INSERT INTO ledger_accounts (id, code, kind, province, opened_at) "
        f"VALUES ({retirees + 1}, 'brought_forward:{PROVINCE}', 'brought_forward', '{PROVINCE}', {stamp})",
        f"INSERT INTO journal_entries (id, idempotency_key, province, period, kind, memo, posted_by, posted_at) "
        f"VALUES (1, 'brought-forward:bench', '{PROVINCE}', '202401', 'brought_forward', 'bench', 'bench', {stamp})",
        f"INSERT INTO journal_lines (entry_id, account_id, amount_fen) "
        f"SELECT 1, n, -(5000000 + (CAST(n AS BIGINT) * 7919) % 20000000) FROM {series}",
        f"INSERT INTO journal_lines (entry_id, account_id, amount_fen) SELECT 1, {retirees + 1}, "
        f"-SUM(amount_fen) FROM journal_lines WHERE entry_id = 1",
        f"INSERT INTO retirement_applications (person_id, province, region_code, category, retire_date, age_months, ground, "
        f"status, applied_by, applied_at) SELECT n, '{PROVINCE}', '{COUNTY}', 'male', '2024-06-01', 720, 'statutory', "
        f"'pending', 'bench', {stamp} FROM {series}",
        f"INSERT INTO cards (person_id, province, state, card_number, bank_code, bank_account_enc, pin_failures, applied_region, "
        f"created_at, updated_at) SELECT n, '{PROVINCE}', 'active', 'C' || n, 'ICBC', {_blob(database)}, 0, '{COUNTY}', "
        f"{stamp}, {stamp} FROM {series}",
    ]
    execute_all(database, statements, ids_given_in=("persons", "ledger_accounts", "journal_entries"))


def awards_and_payroll(retirees: int, url: str | None = None) -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        database = _fresh_database(url, Path(folder))
        backend = database.engine.dialect.name
        populate(database, retirees)
        award_seconds = timed(lambda: award_pending(database=database, province=PROVINCE, now=NOW, actor="bench"))
        award_baseline, awarded = bulk_write_baseline(database, [Written(PensionAward.__table__)])
        entries_before, lines_before = _last_id(database, JournalEntry), _last_id(database, JournalLine)
        payroll_seconds = timed(lambda: run_payroll(database=database, province=PROVINCE, period=PERIOD, now=NOW, actor="bench"))
        with database.unit_of_work() as uow:
            paid = uow.session.scalar(select(func.count()).where(PayrollLine.status == "paid"))
        payroll_baseline, written = bulk_write_baseline(database, [
            Written(PayrollLine.__table__), Written(PayoutLine.__table__), Written(JournalEntry.__table__, f"id > {entries_before}"),
            Written(JournalLine.__table__, f"id > {lines_before}")])
        database.dispose()
    assert awarded == retirees and paid == retirees, (awarded, paid)
    return [
        Result(f"pension_award_{backend}", f"pension awards from the record for {retirees:,} retirees on {backend}", retirees,
               award_seconds, f"{_bulk(backend)} of the {awarded:,} award rows it wrote", award_baseline,
               note=f"each award aggregates {ARCHIVE_YEARS + 1} record rows and a ledger balance"),
        Result(f"payroll_{backend}", f"one payroll month over {retirees:,} receivers on {backend}", retirees, payroll_seconds,
               f"{_bulk(backend)} of the {written:,} payroll lines, bank payments, entries and journal lines it wrote",
               payroll_baseline, note="payroll also judges every line (card, status, death), reserves the account part and "
                                      "puts each payment in its bank's batch"),
    ]


def _last_id(database: Database, model) -> int:  # noqa: ANN001 - a mapped class
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.coalesce(func.max(model.id), 0)))
