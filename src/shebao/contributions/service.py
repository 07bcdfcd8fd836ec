"""Contribution use cases."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shebao.contributions.collection import record_payment
from shebao.contributions.models import BaseDeclaration, Bill, PaymentAllocation
from shebao.contributions.rules import (
    assess_month,
    base_limits,
    check_declared_base,
    require_payer_or_staff,
)
from shebao.contributions.schemas import (
    AssessCase,
    BaseDeclarationRead,
    BaseDeclare,
    BillRead,
    PaymentCreate,
)
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, InvalidInput, NotFound, not_in_scope
from shebao.core.periods import Period
from shebao.core.runs import BatchRun, BatchRunRead
from shebao.core.security import Principal, Role
from shebao.enrollment.models import Participation
from shebao.policy.store import ParameterStore, default_store
from shebao.registry import divisions
from shebao.registry import rules as registry_rules
from shebao.registry import service as registry
from shebao.registry.models import Employer, Person


def assess_case(*, case: AssessCase, today: date, store: ParameterStore | None = None) -> dict:
    """The calculator: one month for one person under the parameters in force, with their sources."""
    region = registry_rules.check_region_code_format(case.region)
    if region != divisions.NATIONAL_CODE and region[:6] not in divisions.all_divisions():
        raise InvalidInput("region.unknown", f"区划代码 {region} 不存在", f"no region {region}")
    period = Period.parse(case.period)
    if period > Period.of(today):
        raise InvalidInput("period.future", f"缴费期 {period} 尚未到来", f"the period {period} is in the future")
    params = (store or default_store()).at(region, period.first_day())
    result = assess_month(params, category=case.category, declared_base_fen=case.declared_base_fen,
                          work_injury_class=case.work_injury_class)
    return {"region": region, "period": str(period), "category": case.category.value, **result.as_dict()}


def declare_base(*, session: Session, principal: Principal, command: BaseDeclare, now: datetime,
                 store: ParameterStore | None = None) -> BaseDeclarationRead:
    """Records a declared base for a person's current participation; the month clamps it when assessed."""
    today = china_today(now)
    period = Period.parse(command.effective_period)
    if period > Period.of(today).plus_months(1):
        raise InvalidInput("period.future", f"申报期 {period} 过远", f"the period {period} is too far ahead")
    participation = session.scalar(select(Participation).where(
        Participation.person_id == command.person_id, Participation.scheme == "employee_pension",
        Participation.status != "ended").order_by(Participation.start_date.desc()).limit(1))
    if participation is None:
        raise NotFound("participation.none", "此人没有正在进行的职工养老保险参保", "this person has no current employee pension participation")
    payer_kind, payer_id = ("employer", participation.employer_id) if participation.mode == "employer" \
        else ("flexible", participation.person_id)
    require_payer_or_staff(principal, payer_kind=payer_kind, payer_id=payer_id, region_code=participation.region_code)
    person = registry.person_by_id(session=session, person_id=command.person_id)
    if Period.of(person.birth_date).plus_months(16 * 12) > period:
        raise InvalidInput("period.before_sixteen", f"{period} 时此人未满16周岁", f"the person was under 16 in {period}")
    limits = base_limits((store or default_store()).at(participation.province, period.first_day()))
    check_declared_base(command.declared_base_fen, limits)
    existing = session.scalar(select(BaseDeclaration).where(
        BaseDeclaration.person_id == command.person_id, BaseDeclaration.payer_kind == payer_kind,
        BaseDeclaration.payer_id == payer_id, BaseDeclaration.effective_period == str(period)))
    if existing is not None:
        raise Conflict("base.already_declared", f"{period} 的缴费基数已申报（{existing.declared_base_fen} 分）",
                       f"a base for {period} was already declared ({existing.declared_base_fen} fen)")
    session.add(BaseDeclaration(person_id=command.person_id, payer_kind=payer_kind, payer_id=payer_id,
                                effective_period=str(period), declared_base_fen=command.declared_base_fen,
                                declared_by=principal.actor, declared_at=utc_naive(now)))
    session.flush()
    audit.append(session, actor=principal.actor, action="base.declared", subject=f"person:{command.person_id}", now=now,
                 period=str(period), declared_base_fen=command.declared_base_fen, payer=f"{payer_kind}:{payer_id}")
    return BaseDeclarationRead(person_id=command.person_id, payer_kind=payer_kind, payer_id=payer_id,
                               effective_period=str(period), declared_base_fen=command.declared_base_fen,
                               floor_fen=limits.floor_fen, ceiling_fen=limits.ceiling_fen,
                               used_base_fen=limits.clamp(command.declared_base_fen))


def _may_see_payer(session: Session, principal: Principal, payer_kind: str, payer_id: int) -> None:
    """The payer's own account, or staff of the payer's region (as stored); one answer otherwise."""
    if principal.role == Role.EMPLOYER and payer_kind == "employer" and principal.employer_id == payer_id:
        return
    if principal.role == Role.INSURED and payer_kind == "flexible" and principal.person_id == payer_id:
        return
    if principal.role in (Role.STAFF, Role.ADMIN, Role.AUDITOR):
        if payer_kind == "employer":
            registry.require_employer_in_scope(principal, session.get(Employer, payer_id))
        else:
            registry.require_person_in_scope(principal, session.get(Person, payer_id))
        return
    raise not_in_scope("缴费主体", "payer")


def bills_of(*, session: Session, principal: Principal, payer_kind: str, payer_id: int, limit: int = 60) -> list[BillRead]:
    """A payer's bills, newest first, with what is still unpaid."""
    _may_see_payer(session, principal, payer_kind, payer_id)
    paid = (select(PaymentAllocation.bill_id, func.sum(PaymentAllocation.principal_fen).label("paid"))
            .group_by(PaymentAllocation.bill_id).subquery())
    rows = session.execute(select(Bill, func.coalesce(paid.c.paid, 0)).outerjoin(paid, paid.c.bill_id == Bill.id)
                           .where(Bill.payer_kind == payer_kind, Bill.payer_id == payer_id)
                           .order_by(Bill.period.desc(), Bill.id.desc()).limit(limit)).all()
    return [BillRead(id=b.id, period=b.period, province=b.province, payer_kind=b.payer_kind, payer_id=b.payer_id,
                     kind=b.kind, amount_fen=b.amount_fen, unpaid_fen=b.amount_fen - int(p), persons=b.persons,
                     due_date=b.due_date) for b, p in rows]


def take_payment(*, session: Session, principal: Principal, command: PaymentCreate, now: datetime) -> dict:
    """A payment from a bank or a counter: staff of the payer's region, or the payer paying online."""
    payer_kind, payer_id = command.payer_kind, command.payer_id
    if command.bill_id is not None:
        bill = session.get(Bill, command.bill_id)
        if bill is None:
            raise NotFound("bill.unknown", f"账单 {command.bill_id} 不存在", f"no bill {command.bill_id}")
        payer_kind, payer_id = bill.payer_kind, bill.payer_id
    if payer_id is None:
        raise InvalidInput("payment.payer", "请指定缴费主体或账单", "name the payer or a bill")
    _may_see_payer(session, principal, payer_kind, payer_id)
    return record_payment(session=session, key=command.idempotency_key, payer_kind=payer_kind, payer_id=payer_id,
                          amount_fen=command.amount_fen, received_on=command.received_on, actor=principal.actor, now=now)


def batch_runs(*, session: Session, principal: Principal, province: str | None, kind: str | None,
               limit: int = 50) -> list[BatchRunRead]:
    """Recent batch runs, for staff of the province and auditors."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    query = select(BatchRun).order_by(BatchRun.id.desc()).limit(limit)
    if province:
        principal.require_region(province)
        query = query.where(BatchRun.province == province)
    elif principal.role == Role.STAFF:
        query = query.where(BatchRun.province == (principal.region_code or "")[:2] + "0000")
    if kind:
        query = query.where(BatchRun.kind == kind)
    return [BatchRunRead.model_validate(run, from_attributes=True) for run in session.scalars(query)]
