"""Year-end interest over a million personal accounts by the national method (monthly products, each credit counted
from the month it is for), against the driver's own bulk write of every row the crediting wrote, in the same run."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.common import Result, Written, bulk_write_baseline, timed
from bench.contributions_bench import _blob, _bulk, _series, execute_all
from bench.registry_bench import _fresh_database
from shebao.core.db import Database
from shebao.ledger import rules
from shebao.ledger.batch import credit_interest, year_rule
from shebao.ledger.models import InterestCredit, JournalEntry, JournalLine, LedgerAccount

PROVINCE, COUNTY, YEAR = "440000", "440305", 2024
NOW = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)  # the year is over and its rate is published
PER_ENTRY = 1000  # personal accounts credited by one distribution entry (the persons of a few paid bills)
QUARTERS = 4  # credits per account in the year: one a quarter, each for a month of its own


def _credit(n: str, quarter: str) -> str:
    """A credit's amount in fen (positive: what the account is credited), varied by account and quarter."""
    return f"(20000 + (CAST({n} AS BIGINT) * 7919 + {quarter} * 104729) % 100000)"


def contribution_month(group: int, quarter: int) -> int:
    """The month (0-11; 0 = December of the year before) that the credits of a group of accounts in a quarter are
    for: each group is paid in its own month of the quarter. The credit is posted the month after."""
    return 3 * quarter + group % 3


def populate(database: Database, accounts: int) -> None:
    """Persons with a personal account each; an opening balance brought forward at the end of the year before; and,
    in each quarter of the year, a distribution entry per group of PER_ENTRY accounts crediting each its part for
    one contribution month (for_period) and debiting clearing, posted the month after that month — so that a
    group's first credit is for December of the year before, paid in January, and counts from January."""
    stamp, series = "'2024-01-01 00:00:00'", _series(database, accounts)
    groups = (accounts + PER_ENTRY - 1) // PER_ENTRY
    clearing, brought_forward = accounts + 1, accounts + 2
    entries = []
    for quarter in range(QUARTERS):
        for group in range(groups):
            month = contribution_month(group, quarter)
            for_period = f"{YEAR - 1}12" if month == 0 else f"{YEAR}{month:02d}"
            entries.append(f"({2 + quarter * groups + group}, 'bench:distribute:{quarter}:{group}', '{PROVINCE}', "
                           f"'{YEAR}{month + 1:02d}', 'distribution', 'bench', 'bench', {stamp}, '{for_period}')")
    quarters = " UNION ALL ".join(f"SELECT {q} AS q" for q in range(QUARTERS))
    statements = [
        f"INSERT INTO persons (id, id_number_hash, id_number_enc, id_number_masked, birth_date, sex, address_code, name, "
        f"hukou_region_code, residence_region_code, phone_enc, status, death_date, version, effective_from, created_at, updated_at) "
        f"SELECT n, 'h' || n, {_blob(database)}, '440305********0000', '1980-01-01', 'M', '{COUNTY}', '参保人', "
        f"'{COUNTY}', '{COUNTY}', NULL, 'living', NULL, 1, '2000-01-01', {stamp}, {stamp} FROM {series}",
        f"INSERT INTO ledger_accounts (id, code, kind, province, insurance, person_id, employer_id, opened_at) "
        f"SELECT n, 'pa:person:' || n, 'personal_account', '{PROVINCE}', NULL, n, NULL, {stamp} FROM {series}",
        f"INSERT INTO ledger_accounts (id, code, kind, province, opened_at) VALUES "
        f"({clearing}, 'clearing:{PROVINCE}', 'clearing', '{PROVINCE}', {stamp}), "
        f"({brought_forward}, 'brought_forward:{PROVINCE}', 'brought_forward', '{PROVINCE}', {stamp})",
        f"INSERT INTO journal_entries (id, idempotency_key, province, period, kind, memo, posted_by, posted_at) "
        f"VALUES (1, 'brought-forward:bench', '{PROVINCE}', '{YEAR - 1}12', 'brought_forward', 'bench', 'bench', {stamp})",
        f"INSERT INTO journal_lines (entry_id, account_id, amount_fen) "
        f"SELECT 1, n, -(500000 + (CAST(n AS BIGINT) * 7919) % 5000000) FROM {series}",
        f"INSERT INTO journal_lines (entry_id, account_id, amount_fen) SELECT 1, {brought_forward}, "
        f"-SUM(amount_fen) FROM journal_lines WHERE entry_id = 1",
        f"INSERT INTO journal_entries (id, idempotency_key, province, period, kind, memo, posted_by, posted_at, "
        f"for_period) VALUES {', '.join(entries)}",
        f"INSERT INTO journal_lines (entry_id, account_id, amount_fen) "
        f"SELECT 2 + quarters.q * {groups} + (n - 1) / {PER_ENTRY}, n, -{_credit('n', 'quarters.q')} "
        f"FROM ({quarters}) AS quarters CROSS JOIN {series}",
        f"INSERT INTO journal_lines (entry_id, account_id, amount_fen) SELECT entry_id, {clearing}, -SUM(amount_fen) "
        f"FROM journal_lines WHERE entry_id > 1 GROUP BY entry_id",
    ]
    execute_all(database, statements, ids_given_in=("persons", "ledger_accounts", "journal_entries"))


def expected_interest(account: int) -> int:
    """One account's interest computed in Python from the seed's own figures (ledger.rules), to hold the batch to."""
    rule, rate = year_rule(province=PROVINCE, year=YEAR)
    opening = 500000 + (account * 7919) % 5000000
    group = (account - 1) // PER_ENTRY
    credits = [(max(contribution_month(group, q), 1), 20000 + (account * 7919 + q * 104729) % 100000)
               for q in range(QUARTERS)]
    return rules.year_interest_fen(opening, credits, rate, rule)


def year_end_interest(accounts: int, url: str | None = None) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        database = _fresh_database(url, Path(folder))
        backend = database.engine.dialect.name
        populate(database, accounts)
        before = {model: _last_id(database, model) for model in (LedgerAccount, JournalEntry, JournalLine)}
        seconds = timed(lambda: credit_interest(database=database, province=PROVINCE, year=YEAR, now=NOW, actor="bench"))
        with database.unit_of_work() as uow:
            credited = uow.session.scalar(select(func.count()).select_from(InterestCredit)
                                          .where(InterestCredit.year == YEAR, InterestCredit.interest_fen > 0))
            samples = {n: uow.session.scalar(select(InterestCredit.interest_fen).where(
                InterestCredit.year == YEAR, InterestCredit.account_id == n)) for n in (1, accounts // 3, accounts)}
            posted = uow.session.scalar(select(func.count()).select_from(JournalLine).where(
                JournalLine.id > before[JournalLine]))
        assert credited == accounts, credited
        assert samples == {n: expected_interest(n) for n in samples}, samples
        baseline, rows = bulk_write_baseline(database, [
            Written(InterestCredit.__table__), Written(LedgerAccount.__table__, f"id > {before[LedgerAccount]}"),
            Written(JournalEntry.__table__, f"id > {before[JournalEntry]}"),
            Written(JournalLine.__table__, f"id > {before[JournalLine]}")])
        database.dispose()
    assert posted > accounts
    return Result(f"interest_{backend}", f"year-end interest (monthly products) over {accounts:,} accounts on {backend}",
                  accounts, seconds, f"{_bulk(backend)} of the {rows:,} rows it wrote (interest credits, entries, lines)",
                  baseline, note=f"each account: an opening balance and {QUARTERS} credits with their months")


def _last_id(database: Database, model) -> int:  # noqa: ANN001 - a mapped class
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.coalesce(func.max(model.id), 0)))

