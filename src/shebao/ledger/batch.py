"""Year-end interest crediting of personal accounts, set-based and chunked by account; and the recomputation of a
year already credited, posted as corrections.

For year Y at the crediting rate r, under the rule in force in the province (pension.interest_method,
pension.crediting_within_year_rule, pension.interest_credit_month): the formula of ledger/rules.py (interest_fen,
weighted_credit) applied to the columns of an INSERT … SELECT — by default the national monthly products, opening
balance × r + each credit × r × (12 − n + 1) / 12 for the month n it is for, rounded half up to the fen per account.
Each account's figures are kept in interest_credits; each chunk of accounts is one balanced entry (debit the
province's interest account, credit each personal account), keyed so a rerun adds nothing.

Where a line stands in time: a credit in the year it was posted (money paid in 2024 for a month of 2023 enters
2024's credits and counts from January: `rules.credit_month`); interest — the year's own and every correction of
it — at the December of the year it is for (`journal_entries.for_period`), so that a correction posted years later
is in every later year's opening balance, as if the year had been credited right.
"""

from __future__ import annotations

import json
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
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database
from shebao.core.errors import Conflict, InvalidInput
from shebao.core.periods import Period
from shebao.core.runs import BatchRun, BatchRunRead, record_provisional
from shebao.core.sql import insert_ignoring_duplicates, rate_numerator
from shebao.ledger import posting, rules
from shebao.ledger import service as ledger
from shebao.ledger.models import (
    ClosedPeriod,
    InterestCorrection,
    InterestCredit,
    JournalEntry,
    JournalLine,
    LedgerAccount,
)
from shebao.ledger.rules import AccountKind, CreditMonth, InterestRule
from shebao.policy.store import ParameterStore, default_store
from shebao.registry.rules import region_level

Progress = Callable[[str, int, int], None]
ACCOUNT_CHUNK = 100_000


def credit_interest(*, database: Database, province: str, year: int, now: datetime, actor: str,
                    store: ParameterStore | None = None, progress: Progress | None = None,
                    chunk: int = ACCOUNT_CHUNK) -> BatchRunRead:
    """Credits a year's interest to every personal account of a province; safe to run again. A year already
    credited keeps what it was credited, whatever the rule says now: `recompute_interest` corrects it."""
    period = _check(database, province, year, now)
    rule, rate, provisional = _year_rule(province, year, store)
    progress = progress or (lambda _stage, _done, _total: None)
    started = time.perf_counter()
    with database.transaction() as session:
        interest_account = ledger.open_account(session=session, kind=AccountKind.INTEREST, province=province, now=now).id
        chunks = _chunks(session, province, chunk)
    for done, start in enumerate(chunks, start=1):
        with database.transaction() as session:
            # A chunk whose entry exists was credited by an earlier run: computing it again would add credits for
            # accounts opened since, which its entry (posted once, by key) would never carry. Those are found by
            # `interest recompute`, which compares with what the journal holds.
            posted = select(JournalEntry.id).where(JournalEntry.idempotency_key == _credit_key(province, year, start))
            if session.scalar(posted) is None:
                _compute(session, province, year, rule, rate, start, start + chunk - 1)
                _post(session, province, year, period, interest_account, start, start + chunk - 1, actor, now)
        progress("interest", done, len(chunks))
    return _record_run(database, province, year, period, actor, now, started, provisional)


def year_rule(*, province: str, year: int, store: ParameterStore | None = None) -> tuple[InterestRule, int]:
    """The interest rule and the crediting rate (millionths) in force for a province's year, read at its end."""
    rule, rate, _provisional = _year_rule(province, year, store)
    return rule, rate


def _year_rule(province: str, year: int, store: ParameterStore | None) -> tuple[InterestRule, int, list[str]]:
    params = (store or default_store()).at(province, date(year, 12, 31))
    rule = rules.interest_rule(params.value("pension.interest_method"), params.value("pension.crediting_within_year_rule"),
                               params.value("pension.interest_credit_month"))
    return rule, rate_numerator(params.value("pension.crediting_rate")), params.provisional_paths()


def _chunks(session: Session, province: str, chunk: int) -> range:
    low, high = session.execute(select(func.min(LedgerAccount.id), func.max(LedgerAccount.id)).where(
        LedgerAccount.kind == AccountKind.PERSONAL_ACCOUNT.value, LedgerAccount.province == province)).one()
    return range(low, high + 1, chunk) if low is not None else range(0)


def _check(database: Database, province: str, year: int, now: datetime) -> str:
    _check_year(province, year, now)
    period = f"{year}12"
    with database.unit_of_work() as uow:
        if uow.session.get(ClosedPeriod, (province, period)) is not None:
            raise Conflict("period.closed", f"{province} 的 {period} 期已结账，年度计息须在结账前完成",
                           f"period {period} of {province} is closed; credit the year's interest before closing December")
    return period


def _check_year(province: str, year: int, now: datetime) -> None:
    if region_level(province) != 1:
        raise InvalidInput("interest.province", f"「{province}」不是省级区划代码", f"{province} is not a province code")
    if not 1998 <= year < china_today(now).year:
        raise InvalidInput("interest.year", f"{year} 年尚未结束或不在个人账户时期内",
                           f"{year} is not a finished year of the personal-account era")


INTEREST = "interest"  # the kind of the year-end entries and of their corrections


def _figures(province: str, year: int, rule: InterestRule, low: int, high: int):  # noqa: ANN202 - a CTE
    """Each personal account's figures for the year, one row per account with a line up to the year's end:
    opening balance, the year's credits, the credits weighted by the rule, and the interest already posted for
    the year (its crediting and every correction of it)."""
    first, last = f"{year}01", f"{year}12"
    is_interest = JournalEntry.kind == INTEREST
    # Interest stands at the December of the year it is for; every other line in the month it was posted.
    stands = case((is_interest, func.coalesce(JournalEntry.for_period, JournalEntry.period)), else_=JournalEntry.period)
    in_year = and_(~is_interest, JournalEntry.period.between(first, last))
    counted_from = (func.coalesce(JournalEntry.for_period, JournalEntry.period)
                    if rule.credit_month == CreditMonth.CONTRIBUTION_MONTH else JournalEntry.period)
    month = rules.credit_month(rules.month_index(_number(func.substr(counted_from, 1, 4)),
                                                 _number(func.substr(counted_from, 5, 2))), year)
    credited = -JournalLine.amount_fen
    return (
        select(JournalLine.account_id.label("account_id"),
               func.sum(case((stands < first, credited), else_=0)).label("opening"),
               func.sum(case((in_year, credited), else_=0)).label("contributions"),
               func.sum(case((in_year, rules.weighted_credit(credited, month, rule)), else_=0)).label("weighted"),
               func.sum(case((and_(is_interest, stands == last), credited), else_=0)).label("interest_posted"))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(LedgerAccount.kind == AccountKind.PERSONAL_ACCOUNT.value, LedgerAccount.province == province,
               LedgerAccount.id.between(low, high),
               or_(JournalEntry.period <= last, and_(is_interest, JournalEntry.for_period <= last)))
        .group_by(JournalLine.account_id).cte("figures").prefix_with("MATERIALIZED")
    )


def _number(text: ColumnElement[str]) -> ColumnElement[int]:
    return cast(text, Integer)


def _interest(figures, rule: InterestRule, rate: int) -> ColumnElement[int]:  # noqa: ANN001 - the figures CTE
    # PostgreSQL sums bigints as numeric: cast back, so that // is integer division on both databases.
    return rules.interest_fen(cast(figures.c.opening, BigInteger), cast(figures.c.weighted, BigInteger), rate, rule)


def _compute(session: Session, province: str, year: int, rule: InterestRule, rate: int, low: int, high: int) -> None:
    figures = _figures(province, year, rule, low, high)
    rows = select(literal(year), literal(province), figures.c.account_id, figures.c.opening, figures.c.contributions,
                  figures.c.weighted, literal(rate), _interest(figures, rule, rate), literal(rule.name)).where(true())
    session.execute(insert_ignoring_duplicates(session, InterestCredit.__table__).from_select(
        ["year", "province", "account_id", "opening_fen", "contributions_fen", "weighted_fen", "rate_millionths",
         "interest_fen", "rule"], rows))


def _credit_key(province: str, year: int, low: int) -> str:
    """The idempotency key of the crediting entry of the chunk of accounts from `low`."""
    return f"interest:{province}:{year}:{low}"


def _post(session: Session, province: str, year: int, period: str, interest_account: int, low: int, high: int,
          actor: str, now: datetime) -> None:
    """The chunk's one entry: debit the province's interest account, credit each personal account its interest."""
    credited = and_(InterestCredit.year == year, InterestCredit.province == province,
                    InterestCredit.account_id.between(low, high), InterestCredit.interest_fen > 0)
    key = literal(_credit_key(province, year, low))
    credits = select(InterestCredit.id).where(credited)
    posting.post_entries(
        session=session, province=province, period=period, kind=INTEREST, actor=actor, now=now,
        entries=select(key, literal(f"{year} 年度个人账户记账利息 interest")).where(credits.exists()),
        lines=[posting.Lines(credits, key, interest_account, func.sum(InterestCredit.interest_fen)),
               posting.Lines(credits, key, InterestCredit.account_id, -InterestCredit.interest_fen)])


def _record_run(database: Database, province: str, year: int, period: str, actor: str, now: datetime,
                started: float, provisional: list[str]) -> BatchRunRead:
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
        record_provisional(session, kind="interest", province=province, period=f"{year}12", paths=provisional, now=now)
        return BatchRunRead.model_validate(run, from_attributes=True)


# --- A year credited under another rule, recomputed --------------------------------------------------------------

RECOMPUTE = "interest_recompute"  # the kind of its runs


def recompute_interest(*, database: Database, province: str, year: int, now: datetime, actor: str,
                       store: ParameterStore | None = None, progress: Progress | None = None,
                       chunk: int = ACCOUNT_CHUNK) -> BatchRunRead:
    """Recomputes a year already credited under the rule in force now (the parameters read at the year's end, as
    `credit_interest` reads them) and posts each account's difference from what the year has posted — its
    crediting and every correction since — as a correction in the current open period, for the year's December.
    Positive differences are credited to the account, negative ones taken back; each is recorded in
    interest_corrections. Chunked by account, one entry and one transaction per chunk; a rerun finds no difference
    left and posts nothing. Later years' openings then include the correction: recompute them in turn."""
    _check_year(province, year, now)
    rule, rate = year_rule(province=province, year=year, store=store)
    period = str(Period.of(china_today(now)))
    progress = progress or (lambda _stage, _done, _total: None)
    started = time.perf_counter()
    with database.transaction() as session:
        credited = session.scalar(select(BatchRun.id).where(
            BatchRun.kind == INTEREST, BatchRun.province == province, BatchRun.period == f"{year}12",
            BatchRun.status == "done").limit(1))
        if credited is None:
            raise Conflict("interest.not_credited", f"{province} 的 {year} 年度利息尚未记账，请先执行年度计息",
                           f"the {year} interest of {province} was never credited: credit it first (interest credit)")
        ledger.refuse_closed(session, province, period)
        interest_account = ledger.open_account(session=session, kind=AccountKind.INTEREST, province=province, now=now).id
        chunks = _chunks(session, province, chunk)
        recomputation = 1 + session.scalar(select(func.coalesce(func.max(InterestCorrection.recomputation), 0)).where(
            InterestCorrection.province == province, InterestCorrection.year == year))
    for done, start in enumerate(chunks, start=1):
        key = f"interest-fix:{province}:{year}:{recomputation}:{start}"
        with database.transaction() as session:
            _differences(session, province, year, rule, rate, start, start + chunk - 1, recomputation, key, period, now)
            _post_differences(session, province, year, period, interest_account, key, actor, now)
        progress("recompute", done, len(chunks))
    return _record_recomputation(database, province, year, period, rule, recomputation, actor, now, started)


def _differences(session: Session, province: str, year: int, rule: InterestRule, rate: int, low: int, high: int,
                 recomputation: int, key: str, period: str, now: datetime) -> None:
    """interest_corrections for the chunk's accounts whose interest under the rule differs from what was posted."""
    figures = _figures(province, year, rule, low, high)
    computed = select(figures, _interest(figures, rule, rate).label("interest"),
                      cast(figures.c.interest_posted, BigInteger).label("posted")).subquery("computed")
    rows = select(literal(year), literal(province), computed.c.account_id, literal(recomputation), literal(key),
                  literal(period), literal(rule.name), computed.c.opening, computed.c.contributions, computed.c.weighted,
                  literal(rate), computed.c.interest, computed.c.posted, computed.c.interest - computed.c.posted,
                  literal(utc_naive(now))).where(computed.c.interest != computed.c.posted)
    session.execute(insert_ignoring_duplicates(session, InterestCorrection.__table__).from_select(
        ["year", "province", "account_id", "recomputation", "entry_key", "period", "rule", "opening_fen",
         "contributions_fen", "weighted_fen", "rate_millionths", "interest_fen", "credited_fen", "difference_fen",
         "corrected_at"], rows))


def _post_differences(session: Session, province: str, year: int, period: str, interest_account: int, key: str,
                      actor: str, now: datetime) -> None:
    """The chunk's one correction, for December of the year: each account its difference, the province's interest
    account the sum (no line where the differences cancel)."""
    corrected = select(InterestCorrection.id).where(InterestCorrection.entry_key == key)
    entry_key = literal(key)
    posting.post_entries(
        session=session, province=province, period=period, kind=INTEREST, actor=actor, now=now,
        entries=select(entry_key, literal(f"{year} 年度个人账户记账利息更正 interest recomputed"),
                       literal(f"{year}12")).where(corrected.exists()),
        lines=[posting.Lines(corrected, entry_key, interest_account, func.sum(InterestCorrection.difference_fen)),
               posting.Lines(corrected, entry_key, InterestCorrection.account_id, -InterestCorrection.difference_fen)])


def _record_recomputation(database: Database, province: str, year: int, period: str, rule: InterestRule,
                          recomputation: int, actor: str, now: datetime, started: float) -> BatchRunRead:
    mine = and_(InterestCorrection.province == province, InterestCorrection.year == year,
                InterestCorrection.recomputation == recomputation)
    with database.transaction() as session:
        accounts, total, raised = session.execute(select(
            func.count(), func.coalesce(func.sum(InterestCorrection.difference_fen), 0),
            func.coalesce(func.sum(case((InterestCorrection.difference_fen > 0, 1), else_=0)), 0)).where(mine)).one()
        entries = session.scalar(select(func.count(func.distinct(InterestCorrection.entry_key))).where(mine))
        detail = {"year": year, "posted_in": period, "recomputation": recomputation, "rule": rule.name,
                  "raised": int(raised), "lowered": int(accounts) - int(raised)}
        run = BatchRun(kind=RECOMPUTE, province=province, period=f"{year}12", status="done", chunks_total=0,
                       chunks_done=0, persons=accounts, bills=0, entries=entries, total_fen=int(total),
                       started_at=utc_naive(now), finished_at=utc_naive(now),
                       duration_ms=int((time.perf_counter() - started) * 1000), detail=json.dumps(detail))
        session.add(run)
        session.flush()
        audit.append(session, actor=actor, action="interest.recomputed", subject=f"run:{run.id}", now=now,
                     province=province, accounts=accounts, total_fen=int(total), **detail)
        return BatchRunRead.model_validate(run, from_attributes=True)
