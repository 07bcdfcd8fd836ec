"""Set-based posting: the one way a batch writes the journal, many balanced entries at once.

A batch names its entries as SQL: a SELECT of (key, memo), one row per entry, and line sets — a line
per row of a SELECT, each with its entry's key, an account named by its owner (`ledger.chart`) and
an amount in fen. Inside the caller's transaction (one chunk) the ledger then
  1. refuses the chunk if the province's period is closed — checked for every chunk, not once per run;
  2. opens the accounts the lines name that do not exist yet, set-based;
  3. writes the entries whose keys are new: a key already posted is skipped, so a rerun posts nothing twice;
  4. writes their lines by INSERT … SELECT, leaving out lines of zero fen (they say nothing);
  5. checks in SQL that each new entry has at least two lines and sums to zero, and raises otherwise, so
     that the caller's transaction takes the whole chunk back.
Single entries built in Python go through `service.post_entry`, which checks its lines before writing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Select, any_, case, cast, exists, func, insert, literal, or_, select, true, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from shebao.core.clock import utc_naive
from shebao.core.errors import InvalidInput
from shebao.core.periods import Period
from shebao.core.sql import insert_ignoring_duplicates
from shebao.ledger import service
from shebao.ledger.chart import Account, is_sql
from shebao.ledger.models import JournalEntry, JournalLine, LedgerAccount

MEMO_LENGTH = 200


@dataclass(frozen=True)
class Lines:
    """A journal line per row of `rows`: `amount` fen (debit > 0, credit < 0) to `account`, in the entry keyed
    `key`. `rows` gives the FROM, WHERE and GROUP BY (its own columns are not used); `key` and `amount` are SQL
    over those rows. The account is named by its owner (`ledger.chart`) or is an open account's id. Accounts
    named per row are opened where they are missing, unless `opens_accounts` is false: then a line to a missing
    one leaves its entry unbalanced and the chunk is refused (a payroll draws on personal accounts, never opens one)."""

    rows: Select
    key: ColumnElement[str]
    account: Account | ColumnElement[int] | int
    amount: ColumnElement[int] | int
    opens_accounts: bool = True


def post_entries(*, session: Session, province: str, period: str, kind: str, entries: Select, lines: Sequence[Lines],
                 actor: str, now: datetime, skip_empty: bool = False) -> int:
    """Posts the entries `entries` names — a SELECT of (key, memo), one row per entry, and optionally a third
    column, the month (YYYYMM) the entry's money is for (NULL: `period`) — with their `lines`, in
    the caller's transaction; refuses the whole chunk if the period is closed or an entry does not balance.
    Returns the number of entries posted now (those posted before are left as they are). With `skip_empty`, an
    entry whose lines are all zero is not written at all (a corrected bill whose amounts moved nothing)."""
    Period.parse(period)
    service.refuse_closed(session, province, period)
    headers = entries.subquery("entries")
    key, memo, *for_period = list(headers.c)[:3]  # a third column, if any: the month the entry's money is for
    sources = [_with_account_ids(session, line_set, now) for line_set in lines]
    wanted = true()
    if skip_empty:
        moving = union_all(*sources).subquery("moving")
        wanted = key.in_(select(moving.c.key).where(moving.c.amount_fen != 0))
    posted = session.execute(insert_ignoring_duplicates(session, JournalEntry.__table__).from_select(
        ["idempotency_key", "province", "period", "kind", "memo", "posted_by", "posted_at"] + ["for_period"] * len(for_period),
        select(key, literal(province), literal(period), literal(kind), func.substr(memo, 1, MEMO_LENGTH), literal(actor),
               literal(utc_naive(now)), *for_period).where(wanted),  # SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT
    ).returning(JournalEntry.__table__.c.id)).scalars().all()
    if not posted:
        return 0
    posted_now = _posted_now(session, posted)
    _write_lines(session, sources, posted_now(JournalEntry.id))
    _refuse_unbalanced(session, posted_now, len(posted))
    return len(posted)


def entry_id(key: ColumnElement[str]) -> ColumnElement[int]:
    """The id of the entry posted under a key, as SQL (a scalar subquery): for a batch that records, beside its
    own rows, the entry that posted them (a bill's distribution entry)."""
    return select(JournalEntry.id).where(JournalEntry.idempotency_key == key).scalar_subquery()


def _with_account_ids(session: Session, line_set: Lines, now: datetime) -> Select:
    """The line set as (key, account_id, amount_fen) rows, its accounts opened first where they are missing."""
    account = line_set.account
    if isinstance(account, Account) and account.per_row:
        if line_set.opens_accounts:
            _open_accounts(session, line_set.rows, account, now)
        rows = line_set.rows.with_only_columns(line_set.key.label("key"), account.code.label("code"),
                                               _fen(line_set.amount).label("amount_fen"), maintain_column_froms=True)
        named = rows.subquery()
        return (select(named.c.key, LedgerAccount.id.label("account_id"), named.c.amount_fen)
                .join(LedgerAccount, LedgerAccount.code == named.c.code))
    if isinstance(account, Account):
        account = service.account_id(session=session, account=account, now=now)
    account_id = account if is_sql(account) else literal(account, BigInteger)
    return line_set.rows.with_only_columns(line_set.key.label("key"), account_id.label("account_id"),
                                           _fen(line_set.amount).label("amount_fen"), maintain_column_froms=True)


def _fen(amount: ColumnElement[int] | int) -> ColumnElement[int]:
    # PostgreSQL sums bigints as numeric: cast back, so that lines are whole fen on both databases.
    return cast(amount, BigInteger) if is_sql(amount) else literal(amount, BigInteger)


def _open_accounts(session: Session, rows: Select, account: Account, now: datetime) -> None:
    def value(owner):  # noqa: ANN001, ANN202 - an SQL expression or a plain value
        return owner if is_sql(owner) else literal(owner, BigInteger)

    # Only the missing ones: an existing account is not offered again (PostgreSQL would spend an id on each).
    # Each once (DISTINCT), which also makes the database find every missing account before it opens the first:
    # the DISTINCT reads all its input first. Otherwise PostgreSQL, planning on an accounts table that was empty
    # (a new database's first month-end), checked each row by scanning the table it was filling — quadratic, 16 s
    # for the 66,000 payers of 300,000 insured.
    owners = rows.with_only_columns(
        account.code, literal(account.kind.value), literal(account.province), literal(account.insurance),
        value(account.person_id), value(account.employer_id), literal(utc_naive(now)), maintain_column_froms=True,
    ).where(~exists().where(LedgerAccount.code == account.code)).distinct()
    session.execute(insert_ignoring_duplicates(session, LedgerAccount.__table__).from_select(
        ["code", "kind", "province", "insurance", "person_id", "employer_id", "opened_at"], owners))


def _posted_now(session: Session, posted: list[int]) -> Callable[[ColumnElement[int]], ColumnElement[bool]]:
    """A test that an entry id is one this call posted. On SQLite the range of the ids is exact: the transaction
    holds the database's one write lock, so no other entry can fall inside it. On PostgreSQL another transaction's
    entries may take ids in between, so the ids themselves are given (one array parameter)."""
    if session.get_bind().dialect.name == "postgresql":
        ids = literal(posted, ARRAY(BigInteger))
        return lambda column: column == any_(ids)
    first, last = min(posted), max(posted)
    return lambda column: column.between(first, last)


def _write_lines(session: Session, sources: list[Select], posted_now: ColumnElement[bool]) -> None:
    """Every line set's lines for the entries posted now, in one INSERT … SELECT. Each line finds its entry
    through the unique index on the key; the journal's lines are not read while they are written."""
    parts = []
    for source in sources:
        rows = source.subquery()
        parts.append(select(JournalEntry.id, rows.c.account_id, rows.c.amount_fen)
                     .join(JournalEntry, JournalEntry.idempotency_key == rows.c.key)
                     .where(posted_now, rows.c.amount_fen != 0))
    session.execute(insert(JournalLine).from_select(["entry_id", "account_id", "amount_fen"],
                                                    union_all(*parts) if len(parts) > 1 else parts[0]))


def _refuse_unbalanced(session: Session, posted_now: Callable[[ColumnElement[int]], ColumnElement[bool]],
                       count: int) -> None:
    """Each entry posted now has at least two lines and sums to zero, or the chunk is refused. One pass over the
    new lines, grouped by entry: how many entries have lines, and the first that is wrong."""
    per_entry = (select(JournalLine.entry_id, func.count().label("lines"), func.sum(JournalLine.amount_fen).label("total"))
                 .where(posted_now(JournalLine.entry_id)).group_by(JournalLine.entry_id).subquery())
    wrong = or_(per_entry.c.lines < 2, per_entry.c.total != 0)
    with_lines, first_wrong = session.execute(select(
        func.count(), func.min(case((wrong, per_entry.c.entry_id))))).one()
    if with_lines == count and first_wrong is None:
        return
    if first_wrong is None:  # an entry with no line at all
        first_wrong = session.scalar(select(JournalEntry.id).where(
            posted_now(JournalEntry.id), ~exists().where(JournalLine.entry_id == JournalEntry.id)).limit(1))
    key, lines, total = session.execute(
        select(JournalEntry.idempotency_key, func.count(JournalLine.id), func.coalesce(func.sum(JournalLine.amount_fen), 0))
        .outerjoin(JournalLine, JournalLine.entry_id == JournalEntry.id).where(JournalEntry.id == first_wrong)
        .group_by(JournalEntry.id, JournalEntry.idempotency_key)).one()
    if lines < 2:
        raise InvalidInput("entry.too_few_lines", f"分录「{key}」只有 {lines} 行，一笔分录至少有借贷两行，本批全部未记账",
                           f"entry {key} has {lines} lines, not a debit and a credit; nothing of this chunk is posted",
                           key=key, lines=lines)
    raise InvalidInput("entry.unbalanced", f"分录「{key}」借贷不平，相差 {int(total)} 分，本批全部未记账",
                       f"entry {key} does not balance: debits and credits differ by {int(total)} fen; nothing of this "
                       "chunk is posted", key=key, difference_fen=int(total))
