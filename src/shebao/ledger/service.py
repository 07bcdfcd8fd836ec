"""Ledger use cases: open accounts, post and reverse entries, close periods, read balances.

Every movement of money is a balanced entry with an idempotency key. Entries and lines are never
updated or deleted (the database refuses it); a mistake is corrected by a reversing entry, and a
closed period takes no new entries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Integer, Select, case, cast, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from shebao.core import audit
from shebao.core.arithmetic import RATE_DENOMINATOR, rate_numerator
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, InvalidInput, NotFound, given_zh
from shebao.core.insurances import INSURANCE_NAMES
from shebao.core.periods import Period
from shebao.ledger.chart import Account, account_code
from shebao.ledger.models import ClosedPeriod, InterestCredit, JournalEntry, JournalLine, LedgerAccount
from shebao.ledger.rules import AccountKind, InterestRule, Line, check_lines, explain_interest, reversal_of
from shebao.ledger.schemas import InterestCalculate, InterestCalculationRead
from shebao.registry.rules import region_level


def open_account(*, session: Session, kind: AccountKind, province: str, now: datetime, insurance: str | None = None,
                 person_id: int | None = None, employer_id: int | None = None) -> LedgerAccount:
    """Gets the account of that kind and owner, opening it the first time it is needed."""
    code = account_code(kind, province=province, insurance=insurance, person_id=person_id, employer_id=employer_id)
    account = session.scalar(select(LedgerAccount).where(LedgerAccount.code == code))
    if account is None:
        account = LedgerAccount(code=code, kind=kind.value, province=province, insurance=insurance,
                                person_id=person_id, employer_id=employer_id, opened_at=utc_naive(now))
        session.add(account)
        session.flush()
    return account


def account_id(*, session: Session, account: Account, now: datetime) -> int:
    """The id of one account named by its owner (`ledger.chart`), opening it the first time it is needed."""
    return open_account(session=session, kind=account.kind, province=account.province, insurance=account.insurance,
                        person_id=account.person_id, employer_id=account.employer_id, now=now).id


def find_account(*, session: Session, account: Account) -> int | None:
    """The id of an account named by its owner, or None when it was never opened (a reading never opens one)."""
    code = account_code(account.kind, province=account.province, insurance=account.insurance,
                        person_id=account.person_id, employer_id=account.employer_id)
    return session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == code))


@dataclass(frozen=True)
class PostedEntry:
    id: int
    idempotency_key: str
    province: str
    period: str
    kind: str
    lines: tuple[Line, ...]


def post_entry(*, session: Session, key: str, province: str, period: str, kind: str, memo: str,
               lines: Sequence[Line], actor: str, now: datetime, reverses_entry_id: int | None = None,
               for_period: str | None = None) -> PostedEntry:
    """Posts one balanced entry. The same idempotency key twice is refused: nothing is posted twice.
    `for_period` is the month the money is for, when it is not the month posted (a make-up payment's month).
    (A batch of entries, or an entry with a line per person, goes through `posting.post_entries`.)"""
    check_lines(lines)
    _require_accounts(session, {line.account_id for line in lines})
    entry = _open_entry(session, key=key, province=province, period=period, kind=kind, memo=memo, actor=actor, now=now,
                        reverses_entry_id=reverses_entry_id, for_period=for_period)
    session.execute(insert(JournalLine), [{"entry_id": entry.id, "account_id": line.account_id,
                                           "amount_fen": line.amount_fen} for line in lines])
    return PostedEntry(entry.id, key, province, period, kind, tuple(lines))


def post_entry_for(*, session: Session, key: str, province: str, period: str, kind: str, memo: str, actor: str,
                   now: datetime, lines_for: Callable[[int], Sequence[Line]]) -> PostedEntry:
    """Posts an entry whose lines depend on its id: `lines_for(entry_id)` may first mark rows elsewhere with
    the id (payroll lines paid by this entry) and returns the lines. They are checked like any other: an
    unbalanced or empty result raises, and the caller's transaction takes the header back with it."""
    entry = _open_entry(session, key=key, province=province, period=period, kind=kind, memo=memo, actor=actor, now=now)
    lines = lines_for(entry.id)
    check_lines(lines)
    _require_accounts(session, {line.account_id for line in lines})
    session.execute(insert(JournalLine), [{"entry_id": entry.id, "account_id": line.account_id,
                                           "amount_fen": line.amount_fen} for line in lines])
    return PostedEntry(entry.id, key, province, period, kind, tuple(lines))


def _open_entry(session: Session, *, key: str, province: str, period: str, kind: str, memo: str, actor: str,
                now: datetime, reverses_entry_id: int | None = None, for_period: str | None = None) -> JournalEntry:
    """The entry's header, after the checks every entry passes: key, open period, not posted before."""
    if not key or len(key) > 128:
        raise InvalidInput("entry.key", "幂等键应为 1 至 128 个字符", "an idempotency key has 1 to 128 characters")
    Period.parse(period)
    if for_period is not None:
        Period.parse(for_period)
    refuse_closed(session, province, period)
    existing = session.scalar(select(JournalEntry.id).where(JournalEntry.idempotency_key == key))
    if existing is not None:
        raise Conflict("entry.duplicate", f"幂等键「{key}」已经记账（分录 {existing}），不会重复记账",
                       f"idempotency key {key} was already posted (entry {existing}); nothing is posted twice",
                       entry_id=existing)
    entry = JournalEntry(idempotency_key=key, province=province, period=period, kind=kind, memo=memo[:200],
                         for_period=for_period, reverses_entry_id=reverses_entry_id, posted_by=actor,
                         posted_at=utc_naive(now))
    session.add(entry)
    session.flush()
    return entry


def refuse_closed(session: Session, province: str, period: str) -> None:
    """A closed period takes no new entries: every posting asks, for every chunk it writes."""
    if session.get(ClosedPeriod, (province, period)) is not None:
        raise Conflict("period.closed", f"{province} 的 {period} 期已结账，不能再记账",
                       f"period {period} of {province} is closed; post into an open period", period=period)


def closed_months(*, session: Session, province: str, first: str, last: str) -> list[str]:
    """The months between first and last (YYYYMM, inclusive) that are closed: their period was closed in the ledger,
    or their year's personal-account interest was credited (the year-end settlement, 年度结算). Reaching into them
    is reopening them, which takes the authority to do so."""
    closed = set(session.scalars(select(ClosedPeriod.period).where(
        ClosedPeriod.province == province, ClosedPeriod.period.between(first, last))))
    years = set(session.scalars(select(InterestCredit.year).where(
        InterestCredit.province == province, InterestCredit.year.between(int(first[:4]), int(last[:4]))).distinct()))
    month = Period.parse(first)
    while month <= Period.parse(last):
        if month.year in years:
            closed.add(str(month))
        month = month.plus_months(1)
    return sorted(closed)


def _require_accounts(session: Session, account_ids: set[int]) -> None:
    found = set(session.scalars(select(LedgerAccount.id).where(LedgerAccount.id.in_(account_ids))))
    missing = sorted(account_ids - found)
    if missing:
        raise NotFound("account.unknown", f"账户不存在：{'、'.join(map(str, missing))}",
                       f"no such accounts: {', '.join(map(str, missing))}", accounts=missing)


def reverse_entry(*, session: Session, entry_id: int, key: str, period: str, reason: str, actor: str,
                  now: datetime) -> PostedEntry:
    """Corrects an entry by posting its mirror image; an entry is reversed at most once."""
    original = session.get(JournalEntry, entry_id)
    if original is None:
        raise NotFound("entry.unknown", f"分录 {entry_id} 不存在", f"no entry {entry_id}")
    if original.reverses_entry_id is not None:
        raise Conflict("entry.is_reversal", "冲销分录不能再冲销，请另记更正分录",
                       "a reversal is not reversed again; post a new correcting entry")
    already = session.scalar(select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry_id))
    if already is not None:
        raise Conflict("entry.already_reversed", f"分录 {entry_id} 已被分录 {already} 冲销",
                       f"entry {entry_id} was already reversed by entry {already}")
    lines = [Line(row.account_id, row.amount_fen) for row in
             session.scalars(select(JournalLine).where(JournalLine.entry_id == entry_id).order_by(JournalLine.id))]
    posted = post_entry(session=session, key=key, province=original.province, period=period, kind="reversal",
                        memo=f"冲销 reverses {entry_id}: {reason}", lines=reversal_of(lines), actor=actor, now=now,
                        reverses_entry_id=entry_id)
    audit.append(session, actor=actor, action="ledger.reversed", subject=f"entry:{entry_id}", now=now,
                 reversal=posted.id, reason=reason)
    return posted


def close_period(*, session: Session, province: str, period: str, actor: str, now: datetime) -> None:
    """Closes a province's month: no entry may be posted into it afterwards."""
    month = Period.parse(period)
    if month >= Period.of(now.date()):
        raise InvalidInput("period.not_over", f"{period} 期尚未结束，不能结账", f"period {period} is not over yet")
    refuse_closed(session, province, period)
    session.add(ClosedPeriod(province=province, period=period, closed_by=actor, closed_at=utc_naive(now)))
    session.flush()
    audit.append(session, actor=actor, action="ledger.period_closed", subject=f"period:{province}:{period}", now=now)


def balance(*, session: Session, account_id: int, through_period: str | None = None) -> int:
    """An account's balance, derived from its lines (debit positive), optionally up to a period."""
    query = select(func.coalesce(func.sum(JournalLine.amount_fen), 0)).where(JournalLine.account_id == account_id)
    if through_period is not None:
        query = query.join(JournalEntry, JournalEntry.id == JournalLine.entry_id).where(JournalEntry.period <= through_period)
    return int(session.scalar(query))


def movement(*, session: Session, account_id: int, entries: Select) -> int:
    """What a set of entries moved on one account (debit positive), the entries given as SQL selecting their ids:
    for a context that recorded the entries it posted (a payout batch's release, its returns) and checks them."""
    return int(session.scalar(select(func.coalesce(func.sum(JournalLine.amount_fen), 0)).where(
        JournalLine.account_id == account_id, JournalLine.entry_id.in_(entries))))


def trial_balance(*, session: Session) -> dict[str, int]:
    """Every account kind's total; the grand total of a sound ledger is zero."""
    rows = session.execute(
        select(LedgerAccount.kind, func.coalesce(func.sum(JournalLine.amount_fen), 0))
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id).group_by(LedgerAccount.kind)
    ).all()
    return {kind: int(total) for kind, total in rows}


def unbalanced_entries(*, session: Session) -> list[int]:
    """Entries whose lines do not sum to zero (there should be none: a check for auditors)."""
    return list(session.scalars(select(JournalLine.entry_id).group_by(JournalLine.entry_id)
                                .having(func.sum(JournalLine.amount_fen) != 0)))


def next_key(*, session: Session, prefix: str) -> str:
    """The next free key of a series, prefix + n, for a scope that may post more than once (a resumed chunk)."""
    # A range, not LIKE: the unique index on the key answers it without reading the whole journal.
    taken = select(func.count()).where(JournalEntry.idempotency_key.between(prefix, prefix + "~"))
    return prefix + str(session.scalar(taken))


def _personal_account_lines(person_id: int | ColumnElement) -> Select:
    return (select(func.coalesce(func.sum(JournalLine.amount_fen), 0))
            .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
            .where(LedgerAccount.kind == AccountKind.PERSONAL_ACCOUNT.value, LedgerAccount.person_id == person_id))


def personal_account_held(person_id: ColumnElement) -> ColumnElement[int]:
    """What a person's personal account holds (credits are negative lines), as a scalar subquery correlated on
    the person's id: one index lookup per person when a batch reads it for many."""
    return -cast(_personal_account_lines(person_id).scalar_subquery(), BigInteger)


def personal_account_balance(*, session: Session, person_id: int) -> int:
    """What is left in the person's personal account, in fen (0 when it was never opened)."""
    return -int(session.scalar(_personal_account_lines(person_id)))


def personal_account_by_year(*, session: Session, person_id: int) -> list[tuple[int, int, int]]:
    """(year, contributions credited, interest credited) of the person's personal account, oldest first."""
    year = cast(func.substr(JournalEntry.period, 1, 4), Integer)
    credited = -JournalLine.amount_fen
    rows = session.execute(
        select(year, func.sum(case((JournalEntry.kind == "interest", 0), else_=credited)),
               func.sum(case((JournalEntry.kind == "interest", credited), else_=0)))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(LedgerAccount.person_id == person_id, LedgerAccount.kind == AccountKind.PERSONAL_ACCOUNT.value)
        .group_by(year).order_by(year)
    ).all()
    return [(int(y), int(contributions), int(interest)) for y, contributions, interest in rows]


def personal_account_by_province(*, session: Session, person_id: int, without_kinds: tuple[str, ...] = ()) -> dict[str, int]:
    """What the person's personal account holds, by the province whose entries credited (or drew on) it: the
    province's part of the one national account, before any transfer moved its money elsewhere. `without_kinds`
    leaves out entries of those kinds (the year-end interest, credited by the province that opened the account)."""
    rows = session.execute(
        select(JournalEntry.province, func.sum(JournalLine.amount_fen))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(LedgerAccount.person_id == person_id, LedgerAccount.kind == AccountKind.PERSONAL_ACCOUNT.value,
               JournalEntry.kind.not_in(without_kinds))
        .group_by(JournalEntry.province)).all()
    return {province: -int(total) for province, total in rows if total}


def persons_with_personal_accounts(*, session: Session, person_ids: list[int]) -> list[int]:
    """Which of these persons already have a personal account."""
    return list(session.scalars(select(LedgerAccount.person_id).where(
        LedgerAccount.kind == AccountKind.PERSONAL_ACCOUNT.value, LedgerAccount.person_id.in_(person_ids))))


def remit_to_national_fund(*, session: Session, province: str, insurance: str, amount_fen: int, period: str, key: str,
                           actor: str, now: datetime) -> PostedEntry:
    """Moves money a province remits under national pooling (中央调剂/全国统筹) from its pooling fund
    into the national fund's one account; the amount is the national plan's, never more than the fund holds."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise InvalidInput("remittance.amount", "上解金额必须是正整数（分）", "a remittance is a positive whole number of fen")
    pool = open_account(session=session, kind=AccountKind.POOLING_FUND, province=province, insurance=insurance, now=now)
    held = -balance(session=session, account_id=pool.id)
    if amount_fen > held:
        fund_zh, fund_en = INSURANCE_NAMES.get(insurance, ("社会保险", "social insurance"))
        raise Conflict("remittance.insufficient", f"{province} {fund_zh}统筹基金余额 {held} 分，不足上解 {amount_fen} 分",
                       f"the {fund_en} pooling fund of {province} holds {held} fen, less than {amount_fen}",
                       held_fen=held)
    national = open_account(session=session, kind=AccountKind.NATIONAL_FUND, province="000000", insurance=insurance,
                            now=now)
    posted = post_entry(session=session, key=key, province=province, period=period, kind="remittance",
                        memo=f"上解全国统筹 national pooling {insurance}",
                        lines=[Line(pool.id, amount_fen), Line(national.id, -amount_fen)], actor=actor, now=now)
    audit.append(session, actor=actor, action="ledger.remitted", subject=f"fund:{insurance}:{province}", now=now,
                 amount_fen=amount_fen, period=period)
    return posted


def require_open_month(database, *, province: str, period: str, now: datetime, job: str,  # noqa: ANN001 - a Database
                       future_code: str, future_zh: str, future_en: str) -> Period:
    """A province's month that a batch may run for: a province code, a month already begun, not closed."""
    if region_level(province) != 1:
        raise InvalidInput(f"{job}.province", f"「{province}」不是省级区划代码", f"{province} is not a province code")
    month = Period.parse(period)
    if month > Period.of(china_today(now)):
        raise InvalidInput(future_code, future_zh.format(month=month), future_en.format(month=month))
    with database.unit_of_work() as uow:
        if uow.session.get(ClosedPeriod, (province, str(month))) is not None:
            raise Conflict("period.closed", f"{province} 的 {month} 期已结账", f"period {month} of {province} is closed")
    return month



def interest_case(*, case: InterestCalculate) -> InterestCalculationRead:
    """One account's year of interest, explained (the calculator behind `shebao interest calc`): the rule the
    year-end batch credits, applied to the case's figures."""
    rate = Decimal(case.rate)
    if not 0 <= rate <= 1:
        raise InvalidInput("interest.rate", f"记账利率应在 0 至 1 之间（例如 0.0262）{given_zh(case.rate)}",
                           f"the rate is between 0 and 1 (e.g. 0.0262): {case.rate}", field="rate")
    if rate * RATE_DENOMINATOR != (rate * RATE_DENOMINATOR).to_integral_value():
        raise InvalidInput("interest.rate_precision", f"记账利率精度超过百万分之一{given_zh(case.rate)}",
                           f"the rate is finer than a millionth: {case.rate}", field="rate")
    rule = InterestRule(method=case.method, within_year=case.within_year_rule)
    return InterestCalculationRead.model_validate(explain_interest(
        case.opening_fen, [(credit.month, credit.fen) for credit in case.credits], rate_numerator(rate), rule))
