"""Collection: payments allocated oldest debt first with the statutory late fee, and the distribution
of a fully paid bill to personal accounts and pooling funds.

Only paid contributions count: a bill's money stays in clearing until the bill is paid in full; then
one entry credits each person's personal account with the individual pension part and each pooling
fund with the rest. Late fees go to the pension pooling fund (Social Insurance Law art. 86).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.orm import Session

from shebao.contributions.models import Assessment, Bill, Payment, PaymentAllocation
from shebao.core import audit
from shebao.core.clock import utc_naive
from shebao.core.errors import Conflict, InvalidInput, NotFound
from shebao.core.sql import insert_ignoring_duplicates
from shebao.ledger import service as ledger
from shebao.ledger.models import JournalEntry, JournalLine, LedgerAccount
from shebao.ledger.rules import AccountKind, Line
from shebao.policy.store import ParameterStore, default_store

POOLED_PARTS = {
    "pension": ("pension_employer_fen", "pension_individual_fen"),
    "medical": ("medical_employer_fen", "medical_individual_fen"),
    "unemployment": ("unemployment_employer_fen", "unemployment_individual_fen"),
    "work_injury": ("work_injury_employer_fen",),
    "maternity": ("maternity_employer_fen",),
}


@dataclass(frozen=True)
class Allocation:
    bill_id: int
    period: str
    principal_fen: int
    late_fee_fen: int
    days_late: int


def outstanding(session: Session, payer_kind: str, payer_id: int) -> list[tuple[Bill, int]]:
    """The payer's bills with their unpaid principal, oldest first."""
    paid = (select(PaymentAllocation.bill_id, func.sum(PaymentAllocation.principal_fen).label("paid"))
            .group_by(PaymentAllocation.bill_id).subquery())
    rows = session.execute(
        select(Bill, func.coalesce(paid.c.paid, 0)).outerjoin(paid, paid.c.bill_id == Bill.id)
        .where(Bill.payer_kind == payer_kind, Bill.payer_id == payer_id).order_by(Bill.period, Bill.id)
    ).all()
    return [(bill, bill.amount_fen - int(done)) for bill, done in rows if bill.amount_fen > int(done)]


def late_fee(principal_fen: int, days_late: int, daily_rate: Decimal) -> int:
    return int((Decimal(principal_fen) * daily_rate * days_late).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def allocate(debts: list[tuple[Bill, int]], amount_fen: int, received_on: date, daily_rate: Decimal) -> list[Allocation]:
    """Spread a payment over debts oldest first; each part carries the late fee for its days overdue."""
    remaining, allocations = amount_fen, []
    for bill, unpaid in debts:
        if remaining <= 0:
            break
        days = max((received_on - bill.due_date).days, 0)
        full_fee = late_fee(unpaid, days, daily_rate)
        if unpaid + full_fee <= remaining:
            principal, fee = unpaid, full_fee
        else:  # a part payment: the most principal whose fee still fits
            factor = Decimal(1) + daily_rate * days
            principal = int((Decimal(remaining) / factor).to_integral_value(rounding=ROUND_FLOOR))
            while principal > 0 and principal + late_fee(principal, days, daily_rate) > remaining:
                principal -= 1
            fee = late_fee(principal, days, daily_rate)
        if principal <= 0:
            break
        allocations.append(Allocation(bill.id, bill.period, principal, fee, days))
        remaining -= principal + fee
    return allocations


def record_payment(*, session: Session, key: str, payer_kind: str, payer_id: int, amount_fen: int, received_on: date,
                   actor: str, now: datetime, store: ParameterStore | None = None) -> dict:
    """Takes a payment: allocates it, posts it, and distributes every bill it completes."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise InvalidInput("payment.amount", f"缴款金额必须是正整数（分）：{amount_fen!r}", f"a payment is a positive whole number of fen: {amount_fen!r}")
    if received_on > now.date():
        raise InvalidInput("payment.future", f"到账日期 {received_on} 晚于今天", f"the payment date {received_on} is in the future")
    if session.scalar(select(Payment.id).where(Payment.idempotency_key == key)) is not None:
        raise Conflict("payment.duplicate", f"缴款 {key} 已入账，不会重复入账", f"payment {key} was already recorded; nothing is taken twice")
    debts = outstanding(session, payer_kind, payer_id)
    if not debts:
        raise NotFound("payment.no_debt", "该缴费主体没有欠缴的账单", "this payer owes nothing")
    province = debts[0][0].province
    daily_rate = (store or default_store()).at(province, received_on).value("contribution.late_fee_daily_rate")
    owed = sum(unpaid + late_fee(unpaid, max((received_on - bill.due_date).days, 0), daily_rate) for bill, unpaid in debts)
    if amount_fen > owed:
        raise InvalidInput("payment.exceeds_debt", f"缴款 {amount_fen} 分超过应缴（含滞纳金）{owed} 分",
                           f"the payment of {amount_fen} fen exceeds the debt with late fees, {owed} fen", owed_fen=owed)
    allocations = allocate(debts, amount_fen, received_on, daily_rate)
    payment = Payment(idempotency_key=key, payer_kind=payer_kind, payer_id=payer_id, province=province,
                      amount_fen=amount_fen, received_on=received_on, recorded_by=actor, recorded_at=utc_naive(now))
    session.add(payment)
    session.flush()
    session.add_all(PaymentAllocation(payment_id=payment.id, bill_id=a.bill_id, principal_fen=a.principal_fen,
                                      late_fee_fen=a.late_fee_fen, days_late=a.days_late) for a in allocations)
    session.flush()
    _post_payment(session, payment, allocations, actor, now)
    completed = [a.bill_id for a, (bill, unpaid) in zip(allocations, debts) if a.principal_fen == unpaid]
    for bill_id in completed:
        distribute_bill(session=session, bill_id=bill_id, period=_posting_period(received_on), actor=actor, now=now)
    audit.append(session, actor=actor, action="payment.recorded", subject=f"payment:{payment.id}", now=now,
                 payer=f"{payer_kind}:{payer_id}", amount_fen=amount_fen, bills_completed=completed)
    return {"payment_id": payment.id, "amount_fen": amount_fen, "completed_bills": completed,
            "allocations": [a.__dict__ for a in allocations],
            "unpaid_fen": sum(unpaid for _, unpaid in debts) - sum(a.principal_fen for a in allocations)}


def _posting_period(received_on: date) -> str:
    return f"{received_on.year:04d}{received_on.month:02d}"


def _post_payment(session: Session, payment: Payment, allocations: list[Allocation], actor: str, now: datetime) -> None:
    principal = sum(a.principal_fen for a in allocations)
    fees = sum(a.late_fee_fen for a in allocations)
    province = payment.province
    cash = ledger.open_account(session=session, kind=AccountKind.CASH, province=province, now=now)
    receivable = ledger.open_account(session=session, kind=AccountKind.RECEIVABLE, province=province, now=now,
                                     **({"employer_id": payment.payer_id} if payment.payer_kind == "employer"
                                        else {"person_id": payment.payer_id}))
    lines = [Line(cash.id, payment.amount_fen), Line(receivable.id, -principal)]
    if fees:
        pool = ledger.open_account(session=session, kind=AccountKind.POOLING_FUND, province=province,
                                   insurance="pension", now=now)
        lines.append(Line(pool.id, -fees))
    ledger.post_entry(session=session, key=f"payment:{payment.idempotency_key}", province=province,
                      period=_posting_period(payment.received_on), kind="payment",
                      memo=f"缴款 payment {payment.id}", lines=lines, actor=actor, now=now)


def distribute_bill(*, session: Session, bill_id: int, period: str, actor: str, now: datetime) -> int:
    """Moves a fully paid bill out of clearing: personal accounts and pooling funds (set-based per person)."""
    bill = session.get(Bill, bill_id)
    if bill is None:
        raise NotFound("bill.unknown", f"账单 {bill_id} 不存在", f"no bill {bill_id}")
    key = f"distribute:{bill_id}"
    if session.scalar(select(JournalEntry.id).where(JournalEntry.idempotency_key == key)) is not None:
        return 0
    province = bill.province
    _open_personal_accounts(session, bill, now)
    pools = {insurance: ledger.open_account(session=session, kind=AccountKind.POOLING_FUND, province=province,
                                            insurance=insurance, now=now).id for insurance in POOLED_PARTS}
    clearing = ledger.open_account(session=session, kind=AccountKind.CLEARING, province=province, now=now).id
    mine = (Assessment.period == bill.period, Assessment.payer_kind == bill.payer_kind, Assessment.payer_id == bill.payer_id)
    sums = session.execute(select(*(func.coalesce(func.sum(getattr(Assessment, column)), 0)
                                    for parts in POOLED_PARTS.values() for column in parts),
                                  func.coalesce(func.sum(Assessment.pension_account_fen), 0)).where(*mine)).one()
    columns = [column for parts in POOLED_PARTS.values() for column in parts]
    totals = dict(zip(columns, (int(v) for v in sums[:-1])))
    to_accounts = int(sums[-1])
    pool_lines = []
    for insurance, parts in POOLED_PARTS.items():
        amount = sum(totals[c] for c in parts) - (to_accounts if insurance == "pension" else 0)
        if amount:
            pool_lines.append(Line(pools[insurance], -amount))
    entry = ledger.post_entry(session=session, key=key, province=province, period=period, kind="distribution",
                              memo=f"到账分配 bill {bill_id} ({bill.period})",
                              lines=[Line(clearing, bill.amount_fen), *pool_lines], actor=actor, now=now,
                              more_lines=_personal_account_lines(bill))
    return entry.id


def _open_personal_accounts(session: Session, bill: Bill, now: datetime) -> None:
    rows = (select(literal("pa:person:") + cast(Assessment.person_id, String), literal(AccountKind.PERSONAL_ACCOUNT.value),
                   literal(bill.province), Assessment.person_id, literal(utc_naive(now)))
            .where(Assessment.period == bill.period, Assessment.payer_kind == bill.payer_kind,
                   Assessment.payer_id == bill.payer_id))
    session.execute(insert_ignoring_duplicates(session, LedgerAccount.__table__)
                    .from_select(["code", "kind", "province", "person_id", "opened_at"], rows))


def _personal_account_lines(bill: Bill):  # noqa: ANN202 - a Select of (account_id, amount)
    return (select(LedgerAccount.id, -Assessment.pension_account_fen)
            .join(LedgerAccount, LedgerAccount.code == literal("pa:person:") + cast(Assessment.person_id, String))
            .where(Assessment.period == bill.period, Assessment.payer_kind == bill.payer_kind,
                   Assessment.payer_id == bill.payer_id, Assessment.pension_account_fen != 0))
