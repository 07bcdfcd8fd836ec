"""Debts the pension payroll takes back from a person's later payments (抵扣): a generic "deduction owed".

Whoever is owed registers a deduction (risk control registers a confirmed overpayment's recovery: benefits cannot know
risk, so the mechanism lives here, by the payroll, and names its source only as text and id). When the payroll pays
a line of a person with an open deduction, it takes at most the deduction's share of the line (rules.deduction_fen)
and at most what is owed: the receiver is paid the rest, and one entry moves what was taken from the benefit payable
to the person's receivable. Each take is kept, one per line and deduction, so the source reads what was taken and
for which month; a line the bank returns and that is paid again is not taken twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from shebao.benefits.models import BenefitDeduction, BenefitDeductionTake, PayrollLine
from shebao.benefits.rules import deduction_fen
from shebao.core.clock import utc_naive
from shebao.core.periods import Period
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind, Line


def register(*, session: Session, person_id: int, province: str, source: str, source_id: int, owed_fen: int,
             share: Decimal, now: datetime) -> int:
    """A debt to take from the person's later pension payments, at most `share` of each; returns its id."""
    at = utc_naive(now)
    deduction = BenefitDeduction(person_id=person_id, province=province, source=source, source_id=source_id,
                                 owed_fen=owed_fen, share=str(share), status="open" if owed_fen > 0 else "closed",
                                 created_at=at, updated_at=at)
    session.add(deduction)
    session.flush()
    return deduction.id


def _of(source: str, source_id: int):  # noqa: ANN202 - a WHERE clause
    return (BenefitDeduction.source == source) & (BenefitDeduction.source_id == source_id)


def lock(*, session: Session, source: str, source_id: int) -> None:
    """Holds the source's deduction against a payroll taking from it meanwhile (PostgreSQL; SQLite has one writer)."""
    session.execute(select(BenefitDeduction.id).where(_of(source, source_id)).with_for_update())


def set_owed(*, session: Session, source: str, source_id: int, owed_fen: int, now: datetime) -> None:
    """What the source is still owed after a repayment or a write-off; at 0 the deduction closes."""
    deduction = session.scalar(select(BenefitDeduction).where(_of(source, source_id)))
    if deduction is not None:
        deduction.owed_fen, deduction.updated_at = owed_fen, utc_naive(now)
        deduction.status = "open" if owed_fen > 0 else "closed"


def taken(*, session: Session, source: str, source_id: int) -> list[BenefitDeductionTake]:
    """Every take from the source's deduction, in order."""
    return list(session.scalars(select(BenefitDeductionTake).join(
        BenefitDeduction, BenefitDeduction.id == BenefitDeductionTake.deduction_id).where(_of(source, source_id))
        .order_by(BenefitDeductionTake.id)))


def deducted_from(line_id: ColumnElement) -> ColumnElement:
    """What was taken from a payroll line (0 when nothing): the line pays its amount less this."""
    return (select(func.coalesce(func.sum(BenefitDeductionTake.amount_fen), 0))
            .where(BenefitDeductionTake.payroll_line_id == line_id).correlate_except(BenefitDeductionTake)
            .scalar_subquery())


def take(*, session: Session, province: str, month: Period, lines: ColumnElement[bool], actor: str,
         now: datetime) -> int:
    """Takes the open deductions' shares from the lines just paid (before they go to the banks); returns the fen
    taken. Deductions are few (confirmed overpayments), so their lines are worked one by one."""
    owed = {d.id: d for d in session.scalars(
        select(BenefitDeduction).where(BenefitDeduction.province == province, BenefitDeduction.status == "open",
                                       BenefitDeduction.owed_fen > 0,
                                       BenefitDeduction.person_id.in_(select(PayrollLine.person_id).where(lines)))
        .order_by(BenefitDeduction.id).with_for_update())}
    if not owed:
        return 0
    by_person: dict[int, list[BenefitDeduction]] = defaultdict(list)
    for deduction in owed.values():
        by_person[deduction.person_id].append(deduction)
    already = select(BenefitDeductionTake.id).where(BenefitDeductionTake.payroll_line_id == PayrollLine.id).exists()
    paid = session.execute(select(PayrollLine.id, PayrollLine.person_id, PayrollLine.for_period, PayrollLine.amount_fen)
                           .where(lines, PayrollLine.person_id.in_(list(by_person)), ~already)
                           .order_by(PayrollLine.person_id, PayrollLine.for_period, PayrollLine.id)).all()
    takes: list[tuple[BenefitDeduction, int, str, int]] = []
    for line_id, person_id, period, amount in paid:
        given = 0  # several debts of one person share one cap: the largest share of the line
        for deduction in by_person[person_id]:
            cap = deduction_fen(payment_fen=amount, share=Decimal(deduction.share), owed_fen=deduction.owed_fen)
            part = max(0, cap - given)
            if part:
                takes.append((deduction, line_id, period, part))
                deduction.owed_fen -= part
                given += part
    if not takes:
        return 0
    total = sum(part for *_, part in takes)
    per_person: dict[int, int] = defaultdict(int)
    for deduction, _, _, part in takes:
        per_person[deduction.person_id] += part

    def account(kind: AccountKind, **owner: object) -> int:
        return ledger.open_account(session=session, kind=kind, province=province, now=now, **owner).id

    entry = ledger.post_entry(
        session=session, key=ledger.next_key(session=session, prefix=f"deduction:{province}:{month}:"),
        province=province, period=str(month), kind="benefit_deduction",
        memo=f"从养老金中抵扣应追回款 deducted from pensions towards debts owed back {month}",
        lines=[Line(account(AccountKind.BENEFIT_PAYABLE), total),
               *(Line(account(AccountKind.RECEIVABLE, person_id=person), -fen) for person, fen in sorted(per_person.items()))],
        actor=actor, now=now)
    at = utc_naive(now)
    for deduction, line_id, period, part in takes:
        session.add(BenefitDeductionTake(deduction_id=deduction.id, payroll_line_id=line_id, period=period,
                                         amount_fen=part, entry_id=entry.id, actor=actor, at=at))
        deduction.updated_at = at
        if deduction.owed_fen == 0:
            deduction.status = "closed"
    session.flush()
    return total
