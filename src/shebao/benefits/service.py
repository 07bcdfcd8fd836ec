"""Benefit use cases: the statutory date, a pension case, retirement from the record and its award,
certification and death, unemployment, work injury, maternity and the estimator. One transaction each."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlalchemy import and_, func, literal, select, update
from sqlalchemy.orm import Session

from shebao.benefits import awards, payroll, record, rules
from shebao.benefits.models import (
    BenefitFlag,
    BenefitRecovery,
    Certification,
    ContributionYear,
    PayrollLine,
    PensionAdjustment,
    PensionAward,
    RetirementApplication,
    UnemploymentClaim,
)
from shebao.benefits.rules import Group, PensionCase, add_months, calculate_pension, statutory_age
from shebao.benefits.schemas import (
    CertificationIn,
    CertificationMethod,
    DeathIn,
    EstimateIn,
    Ground,
    RetirementApply,
)
from shebao.contributions.models import Assessment
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database
from shebao.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from shebao.core.periods import Period
from shebao.core.security import FieldCipher, Principal, Role
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind, Line
from shebao.policy.store import ParameterStore, default_store
from shebao.registry import service as registry
from shebao.registry.models import Person

SEX_OF_GROUP = {Group.MALE: "M", Group.FEMALE_CADRE: "F", Group.FEMALE_WORKER: "F"}


class PensionCaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region: str
    retire_date: date
    birth_date: date
    sex: str = Field(pattern="^[MF]$")
    category: Group
    contribution_months: StrictInt = Field(ge=0, le=12 * 80)
    deemed_months: StrictInt = Field(0, ge=0, le=12 * 60)
    average_index: str = Field(description='average contribution index as a decimal string, e.g. "1.2"')
    personal_account_fen: StrictInt = Field(ge=0)
    calculation_wage_fen: StrictInt | None = Field(None, ge=1)


def _check_group(sex: str, group: Group) -> None:
    if SEX_OF_GROUP[group] != sex:
        raise InvalidInput("retirement.category_sex", f"类别 {group.value} 与性别 {sex} 不符", f"category {group.value} does not fit sex {sex}")


def _age_params(store: ParameterStore, region: str, birth_date: date, group: Group):  # noqa: ANN202
    """The parameters in force when the person reached the original age: they decide whether the
    reform's later age applies. The original ages (50 to 60) are read at 60, when all were reached."""
    original = store.at(region, add_months(birth_date, 60 * 12)).value(f"retirement.{group.value}.original_age_months")
    return store.at(region, add_months(birth_date, original))


def retirement_date(*, birth_date: date, sex: str, group: Group, region: str = "000000",
                    store: ParameterStore | None = None) -> dict:
    """The statutory retirement date and age for a birth date, sex and category."""
    _check_group(sex, group)
    store = store or default_store()
    age_params = _age_params(store, region, birth_date, group)
    age, steps = statutory_age(age_params, group=group, birth_date=birth_date)
    return {"birth_date": birth_date.isoformat(), "sex": sex, "category": group.value, "age": age.years_months,
            "statutory_date": add_months(birth_date, age.months).isoformat(), "steps": steps}


def pension_case(*, case: PensionCaseIn, store: ParameterStore | None = None) -> dict:
    """The explained award for one case (the calculator behind `shebao pension calc`)."""
    _check_group(case.sex, case.category)
    try:
        index = Decimal(case.average_index)
    except InvalidOperation:
        raise InvalidInput("pension.index", f"平均缴费指数格式错误：{case.average_index}", f"not a decimal: {case.average_index}") from None
    if not Decimal("0.3") <= index <= Decimal("3"):
        raise InvalidInput("pension.index", "平均缴费指数应在 0.3 至 3 之间", "the average contribution index lies between 0.3 and 3")
    if case.retire_date <= case.birth_date:
        raise InvalidInput("pension.retire_date", "退休日期早于出生日期", "the retirement date is before the birth date")
    store = store or default_store()
    age_params = _age_params(store, case.region, case.birth_date, case.category)
    params = store.at(case.region, case.retire_date)
    return calculate_pension(params, age_params, PensionCase(
        region=case.region, retire_date=case.retire_date, birth_date=case.birth_date, group=case.category,
        contribution_months=case.contribution_months, deemed_months=case.deemed_months, average_index=index,
        personal_account_fen=case.personal_account_fen, calculation_wage_fen=case.calculation_wage_fen))


# --- Use cases over the person's own record -------------------------------------------------------------

def require_staff_in(principal: Principal, region_code: str) -> None:
    principal.require_role(Role.STAFF, Role.ADMIN)
    principal.require_region(region_code)


def living_person(session: Session, person_id: int) -> Person:
    person = registry.person_by_id(session=session, person_id=person_id)
    if person.status == "deceased":
        raise Conflict("person.deceased", f"此人已于 {person.death_date} 死亡", f"this person died on {person.death_date}")
    return person


def _age_in_months(birth: date, day: date) -> int:
    return (day.year * 12 + day.month) - (birth.year * 12 + birth.month) - (1 if day.day < birth.day else 0)


def _check_ground(store: ParameterStore, province: str, person: Person, command: RetirementApply) -> date:
    """The statutory date; refuses a date before it without the early ground, or after it without the delay ground."""
    age, _ = statutory_age(_age_params(store, province, person.birth_date, command.category), group=command.category,
                           birth_date=person.birth_date)
    statutory = add_months(person.birth_date, age.months)
    params = store.at(province, command.retire_date)
    if command.retire_date < statutory and command.ground != Ground.EARLY_VOLUNTARY:
        raise InvalidInput("retirement.before_statutory_date", f"退休日期早于法定退休日期 {statutory}，且未申请弹性提前退休",
                           f"the retirement date is before the statutory date {statutory} without an early-retirement ground",
                           statutory_date=statutory.isoformat())
    if command.retire_date >= statutory and command.ground == Ground.EARLY_VOLUNTARY:
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


def benefit_place(session: Session, store: ParameterStore, person: Person) -> tuple[str, str, dict[str, int]]:
    """Which province awards this person's pension under the transfer rules, why, and the months in each."""
    mine = select(literal(person.id))
    months = {row.province: int(row.months) + int(row.deemed)
              for row in session.execute(record.record_by_province(store, mine)).all()}
    latest = dict(session.execute(select(Assessment.province, func.max(Assessment.period)).where(
        Assessment.person_id == person.id).group_by(Assessment.province)).all())
    for province, year in session.execute(select(ContributionYear.province, func.max(ContributionYear.year)).where(
            ContributionYear.person_id == person.id).group_by(ContributionYear.province)).all():
        latest[province] = max(latest.get(province, ""), f"{year}12")
    by_recency = sorted(latest, key=latest.get, reverse=True)
    current = by_recency[0] if by_recency else person.hukou_region_code[:2] + "0000"
    ten_years = next((p for p in by_recency if months.get(p, 0) >= rules.TEN_YEARS), None)
    place, why = rules.benefit_province(hukou_province=person.hukou_region_code[:2] + "0000", months_by_province=months,
                                        current_province=current, last_ten_year_province=ten_years)
    return place, why, months


def _one_pension(database: Database, person_id: int, province: str, principal: Principal, now: datetime) -> None:
    """Refuses a second pension anywhere in the country, and flags the attempt for the fund's risk control."""
    with database.unit_of_work() as uow:
        existing = uow.session.scalar(select(PensionAward).where(PensionAward.person_id == person_id))
        if existing is None:
            return
        where = existing.province
    with database.transaction() as session:
        session.add(BenefitFlag(person_id=person_id, kind="second_pension", province=province, raised_by=principal.actor,
                                raised_at=utc_naive(now), detail=json.dumps({"receiving_in": where, "applied_in": province})))
        audit.append(session, actor=principal.actor, action="benefit.flagged", subject=f"person:{person_id}", now=now,
                     kind="second_pension", receiving_in=where, applied_in=province)
    raise Conflict("retirement.already_receiving", f"此人已在 {where} 领取养老金：一人只能领取一份养老金，已标记核查",
                   f"this person already receives a pension in {where}: one person, one pension (flagged for review)",
                   receiving_in=where)


def apply_for_retirement(*, database: Database, principal: Principal, command: RetirementApply, now: datetime,
                         store: ParameterStore | None = None) -> dict:
    """Checks an application against the person's record and awards it at once, with the explanation."""
    store = store or default_store()
    with database.unit_of_work() as uow:
        region_code = registry.require_current_region(uow.session, command.region_code, field="region_code", min_level=1).code
    require_staff_in(principal, region_code)
    province = region_code[:2] + "0000"
    _one_pension(database, command.person_id, province, principal, now)
    with database.transaction() as session:
        person = living_person(session, command.person_id)
        _check_group(person.sex, command.category)
        if session.scalar(select(RetirementApplication.id).where(RetirementApplication.person_id == person.id)):
            raise Conflict("retirement.pending", "此人已有退休申请", "this person already has a retirement application")
        _check_ground(store, province, person, command)
        place, why, months_by_province = benefit_place(session, store, person)
        if place != province:
            raise Conflict("retirement.wrong_province", f"按转移接续规则应由 {place} 核发待遇（{why}）",
                           f"under the transfer rules the pension is awarded by {place} ({why})", benefit_province=place)
        explained = _explain(session, store, person, command.category, command.retire_date, province)
        if not explained["eligible"]:
            raise InvalidInput("retirement.ineligible", "不符合按月领取养老金的条件：" + "；".join(explained["reasons"]),
                               "not eligible for a monthly pension: " + "; ".join(explained["reasons"]),
                               reasons=explained["reasons"])
        application = RetirementApplication(
            person_id=person.id, province=province, region_code=region_code, category=command.category.value,
            retire_date=command.retire_date, age_months=_age_in_months(person.birth_date, command.retire_date),
            ground=command.ground.value, status="pending", applied_by=principal.actor, applied_at=utc_naive(now))
        session.add(application)
        session.flush()
        awards.award(session, store=store, province=province, applications=RetirementApplication.id == application.id,
                     actor=principal.actor, now=now)
        award = session.scalar(select(PensionAward).where(PensionAward.application_id == application.id))
        _same_figures(award, explained)
        audit.append(session, actor=principal.actor, action="pension.awarded", subject=f"person:{person.id}", now=now,
                     award=award.id, monthly_fen=award.monthly_fen, retire_date=command.retire_date.isoformat(),
                     ground=command.ground.value)
        return {"award_id": award.id, "person_id": person.id, "province": province, "ground": command.ground.value,
                "first_period": award.first_period, "benefit_place": {"province": place, "why": why,
                                                                     "months_by_province": months_by_province},
                **explained}


def _same_figures(award: PensionAward, explained: dict) -> None:
    """The batch SQL and the explained rules must agree to the fen; a difference is a defect, not a result."""
    figures = (award.basic_fen, award.account_fen, award.transitional_fen)
    expected = (explained["basic_pension_fen"], explained["personal_account_pension_fen"], explained["transitional_pension_fen"])
    if figures != expected:
        raise RuntimeError(f"award {award.id}: SQL gave {figures}, the rules {expected}")


def _record_figures(session: Session, store: ParameterStore, person_id: int) -> tuple[int, int, int, int]:
    """(months, index sum, deemed months, account balance): the same SQL the award batch runs."""
    row = session.execute(select(*(column.label(name) for name, column in
                                   record.record_columns(store, literal(person_id)).items()))).one()
    return int(row.months), int(row.index_sum), int(row.deemed), int(row.balance)


def _explain(session: Session, store: ParameterStore, person: Person, group: Group, retire_date: date, province: str,
             *, account_fen: int | None = None, wage_fen: int | None = None) -> dict:
    months, index_sum, deemed, balance = _record_figures(session, store, person.id)
    index = rules.index_ten_thousandths(index_sum, months)
    result = calculate_pension(store.at(province, retire_date), _age_params(store, province, person.birth_date, group),
                               PensionCase(region=province, retire_date=retire_date, birth_date=person.birth_date, group=group,
                                           contribution_months=months, deemed_months=deemed,
                                           average_index=Decimal(index) / 10_000,
                                           personal_account_fen=balance if account_fen is None else account_fen,
                                           calculation_wage_fen=wage_fen))
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


def pension_of(*, session: Session, principal: Principal, person_id: int, store: ParameterStore | None = None) -> dict:
    """A receiver's award with its explanation, adjustments, payroll history and certifications."""
    store = store or default_store()
    person = registry.person_by_id(session=session, person_id=person_id)
    award = session.scalar(select(PensionAward).where(PensionAward.person_id == person_id))
    if award is None:
        raise NotFound("pension.none", "此人没有养老金待遇", "this person draws no pension")
    if not (principal.role == Role.INSURED and principal.person_id == person_id):
        require_staff_in(principal, _award_region(session, award))
    application = session.get(RetirementApplication, award.application_id)
    case = PensionCase(region=award.province, retire_date=award.retire_date, birth_date=person.birth_date,
                       group=Group(application.category), contribution_months=award.contribution_months,
                       deemed_months=award.deemed_months, average_index=Decimal(award.index_ten_thousandths) / 10_000,
                       personal_account_fen=award.personal_account_fen, calculation_wage_fen=award.calculation_wage_fen)
    params = store.at(award.province, award.retire_date)
    if award.calculation_wage_fen == params.value("pension.calculation_wage_fen"):
        case.calculation_wage_fen = None  # the province's value in force: the explanation then names its source
    explained = calculate_pension(params,
                                  _age_params(store, award.province, person.birth_date, case.group), case)
    lines = session.scalars(select(PayrollLine).where(PayrollLine.award_id == award.id)
                            .order_by(PayrollLine.for_period.desc(), PayrollLine.kind).limit(36)).all()
    return {
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
                     "hold_reason": x.hold_reason, "paid_period": x.paid_period} for x in lines],
        "certifications": [{"method": c.method, "certified_on": c.certified_on.isoformat(), "evidence": c.evidence}
                           for c in session.scalars(select(Certification).where(Certification.person_id == person_id)
                                                    .order_by(Certification.certified_on.desc()).limit(10))],
        "recovery": _recovery_read(session, award.id),
    }


def _recovery_read(session: Session, award_id: int) -> dict | None:
    recovery = session.scalar(select(BenefitRecovery).where(BenefitRecovery.award_id == award_id))
    if recovery is None:
        return None
    return {"amount_fen": recovery.amount_fen, "months": recovery.months, "from_period": recovery.from_period,
            "status": recovery.status}


# --- Certification and death ----------------------------------------------------------------------------

def certify(*, session: Session, principal: Principal, command: CertificationIn, now: datetime) -> dict:
    """Records a proof of life; a payment suspended for lack of one resumes, with the months held paid at once."""
    person = registry.person_by_id(session=session, person_id=command.person_id)
    if person.status == "deceased":
        raise Conflict("certification.deceased", f"此人已于 {person.death_date} 死亡，不能认证",
                       f"this person died on {person.death_date}; no certification is possible")
    award = session.scalar(select(PensionAward).where(PensionAward.person_id == person.id).with_for_update())
    if award is None:
        raise NotFound("certification.not_a_receiver", "此人没有在领的养老金待遇", "this person draws no pension to certify")
    if command.method == CertificationMethod.ONLINE_FACE and principal.role == Role.INSURED:
        if principal.person_id != person.id:
            raise Forbidden("certification.not_yourself", "只能为本人认证", "you may certify only yourself")
    else:
        require_staff_in(principal, _award_region(session, award))
    today = china_today(now)
    if not award.retire_date <= command.certified_on <= today:
        raise InvalidInput("certification.date", "认证日期应在退休日期之后、不晚于今天",
                           "a certification date lies between the retirement date and today")
    if session.scalar(select(Certification.id).where(
            Certification.person_id == person.id, Certification.method == command.method.value,
            Certification.certified_on == command.certified_on, Certification.evidence == command.evidence)):
        raise Conflict("certification.duplicate", "同一认证已经记录", "this certification is already recorded")
    certification = Certification(person_id=person.id, method=command.method.value, certified_on=command.certified_on,
                                  evidence=command.evidence, recorded_by=principal.actor, recorded_at=utc_naive(now))
    session.add(certification)
    award.certified_on = max(award.certified_on, command.certified_on)
    resumed, paid = False, (0, 0)
    if award.status == "suspended" and award.status_reason == "certification_overdue":
        award.status, award.status_reason, resumed = "paying", "", True
        session.flush()
        paid = payroll.pay(session, province=award.province, month=Period.of(today), lines=PayrollLine.award_id == award.id,
                           key=f"arrears:{award.id}:{certification.id}", actor=principal.actor, now=now)
    session.flush()
    audit.append(session, actor=principal.actor, action="certification.recorded", subject=f"person:{person.id}", now=now,
                 method=command.method.value, certified_on=command.certified_on.isoformat(), resumed=resumed,
                 arrears_fen=paid[1])
    return {"certification_id": certification.id, "person_id": person.id, "certified_on": award.certified_on.isoformat(),
            "resumed": resumed, "arrears_lines": paid[0], "arrears_fen": paid[1], "status": award.status}


def suspend_pension(*, session: Session, principal: Principal, person_id: int, reason: str, now: datetime) -> dict:
    """Staff suspend a payment (whereabouts unknown, serving a sentence, …): payroll holds it from now on."""
    award = _award_of(session, person_id)
    require_staff_in(principal, _award_region(session, award))
    if award.status != "paying":
        raise Conflict("pension.not_paying", f"待遇状态为 {award.status}，不能暂停", f"the award is {award.status}; it cannot be suspended")
    if not 2 <= len(reason) <= 200:
        raise InvalidInput("pension.reason", "请写明暂停原因", "say why the payment is suspended")
    award.status, award.status_reason = "suspended", reason
    audit.append(session, actor=principal.actor, action="pension.suspended", subject=f"person:{person_id}", now=now, reason=reason)
    return {"person_id": person_id, "status": award.status, "status_reason": reason}


def resume_pension(*, session: Session, principal: Principal, person_id: int, now: datetime) -> dict:
    """Ends a suspension; the months held are paid at once (arrears)."""
    award = _award_of(session, person_id)
    require_staff_in(principal, _award_region(session, award))
    if award.status != "suspended":
        raise Conflict("pension.not_suspended", f"待遇状态为 {award.status}，无需恢复", f"the award is {award.status}, not suspended")
    award.status, award.status_reason = "paying", ""
    session.flush()
    key = f"resume:{award.id}:{uuid.uuid4().hex}"  # a retry is refused above (no longer suspended), so no reuse is needed
    lines, fen = payroll.pay(session, province=award.province, month=Period.of(china_today(now)), key=key,
                             lines=PayrollLine.award_id == award.id, actor=principal.actor, now=now)
    audit.append(session, actor=principal.actor, action="pension.resumed", subject=f"person:{person_id}", now=now,
                 arrears_fen=fen)
    return {"person_id": person_id, "status": award.status, "arrears_lines": lines, "arrears_fen": fen}


def _award_region(session: Session, award: PensionAward) -> str:
    """The agency region that took the application: its staff (and those above) serve the receiver."""
    return session.scalar(select(RetirementApplication.region_code).where(RetirementApplication.id == award.application_id))


def _award_of(session: Session, person_id: int) -> PensionAward:
    award = session.scalar(select(PensionAward).where(PensionAward.person_id == person_id).with_for_update())
    if award is None:
        raise NotFound("pension.none", "此人没有养老金待遇", "this person draws no pension")
    return award


def import_certifications(*, session: Session, cipher: FieldCipher, principal: Principal, rows: list[dict[str, str]],
                          now: datetime) -> dict:
    """Passive certifications from other departments' data (hospital visits, bank counters): all rows or none."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    today, commands, rejected = china_today(now), [], []
    for number, row in enumerate(rows, start=1):
        try:
            if row.get("method") not in (CertificationMethod.PASSIVE_HOSPITAL, CertificationMethod.PASSIVE_BANK):
                raise InvalidInput("certification.method", "被动认证方式应为 passive_hospital 或 passive_bank",
                                   "a passive certification is passive_hospital or passive_bank")
            person = registry.person_by_id_number(session=session, cipher=cipher, id_number=row.get("id_number", ""), today=today)
            commands.append(CertificationIn(person_id=person.id, method=row["method"],
                                            certified_on=date.fromisoformat(row.get("date", "")), evidence=row.get("source", "")))
        except (DomainError, ValueError) as problem:
            rejected.append({"row": number, "reason": getattr(problem, "reason_en", str(problem).splitlines()[0])})
    results = []
    for number, command in enumerate(commands, start=1):
        try:
            with session.begin_nested():
                results.append(certify(session=session, principal=principal, command=command, now=now))
        except DomainError as problem:
            rejected.append({"row": number, "reason": problem.reason_en})
    if rejected:
        raise InvalidInput("certification.import_rejected", f"{len(rejected)} 行有误，全部未导入",
                           f"{len(rejected)} rows were rejected; nothing was imported", rejected=rejected)
    return {"imported": len(results), "resumed": sum(1 for r in results if r["resumed"])}


def record_death(*, session: Session, principal: Principal, command: DeathIn, now: datetime) -> dict:
    """Civil affairs' death record: payment stops from the month after death; anything paid after it is recovered."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    person = registry.person_by_id(session=session, person_id=command.person_id)
    principal.require_region(person.hukou_region_code)
    # The award is locked first: a payroll chunk holding it finishes before the death is recorded, and one
    # starting after waits and then sees the death, so every payment is either recovered or never made.
    award = session.scalar(select(PensionAward).where(PensionAward.person_id == person.id).with_for_update())
    registry.record_death(session=session, person=person, death_date=command.death_date, reason=command.source,
                          actor=principal.actor, now=now)
    result: dict = {"person_id": person.id, "death_date": command.death_date.isoformat(), "award": None, "recovery": None}
    if award is not None:
        stop = str(Period.of(command.death_date).plus_months(1))
        award.status, award.status_reason, award.stop_period = "stopped", "deceased", stop
        after = and_(PayrollLine.award_id == award.id, PayrollLine.for_period >= stop)
        never_paid = and_(after, PayrollLine.status.in_(payroll.OPEN))
        payroll.cancel_payable(session, province=award.province, month=Period.of(china_today(now)), lines=never_paid,
                               key_prefix=f"cancel:{award.id}:", actor=principal.actor, now=now)
        cancelled = session.execute(update(PayrollLine).where(never_paid).values(status="cancelled")).rowcount
        result["award"] = {"id": award.id, "stop_period": stop, "lines_cancelled": cancelled}
        result["recovery"] = _open_recovery(session, principal, award, after, now)
    for claim in session.scalars(select(UnemploymentClaim).where(UnemploymentClaim.person_id == person.id,
                                                                 UnemploymentClaim.status == "drawing")):
        claim.status, claim.stopped_on, claim.stop_reason = "stopped", command.death_date, "deceased"
    audit.append(session, actor=principal.actor, action="benefit.stopped_by_death", subject=f"person:{person.id}", now=now,
                 death_date=command.death_date.isoformat(), recovery_fen=(result["recovery"] or {}).get("amount_fen", 0))
    return result


def _open_recovery(session: Session, principal: Principal, award: PensionAward, after, now: datetime) -> dict | None:  # noqa: ANN001
    """Posts what was paid for months after the death as a receivable from the estate, restoring the funds."""
    paid = and_(after, PayrollLine.status == "paid")
    count, total, from_account, first = session.execute(select(
        func.count(func.distinct(PayrollLine.for_period)), func.coalesce(func.sum(PayrollLine.amount_fen), 0),
        func.coalesce(func.sum(PayrollLine.account_part_fen), 0), func.min(PayrollLine.for_period)).where(paid)).one()
    if not count:
        return None
    total, from_account = int(total), int(from_account)
    open_account = partial(ledger.open_account, session=session, province=award.province, now=now)
    lines = [Line(open_account(kind=AccountKind.RECEIVABLE, person_id=award.person_id).id, total)]
    if total > from_account:
        lines.append(Line(open_account(kind=AccountKind.POOLING_FUND, insurance="pension").id, -(total - from_account)))
    if from_account:
        lines.append(Line(open_account(kind=AccountKind.PERSONAL_ACCOUNT, person_id=award.person_id).id, -from_account))
    entry = ledger.post_entry(session=session, key=f"recovery:{award.id}", province=award.province,
                              period=str(Period.of(china_today(now))), kind="benefit_recovery",
                              memo=f"死亡后多发待遇追回 recovery of pension paid after death ({count} months)",
                              lines=lines, actor=principal.actor, now=now)
    session.add(BenefitRecovery(award_id=award.id, person_id=award.person_id, amount_fen=total, months=count,
                                from_period=first, status="open", entry_id=entry.id, opened_at=utc_naive(now)))
    return {"amount_fen": total, "months": count, "from_period": first, "entry_id": entry.id}


# --- Estimator ------------------------------------------------------------------------------------------

def estimate(*, session: Session, principal: Principal, command: EstimateIn, now: datetime,
             store: ParameterStore | None = None) -> dict:
    """A future pension from the person's own record plus stated assumptions, explained like an award."""
    store = store or default_store()
    person = living_person(session, command.person_id)
    if not (principal.role == Role.INSURED and principal.person_id == person.id):
        principal.require_role(Role.STAFF, Role.ADMIN)
        principal.require_region(person.hukou_region_code)
    _check_group(person.sex, command.category)
    growth, future_index, interest = (_assumption(name, getattr(command, name), Decimal("0.2"))
                                      for name in ("wage_growth", "future_index", "account_interest"))
    if not Decimal("0.3") <= future_index <= 3:
        raise InvalidInput("estimate.future_index", "未来缴费指数应在 0.3 至 3 之间", "the future index lies between 0.3 and 3")
    today = china_today(now)
    province = person.hukou_region_code[:2] + "0000"
    statutory = retirement_date(birth_date=person.birth_date, sex=person.sex, group=command.category, region=province,
                                store=store)
    retire = command.retire_date or date.fromisoformat(statutory["statutory_date"])
    if retire <= today:
        raise InvalidInput("estimate.retire_date", "测算的退休日期应在今天之后", "the retirement date to estimate is after today")
    months, index_sum, deemed, balance = _record_figures(session, store, person.id)
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
    return result


def _assumption(name: str, text: str, most: Decimal) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"estimate.{name}", f"{name} 不是小数：{text}", f"{name} is not a decimal: {text}") from None
    if name != "future_index" and not -most <= value <= most:
        raise InvalidInput(f"estimate.{name}", f"{name} 超出合理范围", f"{name} is outside -{most}..{most}")
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
