"""A flexible worker pays for themself, online: what a month at a chosen base costs, the months that may still be
made up with what each costs today, and paying — always what is owed today, dated today.

The money path is the counter's (`collection.record_payment`: allocated oldest debt first with the statutory late
fee, posted to the ledger, distributed once a bill is paid), with two differences that keep the payer from choosing
what a clerk would: the date the money arrives is today in China, never one the payer sends; and the amount is the
one the page showed (`expected_fen`), refused if what is owed has changed meanwhile. A flexible worker who enrolls
here pays the month of enrolment at once: it is billed now (`makeup.bill_current_month`) and month-end bills it no
second time.

What a make-up will cost is asked of `makeup.request_makeup` itself, inside a savepoint that is rolled back: the
figures shown are the ones the make-up would bill, to the fen, not a second calculation that could drift from it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.contributions import employer_hall
from shebao.contributions.collection import record_payment
from shebao.contributions.makeup import bill_current_month, request_makeup
from shebao.contributions.models import Assessment
from shebao.contributions.rules import Category, Insurance, assess_month, base_limits, check_chosen_base, late_fee
from shebao.contributions.schemas import MakeupRequest
from shebao.core.clock import china_today
from shebao.core.errors import Conflict, DomainError, InvalidInput
from shebao.core.money import fen_to_yuan
from shebao.core.periods import Period
from shebao.core.regions import province_of
from shebao.core.security import Principal, Role
from shebao.enrollment.models import Participation
from shebao.policy.store import ParameterStore, default_store
from shebao.registry import service as registry

FLEXIBLE_INSURANCES = {Insurance.PENSION, Insurance.MEDICAL}  # a flexible worker's usual set (enrollment.rules)
MAX_MAKEUP_MONTHS = 120  # a bound on the months listed whatever a rule pack allows: each is priced by a trial bill


def _own_person_id(principal: Principal) -> int:
    principal.require_role(Role.INSURED)
    if not principal.person_id:
        raise InvalidInput("self_pay.no_person", "此账号未关联参保人", "this account is not linked to a person")
    return principal.person_id


def flexible_terms(*, session: Session, principal: Principal, now: datetime, store: ParameterStore | None = None) -> dict:
    """For the insured themself: where they would enroll as a flexible worker (where they live, as stored), from
    which month, the base range in force there, and what they already have (a job, a flexible participation)."""
    person_id = _own_person_id(principal)
    person = registry.person_by_id(session=session, person_id=person_id)
    region = person.residence_region_code
    period = Period.of(china_today(now))
    limits = base_limits((store or default_store()).at(province_of(region), period.first_day()))
    current = session.scalars(select(Participation).where(
        Participation.person_id == person_id, Participation.status != "ended")
        .order_by(Participation.start_date, Participation.id)).all()
    return {"person_id": person_id, "region_code": region, "province": province_of(region), "period": str(period),
            "floor_fen": limits.floor_fen, "ceiling_fen": limits.ceiling_fen, "sources": limits.sources,
            "employed": any(p.mode == "employer" for p in current),
            "flexible": [{"scheme": p.scheme, "status": p.status, "start_date": p.start_date}
                         for p in current if p.mode == "flexible"]}


def flexible_month(*, session: Session, principal: Principal, base_fen: int, now: datetime,
                   store: ParameterStore | None = None) -> dict:
    """What one month costs a flexible worker at the chosen base, this month, where they live: the base must lie
    within the floor and the ceiling (refused otherwise, never moved to the limit)."""
    terms = flexible_terms(session=session, principal=principal, now=now, store=store)
    period = Period.parse(terms["period"])
    params = (store or default_store()).at(terms["province"], period.first_day())
    check_chosen_base(base_fen, base_limits(params), period)
    result = assess_month(params, category=Category.FLEXIBLE, declared_base_fen=base_fen, work_injury_class=1,
                          insurances=set(FLEXIBLE_INSURANCES))
    return terms | {"base_fen": base_fen, "month_fen": result.total_fen,
                    "items": [{"insurance": i.insurance.value, "fen": i.employer_fen + i.individual_fen}
                              for i in result.items]}


def owed_today(*, session: Session, principal: Principal, now: datetime, store: ParameterStore | None = None) -> dict:
    """The insured's own open bills as a flexible worker, each with the late fee if paid today, and the total."""
    person_id = _own_person_id(principal)
    return employer_hall.arrears_today(session=session, principal=principal, payer_kind="flexible", payer_id=person_id,
                                       now=now, store=store, overdue_only=False)


def pay_owed(*, session: Session, principal: Principal, key: str, expected_fen: int, now: datetime,
             store: ParameterStore | None = None) -> dict:
    """Pays everything the insured owes as a flexible worker today, as shown: refused if that is not `expected_fen`."""
    person_id = _own_person_id(principal)
    owed = owed_today(session=session, principal=principal, now=now, store=store)["to_pay_fen"]
    if owed <= 0:
        raise Conflict("self_pay.nothing_owed", "目前没有需要缴纳的费用", "nothing is owed today")
    _refuse_changed(owed, expected_fen)
    return record_payment(session=session, key=key, payer_kind="flexible", payer_id=person_id, amount_fen=owed,
                          received_on=china_today(now), actor=principal.actor, now=now, store=store)


def pay_first_month(*, session: Session, principal: Principal, key: str, expected_fen: int, now: datetime,
                    store: ParameterStore | None = None) -> dict:
    """The month of enrolment billed now (`makeup.bill_current_month`) and paid today with anything else owed, as
    the page showed it — or nothing at all."""
    person_id = _own_person_id(principal)
    bill = bill_current_month(session=session, principal=principal, person_id=person_id, now=now, store=store)
    return pay_owed(session=session, principal=principal, key=key, expected_fen=expected_fen, now=now,
                    store=store) | {"bills": [bill.model_dump()]}


def makeup_options(*, session: Session, principal: Principal, now: datetime, store: ParameterStore | None = None) -> dict:
    """The past months the insured may still make up as a flexible worker: months of a flexible pension
    participation never assessed, within the reach the rules allow; each with the bill a make-up would issue (asked
    of `request_makeup` and rolled back) and its late fee if paid today."""
    person_id = _own_person_id(principal)
    store = store or default_store()
    today = china_today(now)
    this_month = Period.of(today)
    participations = session.scalars(select(Participation).where(
        Participation.person_id == person_id, Participation.scheme == "employee_pension",
        Participation.mode == "flexible")).all()
    months: set[Period] = set()
    for p in participations:
        reach = store.at(p.province, this_month.first_day()).value("contribution.makeup_max_months_back")
        first = max(Period.of(p.start_date), this_month.plus_months(-reach))
        last = min(this_month.plus_months(-1), Period.of(p.end_date) if p.end_date else this_month)
        month = first
        while month <= last and len(months) < MAX_MAKEUP_MONTHS:
            months.add(month)
            month = month.plus_months(1)
    assessed = set(session.scalars(select(Assessment.period).where(
        Assessment.person_id == person_id, Assessment.period.in_([str(m) for m in months])))) if months else set()
    rows = []
    for month in sorted(m for m in months if str(m) not in assessed):
        bill = _would_bill(session, principal, person_id, month, now, store)
        if bill is None:
            continue
        rate = store.at(bill["province"], today).value("contribution.late_fee_daily_rate")
        days = max((today - bill["due_date"]).days, 0)
        rows.append(bill | {"days_late": days, "late_fee_fen": late_fee(bill["amount_fen"], days, rate)})
    return {"on": today, "months": rows}


def _would_bill(session: Session, principal: Principal, person_id: int, month: Period, now: datetime,
                store: ParameterStore) -> dict | None:
    """The bill a make-up of the month would issue, or None when the rules refuse it; nothing is kept."""
    trial = session.begin_nested()
    try:
        bill = request_makeup(session=session, principal=principal, person_id=person_id, now=now, store=store,
                              command=MakeupRequest(periods=[str(month)]))[0]
        province = session.scalar(select(Assessment.province).where(Assessment.person_id == person_id,
                                                                    Assessment.period == str(month)).limit(1))
    except DomainError:
        return None
    finally:
        trial.rollback()
    return {"period": bill.period, "amount_fen": bill.amount_fen, "used_base_fen": bill.used_base_fen,
            "due_date": datetime.fromisoformat(bill.due_date).date(), "province": province}


def makeup_and_pay(*, session: Session, principal: Principal, periods: list[str], key: str, expected_fen: int,
                   now: datetime, store: ParameterStore | None = None) -> dict:
    """The chosen months made up and, with anything else owed, paid today — as shown, or nothing is done."""
    person_id = _own_person_id(principal)
    if not periods:
        raise InvalidInput("makeup.none_chosen", "请至少选择一个补缴月份", "choose at least one month to make up")
    bills = request_makeup(session=session, principal=principal, person_id=person_id, now=now, store=store,
                           command=MakeupRequest(periods=periods))
    paid = pay_owed(session=session, principal=principal, key=key, expected_fen=expected_fen, now=now, store=store)
    return paid | {"bills": [b.model_dump() for b in bills]}


def _refuse_changed(owed: int, expected_fen: int) -> None:
    if owed != expected_fen:
        raise Conflict("self_pay.amount_changed",
                       f"应缴金额已变为 {fen_to_yuan(owed)} 元（页面显示 {fen_to_yuan(expected_fen)} 元），请核对后重新确认",
                       f"the amount owed is now {fen_to_yuan(owed)} yuan (the page showed {fen_to_yuan(expected_fen)} "
                       "yuan); check it and confirm again", owed_fen=owed)
