"""Payout use cases: lines into a bank's batch, maker-checker release, the bank file, the bank's returns, the
reconciliation of each bank's month against the ledger.

The money flow. Nothing leaves cash until a second person releases the batch:

    | step | debit | credit |
    | --- | --- | --- |
    | a line is added to its bank's open batch (payroll pays a month, a refund is paid) | the payable it was owed in (benefit payable, …) | payouts in transit |
    | a second person approves the prepared batch: it is released to the bank | payouts in transit | cash |
    | the bank returns a line (account closed, name and account differ, card frozen at the bank) | cash | the payable it came from: owed again |

Each line added is one entry per bank and call (so that a bank's month reads back from the ledger alone); each
release one entry; each return file one entry per batch it touches. Every entry's id is kept beside what it posted
(`add_entry_id`, `release_entry_id`, `payout_returns.entry_id`) and the reconciliation reads the ledger's lines of
those entries on the accounts involved — never journal keys by a naming convention.

A returned line is owed again: its source holds it (a payroll month is held as `bank_returned`) until the account
is fixed — the card's account bound again, or staff recording that it is fixed — and its next payment is a new
line (attempt 2, …) in a later batch; the returned line stays, marked `resent`.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, case, func, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Subquery

from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, InvalidInput, not_in_scope
from shebao.core.periods import Period
from shebao.core.regions import is_province, region_prefix
from shebao.core.security import FieldCipher, Principal, Role
from shebao.core.sql import insert_ignoring_duplicates
from shebao.ledger import chart
from shebao.ledger import service as ledger
from shebao.ledger.chart import Account
from shebao.ledger.rules import AccountKind, Line
from shebao.payouts import rules
from shebao.payouts.models import PayoutBatch, PayoutLine, PayoutReturn, PayoutReturnFile
from shebao.payouts.rules import BatchMove, BatchState, LineState, PayoutOrder, Source
from shebao.payouts.schemas import (
    AccountFix,
    BankReconciliationSummary,
    BankReturnImportRead,
    LedgerMovementSummary,
    PayoutAmountSummary,
    PayoutBatchRead,
    ReconciliationRead,
    ReturnedLineRead,
    ReturnSummary,
)

BATCH_NAMES = ("付款批次", "payment batch")
LINE_NAMES = ("付款", "payment")
ROW_COLUMNS = ("source_ref", "person_id", "employer_id", "region_code", "receiver_name", "bank_code", "card_number",
               "account_enc", "amount_fen", "memo")
LOOKUP_CHUNK = 5_000


@dataclass(frozen=True)
class AddedLines:
    """What adding lines did: per bank, the batch they went into and the entry that moved them into transit."""

    lines: int
    total_fen: int
    entries: dict[str, int]  # bank code -> entry id
    batches: dict[str, int]  # bank code -> batch id


# ------------------------------------------------------------------ adding lines (payroll, refunds)


def add_lines(*, session: Session, cipher: FieldCipher, source: str, province: str, period: str, payable: Account,
              orders: Sequence[PayoutOrder], key: str, actor: str, now: datetime, kind: str = "payout_added",
              memo: str | None = None) -> AddedLines:
    """Adds payments given one by one — a refund's — to the open batch of their bank for the province and month,
    and moves their amounts from `payable` (the ledger account they are owed in, named by its owner) into transit:
    one entry per bank, keyed `key` + the bank's code. Nothing leaves cash until the batch is released by a second
    person. A line the bank returns later is credited back to `payable` and listed as returned (`returned_lines`,
    source `refund`); once its account is fixed, add it again with the corrected account (a new line, attempt 2).

    Refused whole: an order that is not payable (rules.check_order), a source's id paid twice in the call, or one
    that already has a payment pending or sent."""
    _check_scope_of_call(source, province, period)
    for order in orders:
        rules.check_order(order)
    refs = [order.source_ref for order in orders]
    if len(set(refs)) != len(refs):
        raise InvalidInput("payout.duplicate_ref", "同一来源记录在一次付款中出现两次", "one source record is paid twice in one call")
    attempts, paying = _earlier(session, source, refs)
    if paying:
        raise Conflict("payout.already_paying", f"来源记录 {paying[0]} 已有一笔待放款或已发送的付款，不能重复付款",
                       f"source record {paying[0]} already has a payment pending or sent; it is not paid twice",
                       source=source, source_ref=paying[0])
    by_bank: dict[str, list[PayoutOrder]] = defaultdict(list)
    for order in orders:
        by_bank[order.bank_code].append(order)

    def write(bank: str) -> Callable[[int, int, int], None]:
        def insert_rows(batch_id: int, entry_id: int, payable_id: int) -> None:
            session.execute(insert(PayoutLine), [{
                "batch_id": batch_id, "province": province, "source": source, "source_ref": order.source_ref,
                "attempt": attempts.get(order.source_ref, 0) + 1, "person_id": order.person_id,
                "employer_id": order.employer_id, "region_code": order.region_code,
                "receiver_name": order.receiver_name.strip(), "bank_code": bank, "card_number": order.card_number,
                "account_enc": cipher.encrypt("bank_account", order.account), "amount_fen": order.amount_fen,
                "memo": order.memo, "payable_account_id": payable_id, "add_entry_id": entry_id, "status": LineState.PENDING.value,
            } for order in by_bank[bank]])
        return insert_rows

    return _add(session, source=source, province=province, period=period, payable=payable, banks=sorted(by_bank),
                write=write, key=key, kind=kind, memo=memo, actor=actor, now=now, resends=bool(attempts))


def add_line_rows(*, session: Session, source: str, province: str, period: str, payable: Account, rows: Select, key: str,
                  actor: str, now: datetime, kind: str = "payout_added", memo: str | None = None) -> AddedLines:
    """The set-based form of `add_lines`, for a batch (the payroll's chunk): `rows` is a SELECT with the columns
    ROW_COLUMNS (labelled so), one row per payment, the account already encrypted as the card keeps it. A record
    paid again after a return is its next attempt; one still pending or sent is refused by the database (the unique
    attempt), and the caller's chunk goes back whole."""
    _check_scope_of_call(source, province, period)
    given = rows.subquery("orders")
    banks = list(session.scalars(select(given.c.bank_code).distinct().order_by(given.c.bank_code)))
    # Only a record the bank returned is paid again, as its next attempt: the province's few returns awaiting it are
    # read first and named in the statement, every other record is attempt 1. (Joined or looked up per payment
    # instead, the payout lines of the run's earlier chunks — not yet in PostgreSQL's statistics — were scanned
    # once per payment: 70 s for a chunk of 50,000.)
    last = dict(session.execute(select(PayoutLine.source_ref, func.max(PayoutLine.attempt)).where(
        PayoutLine.province == province, PayoutLine.source == source,
        PayoutLine.status.in_((LineState.RETURNED.value, LineState.FIXED.value))).group_by(PayoutLine.source_ref)).all())
    attempt = case(last, value=given.c.source_ref, else_=0) + 1 if last else literal(1)

    def write(bank: str) -> Callable[[int, int, int], None]:
        def insert_rows(batch_id: int, entry_id: int, payable_id: int) -> None:
            chosen = select(literal(batch_id), literal(province), literal(source), given.c.source_ref, attempt,
                            given.c.person_id, given.c.employer_id, given.c.region_code, given.c.receiver_name,
                            given.c.bank_code, given.c.card_number, given.c.account_enc, given.c.amount_fen,
                            func.substr(given.c.memo, 1, 60), literal(payable_id), literal(entry_id),
                            literal(LineState.PENDING.value)).where(given.c.bank_code == bank)
            session.execute(insert(PayoutLine).from_select(
                ["batch_id", "province", "source", "source_ref", "attempt", "person_id", "employer_id", "region_code",
                 "receiver_name", "bank_code", "card_number", "account_enc", "amount_fen", "memo", "payable_account_id",
                 "add_entry_id", "status"], chosen))
        return insert_rows

    return _add(session, source=source, province=province, period=period, payable=payable, banks=banks, write=write,
                key=key, kind=kind, memo=memo, actor=actor, now=now, resends=bool(last))


def _check_scope_of_call(source: str, province: str, period: str) -> None:
    if source not in {s.value for s in Source}:
        raise InvalidInput("payout.source", f"付款来源应为{'或'.join(f'「{s.value}」（{zh}）' for s, (zh, _) in rules.SOURCE_NAMES.items())}",
                           f"a payment's source is one of {', '.join(s.value for s in Source)}")
    if not is_province(province):
        raise InvalidInput("payout.province", f"「{province}」不是省级区划代码", f"{province} is not a province code")
    Period.parse(period)


def _earlier(session: Session, source: str, refs: list[int]) -> tuple[dict[int, int], list[int]]:
    """Each record's last attempt, and those with a payment still pending or sent (never paid twice)."""
    attempts, paying = {}, []
    for start in range(0, len(refs), LOOKUP_CHUNK):
        for ref, attempt, open_ in session.execute(select(
                PayoutLine.source_ref, func.max(PayoutLine.attempt),
                func.count(case((PayoutLine.status.in_((LineState.PENDING.value, LineState.SENT.value)), 1))))
                .where(PayoutLine.source == source, PayoutLine.source_ref.in_(refs[start:start + LOOKUP_CHUNK]))
                .group_by(PayoutLine.source_ref)):
            attempts[int(ref)] = int(attempt)
            if open_:
                paying.append(int(ref))
    return attempts, sorted(paying)


def _add(session: Session, *, source: str, province: str, period: str, payable: Account, banks: list[str],
         write: Callable[[str], Callable[[int, int, int], None]], key: str, kind: str, memo: str | None, actor: str,
         now: datetime, resends: bool) -> AddedLines:
    if not banks:
        return AddedLines(0, 0, {}, {})
    payable_id = ledger.account_id(session=session, account=payable, now=now)
    transit = _transit(session, province, now)
    source_zh, source_en = rules.SOURCE_NAMES[Source(source)]
    count, total, entries, batches = 0, 0, {}, {}
    for bank in banks:
        batch = _open_batch(session, province=province, period=period, source=source, bank_code=bank, actor=actor, now=now)
        added = {"count": 0, "total": 0}

        def lines_for(entry_id: int, bank: str = bank, batch_id: int = batch.id, added: dict = added) -> list[Line]:
            write(bank)(batch_id, entry_id, payable_id)
            mine = PayoutLine.add_entry_id == entry_id
            added["count"], added["total"] = session.execute(
                select(func.count(), func.coalesce(func.sum(PayoutLine.amount_fen), 0)).where(mine)).one()
            if resends:
                _mark_resent(session, source, province, entry_id)
            return [Line(payable_id, int(added["total"])), Line(transit, -int(added["total"]))]

        posted = ledger.post_entry_for(
            session=session, key=f"{key}:{bank}"[:128], province=province, period=period, kind=kind, now=now, actor=actor,
            memo=memo or f"{source_zh}付款转入在途 {source_en} to {bank} in transit {period}", lines_for=lines_for)
        count, total = count + int(added["count"]), total + int(added["total"])
        entries[bank], batches[bank] = posted.id, batch.id
    return AddedLines(count, total, entries, batches)


def _mark_resent(session: Session, source: str, province: str, entry_id: int) -> None:
    """The returned lines these new ones pay again are done with."""
    again = select(PayoutLine.source_ref).where(PayoutLine.add_entry_id == entry_id, PayoutLine.attempt > 1).scalar_subquery()
    session.execute(update(PayoutLine).where(
        PayoutLine.province == province, PayoutLine.source == source, PayoutLine.source_ref.in_(again),
        PayoutLine.status.in_((LineState.RETURNED.value, LineState.FIXED.value)))
        .values(status=LineState.RESENT.value).execution_options(synchronize_session=False))


def _open_batch(session: Session, *, province: str, period: str, source: str, bank_code: str, actor: str,
                now: datetime) -> PayoutBatch:
    """The open batch of the bank, province, month and source, opened when there is none. Taken FOR UPDATE: a maker
    preparing it waits for the lines being added, or they go into the next batch."""
    same = and_(PayoutBatch.province == province, PayoutBatch.period == period, PayoutBatch.source == source,
                PayoutBatch.bank_code == bank_code)
    batch = session.scalar(select(PayoutBatch).where(same, PayoutBatch.status == BatchState.OPEN.value)
                           .order_by(PayoutBatch.seq.desc()).limit(1).with_for_update())
    if batch is not None:
        return batch
    seq = (session.scalar(select(func.max(PayoutBatch.seq)).where(same)) or 0) + 1
    session.execute(insert_ignoring_duplicates(session, PayoutBatch.__table__).values(
        province=province, period=period, source=source, bank_code=bank_code, seq=seq, status=BatchState.OPEN.value,
        opened_by=actor, opened_at=utc_naive(now)))
    batch = session.scalar(select(PayoutBatch).where(same, PayoutBatch.seq == seq).with_for_update())
    if batch.status != BatchState.OPEN.value:  # another transaction opened and prepared it in between
        raise Conflict("payout.batch_busy", "付款批次正在提交，请重试", "the payment batch is being prepared; try again")
    return batch


def _transit(session: Session, province: str, now: datetime) -> int:
    return ledger.account_id(session=session, account=chart.province_account(AccountKind.PAYOUT_TRANSIT, province=province),
                             now=now)


def _cash(session: Session, province: str, now: datetime) -> int:
    return ledger.account_id(session=session, account=chart.province_account(AccountKind.CASH, province=province), now=now)


# ------------------------------------------------------------------ what a source asks about its lines (SQL)


def unfixed_returns(source: str, province: str) -> Subquery:
    """The source's payments the bank returned whose account is not fixed yet — (source_ref, person_id, account_enc)
    of each — as a small subquery: the source compares the account it would pay into now with the refused one. One
    set per statement (the few lines returned, through the (province, status) index), never a lookup per line."""
    return (select(PayoutLine.source_ref, PayoutLine.person_id, PayoutLine.account_enc)
            .where(PayoutLine.province == province, PayoutLine.status == LineState.RETURNED.value,
                   PayoutLine.source == source).subquery("unfixed_returns"))


def returns_of(*, session: Session, source: str, refs: list[int]) -> dict[int, ReturnSummary]:
    """The latest return of each source record that has one: what its receiver sees beside the month."""
    if not refs:
        return {}
    rows = session.execute(select(PayoutLine.source_ref, PayoutLine.status, PayoutReturn.reason, PayoutReturn.returned_at)
                           .join(PayoutReturn, PayoutReturn.line_id == PayoutLine.id)
                           .where(PayoutLine.source == source, PayoutLine.source_ref.in_(refs))
                           .order_by(PayoutLine.attempt)).all()
    found = {}
    for ref, status, reason, at in rows:
        zh, en = rules.name_of(rules.RETURN_REASONS, reason)
        found[int(ref)] = ReturnSummary(reason=reason, reason_zh=zh, reason_en=en, returned_at=at, status=status)
    return found


# ------------------------------------------------------------------ batches: read, prepare, approve, the file


def _require_acting_staff(principal: Principal) -> None:
    principal.require_role(Role.STAFF, Role.ADMIN)


def _serves_batch(principal: Principal, batch: PayoutBatch) -> bool:
    if principal.role == Role.BANK:
        return principal.bank_code is not None and principal.bank_code == batch.bank_code \
            and batch.status == BatchState.RELEASED.value
    return principal.serves(batch.province)


def _batch_in_scope(session: Session, principal: Principal, batch_id: int, *, lock: bool = False) -> PayoutBatch:
    """The batch, if the principal may handle it: staff whose region serves its province, the whole country's roles,
    a bank its own released batches. One answer otherwise, whether or not the batch exists."""
    query = select(PayoutBatch).where(PayoutBatch.id == batch_id)
    batch = session.scalar(query.with_for_update() if lock else query)
    if batch is None or not _serves_batch(principal, batch):
        raise not_in_scope(*BATCH_NAMES)
    return batch


def _batch_read(session: Session, batch: PayoutBatch) -> PayoutBatchRead:
    lines, total, returned, returned_fen = session.execute(select(
        func.count(), func.coalesce(func.sum(PayoutLine.amount_fen), 0),
        func.count(case((PayoutLine.status.in_([s.value for s in rules.RETURNED_LINE_STATES]), 1))),
        func.coalesce(func.sum(case((PayoutLine.status.in_([s.value for s in rules.RETURNED_LINE_STATES]),
                                     PayoutLine.amount_fen), else_=0)), 0))
        .where(PayoutLine.batch_id == batch.id)).one()
    return PayoutBatchRead(
        id=batch.id, province=batch.province, period=batch.period, source=batch.source,
        source_name=rules.name_of(rules.SOURCE_NAMES, batch.source)[0], bank_code=batch.bank_code, seq=batch.seq,
        status=batch.status, status_name=rules.name_of(rules.BATCH_STATE_NAMES, batch.status)[0], lines=int(lines),
        total_fen=int(total), returned_lines=int(returned), returned_fen=int(returned_fen), prepared_by=batch.prepared_by,
        prepared_at=batch.prepared_at, approved_by=batch.approved_by, approved_at=batch.approved_at)


def batch_of(*, session: Session, principal: Principal, batch_id: int) -> PayoutBatchRead:
    return _batch_read(session, _batch_in_scope(session, principal, batch_id))


def batches(*, session: Session, principal: Principal, province: str, period: str | None = None,
            status: str | None = None, limit: int = 200) -> list[PayoutBatchRead]:
    """A province's batches, newest month first: staff whose region serves the province; a bank its own released ones."""
    if not is_province(province):
        raise InvalidInput("payout.province", f"「{province}」不是省级区划代码", f"{province} is not a province code")
    query = select(PayoutBatch).where(PayoutBatch.province == province)
    if principal.role == Role.BANK:
        query = query.where(PayoutBatch.bank_code == (principal.bank_code or ""),
                            PayoutBatch.status == BatchState.RELEASED.value)
    else:
        principal.require_region(province)
    if period is not None:
        query = query.where(PayoutBatch.period == str(Period.parse(period)))
    if status is not None:
        if status not in {s.value for s in BatchState}:
            raise InvalidInput("payout.status", f"批次状态应为{'、'.join(f'「{s.value}」（{n[0]}）' for s, n in rules.BATCH_STATE_NAMES.items())}之一",
                               f"a batch's status is one of {', '.join(s.value for s in BatchState)}")
        query = query.where(PayoutBatch.status == status)
    found = session.scalars(query.order_by(PayoutBatch.period.desc(), PayoutBatch.bank_code, PayoutBatch.source,
                                           PayoutBatch.seq).limit(limit)).all()
    return [_batch_read(session, batch) for batch in found]


def _count_and_total(session: Session, batch_id: int) -> tuple[int, int]:
    count, total = session.execute(select(func.count(), func.coalesce(func.sum(PayoutLine.amount_fen), 0))
                                   .where(PayoutLine.batch_id == batch_id)).one()
    return int(count), int(total)


def prepare_batch(*, session: Session, principal: Principal, batch_id: int, now: datetime) -> PayoutBatchRead:
    """The maker closes an open batch for approval: no line is added to it any more, its lines and total are
    recorded as prepared, and a second person approves it."""
    _require_acting_staff(principal)
    batch = _batch_in_scope(session, principal, batch_id, lock=True)
    target = rules.next_state(batch.status, BatchMove.PREPARE)
    count, total = _count_and_total(session, batch.id)
    batch.status, batch.line_count, batch.total_fen = target.value, count, total
    batch.prepared_by, batch.prepared_at = principal.actor, utc_naive(now)
    session.flush()
    audit.append(session, actor=principal.actor, action="payout.prepared", subject=f"payout_batch:{batch.id}", now=now,
                 province=batch.province, period=batch.period, bank=batch.bank_code, source=batch.source, lines=count,
                 total_fen=total)
    return _batch_read(session, batch)


def approve_batch(*, session: Session, principal: Principal, batch_id: int, now: datetime) -> PayoutBatchRead:
    """A second person approves a prepared batch and releases it: its total leaves cash (transit → cash), its lines
    are sent, and its bank file may be produced. Never the maker; never a reading role; only within one's scope."""
    _require_acting_staff(principal)
    batch = _batch_in_scope(session, principal, batch_id, lock=True)
    target = rules.next_state(batch.status, BatchMove.APPROVE)
    rules.check_checker(maker=batch.prepared_by, checker=principal.actor)
    count, total = _count_and_total(session, batch.id)
    rules.check_unchanged(prepared=(batch.line_count or 0, batch.total_fen or 0), now=(count, total))
    month = str(Period.of(china_today(now)))
    posted = ledger.post_entry(
        session=session, key=f"payout-release:{batch.id}", province=batch.province, period=month, kind="payout_released",
        memo=f"复核放款 released to {batch.bank_code}: batch {batch.id} ({batch.period})", actor=principal.actor, now=now,
        lines=[Line(_transit(session, batch.province, now), total), Line(_cash(session, batch.province, now), -total)])
    session.execute(update(PayoutLine).where(PayoutLine.batch_id == batch.id, PayoutLine.status == LineState.PENDING.value)
                    .values(status=LineState.SENT.value).execution_options(synchronize_session=False))
    batch.status, batch.approved_by, batch.approved_at = target.value, principal.actor, utc_naive(now)
    batch.release_entry_id = posted.id
    session.flush()
    audit.append(session, actor=principal.actor, action="payout.released", subject=f"payout_batch:{batch.id}", now=now,
                 province=batch.province, period=batch.period, bank=batch.bank_code, source=batch.source, lines=count,
                 total_fen=total, maker=batch.prepared_by, checker=principal.actor, entry=posted.id)
    return _batch_read(session, batch)


BANK_FILE_COLUMNS = ("reference", "bank_account", "account_name", "amount_fen", "card_number", "memo")


def bank_file(*, session: Session, cipher: FieldCipher, principal: Principal, batch_id: int, now: datetime) -> str:
    """The bank's payment instructions for a released batch, as CSV: each line's reference (which a return names),
    the account, the holder's name, the amount, the card. Only once released; accounts are decrypted only here,
    and every reading is audited."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.BANK)
    batch = _batch_in_scope(session, principal, batch_id)
    if batch.status != BatchState.RELEASED.value:
        state_zh, state_en = rules.name_of(rules.BATCH_STATE_NAMES, batch.status)
        raise Conflict("payout.not_released", f"批次状态为“{state_zh}”，复核放款后才能生成银行文件",
                       f"the batch is {state_en}; its bank file is produced only once it is approved and released")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BANK_FILE_COLUMNS)
    for line in session.scalars(select(PayoutLine).where(PayoutLine.batch_id == batch.id).order_by(PayoutLine.id)):
        writer.writerow([rules.line_reference(line.id), cipher.decrypt("bank_account", line.account_enc), line.receiver_name,
                         line.amount_fen, line.card_number or "", line.memo])
    audit.append(session, actor=principal.actor, action="payout.file_read", subject=f"payout_batch:{batch.id}", now=now,
                 bank=batch.bank_code)
    return out.getvalue()


# ------------------------------------------------------------------ the bank's return file


@dataclass(frozen=True)
class ImportedReturns:
    read: BankReturnImportRead
    returned: dict[str, list[int]]  # source -> the source records returned now (none when the file was seen before)


def import_returns(*, session: Session, principal: Principal, province: str, file_name: str, csv_text: str,
                   now: datetime) -> ImportedReturns:
    """The bank's return file for a province: every row names a line this province sent and released, once, with
    the bank's reason and the amount sent; all rows are taken or none. Each batch touched gets one entry (cash back,
    the payables owed again) and each line is marked returned with its reason. The same file again changes nothing."""
    _require_acting_staff(principal)
    if not is_province(province):
        raise InvalidInput("payout.province", f"「{province}」不是省级区划代码", f"{province} is not a province code")
    principal.require_region(province)
    if not 1 <= len(file_name.strip()) <= 200:
        raise InvalidInput("payout.file_name", "请写明退票文件名（1 至 200 个字符）", "name the return file (1 to 200 characters)")
    parsed, rejected = rules.parse_return_rows(rules.read_return_csv(csv_text))
    digest = rules.return_file_digest(parsed)
    seen = None if rejected else session.scalar(select(PayoutReturnFile).where(
        PayoutReturnFile.province == province, PayoutReturnFile.digest == digest))
    if seen is not None:  # the same file again: what it did the first time, and nothing more
        return ImportedReturns(_file_read(session, seen, already=True), {})
    found = _lines_named(session, province, [row.line_id for row in parsed])
    rejected += [problem for row in parsed if (problem := rules.check_return_row(row, found.get(row.line_id)))]
    rules.refuse_rejected(rejected)
    file = PayoutReturnFile(province=province, digest=digest, file_name=file_name.strip(), lines=len(parsed),
                            total_fen=sum(row.amount_fen for row in parsed), imported_by=principal.actor,
                            imported_at=utc_naive(now))
    session.add(file)
    session.flush()
    by_batch: dict[int, list[rules.ReturnRow]] = defaultdict(list)
    for row in parsed:
        by_batch[found[row.line_id].batch_id].append(row)
    cash = _cash(session, province, now)
    month = str(Period.of(china_today(now)))
    for batch_id, rows in sorted(by_batch.items()):
        owed: Counter[int] = Counter()
        for row in rows:
            owed[found[row.line_id].payable_account_id] += row.amount_fen

        def lines_for(entry_id: int, rows: list = rows, owed: Counter = owed) -> list[Line]:
            session.execute(insert(PayoutReturn), [{"file_id": file.id, "line_id": row.line_id, "reason": row.reason.value,
                                                    "amount_fen": row.amount_fen, "entry_id": entry_id,
                                                    "returned_at": utc_naive(now)} for row in rows])
            return [Line(cash, sum(owed.values()))] + [Line(account, -fen) for account, fen in sorted(owed.items())]

        ledger.post_entry_for(session=session, key=f"payout-return:{file.id}:{batch_id}", province=province, period=month,
                              kind="payout_returned", memo=f"银行退回 returned by the bank: batch {batch_id}, file {file.id}",
                              actor=principal.actor, now=now, lines_for=lines_for)
    returned = select(PayoutReturn.line_id).where(PayoutReturn.file_id == file.id)
    session.execute(update(PayoutLine).where(PayoutLine.id.in_(returned)).values(status=LineState.RETURNED.value)
                    .execution_options(synchronize_session=False))
    by_source: dict[str, list[int]] = defaultdict(list)
    for row in parsed:
        by_source[found[row.line_id].source].append(found[row.line_id].source_ref)
    read = _file_read(session, file, already=False)
    audit.append(session, actor=principal.actor, action="payout.returns_imported", subject=f"payout_return_file:{file.id}",
                 now=now, province=province, file_name=file_name.strip(), lines=file.lines, total_fen=file.total_fen,
                 by_reason=read.by_reason)
    return ImportedReturns(read, dict(by_source))


@dataclass(frozen=True)
class _Named(rules.LineFound):
    batch_id: int = 0
    payable_account_id: int = 0
    source: str = ""
    source_ref: int = 0


def _lines_named(session: Session, province: str, line_ids: list[int]) -> dict[int, _Named]:
    found = {}
    for start in range(0, len(line_ids), LOOKUP_CHUNK):
        chunk = line_ids[start:start + LOOKUP_CHUNK]
        rows = session.execute(
            select(PayoutLine.id, PayoutBatch.status, PayoutLine.status, PayoutLine.amount_fen, PayoutReturn.file_id,
                   PayoutLine.batch_id, PayoutLine.payable_account_id, PayoutLine.source, PayoutLine.source_ref)
            .join(PayoutBatch, PayoutBatch.id == PayoutLine.batch_id)
            .outerjoin(PayoutReturn, PayoutReturn.line_id == PayoutLine.id)
            .where(PayoutLine.id.in_(chunk), PayoutLine.province == province)).all()
        for line_id, batch_state, line_state, amount, file_id, batch_id, payable, source, ref in rows:
            found[int(line_id)] = _Named(int(line_id), batch_state, line_state, int(amount), file_id, int(batch_id),
                                         int(payable), source, int(ref))
    return found


def _file_read(session: Session, file: PayoutReturnFile, *, already: bool) -> BankReturnImportRead:
    reasons = dict(session.execute(select(PayoutReturn.reason, func.count()).where(PayoutReturn.file_id == file.id)
                                   .group_by(PayoutReturn.reason)).all())
    return BankReturnImportRead(file_id=file.id, file_name=file.file_name, already_imported=already, lines=file.lines,
                                total_fen=file.total_fen, by_reason={k: int(v) for k, v in sorted(reasons.items())})


# ------------------------------------------------------------------ returned lines: the list, the account fixed

OPEN_RETURNS = (LineState.RETURNED.value, LineState.FIXED.value)


def _returned_query() -> Select:
    return (select(PayoutLine, PayoutReturn, PayoutBatch.period)
            .join(PayoutReturn, PayoutReturn.line_id == PayoutLine.id)
            .join(PayoutBatch, PayoutBatch.id == PayoutLine.batch_id))


def _returned_read(line: PayoutLine, returned: PayoutReturn, period: str) -> ReturnedLineRead:
    zh, en = rules.name_of(rules.RETURN_REASONS, returned.reason)
    return ReturnedLineRead(
        line_id=line.id, reference=rules.line_reference(line.id), province=line.province, batch_id=line.batch_id, period=period, source=line.source,
        source_ref=line.source_ref, person_id=line.person_id, employer_id=line.employer_id, receiver_name=line.receiver_name,
        region_code=line.region_code, bank_code=line.bank_code, card_number=line.card_number, amount_fen=line.amount_fen,
        memo=line.memo, reason=returned.reason, reason_zh=zh, reason_en=en, returned_at=returned.returned_at,
        return_file_id=returned.file_id, status=line.status, fixed_by=line.fixed_by, fixed_at=line.fixed_at)


def returned_lines(*, session: Session, principal: Principal, province: str | None = None, status: str | None = None,
                   source: str | None = None, limit: int = 200, offset: int = 0) -> list[ReturnedLineRead]:
    """Lines the bank returned, within what the principal handles (confined in SQL to receivers of their region):
    by default those still to be paid again (returned, awaiting the account's fix, or fixed)."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    query = _returned_query()
    if principal.role == Role.STAFF:
        query = query.where(PayoutLine.region_code.startswith(region_prefix(principal.region_code or "-"), autoescape=True))
    if province is not None:
        if not is_province(province):
            raise InvalidInput("payout.province", f"「{province}」不是省级区划代码", f"{province} is not a province code")
        query = query.where(PayoutLine.province == province)
    if status is None:
        query = query.where(PayoutLine.status.in_(OPEN_RETURNS))
    elif status in {s.value for s in rules.RETURNED_LINE_STATES}:
        query = query.where(PayoutLine.status == status)
    else:
        names = "、".join(f"「{s.value}」（{rules.LINE_STATE_NAMES[s][0]}）" for s in rules.RETURNED_LINE_STATES)
        raise InvalidInput("payout.status", f"退回付款的状态应为{names}之一",
                           f"a returned line's status is one of {', '.join(s.value for s in rules.RETURNED_LINE_STATES)}")
    if source is not None:
        query = query.where(PayoutLine.source == source)
    rows = session.execute(query.order_by(PayoutReturn.id.desc()).limit(limit).offset(offset)).all()
    return [_returned_read(line, returned, period) for line, returned, period in rows]


def mark_account_fixed(*, session: Session, principal: Principal, line_id: int, command: AccountFix,
                       now: datetime) -> ReturnedLineRead:
    """Staff record that a returned line's account is fixed (the bank unfroze the card, the name was corrected, …):
    the source pays it again — a payroll month at once, into the open batch of this month."""
    _require_acting_staff(principal)
    line = session.scalar(select(PayoutLine).where(PayoutLine.id == line_id).with_for_update())
    if line is None or not principal.serves(line.region_code):
        raise not_in_scope(*LINE_NAMES)
    if line.status != LineState.RETURNED.value:
        zh, en = rules.name_of(rules.LINE_STATE_NAMES, line.status)
        raise Conflict("payout.not_awaiting_fix", f"这笔付款状态为“{zh}”，不是等待更正账户的退回付款",
                       f"this payment is {en}, not a returned one awaiting its account's fix", status=line.status)
    line.status, line.fixed_by, line.fixed_at = LineState.FIXED.value, principal.actor, utc_naive(now)
    session.flush()
    audit.append(session, actor=principal.actor, action="payout.account_fixed", subject=f"payout_line:{line.id}", now=now,
                 source=line.source, source_ref=line.source_ref, note=command.note)
    return _returned_read(*session.execute(_returned_query().where(PayoutLine.id == line.id)).one())


def returned_line(*, session: Session, principal: Principal, line_id: int) -> ReturnedLineRead:
    row = session.execute(_returned_query().where(PayoutLine.id == line_id)).first()
    if row is None or not principal.serves(row[0].region_code):
        raise not_in_scope(*LINE_NAMES)
    return _returned_read(*row)


# ------------------------------------------------------------------ reconciliation per bank and month


def reconcile(*, session: Session, principal: Principal, province: str, period: str,
              bank_code: str | None = None) -> ReconciliationRead:
    """Each bank's month: lines added, sent, returned, paid (sent and not returned) and awaiting release, in counts
    and fen — and the same figures read from the ledger's lines of the entries that moved them (transit, cash), which
    must agree; and the province's transit account against every line still awaiting release."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    if not is_province(province):
        raise InvalidInput("payout.province", f"「{province}」不是省级区划代码", f"{province} is not a province code")
    principal.require_region(province)
    month = str(Period.parse(period))
    query = select(PayoutBatch).where(PayoutBatch.province == province, PayoutBatch.period == month)
    if bank_code is not None:
        query = query.where(PayoutBatch.bank_code == bank_code)
    found = session.scalars(query.order_by(PayoutBatch.bank_code, PayoutBatch.source, PayoutBatch.seq)).all()
    transit = ledger.find_account(session=session, account=chart.province_account(AccountKind.PAYOUT_TRANSIT, province=province))
    cash = ledger.find_account(session=session, account=chart.province_account(AccountKind.CASH, province=province))
    banks = []
    for bank in sorted({batch.bank_code for batch in found}):
        mine = [batch for batch in found if batch.bank_code == bank]
        banks.append(_reconcile_bank(session, bank, mine, transit, cash))
    unreleased = int(session.scalar(select(func.coalesce(func.sum(PayoutLine.amount_fen), 0)).where(
        PayoutLine.province == province, PayoutLine.status == LineState.PENDING.value)))
    transit_balance = -ledger.balance(session=session, account_id=transit) if transit is not None else 0
    return ReconciliationRead(province=province, period=month, banks=banks, transit_balance_fen=transit_balance,
                              unreleased_fen=unreleased,
                              balanced=all(bank.balanced for bank in banks) and transit_balance == unreleased)


def _amount(session: Session, where: ColumnElement[bool]) -> PayoutAmountSummary:
    lines, fen = session.execute(select(func.count(), func.coalesce(func.sum(PayoutLine.amount_fen), 0)).where(where)).one()
    return PayoutAmountSummary(lines=int(lines), fen=int(fen))


def _reconcile_bank(session: Session, bank: str, found: list[PayoutBatch], transit: int | None,
                    cash: int | None) -> BankReconciliationSummary:
    ids = [batch.id for batch in found]
    of_batches = PayoutLine.batch_id.in_(ids)
    released = [s.value for s in rules.RELEASED_LINE_STATES]
    returned_states = [s.value for s in rules.RETURNED_LINE_STATES]
    lines = _amount(session, of_batches)
    sent = _amount(session, and_(of_batches, PayoutLine.status.in_(released)))
    returned = _amount(session, and_(of_batches, PayoutLine.status.in_(returned_states)))
    unreleased = _amount(session, and_(of_batches, PayoutLine.status == LineState.PENDING.value))
    added_entries = select(PayoutLine.add_entry_id).where(of_batches).distinct()
    release_entries = select(PayoutBatch.release_entry_id).where(PayoutBatch.id.in_(ids),
                                                                 PayoutBatch.release_entry_id.isnot(None))
    return_entries = (select(PayoutReturn.entry_id).join(PayoutLine, PayoutLine.id == PayoutReturn.line_id)
                      .where(of_batches).distinct())
    def moved(account: int | None, entries: Select) -> int:
        return ledger.movement(session=session, account_id=account, entries=entries) if account is not None else 0

    movements = LedgerMovementSummary(
        to_transit_fen=-moved(transit, added_entries), released_fen=-moved(cash, release_entries),
        transit_released_fen=moved(transit, release_entries), returned_fen=moved(cash, return_entries))
    differences = rules.reconcile(rules.Figures(
        lines_fen=lines.fen, sent_fen=sent.fen, returned_fen=returned.fen, unreleased_fen=unreleased.fen,
        ledger_to_transit_fen=movements.to_transit_fen, ledger_released_fen=movements.released_fen,
        ledger_transit_released_fen=movements.transit_released_fen, ledger_returned_fen=movements.returned_fen))
    return BankReconciliationSummary(
        bank_code=bank, batches=[_batch_read(session, batch) for batch in found], lines=lines, sent=sent, returned=returned,
        paid=PayoutAmountSummary(lines=sent.lines - returned.lines, fen=sent.fen - returned.fen), unreleased=unreleased,
        ledger=movements, balanced=not differences, differences=differences)


