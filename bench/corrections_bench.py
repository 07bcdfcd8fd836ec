"""A retroactive correction at scale: a province's insured all ended back before six months that were billed, paid
and distributed, corrected in one call of `corrections.correct`, against the driver's own bulk write of every row
the correction wrote (assessment versions, correction bills, credits, allocations, entries, lines), in the same run."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from bench.common import Result, Written, bulk_write_baseline, timed
from bench.contributions_bench import _bulk, execute_all, populate
from bench.registry_bench import _fresh_database
from shebao.contributions.batch import run_month_end
from shebao.contributions.collection import settle_period_in_full
from shebao.contributions.corrections import correct
from shebao.contributions.models import Assessment, Bill, Correction, Payment, PaymentAllocation
from shebao.core.db import Database
from shebao.core.periods import Period
from shebao.enrollment.models import Participation
from shebao.ledger.models import JournalEntry, JournalLine, LedgerAccount

PROVINCE = "440000"
FIRST = Period(2024, 1)
MONTHS = [FIRST.plus_months(k) for k in range(6)]  # 202401 … 202406, billed, paid and distributed
ENDED_ON = FIRST.first_day() - timedelta(days=1)  # the last day before the first of the six months: 2023-12-31
NOW = datetime(2024, 7, 20, 2, 0, tzinfo=UTC)  # the correction posts in 202407, the open month


def bill_six_months(database: Database) -> None:
    """Month-end for each of the six months, and the collecting bank's file paying every bill on the 10th of the
    month after (before its due date), which distributes them to the personal accounts and pooling funds."""
    for month in MONTHS:
        run_month_end(database=database, province=PROVINCE, period=str(month), now=NOW, actor="bench")
        following = month.plus_months(1)
        settle_period_in_full(database=database, province=PROVINCE, period=str(month), now=NOW, actor="bench",
                              paid_on=date(following.year, following.month, 10))


def end_everyone(database: Database) -> None:
    """The late fact, recorded set-based as the demo history records ends: every participation ended on ENDED_ON,
    with its 'ended' event. Then, on PostgreSQL, the tables the six months filled are analysed, as autovacuum would
    have done over six months (month-end analyses its own assessments and bills)."""
    stamp = "'2024-07-20 02:00:00'"
    statements = [
        f"UPDATE participations SET end_date = '{ENDED_ON}', status = 'ended', updated_at = {stamp} "
        f"WHERE province = '{PROVINCE}'",
        f"INSERT INTO participation_events (participation_id, event, \"on\", reason, actor, recorded_at) "
        f"SELECT id, 'ended', '{ENDED_ON}', 'bench', 'bench', {stamp} FROM participations WHERE province = '{PROVINCE}'",
    ]
    execute_all(database, statements, ids_given_in=())
    if database.engine.dialect.name == "postgresql":
        with database.transaction() as session:
            session.execute(text("ANALYZE participations, payments, payment_allocations, ledger_accounts, "
                                 "journal_entries, journal_lines, bills, assessments, batch_runs"))


def correction(persons: int, url: str | None = None) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        database = _fresh_database(url, Path(folder))
        backend = database.engine.dialect.name
        populate(database, persons)
        bill_six_months(database)
        end_everyone(database)
        before = {model: _last_id(database, model) for model in (Payment, PaymentAllocation, JournalEntry, JournalLine,
                                                                  LedgerAccount)}
        ended = (select(Participation.person_id)
                 .where(Participation.province == PROVINCE, Participation.end_date == ENDED_ON))
        outcome = {}

        def run() -> None:
            with database.transaction() as session:
                outcome["read"] = correct(session=session, province=PROVINCE, persons=ended, since=FIRST, cause="end",
                                          reason="bench", actor="bench", now=NOW, may_reopen=True)

        seconds = timed(run)
        read = outcome["read"]
        assert read is not None and read.months == persons * len(MONTHS) and read.persons == persons, read
        with database.unit_of_work() as uow:
            superseded = uow.session.scalar(select(func.count()).select_from(Assessment)
                                            .where(Assessment.superseded_by == read.id))
        assert superseded == persons * len(MONTHS), superseded
        baseline, rows = bulk_write_baseline(database, [
            Written(Correction.__table__, f"id = {read.id}"),
            Written(Assessment.__table__, f"correction_id = {read.id}"),
            Written(Bill.__table__, f"correction_id = {read.id}"),
            Written(Payment.__table__, f"id > {before[Payment]}"),
            Written(PaymentAllocation.__table__, f"id > {before[PaymentAllocation]}"),
            Written(LedgerAccount.__table__, f"id > {before[LedgerAccount]}"),
            Written(JournalEntry.__table__, f"id > {before[JournalEntry]}"),
            Written(JournalLine.__table__, f"id > {before[JournalLine]}")])
        database.dispose()
    months = persons * len(MONTHS)
    return Result(f"correction_{backend}",
                  f"a back-dated end corrected for {persons:,} persons × {len(MONTHS)} months on {backend}", months,
                  seconds, f"{_bulk(backend)} of the {rows:,} rows it wrote (assessment versions, bills, credits, "
                  "entries, lines)", baseline,
                  note=f"{read.bills:,} correction bills, {-read.difference_fen:,} fen credited")


def _last_id(database: Database, model) -> int:  # noqa: ANN001 - a mapped class
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.coalesce(func.max(model.id), 0)))
