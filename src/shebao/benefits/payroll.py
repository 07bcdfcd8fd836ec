"""Monthly pension payroll, yearly adjustments and the certification sweep: set-based, chunked by award.

A payroll line is what one receiver is owed for one month. Each chunk, in one transaction: the
month's lines are written (and, for a new award, every month back to its first); the personal
account part is reserved; the new lines become a benefit payable (debit the pension pool and each
personal account); every open line is judged payable or held with its reason; the payable ones are
marked paid and go, one payment each, into the open payroll batch of their card's bank for the month
(`payouts.service.add_line_rows`: debit the payable, credit payouts in transit — cash is paid out only
when a second person releases the batch), while held ones stay owed. A month the bank returns is owed
again and held as `bank_returned` until its account is fixed (`hold_returned`). A line is payable only while the
award is paying, its proof of life is in date, the person has no death record and the month is before
the award's stop month — so nothing is paid to a deceased person once the record is in, nor to someone
overdue on their certification whether or not the sweep has visited them, and a rerun pays nothing twice.

Proof of life is judged on the day the money goes out (China's date of `now`), for every month paid
that day, never on the month's first day: paying a month someone was in date for, to a receiver
overdue today, is the very payment the certification exists to stop. The grace runs in days from the
due date to that day, so a payroll run on the due date plus the grace pays and one the day after holds
— exactly what a sweep on the same day suspends, since both use `_in_date`. A certification in date
today was in date on every earlier day, so once a receiver certifies, all their held months are paid.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import Integer, Select, and_, case, cast, exists, func, literal, or_, select, union_all, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from shebao.benefits import deductions, rules
from shebao.benefits.models import CertificationReminder, PayrollLine, PensionAdjustment, PensionAward
from shebao.benefits.rules import CertificationTerms
from shebao.cards.models import BlacklistEntry, Card
from shebao.cards.rules import VALID_STATES
from shebao.core import audit, guards
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database
from shebao.core.errors import InvalidInput
from shebao.core.periods import Period
from shebao.core.runs import BatchRun, BatchRunRead, finished_run, open_run, start_run
from shebao.core.sql import insert_ignoring_duplicates
from shebao.ledger import chart, posting
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind
from shebao.payouts import service as payouts
from shebao.payouts.rules import Source
from shebao.policy.store import ParameterStore, default_store
from shebao.registry.models import Person
from shebao.registry.rules import region_level

Progress = Callable[[str, int, int], None]
PAYROLL_CHUNK = 50_000
OPEN = ("new", "due", "held")  # "new": written in this transaction, its account part just reserved
HOLD_REASONS = {
    "deceased": ("已登记死亡", "a death is recorded"),
    "stopped": ("待遇已终止", "the award is stopped"),
    "suspended": ("暂停发放", "payment is suspended"),
    "certification_lapsed": ("待遇领取资格认证逾期（已过宽限期）", "the yearly proof of life is overdue, past its grace"),
    "no_card": ("没有有效的社会保障卡", "no valid social security card"),
    "card_frozen": ("社会保障卡已挂失冻结", "the card is frozen (reported lost)"),
    "card_bank_frozen": ("社会保障卡金融账户因挂失仍被冻结，待银行解冻", "the card's bank account is still frozen after a loss"),
    "card_blacklisted": ("持卡人已列入黑名单，社会保障卡金融功能停用", "the holder is blacklisted: the card's financial function is off"),
    "card_not_active": ("社会保障卡未启用金融功能", "the card's financial function is not active"),
    "bank_returned": ("银行退回，待更正账户后重发", "returned by the bank; paid again once the account is fixed"),
}


LAPSED = "certification_overdue"  # an award's status_reason when its proof of life is overdue


def _terms(store: ParameterStore | None, province: str, day: date) -> CertificationTerms:
    return CertificationTerms.in_force((store or default_store()).at(province, day))


def _in_date(terms: CertificationTerms, day: date) -> ColumnElement[bool]:
    """The award's proof of life is in date on the day: the SQL form of CertificationTerms.in_date, one
    comparison with the date the rule computes, for the sweep and the payroll alike."""
    return PensionAward.certified_on >= terms.earliest_in_date(day)


def certification_in_date(province: str, certified_on: date, day: date, store: ParameterStore | None = None) -> bool:
    """One receiver's proof of life is in date on the day, by the rule `_in_date` puts in SQL."""
    return _terms(store, province, day).in_date(certified_on, day)


def _suspend_lapsed(session: Session, awards: ColumnElement[bool], in_date: ColumnElement[bool]) -> int:
    """Suspends the paying awards whose proof of life is not in date; a certification resumes them and pays
    what was held. The sweep does this for a province; the payroll for each chunk before paying it."""
    return session.execute(update(PensionAward).where(awards, PensionAward.status == "paying", ~in_date)
                           .values(status="suspended", status_reason=LAPSED)
                           .execution_options(synchronize_session=False)).rowcount


def _month_number(period: ColumnElement) -> ColumnElement:
    return cast(func.substr(period, 1, 4), Integer) * 12 + cast(func.substr(period, 5, 2), Integer)


def _periods(first: Period, last: Period):  # noqa: ANN202 - a small constant table of (period, n)
    months = [first.plus_months(k) for k in range(first.months_until(last) + 1)]
    rows = [select(literal(str(m)).label("period"), literal(m.year * 12 + m.month, Integer).label("n")) for m in months]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).cte("months")


def _write_lines(session: Session, province: str, month: Period, awards: ColumnElement[bool], actor: str,
                 now: datetime) -> None:
    """This month's line for every award in the chunk; for an award with no line yet, every month from its first."""
    first = session.scalar(select(func.min(PensionAward.first_period)).where(awards))
    if first is None or first > str(month):
        return
    months = _periods(max(Period.parse(first), month.plus_months(-600)), month)
    has_lines = exists().where(PayrollLine.award_id == PensionAward.id)
    since_first = months.c.n - _month_number(PensionAward.first_period)  # months already reserved before this one
    left = PensionAward.account_remaining_fen - since_first * PensionAward.account_fen
    account_part = case((left >= PensionAward.account_fen, PensionAward.account_fen), (left > 0, left), else_=0)
    rows = (select(PensionAward.id, PensionAward.person_id, literal(province), months.c.period, literal("monthly"),
                   PensionAward.monthly_fen, account_part, literal("new"), literal(""))
            .join(months, and_(months.c.period >= PensionAward.first_period,
                               or_(months.c.period == str(month), ~has_lines)))
            .where(awards, PensionAward.status.in_(("paying", "suspended")),
                   or_(PensionAward.stop_period.is_(None), months.c.period < PensionAward.stop_period)))
    names = ["award_id", "person_id", "province", "for_period", "kind", "amount_fen", "account_part_fen", "status", "hold_reason"]
    session.execute(insert_ignoring_duplicates(session, PayrollLine.__table__).from_select(names, rows))
    # Correlated on the award's key, in the SET and the WHERE alike, so that each award reads its own new lines
    # through the index on award_id. (As `id IN (new lines)`, or joined to their sums, PostgreSQL without statistics
    # on the lines just written rescanned all of them for every award: quadratic, 20 s for 20,000 awards.)
    reserved = (select(func.sum(PayrollLine.account_part_fen))
                .where(PayrollLine.award_id == PensionAward.id, PayrollLine.status == "new").scalar_subquery())
    session.execute(update(PensionAward).where(awards, reserved.isnot(None))
                    .values(account_remaining_fen=PensionAward.account_remaining_fen - reserved)
                    .execution_options(synchronize_session=False))
    post_payable(session, province=province, month=month, lines=PayrollLine.status == "new",
                 key_prefix=f"payable:{province}:{month}:", actor=actor, now=now)


def _accounts(session: Session, province: str, now: datetime) -> tuple[int, int]:
    """The province's pension pool and benefit payable accounts."""
    def account(kind: AccountKind, **owner: str) -> int:
        return ledger.open_account(session=session, kind=kind, province=province, now=now, **owner).id

    return account(AccountKind.POOLING_FUND, insurance="pension"), account(AccountKind.BENEFIT_PAYABLE)


def _next_key(session: Session, prefix: str) -> str:
    """Keys of entries that may be posted more than once for the same scope (a resumed chunk): prefix + n."""
    return ledger.next_key(session=session, prefix=prefix)


def _lines_entry(session: Session, *, province: str, month: Period, lines: ColumnElement[bool], key_prefix: str, memo: str,
                 kind: str, sign: int, actor: str, now: datetime) -> None:
    """One balanced entry moving the lines' amounts between the payable and the funds they are drawn from:
    sign +1 makes them payable (debit pool and personal accounts), -1 takes them back (a cancellation)."""
    scope = select(PayrollLine.id).where(lines, PayrollLine.province == province)
    if session.scalar(scope.where(PayrollLine.amount_fen != 0).limit(1)) is None:
        return
    pool, payable = _accounts(session, province, now)
    key = literal(_next_key(session, key_prefix))
    total, from_accounts = func.sum(PayrollLine.amount_fen), func.sum(PayrollLine.account_part_fen)
    posting.post_entries(
        session=session, province=province, period=str(month), kind=kind, actor=actor, now=now,
        entries=select(key, literal(memo)),
        lines=[posting.Lines(scope, key, payable, -sign * total),
               posting.Lines(scope, key, pool, sign * (total - from_accounts)),
               posting.Lines(scope.where(PayrollLine.account_part_fen > 0), key,
                             chart.personal_account(PayrollLine.person_id, province=province),
                             sign * PayrollLine.account_part_fen, opens_accounts=False)])


def post_payable(session: Session, *, province: str, month: Period, lines: ColumnElement[bool], key_prefix: str,
                 actor: str, now: datetime) -> None:
    """New lines become a liability: the pension pool and the personal accounts owe them to the receivers."""
    _lines_entry(session, province=province, month=month, lines=lines, key_prefix=key_prefix, kind="pension_payable",
                 memo=f"养老金应付 pension payable {month}", sign=1, actor=actor, now=now)


def cancel_payable(session: Session, *, province: str, month: Period, lines: ColumnElement[bool], key_prefix: str,
                   actor: str, now: datetime) -> None:
    """Lines that will never be paid (after a death) return to the funds they were drawn from."""
    _lines_entry(session, province=province, month=month, lines=lines, key_prefix=key_prefix, kind="pension_cancelled",
                 memo=f"应付养老金冲回 payable cancelled {month}", sign=-1, actor=actor, now=now)


def _valid_card(column):  # noqa: ANN001, ANN202 - (id or state) of the person's one valid card, a scalar subquery
    return (select(column).where(Card.person_id == PayrollLine.person_id,
                                 Card.state.in_([state.value for state in VALID_STATES]))
            .limit(1).scalar_subquery())


def _dead() -> ColumnElement[bool]:
    return exists().where(Person.id == PayrollLine.person_id, or_(Person.death_date.isnot(None), Person.status == "deceased"))


def _active_card(column):  # noqa: ANN001, ANN202 - the person's active card's column, a scalar subquery
    # Correlated on the line explicitly: nested in another subquery, SQLAlchemy would otherwise add payroll_lines to
    # this FROM and read any line's person's card.
    return (select(column).where(Card.person_id == PayrollLine.person_id, Card.state == "active")
            .correlate_except(Card).limit(1).scalar_subquery())


def _awaiting_account_fix(session: Session, province: str) -> ColumnElement[bool]:
    """The bank returned the month and the account it would go to now is still the one it refused, unfixed. Read
    once, before judging — the province's few unfixed returns whose receiver's card holds the refused account —
    and named by id: in the judging statement, a subquery over the payout lines that the run's earlier chunks wrote,
    not yet in PostgreSQL's statistics, was planned as a scan of them per line (minutes a chunk)."""
    returned = payouts.unfixed_returns(Source.PAYROLL.value, province)
    account_now = (select(Card.bank_account_enc).where(Card.person_id == returned.c.person_id, Card.state == "active")
                   .correlate_except(Card).limit(1).scalar_subquery())
    refused = list(session.scalars(select(returned.c.source_ref).where(returned.c.account_enc == account_now)))
    return PayrollLine.id.in_(refused) if refused else literal(False)


def _payable(in_date: ColumnElement[bool], awaiting_fix: ColumnElement[bool]) -> ColumnElement[bool]:
    """The award pays and its proof of life is in date, for a month before any stop, to a living person with an
    active card and a bank account — not the account the bank returned the month from, unless fixed since. Every way
    of paying (payroll, resumption, certification, an account fixed) comes through here, so a staff resumption or a
    certification still too old pays nothing to someone overdue."""
    award_pays = exists().where(PensionAward.id == PayrollLine.award_id, PensionAward.status == "paying", in_date,
                                or_(PensionAward.stop_period.is_(None), PayrollLine.for_period < PensionAward.stop_period))
    card = exists().where(Card.person_id == PayrollLine.person_id, Card.state == "active", Card.bank_account_enc.isnot(None),
                          Card.bank_code.isnot(None), Card.bank_frozen.is_(False))
    return and_(award_pays, ~_dead(), card, ~_blacklisted(), ~awaiting_fix)


def _blacklisted() -> ColumnElement[bool]:
    """The receiver is on the blacklist: the card's financial function is off (cards.bank.financial_function_allowed),
    so nothing is paid into its account until the entry is released (risk rule R22 holds the line)."""
    return exists().where(BlacklistEntry.subject_kind == "person", BlacklistEntry.subject_id == PayrollLine.person_id,
                          BlacklistEntry.released_on.is_(None))


def _hold_reason(in_date: ColumnElement[bool], awaiting_fix: ColumnElement[bool]) -> ColumnElement:
    def award(column):  # noqa: ANN001, ANN202 - the line's award's column, a scalar subquery
        return select(column).where(PensionAward.id == PayrollLine.award_id).scalar_subquery()

    award_status, card_state = award(PensionAward.status), _valid_card(Card.state)
    lapsed = exists().where(PensionAward.id == PayrollLine.award_id, ~in_date)
    stopped = or_(award_status == "stopped", PayrollLine.for_period >= func.coalesce(award(PensionAward.stop_period), "999999"))
    # Suspended by the sweep or the payroll, or still paying but overdue: the same reason, so the line reads
    # alike whether or not a sweep has run. A suspension for another reason (by staff) is named as such.
    return case((_dead(), "deceased"), (stopped, "stopped"),
                (and_(award_status == "suspended", award(PensionAward.status_reason) != LAPSED), "suspended"),
                (or_(award_status == "suspended", lapsed), "certification_lapsed"),
                (card_state.is_(None), "no_card"), (card_state == "frozen", "card_frozen"),
                (_active_card(Card.bank_frozen).is_(True), "card_bank_frozen"), (_blacklisted(), "card_blacklisted"),
                (awaiting_fix, "bank_returned"), else_="card_not_active")


def pay(session: Session, *, province: str, month: Period, lines: ColumnElement[bool], key: str, actor: str,
        now: datetime, store: ParameterStore | None = None) -> tuple[int, int]:
    """Judges every open line the clause names and pays the payable ones: (lines paid, fen). Each goes, one payment,
    into the open payroll batch of its card's bank for the month, leaving the payable for payouts in transit (one
    entry per bank, keyed `key` and the bank); cash is paid out when a second person releases the batch.
    Proof of life is judged on the day of paying (see the module's note)."""
    today = china_today(now)
    in_date = _in_date(_terms(store, province, today), today)
    judged = and_(lines, PayrollLine.province == province, PayrollLine.status.in_(OPEN), PayrollLine.for_period <= str(month))
    awaiting_fix = _awaiting_account_fix(session, province)
    paid = session.execute(update(PayrollLine).where(judged, _payable(in_date, awaiting_fix)).values(
        status="paid", paid_period=str(month), entry_id=None, hold_reason="", card_id=_active_card(Card.id))
        .execution_options(synchronize_session=False)).rowcount
    total = 0
    if paid:
        # Marked paid in this statement and not yet sent: every line paid before carries the entry that sent it.
        just_paid = and_(PayrollLine.province == province, PayrollLine.status == "paid", PayrollLine.entry_id.is_(None))
        # Debts owed back (a recovered overpayment) take their share first: the bank pays each line less it.
        deductions.take(session=session, province=province, month=month, lines=just_paid, actor=actor, now=now)
        added = payouts.add_line_rows(
            session=session, source=Source.PAYROLL.value, province=province, period=str(month),
            payable=chart.province_account(AccountKind.BENEFIT_PAYABLE, province=province), rows=_payout_rows(just_paid),
            key=key, kind="pension_payroll", memo=f"养老金发放 pension payroll {month}", actor=actor, now=now)
        # Each line records its bank's entry: by the card it was paid to (a lookup by the card's key), or at once
        # when the chunk paid into one bank only.
        bank = select(Card.bank_code).where(Card.id == PayrollLine.card_id).correlate_except(Card).scalar_subquery()
        entry = (next(iter(added.entries.values())) if len(added.entries) == 1
                 else case(added.entries, value=bank))
        session.execute(update(PayrollLine).where(just_paid).values(entry_id=entry)
                        .execution_options(synchronize_session=False))
        if added.lines != paid:
            raise RuntimeError(f"payroll marked {paid} lines paid but sent {added.lines} to the banks")
        total = added.total_fen
    reason = _hold_reason(in_date, awaiting_fix)
    # The lines a risk rule holds (a death: R01; a frozen card or account, a blacklisted holder: R22) are recorded as
    # blocked attempts by the rules, once per line and reason; the batch goes on.
    guards.record_held(session=session, actor=actor, now=now, lines=select(
        PayrollLine.id.label("line_id"), PayrollLine.person_id, PayrollLine.for_period, PayrollLine.amount_fen,
        select(Person.residence_region_code).where(Person.id == PayrollLine.person_id).scalar_subquery().label("region_code"),
        reason.label("hold_reason")).where(judged, or_(PayrollLine.status != "held", PayrollLine.hold_reason != reason)))
    session.execute(update(PayrollLine).where(judged).values(status="held", hold_reason=reason)
                    .execution_options(synchronize_session=False))
    return int(paid), int(total)


def _payout_rows(just_paid: ColumnElement[bool]) -> Select:
    """One payment per line just paid: to the holder of the card it was paid to, into the card's account."""
    memo = case((PayrollLine.kind == "adjustment", literal("养老金调整 ") + PayrollLine.for_period),
                else_=literal("养老金 ") + PayrollLine.for_period)
    return (select(PayrollLine.id.label("source_ref"), PayrollLine.person_id.label("person_id"),
                   literal(None, Integer).label("employer_id"), Person.residence_region_code.label("region_code"),
                   Person.name.label("receiver_name"), Card.bank_code.label("bank_code"),
                   Card.card_number.label("card_number"), Card.bank_account_enc.label("account_enc"),
                   (PayrollLine.amount_fen - deductions.deducted_from(PayrollLine.id)).label("amount_fen"),
                   memo.label("memo"))
            .join(Card, Card.id == PayrollLine.card_id).join(Person, Person.id == PayrollLine.person_id).where(just_paid))


def pay_line(*, session: Session, line_id: int, key: str, actor: str, now: datetime) -> tuple[int, int]:
    """One held month paid at once if it may be (its account fixed, …), into this month's open batch: (lines, fen)."""
    province = session.scalar(select(PayrollLine.province).where(PayrollLine.id == line_id))
    if province is None:
        return 0, 0
    session.execute(select(PensionAward.id).join(PayrollLine, PayrollLine.award_id == PensionAward.id)
                    .where(PayrollLine.id == line_id).with_for_update(of=PensionAward))
    return pay(session, province=province, month=Period.of(china_today(now)), lines=PayrollLine.id == line_id, key=key,
               actor=actor, now=now)


def hold_returned(*, session: Session, line_ids: list[int]) -> int:
    """Months the bank returned are owed again (the return credited the payable back): held as `bank_returned`
    until the account is fixed, when a payroll — or the fix itself — pays them again. Returns how many."""
    held = 0
    for start in range(0, len(line_ids), 5_000):
        held += session.execute(update(PayrollLine).where(PayrollLine.id.in_(line_ids[start:start + 5_000]),
                                                          PayrollLine.status == "paid")
                                .values(status="held", hold_reason="bank_returned", paid_period=None, entry_id=None,
                                        card_id=None)
                                .execution_options(synchronize_session=False)).rowcount
    return held


def check_open_period(database: Database, province: str, period: str, now: datetime) -> Period:
    return ledger.require_open_month(database, province=province, period=period, now=now, job="payroll",
                                     future_code="payroll.period_not_open", future_zh="发放期 {month} 尚未开始",
                                     future_en="the payroll period {month} is not open yet")


def run_payroll(*, database: Database, province: str, period: str, now: datetime, actor: str,
                progress: Progress | None = None, chunk: int = PAYROLL_CHUNK,
                store: ParameterStore | None = None) -> BatchRunRead:
    """Pays a province's receivers for a month; resumable after any interruption and idempotent once done."""
    month = check_open_period(database, province, period, now)
    today = china_today(now)
    in_date = _in_date(_terms(store, province, today), today)
    progress = progress or (lambda _stage, _done, _total: None)
    started = time.perf_counter()
    run_id = open_run(database, "payroll", province, str(month), now)
    if run_id is None:
        return finished_run(database, "payroll", province, str(month))
    with database.unit_of_work() as uow:
        low, high = uow.session.execute(select(func.min(PensionAward.id), func.max(PensionAward.id))
                                        .where(PensionAward.province == province)).one()
    chunks = range(low, high + 1, chunk) if low is not None else range(0)
    for done, start in enumerate(chunks, start=1):
        with database.batch_transaction() as session:
            awards = and_(PensionAward.province == province, PensionAward.id.between(start, start + chunk - 1))
            # Locks the chunk's awards on PostgreSQL against a death, suspension or certification in between.
            session.execute(select(PensionAward.id).where(awards).with_for_update())
            # What a sweep today would suspend, whether or not one has run: then a certification resumes it.
            lapsed = _suspend_lapsed(session, awards, in_date)
            if lapsed:
                audit.append(session, actor=actor, action="certification.lapsed", subject=f"run:{run_id}", now=now,
                             province=province, on=today.isoformat(), suspended=lapsed)
            _write_lines(session, province, month, awards, actor, now)
            # A line is paid once because only open lines are judged; the key just names this chunk's entry.
            paid, total = pay(session, province=province, month=month, key=_next_key(session, f"payroll:{run_id}:{start}:"),
                              actor=actor, now=now, store=store,
                              lines=PayrollLine.award_id.between(start, start + chunk - 1))
            session.execute(update(BatchRun).where(BatchRun.id == run_id).values(
                chunks_done=done, chunks_total=len(chunks), persons=BatchRun.persons + paid,
                entries=BatchRun.entries + (1 if paid else 0), total_fen=BatchRun.total_fen + total))
        progress("payroll", done, len(chunks))
    return _close_run(database, run_id, province, month, actor, now, started)


def held_summary(session: Session, province: str, month: Period) -> dict[str, int]:
    rows = session.execute(select(PayrollLine.hold_reason, func.count(func.distinct(PayrollLine.award_id)))
                           .where(PayrollLine.province == province, PayrollLine.status == "held",
                                  PayrollLine.for_period <= str(month)).group_by(PayrollLine.hold_reason)).all()
    return {reason: count for reason, count in rows}


def _close_run(database: Database, run_id: int, province: str, month: Period, actor: str, now: datetime,
               started: float) -> BatchRunRead:
    with database.transaction() as session:
        held = held_summary(session, province, month)
        run = session.get(BatchRun, run_id)
        run.status, run.finished_at = "done", utc_naive(now)
        run.duration_ms = int((time.perf_counter() - started) * 1000)
        run.detail = json.dumps({"held": held})
        audit.append(session, actor=actor, action="payroll.completed", subject=f"run:{run_id}", now=now, province=province,
                     period=str(month), lines_paid=run.persons, total_fen=run.total_fen, held=held)
        session.flush()
        return BatchRunRead.model_validate(run, from_attributes=True)


def adjust_pensions(*, database: Database, province: str, year: int, now: datetime, actor: str,
                    store: ParameterStore | None = None, chunk: int = PAYROLL_CHUNK) -> BatchRunRead:
    """The year's pension rise for everyone who retired before it; months already paid get the difference."""
    if region_level(province) != 1:
        raise InvalidInput("adjust.province", f"「{province}」不是省级区划代码", f"{province} is not a province code")
    since = date(year, 1, 1)
    if since > china_today(now):
        raise InvalidInput("adjust.year", f"{year} 年的调整尚未生效", f"the {year} adjustment is not in force yet")
    params = (store or default_store()).at(province, since)
    if not params.has("pension.adjustment.percent") or params.explain("pension.adjustment.percent").since.year != year:
        raise InvalidInput("adjust.no_parameters", f"{year} 年没有养老金调整参数", f"no pension adjustment is set for {year}")
    fixed, per_year = params.value("pension.adjustment.fixed_fen"), params.value("pension.adjustment.per_year_fen")
    percent = rules.millionths(params.value("pension.adjustment.percent"))
    since_period = f"{year}01"
    started = time.perf_counter()
    run_id = start_run(database, "pension_adjust", province, since_period, now)
    with database.unit_of_work() as uow:
        low, high = uow.session.execute(select(func.min(PensionAward.id), func.max(PensionAward.id))
                                        .where(PensionAward.province == province)).one()
    adjusted = 0
    for start in range(low, high + 1, chunk) if low is not None else ():
        with database.batch_transaction() as session:
            adjusted += _adjust_chunk(session, province, since_period, fixed, per_year, percent,
                                      PensionAward.id.between(start, start + chunk - 1), actor, now)
    with database.transaction() as session:
        run = session.get(BatchRun, run_id)
        run.status, run.persons, run.finished_at = "done", adjusted, utc_naive(now)
        run.duration_ms = int((time.perf_counter() - started) * 1000)
        run.detail = json.dumps({"fixed_fen": fixed, "per_year_fen": per_year, "percent_millionths": percent})
        audit.append(session, actor=actor, action="pension.adjusted", subject=f"run:{run_id}", now=now, province=province,
                     year=year, awards=adjusted)
        session.flush()
        return BatchRunRead.model_validate(run, from_attributes=True)


def _adjust_chunk(session: Session, province: str, since_period: str, fixed: int, per_year: int, percent: int,
                  chunk: ColumnElement[bool], actor: str, now: datetime) -> int:
    awards = and_(chunk, PensionAward.province == province, PensionAward.status != "stopped",
                  PensionAward.first_period < since_period)
    # Whole years by integer division: a true division cast to INTEGER truncates on SQLite but rounds on PostgreSQL
    # (359 months were 30 years there), and the rise counts each year completed.
    years = rules.completed_years(rules.counted_months(PensionAward.contribution_months, PensionAward.deemed_months))
    increase = rules.adjustment_fen(PensionAward.monthly_fen, years, fixed_fen=fixed, per_year_fen=per_year, percent=percent)
    rows = select(PensionAward.id, literal(province), literal(since_period), PensionAward.monthly_fen, increase).where(awards)
    session.execute(insert_ignoring_duplicates(session, PensionAdjustment.__table__).from_select(
        ["award_id", "province", "since_period", "before_fen", "increase_fen"], rows))
    mine = and_(PensionAdjustment.award_id == PensionAward.id, PensionAdjustment.since_period == since_period)
    rise = select(PensionAdjustment.increase_fen).where(mine).scalar_subquery()
    before = select(PensionAdjustment.before_fen).where(mine).scalar_subquery()
    # Raised once: an award already raised no longer stands at the amount before. (UPDATE counts are reliable
    # on both databases; INSERT … SELECT … ON CONFLICT counts are not.)
    raised = session.execute(update(PensionAward).where(chunk, PensionAward.province == province, PensionAward.monthly_fen == before)
                             .values(monthly_fen=PensionAward.monthly_fen + rise)
                             .execution_options(synchronize_session=False)).rowcount
    arrears = (select(PayrollLine.award_id, PayrollLine.person_id, PayrollLine.province, PayrollLine.for_period,
                      literal("adjustment"), PensionAdjustment.increase_fen, literal(0), literal("new"), literal(""))
               .join(PensionAdjustment, and_(PensionAdjustment.award_id == PayrollLine.award_id,
                                             PensionAdjustment.since_period == since_period))
               .where(PayrollLine.award_id.in_(select(PensionAward.id).where(chunk, PensionAward.province == province)),
                      PayrollLine.kind == "monthly", PayrollLine.for_period >= since_period,
                      PayrollLine.status != "cancelled", PensionAdjustment.increase_fen > 0))
    session.execute(insert_ignoring_duplicates(session, PayrollLine.__table__).from_select(
        ["award_id", "person_id", "province", "for_period", "kind", "amount_fen", "account_part_fen", "status", "hold_reason"],
        arrears))
    fresh = and_(PayrollLine.status == "new", PayrollLine.kind == "adjustment")
    post_payable(session, province=province, month=Period.of(china_today(now)), lines=fresh,
                 key_prefix=f"payable:{province}:adjust{since_period}:", actor=actor, now=now)
    session.execute(update(PayrollLine).where(fresh, PayrollLine.province == province).values(status="due"))
    return raised


def sweep_certifications(*, database: Database, province: str, on: date, now: datetime, actor: str,
                         store: ParameterStore | None = None) -> dict[str, int]:
    """Reminds receivers whose yearly certification falls due soon; suspends those past due and the grace —
    the same test of `_in_date` the payroll applies on the day it pays."""
    if region_level(province) != 1:
        raise InvalidInput("certification.province", f"「{province}」不是省级区划代码", f"{province} is not a province code")
    if on > china_today(now):
        raise InvalidInput("certification.future", "不能按未来日期检查认证", "the sweep cannot be run for a future day")
    terms = _terms(store, province, on)
    in_date = _in_date(terms, on)
    paying = and_(PensionAward.province == province, PensionAward.status == "paying")
    with database.transaction() as session:
        reminders = select(PensionAward.id, PensionAward.certified_on, literal(on)).where(
            paying, PensionAward.certified_on < terms.reminder_cutoff(on), in_date)
        sent = select(func.count()).select_from(CertificationReminder).join(
            PensionAward, PensionAward.id == CertificationReminder.award_id).where(PensionAward.province == province)
        before = session.scalar(sent)
        session.execute(insert_ignoring_duplicates(session, CertificationReminder.__table__).from_select(
            ["award_id", "cycle_start", "sent_on"], reminders))
        reminded = session.scalar(sent) - before  # each cycle is reminded once, however often the sweep runs
        suspended = _suspend_lapsed(session, PensionAward.province == province, in_date)
        audit.append(session, actor=actor, action="certification.swept", subject=f"province:{province}", now=now,
                     on=on.isoformat(), reminded=reminded, suspended=suspended)
    return {"reminded": reminded, "suspended": suspended}
