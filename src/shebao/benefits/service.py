"""Benefit use cases: the statutory date, a pension case, retirement from the record and its award, the
receiver's view of it, and the estimator. One transaction each. After the award: receivers.py; other
benefits: claims.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from shebao.benefits import awards, record, rules
from shebao.benefits.models import (
    BenefitRecovery,
    Certification,
    PayrollLine,
    PensionAdjustment,
    PensionAward,
    RetirementApplication,
)
from shebao.benefits.rules import GROUP_NAMES, Group, PensionCase, add_months, calculate_pension, statutory_age
from shebao.benefits.schemas import (
    ASSUMPTION_NAMES,
    Ground,
    PensionCalculate,
    PensionCalculationRead,
    PensionEstimate,
    PensionEstimateRead,
    PensionRead,
    RetirementApply,
    RetirementAwardRead,
    RetirementDateRead,
)
from shebao.core import audit, guards
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, DomainError, InvalidInput, NotFound, not_in_scope
from shebao.core.guards import Point, Subject
from shebao.core.periods import Period
from shebao.core.regions import province_of
from shebao.core.security import Principal, Role
from shebao.payouts import service as payouts
from shebao.payouts.rules import Source
from shebao.policy.store import ParameterSnapshot, ParameterStore, default_store
from shebao.registry import service as registry
from shebao.registry.divisions import all_divisions
from shebao.registry.models import Person
from shebao.registry.rules import SEX_NAMES, Sex, check_region_code_format

SEX_OF_GROUP = {Group.MALE: "M", Group.FEMALE_CADRE: "F", Group.FEMALE_WORKER: "F"}


def _check_group(sex: str, group: Group) -> None:
    if sex not in SEX_OF_GROUP.values():
        raise InvalidInput("retirement.sex", "性别应为" + "或".join(f"「{s.value}」（{zh}）" for s, (zh, _) in SEX_NAMES.items()),
                           "the sex is M or F", sex=str(sex)[:10])
    if SEX_OF_GROUP[group] != sex:
        group_zh, group_en = GROUP_NAMES[group]
        sex_zh, sex_en = SEX_NAMES[Sex(sex)]
        raise InvalidInput("retirement.category_sex", f"人员类别“{group_zh}”与性别“{sex_zh}”不符",
                           f"the category “{group_en}” does not fit a {sex_en} person", category=group.value, sex=sex)


def _age_params(store: ParameterStore, region: str, birth_date: date, group: Group):  # noqa: ANN202
    """The parameters in force when the person reached the original age: they decide whether the
    reform's later age applies. The original ages (50 to 60) are read at 60, when all were reached."""
    original = store.at(region, add_months(birth_date, 60 * 12)).value(f"retirement.{group.value}.original_age_months")
    return store.at(region, add_months(birth_date, original))


def retirement_date(*, birth_date: date, sex: str, group: Group, region: str = "000000",
                    store: ParameterStore | None = None) -> RetirementDateRead:
    """The statutory retirement date and age for a birth date, sex and category."""
    _check_group(sex, group)
    store = store or default_store()
    age_params = _age_params(store, region, birth_date, group)
    age, steps = statutory_age(age_params, group=group, birth_date=birth_date)
    return RetirementDateRead(birth_date=birth_date, sex=sex, category=group, age=age.years_months,
                              statutory_date=add_months(birth_date, age.months), steps=steps)


def _require_known_region(code: str) -> None:
    """A region code of the right shape that names a province, city or county (a street: its county's)."""
    check_region_code_format(code)
    if code != "000000" and code[:6] not in all_divisions():
        raise InvalidInput("region.unknown", f"没有区划代码「{code}」", f"no region has the code {code}", region=code)


def _check_notional_account(params: ParameterSnapshot, notional_account_fen: int | None) -> None:
    """A notional account (虚账实记) only where the province pays one (上海): elsewhere it would be money from nowhere."""
    if notional_account_fen and params.explain("pension.notional_account_divisor_months").jurisdiction == "000000":
        raise InvalidInput("pension.notional_account", "该地区没有虚账实记，不应填写虚账实记总额",
                           "this region keeps no notional account (Shanghai only): leave notional_account_fen at 0")


def _decimal_input(text: str, code: str, zh: str, en: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidInput(code, f"{zh}应为小数：「{text}」", f"the {en} is not a decimal: {text}") from None


def pension_case(*, case: PensionCalculate, store: ParameterStore | None = None) -> PensionCalculationRead:
    """The explained award for one case (the calculator behind `shebao pension calc`). The region may be any province,
    city or county code: the province's pack applies, a city's own rules over it."""
    _check_group(case.sex, case.category)
    _require_known_region(case.region)
    index = _decimal_input(case.average_index, "pension.index", "平均缴费指数", "average index")
    transitional = (None if case.transitional_index is None else
                    _decimal_input(case.transitional_index, "pension.transitional_index", "过渡性指数", "transitional index"))
    if case.retire_date <= case.birth_date:
        raise InvalidInput("pension.retire_date", "退休日期早于出生日期", "the retirement date is before the birth date")
    if case.pre_account_months > case.contribution_months:
        raise InvalidInput("pension.pre_account_months", "个人账户建立前的缴费月数不能多于累计缴费月数",
                           "the months before the account opened cannot exceed the contribution months")
    store = store or default_store()
    for value, code, what in ((index, "pension.index", ("平均缴费指数", "average index")),
                              (transitional, "pension.transitional_index", ("过渡性指数", "transitional index"))):
        if value is not None:
            _check_index_range(store, case.region, case.retire_date, value, code=code, what=what)
    age_params = _age_params(store, case.region, case.birth_date, case.category)
    params = store.at(case.region, case.retire_date)
    _check_notional_account(params, case.notional_account_fen)
    return PensionCalculationRead.model_validate(calculate_pension(params, age_params, PensionCase(
        region=case.region, retire_date=case.retire_date, birth_date=case.birth_date, group=case.category,
        contribution_months=case.contribution_months, deemed_months=case.deemed_months, average_index=index,
        personal_account_fen=case.personal_account_fen, calculation_wage_fen=case.calculation_wage_fen,
        transitional_index=transitional, pre_account_months=case.pre_account_months,
        local_extras=[(extra.name, extra.fen) for extra in case.local_extras],
        local_calculation_wage_fen=case.local_calculation_wage_fen, notional_account_fen=case.notional_account_fen)))


# --- Use cases over the person's own record -------------------------------------------------------------

def require_staff_in(principal: Principal, region_code: str) -> None:
    principal.require_role(Role.STAFF, Role.ADMIN)
    principal.require_region(region_code)


def living_person(*, session: Session, person_id: int, principal: Principal | None = None) -> Person:
    """The person, living; judged first against the principal's scope when one is given, so that a refusal
    outside the scope says nothing about the person (not even that they died)."""
    person = session.get(Person, person_id)
    if principal is not None:
        registry.require_person_in_scope(principal, person)
    elif person is None:
        raise NotFound("person.unknown", f"人员 {person_id} 不存在", f"no person {person_id}")
    if person.status == "deceased":
        raise Conflict("person.deceased", f"此人已于 {person.death_date} 死亡" if person.death_date else "此人已死亡",
                       f"this person died on {person.death_date}" if person.death_date else "this person has died")
    return person


def _check_ground(store: ParameterStore, province: str, person: Person, command: RetirementApply) -> date:
    """The statutory date; refuses a date before it without the early ground, or after it without the delay ground."""
    age, _ = statutory_age(_age_params(store, province, person.birth_date, command.category), group=command.category,
                           birth_date=person.birth_date)
    statutory = add_months(person.birth_date, age.months)
    params = store.at(province, command.retire_date)
    if command.retire_date < statutory and command.ground not in (Ground.EARLY_VOLUNTARY, Ground.SPECIAL_WORK):
        raise InvalidInput("retirement.before_statutory_date", f"退休日期早于法定退休日期 {statutory}，且未申请弹性提前退休",
                           f"the retirement date is before the statutory date {statutory} without an early-retirement ground",
                           statutory_date=statutory.isoformat())
    if command.retire_date >= statutory and command.ground in (Ground.EARLY_VOLUNTARY, Ground.SPECIAL_WORK):
        raise InvalidInput("retirement.not_early", f"{command.retire_date} 不早于法定退休日期 {statutory}",
                           f"{command.retire_date} is not before the statutory date {statutory}")
    delay = "retirement.deferred_retirement_max_months"  # no voluntary delay before the 2025 reform
    latest = add_months(statutory, params.value(delay) if params.has(delay) else 0)
    if command.retire_date > statutory and command.ground != Ground.DELAYED:
        raise InvalidInput("retirement.after_statutory_date", f"退休日期晚于法定退休日期 {statutory}，须有弹性延迟退休约定",
                           f"the retirement date is after the statutory date {statutory}; that needs a delay agreement",
                           statutory_date=statutory.isoformat())
    if command.retire_date > latest:
        raise InvalidInput("retirement.delay_too_long", f"弹性延迟退休不得晚于 {latest}", f"delayed retirement ends by {latest}")
    return statutory


def _special_work_earliest(store: ParameterStore, province: str, person: Person, command: RetirementApply) -> int | None:
    """On the special-work ground, the youngest age it allows (55 for a man, 45 for a woman), the kind and months of
    the work recorded with the application; on any other ground neither may be given. Whether the months suffice is
    risk rule R07's to judge (risk.special_work.*), not a reason to refuse the application."""
    given = command.special_work_kind is not None or command.special_work_months is not None
    if command.ground != Ground.SPECIAL_WORK:
        if given:
            raise InvalidInput("retirement.special_work_without_ground", "只有按特殊工种退休才填写特殊工种类别和年限",
                               "the kind and months of special work are given only on the special-work ground")
        return None
    if command.special_work_kind is None or command.special_work_months is None:
        raise InvalidInput("retirement.special_work_missing", "按特殊工种退休须填写特殊工种类别和从事该类工作的月数",
                           "the special-work ground needs the kind of special work and its months")
    sex = "male" if person.sex == "M" else "female"
    return store.at(province, command.retire_date).value(f"risk.special_work.{sex}_min_age_months")


@dataclass(frozen=True)
class BenefitPlace:
    """Which province awards the pension under the transfer rules, why, the months in each, and what other provinces
    still hold (to be gathered before the award)."""

    province: str
    why: str
    why_en: str
    months_by_province: dict[str, int]
    ungathered: tuple[str, ...] = ()


# The place of benefit is decided by the transfers context over the person's whole history, temporary accounts
# included (services.retirement passes it in): benefits awards, it does not decide where.
PlaceOf = Callable[[Session, Person, date], BenefitPlace]


@dataclass(frozen=True)
class RetirementOutcome:
    """An application's result: the award. (A second pension is blocked by the in-process risk rule R21, which
    records the attempt apart and raises; `error` stays for callers that still read it.)"""

    award: RetirementAwardRead | None = None
    error: DomainError | None = None


def apply_for_retirement(*, session: Session, principal: Principal, command: RetirementApply, now: datetime,
                         place_of: PlaceOf, store: ParameterStore | None = None) -> RetirementOutcome:
    """Checks an application against the person's record and awards it at once, with the explanation. The caller
    commits the session whatever the outcome, and then raises the outcome's refusal if it has one."""
    store = store or default_store()
    principal.require_role(Role.STAFF, Role.ADMIN)
    registry.require_person_in_scope(principal, session.get(Person, command.person_id))
    region_code = registry.require_current_region(session=session, code=command.region_code, field="region_code",
                                                  min_level=1).code
    require_staff_in(principal, region_code)
    province = province_of(region_code)
    guards.check(Point.PENSION_AWARD, session=session, actor=principal, now=now, use_case="benefits.apply_for_retirement",
                 subject=Subject("person", command.person_id, person_id=command.person_id,
                                 details={"province": province}))
    person = living_person(session=session, person_id=command.person_id, principal=principal)
    _check_group(person.sex, command.category)
    if session.scalar(select(RetirementApplication.id).where(RetirementApplication.person_id == person.id)):
        raise Conflict("retirement.pending", "此人已有退休申请", "this person already has a retirement application")
    _check_ground(store, province, person, command)
    earliest = _special_work_earliest(store, province, person, command)
    place = place_of(session, person, command.retire_date)
    if place.province != province:
        raise Conflict("retirement.wrong_province", f"按转移接续规则应由 {place.province} 核发待遇：{place.why}",
                       f"under the transfer rules the pension is awarded by {place.province}: {place.why_en}",
                       benefit_province=place.province)
    if place.ungathered:
        raise Conflict("retirement.gather_first",
                       f"{'、'.join(place.ungathered)} 仍有养老保险缴费记录或基金（临时缴费账户），须先归集到 {province} 再核定待遇",
                       f"{', '.join(place.ungathered)} still hold part of the pension record or funds (a temporary account): "
                       f"gather them to {province} before the award", provinces=list(place.ungathered))
    _check_notional_account(store.at(region_code, command.retire_date), command.notional_account_fen)
    second_index = None
    if command.transitional_index is not None:
        given = _decimal_input(command.transitional_index, "pension.transitional_index", "过渡性指数", "transitional index")
        _check_index_range(store, province, command.retire_date, given, code="pension.transitional_index",
                           what=("过渡性指数", "transitional index"))
        second_index = rules.fen(given * 10_000)
    explained = _explain(session, store, person, command.category, command.retire_date, region_code,
                         transitional_index=second_index, notional_account_fen=command.notional_account_fen or 0,
                         earliest_age_months=earliest)
    if not explained["eligible"]:
        raise InvalidInput("retirement.ineligible", "不符合按月领取养老金的条件：" + "；".join(explained["reasons_zh"]),
                           "not eligible for a monthly pension: " + "; ".join(explained["reasons"]),
                           reasons=explained["reasons"])
    application = RetirementApplication(
        person_id=person.id, province=province, region_code=region_code, category=command.category.value,
        retire_date=command.retire_date, age_months=rules.age_in_months(person.birth_date, command.retire_date),
        ground=command.ground.value, special_work_kind=command.special_work_kind and command.special_work_kind.value,
        special_work_months=command.special_work_months, status="pending", applied_by=principal.actor, applied_at=utc_naive(now),
        transitional_index_ten_thousandths=second_index, notional_account_fen=command.notional_account_fen)
    session.add(application)
    session.flush()
    awards.award(session=session, store=store, province=province, applications=RetirementApplication.id == application.id,
                 actor=principal.actor, now=now)
    award = session.scalar(select(PensionAward).where(PensionAward.application_id == application.id))
    _same_figures(award, explained)
    audit.append(session, actor=principal.actor, action="pension.awarded", subject=f"person:{person.id}", now=now,
                 award=award.id, monthly_fen=award.monthly_fen, retire_date=command.retire_date.isoformat(),
                 ground=command.ground.value)
    return RetirementOutcome(award=RetirementAwardRead(
        award_id=award.id, person_id=person.id, province=province, ground=command.ground, first_period=award.first_period,
        benefit_place={"province": place.province, "why": f"{place.why} ({place.why_en})",
                       "months_by_province": place.months_by_province},
        **explained))


def _same_figures(award: PensionAward, explained: dict) -> None:
    """The batch SQL and the explained rules must agree to the fen; a difference is a defect, not a result.

    A cheap guard, kept on purpose: both shapes now apply the same rules (the property test holds them equal),
    but they still run on two engines from inputs gathered twice — SQL's 64-bit integers (SQLite turns an
    overflowing product into a float without a word) and the constants table, against Python's integers and
    the parameters read again. Comparing one row the counter reads anyway costs nothing."""
    figures = (award.basic_fen, award.account_fen, award.transitional_fen, award.local_extras_fen, award.monthly_fen)
    expected = (explained["basic_pension_fen"], explained["personal_account_pension_fen"], explained["transitional_pension_fen"],
                explained["local_extras_fen"], explained["total_fen"] + explained["local_extras_fen"])
    if figures != expected:
        raise RuntimeError(f"award {award.id}: SQL gave {figures}, the rules {expected}")


def _record_figures(session: Session, store: ParameterStore, person_id: int) -> tuple[int, int, int, int, int]:
    """(months, index sum, deemed months, account balance, months before the account opened): the same SQL the
    award batch runs."""
    row = session.execute(select(*(column.label(name) for name, column in
                                   record.record_columns(store, literal(person_id)).items()))).one()
    return int(row.months), int(row.index_sum), int(row.deemed), int(row.balance), int(row.pre_account_months)


def _explain(session: Session, store: ParameterStore, person: Person, group: Group, retire_date: date, region: str,
             *, account_fen: int | None = None, wage_fen: int | None = None, transitional_index: int | None = None,
             notional_account_fen: int = 0, earliest_age_months: int | None = None) -> dict:
    """The explained award from the person's record, with the rule pack of the region (a city's over its province's)."""
    months, index_sum, deemed, balance, pre_account = _record_figures(session, store, person.id)
    index = rules.index_ten_thousandths(index_sum, months)
    result = calculate_pension(store.at(region, retire_date), _age_params(store, region, person.birth_date, group),
                               PensionCase(region=region, retire_date=retire_date, birth_date=person.birth_date, group=group,
                                           contribution_months=months, deemed_months=deemed, pre_account_months=pre_account,
                                           average_index=Decimal(index) / 10_000,
                                           transitional_index=None if transitional_index is None
                                           else Decimal(transitional_index) / 10_000, notional_account_fen=notional_account_fen,
                                           personal_account_fen=balance if account_fen is None else account_fen,
                                           calculation_wage_fen=wage_fen, earliest_age_months=earliest_age_months))
    years = [dict(row._mapping) for row in session.execute(record.yearly_record(store, person.id)).all()]
    result["steps"][:0] = [
        {"step": "contribution_months", "value": months, "how": "paid months on the platform + archive years"},
        {"step": "deemed_months", "value": deemed, "how": "deemed years before personal accounts (archive)"},
        {"step": "average_index", "value": rules.decimal_index(index),
         "how": f"sum of monthly indexes {index_sum}/1,000,000 ÷ {months} months, four decimals half up"},
        {"step": "personal_account_fen", "value": balance, "how": "the personal account's balance in the ledger"},
    ]
    result["record"] = {"contribution_months": months, "deemed_months": deemed, "index_sum_millionths": index_sum,
                        "average_index": rules.decimal_index(index), "personal_account_fen": balance,
                        "years": [{k: (int(v) if isinstance(v, int | Decimal) else v) for k, v in y.items()} for y in years]}
    return result


def pension_of(*, session: Session, principal: Principal, person_id: int, store: ParameterStore | None = None) -> PensionRead:
    """A receiver's award with its explanation, adjustments, payroll history and certifications."""
    store = store or default_store()
    person = require_receiver_in_scope(session=session, principal=principal, person_id=person_id)
    award = session.scalar(select(PensionAward).where(PensionAward.person_id == person_id))
    if award is None:
        raise NotFound("pension.none", "此人没有养老金待遇", "this person draws no pension")
    application = session.get(RetirementApplication, award.application_id)
    case = PensionCase(region=application.region_code, retire_date=award.retire_date, birth_date=person.birth_date,
                       group=Group(application.category), contribution_months=award.contribution_months,
                       deemed_months=award.deemed_months, pre_account_months=award.pre_account_months,
                       average_index=Decimal(award.index_ten_thousandths) / 10_000,
                       transitional_index=Decimal(award.transitional_index_ten_thousandths) / 10_000,
                       notional_account_fen=award.notional_account_fen,
                       personal_account_fen=award.personal_account_fen, calculation_wage_fen=award.calculation_wage_fen)
    params = store.at(application.region_code, award.retire_date)
    if award.calculation_wage_fen == params.value("pension.calculation_wage_fen"):
        case.calculation_wage_fen = None  # the province's value in force: the explanation then names its source
    explained = calculate_pension(params,
                                  _age_params(store, application.region_code, person.birth_date, case.group), case)
    lines = session.scalars(select(PayrollLine).where(PayrollLine.award_id == award.id)
                            .order_by(PayrollLine.for_period.desc(), PayrollLine.kind).limit(36)).all()
    returns = payouts.returns_of(session=session, source=Source.PAYROLL.value, refs=[x.id for x in lines])
    return PensionRead.model_validate({
        "award": {"id": award.id, "province": award.province, "status": award.status, "status_reason": award.status_reason,
                  "retire_date": award.retire_date.isoformat(), "first_period": award.first_period,
                  "ground": application.ground, "basic_fen": award.basic_fen, "account_fen": award.account_fen,
                  "transitional_fen": award.transitional_fen, "awarded_total_fen": award.basic_fen + award.account_fen
                  + award.transitional_fen, "monthly_fen": award.monthly_fen,
                  "account_remaining_fen": award.account_remaining_fen, "certified_on": award.certified_on.isoformat(),
                  "certification_due": add_months(award.certified_on, store.at(award.province, award.certified_on)
                                                  .value("certification.interval_months")).isoformat(),
                  "stop_period": award.stop_period},
        "explanation": explained,
        "adjustments": [{"since_period": a.since_period, "before_fen": a.before_fen, "increase_fen": a.increase_fen}
                        for a in session.scalars(select(PensionAdjustment).where(PensionAdjustment.award_id == award.id)
                                                 .order_by(PensionAdjustment.since_period))],
        "payroll": [{"for_period": x.for_period, "kind": x.kind, "amount_fen": x.amount_fen, "status": x.status,
                     "hold_reason": x.hold_reason, "paid_period": x.paid_period, "bank_return": returns.get(x.id)}
                    for x in lines],
        "certifications": [{"method": c.method, "certified_on": c.certified_on.isoformat(), "evidence": c.evidence}
                           for c in session.scalars(select(Certification).where(Certification.person_id == person_id)
                                                    .order_by(Certification.certified_on.desc()).limit(10))],
        "recovery": _recovery_read(session, award.id),
    })


def require_receiver_in_scope(*, session: Session, principal: Principal, person_id: int) -> Person:
    """A (possible) receiver the principal may handle: the insured themselves, staff of the region where they
    live or hold hukou, or of the region whose agency took their retirement application; one answer otherwise."""
    person = session.get(Person, person_id)
    if principal.role == Role.INSURED:
        return registry.require_person_in_scope(principal, person)
    awarded_in = session.scalar(select(RetirementApplication.region_code).join(
        PensionAward, PensionAward.application_id == RetirementApplication.id).where(PensionAward.person_id == person_id))
    if person is None or not principal.serves(person.residence_region_code, person.hukou_region_code, awarded_in):
        raise not_in_scope("人员", "person")
    return person


def award_region(*, session: Session, award: PensionAward) -> str:
    """The agency region that took the application: its staff (and those above) serve the receiver."""
    return session.scalar(select(RetirementApplication.region_code).where(RetirementApplication.id == award.application_id))


def death_recovery_of(*, session: Session, person_id: int) -> dict | None:
    """What the death record already recovers of a person's pension paid after the death (benefit_recoveries), or
    None: the risk case of the same payments must not post a second receivable."""
    recovery = session.scalar(select(BenefitRecovery).where(BenefitRecovery.person_id == person_id)
                              .order_by(BenefitRecovery.id).limit(1))
    return None if recovery is None else _recovery_read(session, recovery.award_id)


def _recovery_read(session: Session, award_id: int) -> dict | None:
    recovery = session.scalar(select(BenefitRecovery).where(BenefitRecovery.award_id == award_id))
    if recovery is None:
        return None
    return {"amount_fen": recovery.amount_fen, "months": recovery.months, "from_period": recovery.from_period,
            "status": recovery.status}


def _check_index_range(store: ParameterStore, region: str, day: date, index: Decimal, *, code: str,
                       what: tuple[str, str]) -> None:
    """An average contribution index within the range the bases allow (pension.average_index_minimum/maximum)."""
    params = store.at(region, day)
    low, high = params.value("pension.average_index_minimum"), params.value("pension.average_index_maximum")
    if not low <= index <= high:
        raise InvalidInput(code, f"{what[0]}应在 {low} 至 {high} 之间", f"the {what[1]} lies between {low} and {high}")


# --- Estimator ------------------------------------------------------------------------------------------

def estimate(*, session: Session, principal: Principal, command: PensionEstimate, now: datetime,
             store: ParameterStore | None = None) -> PensionEstimateRead:
    """A future pension from the person's own record plus stated assumptions, explained like an award."""
    store = store or default_store()
    principal.require_role(Role.INSURED, Role.STAFF, Role.ADMIN, Role.AUDITOR)
    person = living_person(session=session, person_id=command.person_id, principal=principal)
    _check_group(person.sex, command.category)
    growth, future_index, interest = (_assumption(name, getattr(command, name), Decimal("0.2"))
                                      for name in ("wage_growth", "future_index", "account_interest"))
    _check_index_range(store, person.hukou_region_code, china_today(now), future_index, code="estimate.future_index",
                       what=("未来缴费指数", "future index"))
    today = china_today(now)
    province = province_of(person.hukou_region_code)
    statutory = retirement_date(birth_date=person.birth_date, sex=person.sex, group=command.category, region=province,
                                store=store)
    retire = command.retire_date or statutory.statutory_date
    if retire <= today:
        raise InvalidInput("estimate.retire_date", "测算的退休日期应在今天之后", "the retirement date to estimate is after today")
    months, index_sum, deemed, balance, pre_account = _record_figures(session, store, person.id)
    params = store.at(province, today)
    wage_now, ahead = params.value("pension.calculation_wage_fen"), Period.of(today).months_until(Period.of(retire))
    account_rate = params.value("contribution.pension.personal_account_rate")
    projected_balance, wage = Decimal(balance), Decimal(wage_now)
    for month in range(ahead):
        projected_balance = projected_balance * (1 + interest / 12) + wage * future_index * account_rate
        if month % 12 == 11:
            wage *= 1 + growth
    wage_then = rules.fen(Decimal(wage_now) * (1 + growth) ** (Decimal(ahead) / 12))
    total_months = months + ahead
    index = rules.index_ten_thousandths(index_sum + ahead * rules.millionths(future_index), total_months)
    result = calculate_pension(store.at(province, retire), _age_params(store, province, person.birth_date, command.category),
                               PensionCase(region=province, retire_date=retire, birth_date=person.birth_date,
                                           group=command.category, contribution_months=total_months, deemed_months=deemed,
                                           pre_account_months=pre_account,
                                           average_index=Decimal(index) / 10_000,
                                           personal_account_fen=rules.fen(projected_balance), calculation_wage_fen=wage_then))
    result["assumptions"] = [
        {"step": "record_now", "value": {"months": months, "deemed_months": deemed, "personal_account_fen": balance},
         "how": "the person's own record today"},
        {"step": "future_months", "value": ahead, "how": f"from {today.isoformat()} to {retire.isoformat()}"},
        {"step": "future_index", "value": str(future_index), "how": "assumed contribution index for future months"},
        {"step": "calculation_wage_fen", "value": wage_then, "how": f"{wage_now} × (1 + {growth}) ^ ({ahead}/12)"},
        {"step": "personal_account_fen", "value": rules.fen(projected_balance),
         "how": f"monthly {account_rate} of the future base, interest {interest} a year compounded monthly"},
    ]
    result["estimate"] = True
    return PensionEstimateRead.model_validate(result)


def _assumption(name: str, text: str, most: Decimal) -> Decimal:
    zh, en = ASSUMPTION_NAMES[name]
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"estimate.{name}", f"{zh}应为小数：「{text}」", f"the {en} ({name}) is not a decimal: {text}") from None
    if name != "future_index" and not -most <= value <= most:
        raise InvalidInput(f"estimate.{name}", f"{zh}应在 -{most} 至 {most} 之间", f"the {en} ({name}) is outside -{most}..{most}")
    return value


def pension_summary(*, session: Session, province: str) -> dict:
    """Receivers by payment status and the latest payroll months' totals, for the front page."""
    by_status = dict(session.execute(select(PensionAward.status, func.count()).where(PensionAward.province == province)
                                     .group_by(PensionAward.status)).all())
    months = session.execute(select(PayrollLine.paid_period, func.sum(PayrollLine.amount_fen))
                             .where(PayrollLine.province == province, PayrollLine.status == "paid")
                             .group_by(PayrollLine.paid_period).order_by(PayrollLine.paid_period.desc()).limit(12)).all()
    return {"paying": by_status.get("paying", 0), "suspended": by_status.get("suspended", 0),
            "stopped": by_status.get("stopped", 0),
            "months": [{"period": period, "amount_fen": int(total)} for period, total in reversed(months)]}
