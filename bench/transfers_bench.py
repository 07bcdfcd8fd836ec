"""Transfers between provinces at scale: `SHEBAO_BENCH_TRANSFERS` (default 100,000) moves from Shanghai to Beijing
taken through the five steps after the application (letter sent, checked, funds sent, received, completed) by
`transfers.batch.advance_batch`, and `SHEBAO_BENCH_TRANSFERS_ONE_BY_ONE` (default 300) moves from Jiangsu to Beijing
through the per-transfer use cases (`service.apply` and five `service.take_step`, one transaction each), each against
the driver's own bulk write of the rows it wrote, in the same run.

Each person has five archive years in the old province (2015–2019) and an opening personal-account balance there.
The batch's applications are written by the bench inside the database (the rows `service.apply` writes: the
transfer, its first step and notice): an application is one person's own act, at a counter or online, and is
measured in the per-transfer figures."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import BigInteger, func, literal, select

from bench.common import Result, Written, bulk_write_baseline, timed
from bench.contributions_bench import _blob, _bulk, _series, execute_all
from bench.registry_bench import _fresh_database
from shebao.core.db import Database
from shebao.core.security import SYSTEM, FieldCipher
from shebao.ledger import chart, posting
from shebao.ledger.models import JournalEntry, JournalLine, LedgerAccount
from shebao.ledger.rules import AccountKind
from shebao.policy.store import default_store
from shebao.registry.models import Person
from shebao.transfers import rules, service
from shebao.transfers.batch import advance_batch
from shebao.transfers.models import Transfer, TransferItem, TransferNotice, TransferStep
from shebao.transfers.schemas import TransferApply, TransferStepTake

BATCH_FROM, ONE_FROM, TO, TO_REGION = "310000", "320000", "110000", "110105"
APPLIED_ON = date(2025, 6, 2)
NOW = datetime(2025, 6, 20, 2, 0, tzinfo=UTC)
STEPS = [("letter_sent", date(2025, 6, 3)), ("checked", date(2025, 6, 5)), ("funds_sent", date(2025, 6, 9)),
         ("received", date(2025, 6, 11)), ("completed", date(2025, 6, 12))]
STAMP = "'2025-06-02 02:00:00'"


def populate(database: Database, first: int, count: int, province: str) -> None:
    """Persons first … first+count−1 with hukou in Beijing, five archive years and a personal-account balance in
    `province`."""
    rows = f"(SELECT n + {first - 1} AS n FROM {_series(database, count)}) AS p"
    statements = [
        f"INSERT INTO persons (id, id_number_hash, id_number_enc, id_number_masked, birth_date, sex, address_code, name, "
        f"hukou_region_code, residence_region_code, phone_enc, status, death_date, version, effective_from, created_at, "
        f"updated_at) SELECT n, 'h' || n, {_blob(database)}, '110105********0000', '1985-01-01', 'M', '{TO_REGION}', "
        f"'参保人', '{TO_REGION}', '{TO_REGION}', NULL, 'living', NULL, 1, '2000-01-01', {STAMP}, {STAMP} FROM {rows}"]
    statements += [
        f"INSERT INTO contribution_years (person_id, province, year, kind, months, base_sum_fen, average_wage_fen, "
        f"index_sum_millionths) SELECT n, '{province}', {year}, 'archive', 12, 12 * (400000 + (n * 7919) % 3000000), "
        f"1000000, 12000000 FROM {rows}" for year in range(2015, 2020)]
    execute_all(database, statements, ids_given_in=("persons",))
    persons = select(Person.id).where(Person.id.between(first, first + count - 1))
    balance = literal(1_000_000, BigInteger) + (Person.id * 3571) % 20_000_000
    key = literal(f"bench:brought-forward:{province}")
    with database.batch_transaction() as session:
        posting.post_entries(session=session, province=province, period="202401", kind="brought_forward",
                             entries=select(key, literal("bench balances")), actor="bench", now=NOW, lines=[
                                 posting.Lines(persons, key, chart.personal_account(Person.id, province=province), -balance),
                                 posting.Lines(select(func.sum(balance)).where(Person.id.between(first, first + count - 1)),
                                               key, chart.province_account(AccountKind.BROUGHT_FORWARD, province=province),
                                               func.sum(balance))])


def apply_in_bulk(database: Database, first: int, count: int) -> None:
    """The rows `service.apply` writes for a move, for every person: the transfer, its first step, its notice."""
    store = default_store()
    due = rules.due_on(service.calendar(store), rules.Step.LETTER_SENT, {rules.Step.APPLIED: APPLIED_ON},
                       store.at(TO, APPLIED_ON).value("transfers.deadline_working_days"))
    rows = f"(SELECT n + {first - 1} AS n FROM {_series(database, count)}) AS p"
    why = f"养老保险关系从 {BATCH_FROM} 转入 {TO}，个人账户全部和统筹基金 12% 随转"
    text = f"您的转移接续（{BATCH_FROM}→{TO}）已申请，下一步应于 {due} 前办理"
    text_en = f"Your transfer ({BATCH_FROM} → {TO}): applied; the next step is due by {due}"
    execute_all(database, [
        f"INSERT INTO transfers (id, person_id, kind, from_province, to_province, to_region, step, open_key, channel, "
        f"applied_on, starts_on, due_on, months_counted, base_sum_fen, pooled_fen, personal_account_fen, refused_reason, "
        f"created_by, created_at, updated_at) SELECT n, n, 'move', '{BATCH_FROM}', '{TO}', '{TO_REGION}', 'applied', "
        f"'p' || n, 'counter', '{APPLIED_ON}', '2025-06-01', '{due}', 0, 0, 0, 0, '', 'bench', {STAMP}, {STAMP} FROM {rows}",
        f"INSERT INTO transfer_steps (transfer_id, step, \"on\", due_on, province, actor, note, recorded_at) "
        f"SELECT n, 'applied', '{APPLIED_ON}', NULL, '{TO}', 'bench', '{why}', {STAMP} FROM {rows}",
        f"INSERT INTO transfer_notices (transfer_id, person_id, step, text, text_en, created_at) "
        f"SELECT n, n, 'applied', '{text}', '{text_en}', {STAMP} FROM {rows}",
    ], ids_given_in=("transfers",))


def _last_ids(database: Database) -> dict:
    with database.unit_of_work() as uow:
        return {model: uow.session.scalar(select(func.coalesce(func.max(model.id), 0)))
                for model in (Transfer, TransferStep, TransferNotice, TransferItem, JournalEntry, JournalLine, LedgerAccount)}


def _written(before: dict, province: str) -> list[Written]:
    return [Written(Transfer.__table__, f"from_province = '{province}'"),
            Written(TransferStep.__table__, f"id > {before[TransferStep]}"),
            Written(TransferNotice.__table__, f"id > {before[TransferNotice]}"),
            Written(TransferItem.__table__, f"id > {before[TransferItem]}"),
            Written(LedgerAccount.__table__, f"id > {before[LedgerAccount]}"),
            Written(JournalEntry.__table__, f"id > {before[JournalEntry]}"),
            Written(JournalLine.__table__, f"id > {before[JournalLine]}")]


def one_by_one(database: Database, first: int, count: int) -> float:
    """`count` moves through the per-transfer use cases: the application and five steps, a transaction each."""
    cipher, started = FieldCipher("bench"), time.perf_counter()
    ids = []
    for person in range(first, first + count):
        with database.transaction() as session:
            ids.append(service.apply(session=session, principal=SYSTEM, cipher=cipher, now=datetime(2025, 6, 2, 2, tzinfo=UTC),
                                     command=TransferApply(person_id=person, to_region=TO_REGION,
                                                           starts_on=date(2025, 6, 1)))["id"])
    for step, on in STEPS:
        for transfer_id in ids:
            with database.transaction() as session:
                service.take_step(session=session, principal=SYSTEM, transfer_id=transfer_id, now=NOW,
                                  command=TransferStepTake(step=step, on=on))
    return time.perf_counter() - started


def transfers(count: int, one_by_one_count: int, url: str | None = None) -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        database = _fresh_database(url, Path(folder))
        backend = database.engine.dialect.name
        populate(database, 1, count, BATCH_FROM)
        apply_in_bulk(database, 1, count)
        before = _last_ids(database)
        outcomes = []

        def run() -> None:
            for step, on in STEPS:
                outcomes.append(advance_batch(database=database, step=step, from_province=BATCH_FROM, to_province=TO,
                                              on=on, now=NOW, actor="bench"))

        seconds = timed(run)
        assert all(o["advanced"] == count and not o["left"] for o in outcomes), [(o["advanced"], o["left"][:3]) for o in outcomes]
        with database.unit_of_work() as uow:
            done = uow.session.scalar(select(func.count()).select_from(Transfer).where(Transfer.step == "completed"))
        assert done == count, done
        baseline, rows = bulk_write_baseline(database, _written(before, BATCH_FROM))

        first = count + 1
        populate(database, first, one_by_one_count, ONE_FROM)
        before_one = _last_ids(database)
        one_seconds = one_by_one(database, first, one_by_one_count)
        one_baseline, one_rows = bulk_write_baseline(database, _written(before_one, ONE_FROM))
        database.dispose()
    per_transfer = one_seconds / one_by_one_count
    return [
        Result(f"transfers_batch_{backend}", f"{count:,} transfers through five steps, set-based, on {backend}", count,
               seconds, f"{_bulk(backend)} of the {rows:,} rows it wrote (steps, notices, items, transfers, entries, "
               "lines)", baseline, note=f"{sum(o['entries_posted'] for o in outcomes):,} entries"),
        Result(f"transfers_one_by_one_{backend}",
               f"{one_by_one_count:,} transfers applied and through five steps one by one on {backend} "
               f"({per_transfer * 1000:.1f} ms each: 100,000 would take {per_transfer * 100_000:,.0f} s)",
               one_by_one_count, one_seconds, f"{_bulk(backend)} of the {one_rows:,} rows they wrote", one_baseline),
    ]


def sizes() -> tuple[int, int]:
    return (int(os.environ.get("SHEBAO_BENCH_TRANSFERS", "100000")),
            int(os.environ.get("SHEBAO_BENCH_TRANSFERS_ONE_BY_ONE", "300")))
