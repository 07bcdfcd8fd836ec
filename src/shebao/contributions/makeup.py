"""Make-up payments (补缴): contributions for past months that were never assessed — a worker the
employer registered late, or a flexible worker's gap — billed at the base and rates in force in each
month, due from that month's original due date (so late fees run from then), within the months back
that the parameters allow."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from shebao.contributions.batch import BILLED_SCHEMES, MonthRates, covering, due_date
from shebao.contributions.models import Assessment, BaseDeclaration, Bill
from shebao.contributions.rules import (
    Category,
    Insurance,
    Item,
    assess_month,
    require_payer_or_staff,
)
from shebao.contributions.schemas import MakeupBillRead, MakeupRequest
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, InvalidInput
from shebao.core.periods import Period
from shebao.core.security import Principal
from shebao.enrollment.models import Participation
from shebao.ledger import chart
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind, Line
from shebao.policy.store import ParameterStore, default_store
from shebao.registry import service as registry

MEMOS = {"makeup": "补缴 make-up", "advance": "当月预缴 paid in advance"}


def request_makeup(*, session: Session, principal: Principal, person_id: int, command: MakeupRequest, now: datetime,
                   store: ParameterStore | None = None) -> list[MakeupBillRead]:
    """Bills the chosen past months for one person, all or none."""
    store = store or default_store()
    person = registry.person_by_id(session=session, person_id=person_id)
    today = china_today(now)
    this_month = Period.of(today)
    months = sorted({Period.parse(p) for p in command.periods})
    bills = []
    for month in months:
        participation = _covering(session, person_id, month)
        payer_kind, payer_id = ("employer", participation.employer_id) if participation.mode == "employer" \
            else ("flexible", person_id)
        require_payer_or_staff(principal, payer_kind=payer_kind, payer_id=payer_id,
                               region_code=person.residence_region_code)
        params = store.at(participation.province, month.first_day())
        reach = params.value("contribution.makeup_max_months_back")
        if month >= this_month:
            raise InvalidInput("makeup.not_past", f"{month} 不是已过去的月份，按月正常缴费即可",
                               f"{month} is not a past month; it is billed at month-end")
        if month < this_month.plus_months(-reach):
            raise InvalidInput("makeup.too_old", f"{month} 超出可补缴的 {reach} 个月",
                               f"{month} is more than {reach} months back; make-up is not allowed")
        if session.scalar(select(Assessment.id).where(Assessment.person_id == person_id, Assessment.period == str(month))):
            raise Conflict("makeup.already_assessed", f"{month} 已核定缴费，不能补缴（欠费请直接缴纳）",
                           f"{month} was already assessed; pay the open bill instead of a make-up")
        bills.append(_bill_month(session, person_id, participation, payer_kind, payer_id, month, params, principal.actor,
                                 now))
    audit.append(session, actor=principal.actor, action="makeup.billed", subject=f"person:{person_id}", now=now,
                 periods=[b.period for b in bills], total_fen=sum(b.amount_fen for b in bills))
    return bills


def bill_current_month(*, session: Session, principal: Principal, person_id: int, now: datetime,
                       store: ParameterStore | None = None) -> MakeupBillRead:
    """A flexible worker who enrolls online pays the month they enroll in at once: the month is assessed and billed
    now (kind "advance"), at the base and rates in force, due when month-end's bill would be (so no late fee today).
    Month-end then finds the month assessed and bills it no second time: it inserts its assessments ignoring a
    version already there, and bills only the assessments without a bill of their own."""
    store = store or default_store()
    month = Period.of(china_today(now))
    participation = _covering(session, person_id, month)
    if participation.mode != "flexible":
        raise InvalidInput("advance.not_flexible", "只有灵活就业人员可以预缴当月费用",
                           "only a flexible worker pays the current month in advance")
    require_payer_or_staff(principal, payer_kind="flexible", payer_id=person_id, region_code=participation.region_code)
    if session.scalar(select(Assessment.id).where(Assessment.person_id == person_id, Assessment.period == str(month))):
        raise Conflict("advance.already_assessed", f"{month} 已核定缴费，请直接缴纳账单",
                       f"{month} is already assessed; pay its bill")
    params = store.at(participation.province, month.first_day())
    return _bill_month(session, person_id, participation, "flexible", person_id, month, params, principal.actor, now,
                       kind="advance")


def _covering(session: Session, person_id: int, month: Period) -> Participation:
    last = month.plus_months(1).first_day()
    participation = session.scalar(select(Participation).where(
        Participation.person_id == person_id, Participation.scheme == "employee_pension",
        Participation.start_date < last, (Participation.end_date.is_(None)) | (Participation.end_date >= month.first_day()))
        .order_by(Participation.start_date.desc()).limit(1))
    if participation is None:
        raise InvalidInput("makeup.not_insured", f"{month} 没有职工养老保险参保关系，不能补缴",
                           f"there was no employee pension participation in {month} to make up")
    return participation


def _insured_for(session: Session, person_id: int, participation: Participation, month: Period) -> set[Insurance]:
    """The insurances the person was in that month through the same payer, each from its own participation."""
    through_payer = (Participation.employer_id == participation.employer_id if participation.mode == "employer"
                     else Participation.mode != "employer")
    covered = covering(participation.province, month, and_(Participation.person_id == person_id, through_payer))
    return {Insurance(BILLED_SCHEMES[row.scheme]) for row in session.execute(covered)}


def _bill_month(session: Session, person_id: int, participation: Participation, payer_kind: str, payer_id: int,
                month: Period, params, actor: str, now: datetime, kind: str = "makeup") -> MakeupBillRead:  # noqa: ANN001
    declared = session.scalar(select(BaseDeclaration.declared_base_fen).where(
        BaseDeclaration.person_id == person_id, BaseDeclaration.payer_kind == payer_kind,
        BaseDeclaration.payer_id == payer_id, BaseDeclaration.effective_period <= str(month))
        .order_by(BaseDeclaration.effective_period.desc(), BaseDeclaration.version.desc()).limit(1))
    rates = MonthRates.of(params)
    category = Category.EMPLOYEE if payer_kind == "employer" else Category.FLEXIBLE
    injury_class = 1
    if payer_kind == "employer":
        section = registry.employer_by_id(session=session, employer_id=payer_id).industry_code[:1]
        injury_class = params.value("contribution.work_injury.class_by_industry_section").get(section, 1)
    result = assess_month(params, category=category, declared_base_fen=declared or rates.floor_fen,
                          work_injury_class=injury_class,
                          insurances=_insured_for(session, person_id, participation, month))
    items = {item.insurance: item for item in result.items}
    part = lambda insurance: items.get(insurance, Item(insurance, 0, 0, 0))  # noqa: E731 - a flexible worker has two
    reference = f"p{person_id}"
    session.add(Assessment(
        period=str(month), province=participation.province, person_id=person_id, payer_kind=payer_kind,
        payer_id=payer_id, region_code=participation.region_code, declared_base_fen=declared,
        used_base_fen=result.used_base_fen, pension_employer_fen=part(Insurance.PENSION).employer_fen,
        pension_individual_fen=part(Insurance.PENSION).individual_fen,
        pension_account_fen=part(Insurance.PENSION).personal_account_fen,
        medical_employer_fen=part(Insurance.MEDICAL).employer_fen, medical_individual_fen=part(Insurance.MEDICAL).individual_fen,
        unemployment_employer_fen=part(Insurance.UNEMPLOYMENT).employer_fen,
        unemployment_individual_fen=part(Insurance.UNEMPLOYMENT).individual_fen,
        work_injury_employer_fen=part(Insurance.WORK_INJURY).employer_fen,
        maternity_employer_fen=part(Insurance.MATERNITY).employer_fen, total_fen=result.total_fen, run_id=None,
        bill_reference=reference))
    due = due_date(month, rates.due_day)
    bill = Bill(period=str(month), province=participation.province, payer_kind=payer_kind, payer_id=payer_id,
                amount_fen=result.total_fen, persons=1, due_date=due, kind=kind, reference=reference,
                created_at=utc_naive(now))
    session.add(bill)
    session.flush()
    _post(session, bill, actor, now)
    return MakeupBillRead(bill_id=bill.id, period=bill.period, payer_kind=payer_kind, payer_id=payer_id,
                      amount_fen=bill.amount_fen, used_base_fen=result.used_base_fen, due_date=due.isoformat())


def _post(session: Session, bill: Bill, actor: str, now: datetime) -> None:
    receivable = ledger.account_id(session=session, now=now, account=chart.payer_receivable(
        bill.payer_kind, bill.payer_id, province=bill.province))
    clearing = ledger.account_id(session=session, now=now, account=chart.province_account(
        AccountKind.CLEARING, province=bill.province))
    today = china_today(now)
    ledger.post_entry(session=session, key=f"bill:{bill.id}", province=bill.province,
                      period=f"{today.year:04d}{today.month:02d}", kind="bill",
                      memo=f"{MEMOS[bill.kind]} {bill.period}", lines=[Line(receivable, bill.amount_fen),
                                                                Line(clearing, -bill.amount_fen)],
                      actor=actor, now=now, for_period=bill.period)
