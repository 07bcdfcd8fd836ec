"""Year-end interest crediting of personal accounts, set-based and chunked by account.

For year Y at the crediting rate r: interest = opening balance x r + sum over months m of the
contributions credited in month m x r x (12 - m) / 12, rounded half up to the fen per account — the formula
of ledger/rules.py (interest_fen, weighted_credit), applied here to the columns of an INSERT … SELECT.
Each account's figures are kept in interest_credits; each chunk of accounts is one balanced entry
(debit the province's interest account, credit each personal account), keyed so a rerun adds nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.orm import Session

from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database
from shebao.core.errors import Conflict, InvalidInput
from shebao.core.runs import BatchRun, BatchRunRead
from shebao.core.sql import insert_ignoring_duplicates, rate_numerator
from shebao.ledger import posting, rules
from shebao.ledger import service as ledger
from shebao.ledger.models import (
    ClosedPeriod,
    InterestCredit,
    JournalEntry,
    JournalLine,
    LedgerAccount,
)
from shebao.ledger.rules import AccountKind
from shebao.policy.store import ParameterStore, default_store
from shebao.registry.rules import region_level

Progress = Callable[[str, int, int], None]
ACCOUNT_CHUNK = 100_000


def credit_interest(*, database: Database, province: str, year: int, now: datetime, actor: str,
                    store: ParameterStore | None = None, progress: Progress | None = None,
                    chunk: int = ACCOUNT_CHUNK) -> BatchRunRead:
    """Credits a year's interest to every personal account of a province; safe to run again."""
    period = _check(database, province, year, now)
    params = (store or default_store()).at(province, date(year, 12, 31))
    if params.value("pension.crediting_within_year_rule") != rules.WITHIN_YEAR_RULE:
        raise InvalidInput("interest.rule", "不支持的计息规则", "unsupported crediting rule")
    rate = rate_numerator(params.value("pension.crediting_rate"))
    progress = progress or (lambda _stage, _done, _total: None)
    started = time.perf_counter()
    with database.transaction() as session:
        interest_account = ledger.open_account(session=session, kind=AccountKind.INTEREST, province=province, now=now).id
        low, high = session.execute(select(func.min(LedgerAccount.id), func.max(LedgerAccount.id)).where(
            LedgerAccount.kind == AccountKind.PERSONAL_ACCOUNT.value, LedgerAccount.province == province)).one()
    chunks = range(low, high + 1, chunk) if low is not None else range(0)
    for done, start in enumerate(chunks, start=1):
        with database.transaction() as session:
            _compute(session, province, year, rate, start, start + chunk - 1)
            _post(session, province, year, period, interest_account, start, start + chunk - 1, actor, now)
        progress("interest", done, len(chunks))
    return _record_run(database, province, year, period, actor, now, started)


def _check(database: Database, province: str, year: int, now: datetime) -> str:
    if region_level(province) != 1:
        raise InvalidInput("interest.province", f"「{province}」不是省级区划代码", f"{province} is not a province code")
    if not 1998 <= year < china_today(now).year:
        raise InvalidInput("interest.year", f"{year} 年尚未结束或不在个人账户时期内",
                           f"{year} is not a finished year of the personal-account era")
    period = f"{year}12"
    with database.unit_of_work() as uow:
        if uow.session.get(ClosedPeriod, (province, period)) is not None:
            raise Conflict("period.closed", f"{province} 的 {period} 期已结账，年度计息须在结账前完成",
                           f"period {period} of {province} is closed; credit the year's interest before closing December")
    return period


def _compute(session: Session, province: str, year: int, rate: int, low: int, high: int) -> None:
    month = cast(func.substr(JournalEntry.period, 5, 2), Integer)
    in_year = and_(JournalEntry.period >= f"{year}01", JournalEntry.period <= f"{year}12", JournalEntry.kind != "interest")
    credited = -JournalLine.amount_fen
    figures = (
        select(JournalLine.account_id.label("account_id"),
               func.sum(case((JournalEntry.period < f"{year}01", credited), else_=0)).label("opening"),
               func.sum(case((in_year, credited), else_=0)).label("contributions"),
               func.sum(case((in_year, rules.weighted_credit(credited, month)), else_=0)).label("weighted"))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(LedgerAccount.kind == AccountKind.PERSONAL_ACCOUNT.value, LedgerAccount.province == province,
               LedgerAccount.id.between(low, high), JournalEntry.period <= f"{year}12")
        .group_by(JournalLine.account_id).cte("figures").prefix_with("MATERIALIZED")
    )
    # PostgreSQL sums bigints as numeric: cast back, so that // is integer division on both databases.
    interest = rules.interest_fen(cast(figures.c.opening, BigInteger), cast(figures.c.weighted, BigInteger), rate)
    rows = select(literal(year), literal(province), figures.c.account_id, figures.c.opening, figures.c.contributions,
                  figures.c.weighted, literal(rate), interest).where(true())
    session.execute(insert_ignoring_duplicates(session, InterestCredit.__table__).from_select(
        ["year", "province", "account_id", "opening_fen", "contributions_fen", "weighted_fen", "rate_millionths",
         "interest_fen"], rows))


def _post(session: Session, province: str, year: int, period: str, interest_account: int, low: int, high: int,
          actor: str, now: datetime) -> None:
    """The chunk's one entry: debit the province's interest account, credit each personal account its interest."""
    credited = and_(InterestCredit.year == year, InterestCredit.province == province,
                    InterestCredit.account_id.between(low, high), InterestCredit.interest_fen > 0)
    key = literal(f"interest:{province}:{year}:{low}")
    credits = select(InterestCredit.id).where(credited)
    posting.post_entries(
        session=session, province=province, period=period, kind="interest", actor=actor, now=now,
        entries=select(key, literal(f"{year} 年度个人账户记账利息 interest")).where(credits.exists()),
        lines=[posting.Lines(credits, key, interest_account, func.sum(InterestCredit.interest_fen)),
               posting.Lines(credits, key, InterestCredit.account_id, -InterestCredit.interest_fen)])


def _record_run(database: Database, province: str, year: int, period: str, actor: str, now: datetime,
                started: float) -> BatchRunRead:
    with database.transaction() as session:
        accounts, total = session.execute(select(func.count(), func.coalesce(func.sum(InterestCredit.interest_fen), 0))
                                          .where(InterestCredit.year == year, InterestCredit.province == province)).one()
        run = BatchRun(kind="interest", province=province, period=period, status="done", chunks_total=0, chunks_done=0,
                       persons=accounts, bills=0, entries=0, total_fen=int(total), started_at=utc_naive(now),
                       finished_at=utc_naive(now), duration_ms=int((time.perf_counter() - started) * 1000), detail="{}")
        session.add(run)
        session.flush()
        audit.append(session, actor=actor, action="interest.credited", subject=f"run:{run.id}", now=now,
                     province=province, year=year, accounts=accounts, total_fen=int(total))
        return BatchRunRead.model_validate(run, from_attributes=True)
