"""Contribution use cases."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.contributions.models import BaseDeclaration
from shebao.contributions.rules import assess_month, base_limits, check_declared_base
from shebao.contributions.schemas import AssessCase, BaseDeclarationRead, BaseDeclare
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shebao.core.security import Principal, Role
from shebao.enrollment.models import Participation
from shebao.core.periods import Period
from shebao.policy.store import ParameterStore, default_store
from shebao.registry import divisions
from shebao.registry import rules as registry_rules
from shebao.registry import service as registry


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
    _may_declare(principal, payer_kind, payer_id, participation)
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


def _may_declare(principal: Principal, payer_kind: str, payer_id: int, participation: Participation) -> None:
    if principal.role == Role.EMPLOYER and payer_kind == "employer" and principal.employer_id == payer_id:
        return
    if principal.role == Role.INSURED and payer_kind == "flexible" and principal.person_id == payer_id:
        return
    if principal.role in (Role.STAFF, Role.ADMIN):
        principal.require_region(participation.region_code)
        return
    raise Forbidden("base.not_yours", "只能为本单位职工或本人申报缴费基数", "you may declare bases for your own employees or yourself only")
