"""Contribution use cases."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.contributions import corrections
from shebao.contributions.collection import record_payment
from shebao.contributions.models import Assessment, BaseDeclaration, Bill, PaymentAllocation
from shebao.contributions.rules import (
    INSURANCE_NAMES,
    BaseLimits,
    Category,
    Insurance,
    assess_month,
    base_limits,
    check_chosen_base,
    check_declared_base,
    require_payer_or_staff,
)
from shebao.contributions.schemas import (
    BaseCorrect,
    BaseDeclarationRead,
    BaseDeclarationVersionRead,
    BaseDeclare,
    BillRead,
    ContributionAssess,
    PaymentCreate,
)
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, Forbidden, InvalidInput, NotFound, not_in_scope
from shebao.core.money import fen_to_yuan
from shebao.core.periods import Period
from shebao.core.regions import province_of, region_prefix
from shebao.core.runs import BatchRun, BatchRunRead
from shebao.core.security import Principal, Role
from shebao.enrollment.models import Participation
from shebao.policy.store import ParameterStore, default_store
from shebao.registry import divisions
from shebao.registry import rules as registry_rules
from shebao.registry import service as registry
from shebao.registry.models import Employer, Person


def assess_case(*, case: ContributionAssess, today: date, store: ParameterStore | None = None) -> dict:
    """The calculator: one month for one person under the parameters in force, with their sources."""
    region = registry_rules.check_region_code_format(case.region)
    if region != divisions.NATIONAL_CODE and region[:6] not in divisions.all_divisions():
        raise InvalidInput("region.unknown", f"区划代码 {region} 不存在", f"no region {region}")
    period = Period.parse(case.period)
    if period > Period.of(today):
        raise InvalidInput("period.future", f"缴费期 {period} 尚未到来", f"the period {period} is in the future")
    params = (store or default_store()).at(region, period.first_day())
    result = assess_month(params, category=case.category, declared_base_fen=case.declared_base_fen,
                          work_injury_class=case.work_injury_class, insurances=_offered(case))
    return {"region": region, "period": str(period), "category": case.category.value, **result.as_dict()}


def _offered(case: ContributionAssess) -> set[Insurance] | None:
    """The insurances asked for, each one the category can be in (a flexible worker: pension and medical)."""
    if case.insurances is None:
        return None
    offered = set(Insurance) if case.category == Category.EMPLOYEE else {Insurance.PENSION, Insurance.MEDICAL}
    for insurance in case.insurances:
        if insurance not in offered:
            name_zh, name_en = INSURANCE_NAMES[insurance]
            raise InvalidInput("contribution.insurance_not_offered", f"灵活就业人员不参加{name_zh}",
                               f"a flexible worker is not insured for {name_en}", insurance=insurance.value)
    return set(case.insurances)


def declare_base(*, session: Session, principal: Principal, command: BaseDeclare, now: datetime,
                 store: ParameterStore | None = None) -> BaseDeclarationRead:
    """Records a declared base for a person's current participation. An employee's declared wage is
    clamped to the floor and ceiling when the month is assessed; a flexible worker's chosen base must lie
    between them and is refused otherwise."""
    today = china_today(now)
    period = Period.parse(command.effective_period)
    if period > Period.of(today).plus_months(1):
        raise InvalidInput("period.future", f"申报期 {period} 过远", f"the period {period} is too far ahead")
    participation = session.scalar(select(Participation).where(
        Participation.person_id == command.person_id, Participation.scheme == "employee_pension",
        Participation.status != "ended").order_by(Participation.start_date.desc()).limit(1))
    if participation is None:
        raise NotFound("participation.none", "此人没有正在进行的职工养老保险参保", "this person has no current employee pension participation")
    payer_kind, payer_id = _payer_of(participation)
    require_payer_or_staff(principal, payer_kind=payer_kind, payer_id=payer_id, region_code=participation.region_code)
    person = registry.person_by_id(session=session, person_id=command.person_id)
    if Period.of(person.birth_date).plus_months(16 * 12) > period:
        raise InvalidInput("period.before_sixteen", f"{period} 时此人未满16周岁", f"the person was under 16 in {period}")
    limits = base_limits((store or default_store()).at(participation.province, period.first_day()))
    check_declared_base(command.declared_base_fen, limits)
    if payer_kind == "flexible":
        check_chosen_base(command.declared_base_fen, limits, period)
    _refuse_second_declaration(session, command.person_id, payer_kind, payer_id, period)
    declaration = BaseDeclaration(person_id=command.person_id, payer_kind=payer_kind, payer_id=payer_id,
                                  effective_period=str(period), version=1, declared_base_fen=command.declared_base_fen,
                                  declared_by=principal.actor, declared_at=utc_naive(now))
    try:
        with session.begin_nested():  # the same declaration made twice at the same moment
            session.add(declaration)
            session.flush()
    except IntegrityError:
        _refuse_second_declaration(session, command.person_id, payer_kind, payer_id, period)
        raise
    audit.append(session, actor=principal.actor, action="base.declared", subject=f"person:{command.person_id}", now=now,
                 period=str(period), declared_base_fen=command.declared_base_fen, payer=f"{payer_kind}:{payer_id}",
                 declaration_id=declaration.id)
    billed = _billed_period(session, declaration)
    if billed is not None:  # a base declared for months already billed (on the floor, or an earlier base)
        _refuse_lowering_billed(principal, _used_base(session, declaration, billed),
                                limits.clamp(command.declared_base_fen), billed)
        _refuse_if_month_end_running(session, declaration, participation.province)
        corrections.correct(session=session, province=participation.province, persons=[command.person_id],
                            since=Period.parse(billed), cause="base", now=now, actor=principal.actor,
                            reason=f"缴费基数申报 base declared from {period}: {command.declared_base_fen} fen",
                            may_reopen=principal.role == Role.ADMIN, store=store)
    return _declaration_read(declaration, limits)


def _used_base(session: Session, declaration: BaseDeclaration, period: str) -> int:
    return session.scalar(select(Assessment.used_base_fen).where(
        Assessment.person_id == declaration.person_id, Assessment.payer_kind == declaration.payer_kind,
        Assessment.payer_id == declaration.payer_id, Assessment.period == period,
        Assessment.superseded_by.is_(None))) or 0


def _refuse_second_declaration(session: Session, person_id: int, payer_kind: str, payer_id: int, period: Period) -> None:
    existing = _current_version(session, person_id, payer_kind, payer_id, str(period))
    if existing is not None:
        raise Conflict("base.already_declared",
                       f"{period.year}年{period.month}月 的缴费基数已申报（{fen_to_yuan(existing.declared_base_fen)} 元），"
                       "如需修改请更正该申报",
                       f"a base for {period} was already declared ({fen_to_yuan(existing.declared_base_fen)} yuan); "
                       f"correct it with POST /api/v1/bases/{existing.id}/corrections", declaration_id=existing.id)


def correct_base(*, session: Session, principal: Principal, declaration_id: int, command: BaseCorrect,
                 now: datetime, store: ParameterStore | None = None) -> BaseDeclarationRead:
    """Corrects a declared base: a new version for the same person, payer and period; the old version stays,
    marked superseded with who and when. Months the declaration sets that were already billed are corrected
    retroactively (contributions.corrections): the payer owes the difference, or is credited it — lowering a
    billed base only by the agency, after review.

    Whoever may declare may correct (the employer for its employee, the flexible worker, staff of the
    region, an administrator). A declaration that does not exist and one the caller may not handle get
    the same answer."""
    principal.require_role(Role.EMPLOYER, Role.INSURED, Role.STAFF, Role.ADMIN)
    declaration = session.scalar(select(BaseDeclaration).where(BaseDeclaration.id == declaration_id)
                                 .with_for_update().execution_options(populate_existing=True))
    participation = None if declaration is None else _participation_of(session, declaration)
    if participation is None or not _may_declare(principal, declaration, participation):
        raise not_in_scope("缴费基数申报", "base declaration")
    period = Period.parse(declaration.effective_period)
    if declaration.superseded_at is not None:
        current = _current_version(session, declaration.person_id, declaration.payer_kind, declaration.payer_id,
                                   declaration.effective_period)
        raise Conflict("base.superseded", f"该申报已被更正为第 {current.version} 版（编号 {current.id}），请更正最新一版",
                       f"this declaration was already corrected by version {current.version} (id {current.id}); "
                       "correct the latest version", current_id=current.id)
    limits = base_limits((store or default_store()).at(participation.province, period.first_day()))
    new_base = check_declared_base(command.declared_base_fen, limits)
    if declaration.payer_kind == "flexible":
        check_chosen_base(new_base, limits, period)
    if new_base == declaration.declared_base_fen:
        raise InvalidInput("base.unchanged", f"更正后的缴费基数与原申报相同（{fen_to_yuan(new_base)} 元）",
                           f"the corrected base is the same as declared ({fen_to_yuan(new_base)} yuan)")
    billed = _billed_period(session, declaration)
    if billed is not None:
        _refuse_lowering_billed(principal, declaration.declared_base_fen, new_base, billed)
    _refuse_if_month_end_running(session, declaration, participation.province)
    stamp = utc_naive(now)
    declaration.superseded_by, declaration.superseded_at = principal.actor, stamp
    corrected = BaseDeclaration(person_id=declaration.person_id, payer_kind=declaration.payer_kind,
                                payer_id=declaration.payer_id, effective_period=declaration.effective_period,
                                version=declaration.version + 1, declared_base_fen=new_base,
                                declared_by=principal.actor, declared_at=stamp)
    session.add(corrected)
    session.flush()
    audit.append(session, actor=principal.actor, action="base.corrected", subject=f"person:{declaration.person_id}",
                 now=now, period=declaration.effective_period, payer=f"{declaration.payer_kind}:{declaration.payer_id}",
                 declaration_id=corrected.id, version=corrected.version, supersedes=declaration.id,
                 previous_base_fen=declaration.declared_base_fen, declared_base_fen=new_base)
    if billed is not None:  # months already billed with the old base: corrected, never edited
        corrections.correct(session=session, province=participation.province, persons=[declaration.person_id],
                            since=Period.parse(billed), cause="base", now=now, actor=principal.actor,
                            reason=f"缴费基数更正 base corrected from {declaration.effective_period}: "
                                   f"{declaration.declared_base_fen} → {new_base} fen",
                            may_reopen=principal.role == Role.ADMIN, store=store)
    return _declaration_read(corrected, limits)


def _refuse_lowering_billed(principal: Principal, billed_base: int, new_base: int, billed: str) -> None:
    """Lowering a base the months were already billed and paid on gives money back: only the agency does that,
    after review (an employer or a flexible worker may raise it, and pay the difference)."""
    if new_base < billed_base and principal.role not in (Role.STAFF, Role.ADMIN):
        month = Period.parse(billed)
        raise Forbidden("base.lower_billed_needs_review",
                        f"{month.year}年{month.month}月 起已按原缴费基数核定缴费；调低已核定月份的基数须经经办机构稽核后办理",
                        f"{month} on was already billed on this base; lowering the base of billed months is done by "
                        "the agency after a review", billed_period=billed)


def base_history(*, session: Session, principal: Principal, person_id: int) -> list[BaseDeclarationVersionRead]:
    """Every version of a person's declared bases, newest period first, as far as the caller may see them:
    the employer its own declarations, the person their own, staff those of people living in their
    region, auditors and administrators all. Whatever one may not see is simply absent."""
    principal.require_role(Role.EMPLOYER, Role.INSURED, Role.STAFF, Role.ADMIN, Role.AUDITOR)
    query = select(BaseDeclaration).where(BaseDeclaration.person_id == person_id)
    if principal.role == Role.EMPLOYER:
        query = query.where(BaseDeclaration.payer_kind == "employer",
                            BaseDeclaration.payer_id == (principal.employer_id or -1))
    elif principal.role == Role.INSURED:
        query = query.where(BaseDeclaration.person_id == (principal.person_id or -1))
    elif principal.role == Role.STAFF:
        query = query.join(Person, Person.id == BaseDeclaration.person_id).where(
            Person.residence_region_code.startswith(region_prefix(principal.region_code or "-"), autoescape=True))
    rows = session.scalars(query.order_by(BaseDeclaration.effective_period.desc(), BaseDeclaration.payer_kind,
                                          BaseDeclaration.payer_id, BaseDeclaration.version.desc()).limit(500))
    return [BaseDeclarationVersionRead(
        id=row.id, version=row.version, person_id=row.person_id, payer_kind=row.payer_kind, payer_id=row.payer_id,
        effective_period=row.effective_period, declared_base_fen=row.declared_base_fen, declared_by=row.declared_by,
        declared_at=_aware(row.declared_at), superseded_by=row.superseded_by,
        superseded_at=None if row.superseded_at is None else _aware(row.superseded_at)) for row in rows]


def _payer_of(participation: Participation) -> tuple[str, int]:
    if participation.mode == "employer":
        return "employer", participation.employer_id
    return "flexible", participation.person_id


def _participation_of(session: Session, declaration: BaseDeclaration) -> Participation | None:
    """The participation through which the declaration's payer pays for the person (the latest one)."""
    through_payer = (Participation.employer_id == declaration.payer_id if declaration.payer_kind == "employer"
                     else Participation.mode != "employer")
    return session.scalar(select(Participation).where(
        Participation.person_id == declaration.person_id, Participation.scheme == "employee_pension", through_payer)
        .order_by(Participation.start_date.desc()).limit(1))


def _may_declare(principal: Principal, declaration: BaseDeclaration, participation: Participation) -> bool:
    try:
        require_payer_or_staff(principal, payer_kind=declaration.payer_kind, payer_id=declaration.payer_id,
                               region_code=participation.region_code)
    except Forbidden:
        return False
    return True


def _current_version(session: Session, person_id: int, payer_kind: str, payer_id: int,
                     period: str) -> BaseDeclaration | None:
    return session.scalar(select(BaseDeclaration).where(
        BaseDeclaration.person_id == person_id, BaseDeclaration.payer_kind == payer_kind,
        BaseDeclaration.payer_id == payer_id, BaseDeclaration.effective_period == period)
        .order_by(BaseDeclaration.version.desc()).limit(1))


def _billed_period(session: Session, declaration: BaseDeclaration) -> str | None:
    """The first month the declaration sets (from its period until the payer's next declaration for the person)
    that has been assessed, by month-end or a make-up bill; None if none has."""
    same_payer = and_(BaseDeclaration.person_id == declaration.person_id,
                      BaseDeclaration.payer_kind == declaration.payer_kind,
                      BaseDeclaration.payer_id == declaration.payer_id)
    next_period = session.scalar(select(func.min(BaseDeclaration.effective_period))
                                 .where(same_payer, BaseDeclaration.effective_period > declaration.effective_period))
    covered = [Assessment.period >= declaration.effective_period]
    if next_period is not None:
        covered.append(Assessment.period < next_period)
    return session.scalar(select(func.min(Assessment.period)).where(
        Assessment.person_id == declaration.person_id, Assessment.payer_kind == declaration.payer_kind,
        Assessment.payer_id == declaration.payer_id, *covered))


def _refuse_if_month_end_running(session: Session, declaration: BaseDeclaration, province: str) -> None:
    """While month-end runs for a month the declaration sets, a correction would race the bill: try again after."""
    in_progress = session.scalar(select(func.min(BatchRun.period)).where(
        BatchRun.kind == "month_end", BatchRun.province == province, BatchRun.status != "done",
        BatchRun.period >= declaration.effective_period))
    if in_progress is not None:
        month = Period.parse(in_progress)
        raise Conflict("base.month_end_running", f"{month.year}年{month.month}月 的月末核定正在进行，请在完成后再办理",
                       f"month-end for {month} is running; try again when it has finished", period=in_progress)


def _declaration_read(declaration: BaseDeclaration, limits: BaseLimits) -> BaseDeclarationRead:
    return BaseDeclarationRead(
        id=declaration.id, version=declaration.version, person_id=declaration.person_id,
        payer_kind=declaration.payer_kind, payer_id=declaration.payer_id, effective_period=declaration.effective_period,
        declared_base_fen=declaration.declared_base_fen, floor_fen=limits.floor_fen, ceiling_fen=limits.ceiling_fen,
        used_base_fen=limits.clamp(declaration.declared_base_fen), declared_by=declaration.declared_by,
        declared_at=_aware(declaration.declared_at))


def _aware(stamp: datetime) -> datetime:
    """Instants are stored as naive UTC; they leave the service with their timezone."""
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp


def require_payer_in_scope(*, session: Session, principal: Principal, payer_kind: str, payer_id: int) -> str:
    """The payer itself, or staff, auditors and administrators whose region holds the payer as stored (an
    employer's registered region; a flexible worker's residence or hukou). Anything else, and a payer that
    does not exist, get one and the same answer. Returns the payer's province (where an employer is registered,
    where a flexible worker lives)."""
    subject = session.get(Employer, payer_id) if payer_kind == "employer" else session.get(Person, payer_id)
    regions = ((subject.region_code,) if payer_kind == "employer" else
               (subject.residence_region_code, subject.hukou_region_code)) if subject is not None else ()
    if subject is None:
        raise _payer_not_in_scope()
    own = (principal.role == Role.EMPLOYER and payer_kind == "employer" and principal.employer_id == payer_id) or \
        (principal.role == Role.INSURED and payer_kind == "flexible" and principal.person_id == payer_id)
    if own or (principal.role in (Role.STAFF, Role.ADMIN, Role.AUDITOR) and principal.serves(*regions)):
        return province_of(regions[0])
    raise _payer_not_in_scope()


def _payer_not_in_scope() -> NotFound:
    return not_in_scope("缴费主体", "payer")


def bills_of(*, session: Session, principal: Principal, payer_kind: str, payer_id: int, limit: int = 60) -> list[BillRead]:
    """A payer's bills, newest first, with what is still unpaid."""
    require_payer_in_scope(session=session, principal=principal, payer_kind=payer_kind, payer_id=payer_id)
    paid = (select(PaymentAllocation.bill_id, func.sum(PaymentAllocation.principal_fen).label("paid"))
            .group_by(PaymentAllocation.bill_id).subquery())
    rows = session.execute(select(Bill, func.coalesce(paid.c.paid, 0)).outerjoin(paid, paid.c.bill_id == Bill.id)
                           .where(Bill.payer_kind == payer_kind, Bill.payer_id == payer_id)
                           .order_by(Bill.period.desc(), Bill.id.desc()).limit(limit)).all()
    return [BillRead(id=b.id, period=b.period, province=b.province, payer_kind=b.payer_kind, payer_id=b.payer_id,
                     kind=b.kind, amount_fen=b.amount_fen, unpaid_fen=b.amount_fen - int(p), persons=b.persons,
                     due_date=b.due_date) for b, p in rows]


def take_payment(*, session: Session, principal: Principal, command: PaymentCreate, now: datetime) -> dict:
    """A payment taken at the counter: money arrives from the bank's collection file or through a clerk of
    the payer's region (or an administrator), never recorded by the payer itself, who would choose its own
    date and so its own late fee. The date is checked by record_payment (not in the future, not before
    the bills it pays)."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    payer_kind, payer_id = command.payer_kind, command.payer_id
    if command.bill_id is not None:
        bill = session.get(Bill, command.bill_id)
        if bill is None:
            raise _payer_not_in_scope()
        payer_kind, payer_id = bill.payer_kind, bill.payer_id
    if payer_id is None:
        raise InvalidInput("payment.payer", "请指定缴费主体或账单", "name the payer or a bill")
    province = require_payer_in_scope(session=session, principal=principal, payer_kind=payer_kind, payer_id=payer_id)
    return record_payment(session=session, key=command.idempotency_key, payer_kind=payer_kind, payer_id=payer_id,
                          amount_fen=command.amount_fen, received_on=command.received_on, actor=principal.actor, now=now,
                          accept_excess=command.accept_excess, province=province)


def batch_runs(*, session: Session, principal: Principal, province: str | None, kind: str | None,
               limit: int = 50) -> list[BatchRunRead]:
    """Recent batch runs, for staff of the province and auditors."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    query = select(BatchRun).order_by(BatchRun.id.desc()).limit(limit)
    if province:
        principal.require_region(province)
        query = query.where(BatchRun.province == province)
    elif principal.role == Role.STAFF:
        query = query.where(BatchRun.province == province_of(principal.region_code or ""))
    if kind:
        query = query.where(BatchRun.kind == kind)
    return [BatchRunRead.model_validate(run, from_attributes=True) for run in session.scalars(query)]
