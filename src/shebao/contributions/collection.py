"""Collection: payments allocated oldest debt first with the statutory late fee, and the distribution
of a fully paid bill to personal accounts and pooling funds.

Only paid contributions count: a bill's money stays in clearing until the bill is paid in full; then
one entry credits each person's personal account with the individual pension part and each pooling
fund with the rest. Late fees go to the pension pooling fund (Social Insurance Law art. 86).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, String, and_, cast, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from shebao.contributions.models import NOTHING_MOVED, Assessment, Bill, Payment, PaymentAllocation, Refund
from shebao.contributions.rules import Allocation, allocate, late_fee
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database
from shebao.core.errors import Conflict, InvalidInput, NotFound, given_zh
from shebao.core.money import fen_to_yuan
from shebao.core.runs import BatchRun, BatchRunRead
from shebao.ledger import chart, posting
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind, Line
from shebao.policy.store import ParameterStore, default_store

POOLED_PARTS = {
    "pension": ("pension_employer_fen", "pension_individual_fen"),
    "medical": ("medical_employer_fen", "medical_individual_fen"),
    "unemployment": ("unemployment_employer_fen", "unemployment_individual_fen"),
    "work_injury": ("work_injury_employer_fen",),
    "maternity": ("maternity_employer_fen",),
}


def paid_principal(bill_id):  # noqa: ANN001, ANN201 - a correlated SQL expression
    """What has been paid of a bill's principal so far."""
    return (select(func.coalesce(func.sum(PaymentAllocation.principal_fen), 0))
            .where(PaymentAllocation.bill_id == bill_id).scalar_subquery())


def outstanding(*, session: Session, payer_kind: str, payer_id: int) -> list[tuple[Bill, int]]:
    """The payer's bills with their unpaid principal, oldest first."""
    paid = (select(PaymentAllocation.bill_id, func.sum(PaymentAllocation.principal_fen).label("paid"))
            .group_by(PaymentAllocation.bill_id).subquery())
    rows = session.execute(
        select(Bill, func.coalesce(paid.c.paid, 0)).outerjoin(paid, paid.c.bill_id == Bill.id)
        .where(Bill.payer_kind == payer_kind, Bill.payer_id == payer_id).order_by(Bill.period, Bill.id)
    ).all()
    return [(bill, bill.amount_fen - int(done)) for bill, done in rows if bill.amount_fen > int(done)]


def issued_on(bill: Bill) -> date:
    """The day in China on which a bill was issued (written by month-end or a make-up request)."""
    return china_today(bill.created_at.replace(tzinfo=UTC))


def record_payment(*, session: Session, key: str, payer_kind: str, payer_id: int, amount_fen: int, received_on: date,
                   actor: str, now: datetime, store: ParameterStore | None = None, accept_excess: bool = False,
                   province: str | None = None) -> dict:
    """Takes a payment: allocates it, posts it, and distributes every bill it completes.

    The date the money arrived decides the late fee, so it is held to what can be true: not after today
    in China, and not before the payer's oldest unpaid bill was issued. A payment pays only the bills
    that had been issued by the day it arrived (oldest first); money cannot have been meant for a bill
    that did not yet exist, and dating it earlier must not wipe the late fees of a bill issued later
    (a make-up bill is issued today but due, with its fees, from its month's original due date).

    Money the bank has already taken is not refused for being too much: with `accept_excess` (the collecting
    bank's file, a second payment of the same bill) what exceeds the debt is kept as the payer's credit, to be
    offset against a later bill or refunded (contributions.refunds); `province` then names where the payer is
    when it owes nothing."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise InvalidInput("payment.amount", f"缴款金额必须是正整数（分）{given_zh(amount_fen)}", f"a payment is a positive whole number of fen: {amount_fen!r}")
    today = china_today(now)
    if received_on > today:
        raise InvalidInput("payment.future", f"到账日期 {_zh_date(received_on)} 晚于今天（{_zh_date(today)}）",
                           f"the payment date {received_on} is after today ({today}, China time)")
    # Two payments for one payer at once would both see the same unpaid principal and pay it twice: the
    # payer's bills are locked first (PostgreSQL; SQLite's write lock is taken at BEGIN), so the second waits
    # and then sees what the first allocated, or finds the same reference already recorded.
    session.execute(select(Bill.id).where(Bill.payer_kind == payer_kind, Bill.payer_id == payer_id).with_for_update())
    if session.scalar(select(Payment.id).where(Payment.idempotency_key == key)) is not None:
        raise _duplicate(key)
    unpaid_bills = outstanding(session=session, payer_kind=payer_kind, payer_id=payer_id)
    if not unpaid_bills and not accept_excess:
        raise NotFound("payment.no_debt", "该缴费主体没有欠缴的账单", "this payer owes nothing")
    debts = [(bill, unpaid) for bill, unpaid in unpaid_bills if issued_on(bill) <= received_on]
    if not debts and accept_excess:
        return _credit_only(session, key, payer_kind, payer_id, province or (unpaid_bills[0][0].province if unpaid_bills
                                                                              else None), amount_fen, received_on,
                            actor, now)
    if not debts:
        first_issued = min(issued_on(bill) for bill, _ in unpaid_bills)
        raise InvalidInput("payment.before_bill",
                           f"到账日期 {_zh_date(received_on)} 早于该缴费主体最早一张未缴账单的开具日期 {_zh_date(first_issued)}，"
                           "缴款只能冲抵到账时已开具的账单",
                           f"the payment is dated {received_on}, before the payer's oldest unpaid bill was issued on "
                           f"{first_issued}; a payment pays only bills issued by the day it arrived",
                           earliest_received_on=first_issued.isoformat())
    province = debts[0][0].province
    daily_rate = (store or default_store()).at(province, received_on).value("contribution.late_fee_daily_rate")
    owed = sum(unpaid + late_fee(unpaid, max((received_on - bill.due_date).days, 0), daily_rate) for bill, unpaid in debts)
    if amount_fen > owed and not accept_excess:
        raise InvalidInput("payment.exceeds_debt",
                           f"缴款 {fen_to_yuan(amount_fen)} 元超过 {_zh_date(received_on)} 应缴金额（含滞纳金）{fen_to_yuan(owed)} 元",
                           f"the payment of {fen_to_yuan(amount_fen)} yuan exceeds the debt with late fees on {received_on}, "
                           f"{fen_to_yuan(owed)} yuan", owed_fen=owed)
    allocations = allocate(debts, min(amount_fen, owed), received_on, daily_rate)
    payment = Payment(idempotency_key=key, payer_kind=payer_kind, payer_id=payer_id, province=province,
                      amount_fen=amount_fen, received_on=received_on, recorded_by=actor, recorded_at=utc_naive(now))
    try:
        with session.begin_nested():  # the same reference for another payer, recorded at the same moment
            session.add(payment)
            session.flush()
    except IntegrityError:
        raise _duplicate(key) from None
    session.add_all(PaymentAllocation(payment_id=payment.id, bill_id=a.bill_id, principal_fen=a.principal_fen,
                                      late_fee_fen=a.late_fee_fen, days_late=a.days_late) for a in allocations)
    session.flush()
    _post_payment(session, payment, allocations, actor, now)
    completed = [a.bill_id for a, (bill, unpaid) in zip(allocations, debts) if a.principal_fen == unpaid]
    for bill_id in completed:
        distribute_bill(session=session, bill_id=bill_id, period=_posting_period(received_on), actor=actor, now=now)
    audit.append(session, actor=actor, action="payment.recorded", subject=f"payment:{payment.id}", now=now,
                 payer=f"{payer_kind}:{payer_id}", amount_fen=amount_fen, received_on=received_on.isoformat(),
                 bills_completed=completed)
    return {"payment_id": payment.id, "amount_fen": amount_fen, "completed_bills": completed,
            "allocations": [a.__dict__ for a in allocations],
            "unpaid_fen": sum(unpaid for _, unpaid in unpaid_bills) - sum(a.principal_fen for a in allocations),
            "credit_fen": amount_fen - sum(a.principal_fen + a.late_fee_fen for a in allocations)}


def _credit_only(session: Session, key: str, payer_kind: str, payer_id: int, province: str | None, amount_fen: int,
                 received_on: date, actor: str, now: datetime) -> dict:
    """Money for a payer that owes nothing (yet): all of it is the payer's credit."""
    if province is None:
        raise InvalidInput("payment.province", "该缴费主体没有账单，请指明参保地", "the payer has no bills: name its province")
    payment = Payment(idempotency_key=key, payer_kind=payer_kind, payer_id=payer_id, province=province,
                      amount_fen=amount_fen, received_on=received_on, recorded_by=actor, recorded_at=utc_naive(now))
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:
        raise _duplicate(key) from None
    _post_payment(session, payment, [], actor, now)
    audit.append(session, actor=actor, action="payment.recorded", subject=f"payment:{payment.id}", now=now,
                 payer=f"{payer_kind}:{payer_id}", amount_fen=amount_fen, received_on=received_on.isoformat(),
                 bills_completed=[], credit_fen=amount_fen)
    return {"payment_id": payment.id, "amount_fen": amount_fen, "completed_bills": [], "allocations": [],
            "unpaid_fen": 0, "credit_fen": amount_fen}


def _duplicate(key: str) -> Conflict:
    return Conflict("payment.duplicate", f"缴款「{key}」已入账，不会重复入账", f"payment {key} was already recorded; nothing is taken twice")


def _zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _posting_period(received_on: date) -> str:
    return f"{received_on.year:04d}{received_on.month:02d}"


def _post_payment(session: Session, payment: Payment, allocations: list[Allocation], actor: str, now: datetime) -> None:
    fees = sum(a.late_fee_fen for a in allocations)
    province = payment.province
    cash = ledger.open_account(session=session, kind=AccountKind.CASH, province=province, now=now)
    receivable = ledger.account_id(session=session, now=now, account=chart.payer_receivable(
        payment.payer_kind, payment.payer_id, province=province))
    # the principal, and any excess: a receivable credited beyond what is owed is the payer's credit
    lines = [Line(cash.id, payment.amount_fen), Line(receivable, -(payment.amount_fen - fees))]
    if fees:
        pool = ledger.open_account(session=session, kind=AccountKind.POOLING_FUND, province=province,
                                   insurance="pension", now=now)
        lines.append(Line(pool.id, -fees))
    ledger.post_entry(session=session, key=f"payment:{payment.idempotency_key}", province=province,
                      period=_posting_period(payment.received_on), kind="payment",
                      memo=f"缴款 payment {payment.id}", lines=lines, actor=actor, now=now)


def distribute_bill(*, session: Session, bill_id: int, period: str, actor: str, now: datetime) -> int:
    """Moves one fully paid bill out of clearing into personal accounts and pooling funds."""
    bill = session.get(Bill, bill_id)
    if bill is None:
        raise NotFound("bill.unknown", f"账单 {bill_id} 不存在", f"no bill {bill_id}")
    return distribute_bills(session=session, province=bill.province, bills=Bill.id == bill_id, period=period,
                            actor=actor, now=now)


def distribute_bills(*, session: Session, province: str, bills: ColumnElement[bool], period: str, actor: str,
                     now: datetime) -> int:
    """Set-based distribution of paid bills: per bill, debit clearing; credit each pooling fund with its
    share and each person's personal account with the individual pension part. Each bill records the
    entry that distributed it; a bill that has one is not distributed again. A correction's bill waits for the
    bills of the versions it replaced (it moves the difference from what they moved); once they are distributed,
    so is every settled correction that waited on them."""
    undistributed = and_(Bill.province == province, Bill.distribution_entry_id.is_(None), _replaced_bills_distributed())
    bill_ids = list(session.scalars(select(Bill.id).where(bills, undistributed)))
    done = 0
    while bill_ids:
        for start in range(0, len(bill_ids), DISTRIBUTION_BATCH):
            _distribute(session, province, bill_ids[start:start + DISTRIBUTION_BATCH], period, actor, now)
        done += len(bill_ids)
        bill_ids = list(session.scalars(select(Bill.id).where(  # corrections waiting on what was just distributed
            Bill.correction_id.isnot(None), undistributed, paid_principal(Bill.id) >= Bill.amount_fen)))
    return done


def _replaced_bills_distributed() -> ColumnElement[bool]:
    """For a correction's bill: every bill of the versions it replaced has been distributed (true for other bills)."""
    replaced = aliased(Bill)
    return ~(select(Assessment.id)
             .join(replaced, and_(replaced.period == Assessment.period, replaced.payer_kind == Assessment.payer_kind,
                                  replaced.payer_id == Assessment.payer_id, replaced.reference == Assessment.bill_reference))
             .where(Assessment.superseded_by == Bill.correction_id, Assessment.period == Bill.period,
                    Assessment.payer_kind == Bill.payer_kind, Assessment.payer_id == Bill.payer_id,
                    replaced.distribution_entry_id.is_(None)).exists())


DISTRIBUTION_BATCH = 5_000


def _distribute(session: Session, province: str, bill_ids: list[int], period: str, actor: str, now: datetime) -> None:
    """One entry per bill. A correction's bill moves the difference it made: its new versions of the persons' months
    in, the versions they superseded out (a personal account credited for a month no longer owed is debited)."""
    chosen = (select(Bill.id, Bill.period, Bill.payer_kind, Bill.payer_id, Bill.amount_fen, Bill.reference,
                     Bill.correction_id).where(_bills(bill_ids)).cte("chosen"))
    same_payer_month = and_(Assessment.period == chosen.c.period, Assessment.payer_kind == chosen.c.payer_kind,
                            Assessment.payer_id == chosen.c.payer_id)
    mine = and_(same_payer_month, Assessment.bill_reference == chosen.c.reference)
    replaced = and_(same_payer_month, Assessment.superseded_by == chosen.c.correction_id)
    key = _key("distribute:", chosen.c.id)
    each_bill = select(chosen.c.id)
    lines = [posting.Lines(each_bill, key, chart.province_account(AccountKind.CLEARING, province=province),
                           chosen.c.amount_fen)]
    for side, rows, sign in (("mine", mine, 1), ("replaced", replaced, -1)):
        each_person = select(chosen.c.id).join(Assessment, rows)
        # Every fund's share of each bill in one pass over the bill's rows, kept for the statement (a line set per fund
        # read them once per fund, twice over: once to skip the empty entries, once to write the lines).
        shares = (each_person.add_columns(*(_share(insurance).label(insurance) for insurance in POOLED_PARTS))
                  .group_by(chosen.c.id).cte(f"shares_{side}").prefix_with("MATERIALIZED"))
        for insurance in POOLED_PARTS:
            lines.append(posting.Lines(select(shares.c.id), _key("distribute:", shares.c.id),
                                       chart.pooling_fund(insurance, province=province), -sign * shares.c[insurance]))
        lines.append(posting.Lines(each_person, key, chart.personal_account(Assessment.person_id, province=province),
                                   -sign * Assessment.pension_account_fen))
    posting.post_entries(session=session, province=province, period=period, kind="distribution", actor=actor, now=now,
                         entries=select(key, literal("到账分配 paid bill ") + cast(chosen.c.id, String),
                                        chosen.c.period),  # the money is for the bill's month: interest counts from it
                         lines=lines, skip_empty=True)
    session.execute(update(Bill).where(_bills(bill_ids), Bill.distribution_entry_id.is_(None))
                    .values(distribution_entry_id=func.coalesce(posting.entry_id(_key("distribute:", Bill.id)),
                                                                NOTHING_MOVED))
                    .execution_options(synchronize_session=False))


def _bills(bill_ids: list[int]) -> ColumnElement[bool]:
    """The bills of a batch (distinct ids). Ids that run without a gap are asked for as their range: PostgreSQL reads
    a range through the primary key, but given 5,000 ids it read the whole bills table for each statement of each
    batch (0.1 s a statement once a province has 250,000 bills). The range alone, not with the ids as well: the
    planner would multiply the two selectivities and plan for two bills."""
    low, high = min(bill_ids), max(bill_ids)
    return Bill.id.between(low, high) if high - low + 1 == len(bill_ids) else Bill.id.in_(bill_ids)


def _share(insurance: str):  # noqa: ANN202 - an SQL aggregate
    """A pooling fund's share of a bill's rows: the insurance's parts, less the personal account's for the pension."""
    share = sum((func.sum(getattr(Assessment, column)) for column in POOLED_PARTS[insurance]), start=literal(0))
    return share - func.sum(Assessment.pension_account_fen) if insurance == "pension" else share


def _key(prefix: str, column):  # noqa: ANN001, ANN202 - SQL string expression
    return literal(prefix) + cast(column, String)


def settle_period_in_full(*, database: Database, province: str, period: str, paid_on: date, actor: str,
                          now: datetime, unpaid_every: int = 0, chunk: int = 50_000) -> BatchRunRead:
    """A collecting bank's file for a whole month, set-based: every open bill of the period paid in full
    on a day no later than its due date (no late fee). `unpaid_every` leaves every n-th payer unpaid (the
    demo uses it to show arrears). Chunked by bill id, one transaction per chunk, idempotent by key."""
    if paid_on > china_today(now):
        raise InvalidInput("settlement.future", f"代收日期 {_zh_date(paid_on)} 晚于今天", f"the collection date {paid_on} is in the future")
    with database.unit_of_work() as uow:
        monthly = and_(Bill.province == province, Bill.period == period, Bill.kind == "monthly")
        low, high = uow.session.execute(select(func.min(Bill.id), func.max(Bill.id)).where(monthly)).one()
        late = uow.session.scalar(select(func.count()).select_from(Bill).where(monthly, Bill.due_date < paid_on))
    if late:
        raise InvalidInput("settlement.late", f"{late} 张账单在 {paid_on} 前已逾期，需逐笔计收滞纳金",
                           f"{late} bills are overdue on {paid_on}: take those payments one by one with their late fee")
    if low is None:
        raise NotFound("settlement.no_bills", f"{province} 的 {period} 期没有账单", f"no bills for {period} in {province}")
    started, count = time.perf_counter(), 0
    for start in range(low, high + 1, chunk):
        with database.transaction() as session:
            open_bills = and_(monthly, Bill.id.between(start, start + chunk - 1),
                              ~select(PaymentAllocation.id).where(PaymentAllocation.bill_id == Bill.id).exists())
            if unpaid_every:
                open_bills = and_(open_bills, Bill.payer_id % unpaid_every != 0)
            count += _pay_in_full(session, province, open_bills, paid_on, actor, now)
            distribute_bills(session=session, province=province, period=_posting_period(paid_on), actor=actor, now=now,
                             bills=and_(monthly, Bill.id.between(start, start + chunk - 1),
                                        paid_principal(Bill.id) >= Bill.amount_fen))
    with database.transaction() as session:
        total = session.scalar(select(func.coalesce(func.sum(Payment.amount_fen), 0))
                               .join(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
                               .join(Bill, Bill.id == PaymentAllocation.bill_id)
                               .where(monthly))
        run = BatchRun(kind="collection", province=province, period=period, status="done", chunks_total=0,
                       chunks_done=0, persons=0, bills=count, entries=count * 2, total_fen=int(total),
                       started_at=utc_naive(now), finished_at=utc_naive(now),
                       duration_ms=int((time.perf_counter() - started) * 1000), detail="{}")
        session.add(run)
        session.flush()
        audit.append(session, actor=actor, action="collection.settled", subject=f"run:{run.id}", now=now,
                     province=province, period=period, bills=count, total_fen=int(total))
        return BatchRunRead.model_validate(run, from_attributes=True)


def _pay_in_full(session: Session, province: str, open_bills: ColumnElement[bool], paid_on: date, actor: str,
                 now: datetime) -> int:
    """Payments, allocations and payment entries for the chosen bills, each paid exactly its amount."""
    bill_ids = list(session.scalars(select(Bill.id).where(open_bills)))
    cash = ledger.open_account(session=session, kind=AccountKind.CASH, province=province, now=now).id
    for start in range(0, len(bill_ids), DISTRIBUTION_BATCH):
        _pay(session, province, bill_ids[start:start + DISTRIBUTION_BATCH], cash, paid_on, actor, now)
    return len(bill_ids)


def _pay(session: Session, province: str, bill_ids: list[int], cash: int, paid_on: date, actor: str,
         now: datetime) -> None:
    stamp = utc_naive(now)
    chosen = select(Bill.id, Bill.amount_fen, Bill.payer_kind, Bill.payer_id).where(_bills(bill_ids)).cte("chosen")
    session.execute(Payment.__table__.insert().from_select(
        ["idempotency_key", "payer_kind", "payer_id", "province", "amount_fen", "received_on", "recorded_by", "recorded_at"],
        select(_key("settle:", chosen.c.id), chosen.c.payer_kind, chosen.c.payer_id, literal(province),
               chosen.c.amount_fen, literal(paid_on), literal(actor), literal(stamp))))
    session.execute(PaymentAllocation.__table__.insert().from_select(
        ["payment_id", "bill_id", "principal_fen", "late_fee_fen", "days_late"],
        select(Payment.id, chosen.c.id, chosen.c.amount_fen, literal(0), literal(0))
        .join(Payment, Payment.idempotency_key == _key("settle:", chosen.c.id))))
    key = _key("payment:settle:", chosen.c.id)
    each_bill = select(chosen.c.id)
    receivable = chart.payer_receivable(chosen.c.payer_kind, chosen.c.payer_id, province=province)
    posting.post_entries(session=session, province=province, period=_posting_period(paid_on), kind="payment",
                         actor=actor, now=now,
                         entries=select(key, literal("银行代收 bank collection ") + cast(chosen.c.id, String)),
                         lines=[posting.Lines(each_bill, key, cash, chosen.c.amount_fen),
                                posting.Lines(each_bill, key, receivable, -chosen.c.amount_fen)])


# ---------------------------------------------------------------- a refund taken as an offset (refunds.py)

def apply_offsets(*, session: Session, province: str, now: datetime, actor: str, store: ParameterStore | None = None,
                  payer: tuple[str, int] | None = None) -> int:
    """Approved offsets pay their payers' unpaid bills issued by today, oldest first, each with the late fee due
    today; run when an offset is approved and when month-end issues the next bills. Returns the fen offset."""
    query = select(Refund).where(Refund.province == province, Refund.method == "offset", Refund.status == "approved")
    if payer is not None:
        query = query.where(Refund.payer_kind == payer[0], Refund.payer_id == payer[1])
    today = china_today(now)
    daily_rate = (store or default_store()).at(province, today).value("contribution.late_fee_daily_rate")
    used_in_all = 0
    for refund in session.scalars(query.order_by(Refund.id)).all():
        debts = [(bill, unpaid) for bill, unpaid in outstanding(session=session, payer_kind=refund.payer_kind,
                                                                payer_id=refund.payer_id) if issued_on(bill) <= today]
        owed = sum(unpaid + late_fee(unpaid, max((today - bill.due_date).days, 0), daily_rate) for bill, unpaid in debts)
        used = min(refund.amount_fen - refund.offset_fen, owed)
        if used <= 0:
            continue
        allocations = allocate(debts, used, today, daily_rate)
        payment = Payment(idempotency_key=f"offset:{refund.id}:{refund.offset_fen}", payer_kind=refund.payer_kind,
                          payer_id=refund.payer_id, province=province, amount_fen=used, received_on=today,
                          recorded_by=actor, recorded_at=utc_naive(now), method="offset")
        session.add(payment)
        session.flush()
        session.add_all(PaymentAllocation(payment_id=payment.id, bill_id=a.bill_id, principal_fen=a.principal_fen,
                                          late_fee_fen=a.late_fee_fen, days_late=a.days_late) for a in allocations)
        session.flush()
        _post_fees(session, refund, payment, sum(a.late_fee_fen for a in allocations), actor, now)
        for allocation, (bill, unpaid) in zip(allocations, debts):
            if allocation.principal_fen == unpaid:
                distribute_bill(session=session, bill_id=bill.id, period=_posting_period(today), actor=actor, now=now)
        refund.offset_fen += used
        if refund.offset_fen == refund.amount_fen:
            refund.status = "offset"
        used_in_all += used
    session.flush()
    return used_in_all


def _post_fees(session: Session, refund: Refund, payment: Payment, fees: int, actor: str, now: datetime) -> None:
    """The principal an offset pays is already off the receivable (the credit was); its late fees are charged to
    the credit: debit the receivable, credit the pension pool."""
    if not fees:
        return
    receivable = ledger.account_id(session=session, now=now, account=chart.payer_receivable(
        refund.payer_kind, refund.payer_id, province=refund.province))
    pool = ledger.open_account(session=session, kind=AccountKind.POOLING_FUND, province=refund.province,
                               insurance="pension", now=now)
    ledger.post_entry(session=session, key=f"payment:{payment.idempotency_key}", province=refund.province,
                      period=_posting_period(china_today(now)), kind="payment", memo=f"抵缴滞纳金 offset late fees {refund.id}",
                      lines=[Line(receivable, fees), Line(pool.id, -fees)], actor=actor, now=now)
