"""Unemployment (the one-key application), work-injury and maternity claims. One transaction each."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, and_, case, func, literal, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from shebao.benefits import record, rules
from shebao.benefits.models import InjuryClaim, MaternityClaim, UnemploymentClaim, UnemploymentPayment
from shebao.benefits.schemas import (
    INVOLUNTARY,
    InjuryClaimCreate,
    InjuryClaimRead,
    InjuryKind,
    MaternityClaimCreate,
    MaternityClaimRead,
    SeparationReason,
    UnemploymentApplicationRead,
    UnemploymentApply,
    UnemploymentClaimRead,
    UnemploymentPayrollRead,
    UnemploymentSelfApply,
    UnemploymentStop,
)
from shebao.benefits.service import living_person, require_staff_in
from shebao.contributions import corrections
from shebao.contributions import rules as contribution_rules
from shebao.contributions.models import Assessment
from shebao.core import audit, guards
from shebao.core.clock import as_utc, china_today, utc_naive
from shebao.core.db import Database
from shebao.core.errors import Conflict, InvalidInput, NotFound
from shebao.core.guards import Point, Subject
from shebao.core.periods import Period
from shebao.core.regions import province_of
from shebao.core.security import SYSTEM, Principal, Role
from shebao.core.sql import insert_ignoring_duplicates, rate_numerator
from shebao.enrollment import service as enrollment
from shebao.enrollment.models import Participation
from shebao.enrollment.rules import Scheme
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind, Line
from shebao.policy.store import ParameterSnapshot, ParameterStore, default_store
from shebao.registry import service as registry
from shebao.registry.models import Employer, Person


def _paid_months(session: Session, person_id: int, *parts) -> int:  # noqa: ANN002 - assessment columns
    return session.scalar(select(func.count(func.distinct(Assessment.period))).where(
        Assessment.person_id == person_id, sum(parts[1:], parts[0]) > 0, record._paid())) or 0


def apply_unemployment(*, session: Session, principal: Principal, command: UnemploymentApply, now: datetime,
                       store: ParameterStore | None = None) -> UnemploymentApplicationRead:
    """The one-key application: registers the unemployment, checks eligibility, sets duration and amount, ends
    the job's participations if the employer has not, and has the unemployment fund pay the medical insurance."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    person = living_person(session=session, person_id=command.person_id, principal=principal)
    region = registry.require_current_region(session=session, code=command.region_code, field="region_code", min_level=1)
    require_staff_in(principal, region.code)
    return _register(session, principal, person, region.code, command.separation_date, command.reason, now, store)


def apply_unemployment_online(*, session: Session, principal: Principal, command: UnemploymentSelfApply, now: datetime,
                              store: ParameterStore | None = None) -> UnemploymentApplicationRead:
    """The insured's own one-key application online: the person is the login's own (never one named in a form), and
    the agency is the region where their last job was insured, as stored (where they live, with no such job: the
    months then decide). The same checks and effects as at a counter."""
    principal.require_role(Role.INSURED)
    person = living_person(session=session, person_id=principal.person_id or 0, principal=principal)
    _check_separation_recorded(session, person, command.separation_date, china_today(now))
    return _register(session, principal, person, _last_insured_region(session, person), command.separation_date,
                     command.reason, now, store)


def _check_separation_recorded(session: Session, person: Person, separation_date: date, today: date) -> None:
    """Online, the separation is the one the employer recorded: a person cannot end their own job by applying, nor
    date it earlier than their employer did. A dispute goes to the agency's counter with the proof of dismissal."""
    still_employed = session.scalar(select(Participation.id).where(
        Participation.person_id == person.id, Participation.mode == "employer", Participation.end_date.is_(None)).limit(1))
    if still_employed is not None:
        raise Conflict("unemployment.still_employed",
                       "单位尚未为您办理减员（离职）登记，不能在网上申领；请先请单位办理减员，或携解除劳动合同证明到经办机构窗口申请",
                       "your employer has not recorded that you left: ask it to, or apply at the agency's counter with the "
                       "proof of dismissal")
    recorded = enrollment.last_job_ended(session=session, person_id=person.id)
    if recorded is not None and recorded["end_date"] != separation_date <= today:  # a future date: said as such
        day = recorded["end_date"].isoformat()
        raise InvalidInput("unemployment.date_not_recorded", f"离职日期应为单位登记的 {day}",
                           f"the separation date is the one your employer recorded: {day}", field="separation_date")


def _last_insured_region(session: Session, person: Person) -> str:
    """The region of the person's latest unemployment insurance through an employer (where they register)."""
    return session.scalar(select(Participation.region_code).where(
        Participation.person_id == person.id, Participation.scheme == Scheme.UNEMPLOYMENT.value,
        Participation.mode == "employer").order_by(Participation.start_date.desc(), Participation.id.desc()).limit(1)
    ) or person.residence_region_code


def _register(session: Session, principal: Principal, person: Person, region_code: str, separation_date: date,
              reason: SeparationReason, now: datetime, store: ParameterStore | None) -> UnemploymentApplicationRead:
    guards.check(Point.UNEMPLOYMENT_CLAIM, session=session, actor=principal, now=now, use_case="benefits.apply_unemployment",
                 subject=Subject("person", person.id, person_id=person.id, details={"region_code": region_code}))
    today = china_today(now)
    if not person.birth_date < separation_date <= today:
        raise InvalidInput("unemployment.date", "离职日期应不晚于今天", "the separation date lies between birth and today")
    if reason not in INVOLUNTARY:
        raise InvalidInput("unemployment.voluntary", "本人主动辞职，不符合领取失业保险金条件（非因本人意愿中断就业）",
                           "a voluntary resignation does not qualify: the job must be lost involuntarily")
    if session.scalar(select(UnemploymentClaim.id).where(UnemploymentClaim.person_id == person.id,
                                                         UnemploymentClaim.status == "drawing")):
        raise Conflict("unemployment.already_drawing", "此人正在领取失业保险金", "this person already draws unemployment benefit")
    params = (store or default_store()).at(region_code, separation_date)
    # The job ends first, and the months billed after the separation are corrected away, so that the months counted
    # for the benefit are the ones the person really was insured for.
    ended = _end_jobs(session, principal, person.id, separation_date, reason, now)
    months = unemployment_months(session=session, person_id=person.id)
    minimum = params.value("unemployment.minimum_contribution_months")
    if months < minimum:
        raise InvalidInput("unemployment.too_few_months", f"失业保险累计缴费 {months} 个月，不满 {minimum} 个月",
                           f"{months} months of unemployment contributions, fewer than the {minimum} required",
                           months=months, minimum=minimum)
    previous = session.scalar(select(UnemploymentClaim).where(UnemploymentClaim.person_id == person.id)
                              .order_by(UnemploymentClaim.id.desc()).limit(1))
    carried = previous.months_left or 0 if previous is not None else 0
    entitled, monthly, steps = rules.unemployment_entitlement(params, contribution_months=months, carried_months=carried)
    stamp = utc_naive(now)
    claim = UnemploymentClaim(
        person_id=person.id, province=province_of(region_code), region_code=region_code,
        separation_date=separation_date,
        separation_reason=reason.value, contribution_months=months, entitled_months=entitled, carried_months=carried,
        monthly_fen=monthly, start_period=str(Period.of(separation_date).plus_months(1)), medical_paid_by_fund=True,
        status="drawing", explanation=json.dumps(steps, ensure_ascii=False), recorded_by=principal.actor, recorded_at=stamp)
    session.add(claim)
    session.flush()
    audit.append(session, actor=principal.actor, action="unemployment.registered", subject=f"person:{person.id}", now=now,
                 claim=claim.id, entitled_months=entitled, monthly_fen=monthly, jobs_ended=ended)
    return UnemploymentApplicationRead.model_validate(_claim_read(claim) | {"jobs_ended": ended})


def unemployment_months(*, session: Session, person_id: int) -> int:
    """The months of unemployment contributions paid for the person (what the benefit's duration counts)."""
    return _paid_months(session, person_id, Assessment.unemployment_employer_fen, Assessment.unemployment_individual_fen)


def claims_of(*, session: Session, person_id: int) -> dict[str, list[dict]]:
    """Every claim of the person as stored, newest first: unemployment (with the months paid so far), work injury,
    maternity. The caller has judged the person (their own login, or in scope)."""
    unemployment = session.scalars(select(UnemploymentClaim).where(UnemploymentClaim.person_id == person_id)
                                   .order_by(UnemploymentClaim.id.desc())).all()
    paid = dict(session.execute(select(UnemploymentPayment.claim_id, func.count()).where(
        UnemploymentPayment.person_id == person_id).group_by(UnemploymentPayment.claim_id)).all())
    injuries = session.scalars(select(InjuryClaim).where(InjuryClaim.person_id == person_id)
                               .order_by(InjuryClaim.id.desc())).all()
    births = session.scalars(select(MaternityClaim).where(MaternityClaim.person_id == person_id)
                             .order_by(MaternityClaim.id.desc())).all()
    return {
        "unemployment": [_claim_read(c) | {
            "separation_date": c.separation_date, "separation_reason": c.separation_reason, "region_code": c.region_code,
            "registered_on": china_today(as_utc(c.recorded_at)), "stopped_on": c.stopped_on, "stop_reason": c.stop_reason,
            "end_period": str(Period.parse(c.start_period).plus_months(c.entitled_months - 1)),
            "months_paid": int(paid.get(c.id, 0))} for c in unemployment],
        "injury": [{"claim_id": c.id, "kind": c.kind, "grade": c.grade, "injury_date": c.injury_date,
                    "one_off_fen": c.one_off_fen, "monthly_allowance_fen": c.monthly_allowance_fen,
                    "registered_on": china_today(as_utc(c.recorded_at))} for c in injuries],
        "maternity": [{"claim_id": c.id, "birth_date": c.birth_date, "leave_days": c.leave_days,
                       "allowance_fen": c.allowance_fen, "registered_on": china_today(as_utc(c.recorded_at))} for c in births],
    }


def _end_jobs(session: Session, principal: Principal, person_id: int, separation_date: date, reason: SeparationReason,
              now: datetime) -> int:
    """The job ends with the separation wherever the employer is registered: the agency registering the
    unemployment records it for the employer that has not (the event reaches enrollment, not the clerk's reach)."""
    why = f"失业登记 unemployment registered ({reason.value})"
    ended = enrollment.end_for_event(session=session, person_id=person_id, last_day=separation_date,
                                     reason=why, actor=principal.actor, now=now, employment_only=True)
    for province in sorted({province_of(p.region_code) for p in ended}):
        corrections.correct(session=session, province=province, persons=[person_id],
                            since=Period.of(separation_date), cause="end",
                            reason=f"{why}, separated on {separation_date}", actor=principal.actor, now=now,
                            may_reopen=principal.role == Role.ADMIN)
    return len({p.employer_id for p in ended})


def _claim_read(claim: UnemploymentClaim) -> dict:
    return {"claim_id": claim.id, "person_id": claim.person_id, "province": claim.province, "status": claim.status,
            "contribution_months": claim.contribution_months, "entitled_months": claim.entitled_months,
            "carried_months": claim.carried_months, "monthly_fen": claim.monthly_fen, "start_period": claim.start_period,
            "medical_paid_by_fund": claim.medical_paid_by_fund, "months_used": claim.months_used,
            "months_left": claim.months_left, "steps": json.loads(claim.explanation)}


def stop_unemployment(*, session: Session, principal: Principal, person_id: int, command: UnemploymentStop,
                      now: datetime) -> UnemploymentClaimRead:
    """Ends the benefit (re-employment, …): the months not used carry over to a later spell."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    registry.require_person_in_scope(principal, session.get(Person, person_id))
    claim = session.scalar(select(UnemploymentClaim).where(UnemploymentClaim.person_id == person_id,
                                                           UnemploymentClaim.status == "drawing"))
    if claim is None:
        raise NotFound("unemployment.not_drawing", "此人没有在领的失业保险金", "this person draws no unemployment benefit")
    if not claim.separation_date <= command.stopped_on <= china_today(now):
        raise InvalidInput("unemployment.stop_date", "停发日期应在离职之后、不晚于今天", "the stop date lies between separation and today")
    used = session.scalar(select(func.count()).where(UnemploymentPayment.claim_id == claim.id))  # months actually paid
    claim.status, claim.stopped_on, claim.stop_reason = "stopped", command.stopped_on, command.reason
    claim.months_used, claim.months_left, claim.medical_paid_by_fund = used, claim.entitled_months - used, False
    audit.append(session, actor=principal.actor, action="unemployment.stopped", subject=f"person:{person_id}", now=now,
                 claim=claim.id, reason=command.reason, months_used=used)
    return UnemploymentClaimRead.model_validate(_claim_read(claim))


def stop_on_reemployment(*, session: Session, person_id: int, start: date, now: datetime) -> None:
    """A reaction to a hire (services.employment): a running unemployment benefit stops from its start."""
    claim = session.scalar(select(UnemploymentClaim).where(UnemploymentClaim.person_id == person_id,
                                                           UnemploymentClaim.status == "drawing"))
    if claim is not None and start >= claim.separation_date:
        stop_unemployment(session=session, principal=SYSTEM, person_id=person_id, now=now,
                          command=UnemploymentStop(stopped_on=min(start, china_today(now)), reason="reemployed"))
        _return_medical_paid_twice(session, claim, start, now)


def _return_medical_paid_twice(session: Session, claim: UnemploymentClaim, start: date, now: datetime) -> None:
    """A hire dated back into months the fund already paid medical insurance for: the new employer is billed for
    those months (a retroactive correction), so the medical pool gives the fund's payments for them back to the
    unemployment pool — the same months are never paid twice. (The benefit paid for those months is the person's
    to repay; that recovery is not built yet.)"""
    overlap = [p for p in session.scalars(select(UnemploymentPayment).where(
        UnemploymentPayment.claim_id == claim.id, UnemploymentPayment.period >= str(Period.of(start)),
        UnemploymentPayment.medical_fen > 0)).all()]
    medical = sum(p.medical_fen for p in overlap)
    if not medical:
        return
    province = claim.province
    today = china_today(now)

    def pool(insurance: str) -> int:
        return ledger.open_account(session=session, kind=AccountKind.POOLING_FUND, province=province,
                                   insurance=insurance, now=now).id

    ledger.post_entry(session=session, key=f"unemployment-medical-returned:{claim.id}", province=province,
                      period=str(Period.of(today)), kind="unemployment_benefit",
                      lines=[Line(pool("medical"), medical), Line(pool("unemployment"), -medical)], actor=SYSTEM.actor,
                      now=now, memo=f"代缴医保退回 medical paid twice returned: {', '.join(p.period for p in overlap)}")
    audit.append(session, actor=SYSTEM.actor, action="unemployment.medical_returned", subject=f"person:{claim.person_id}",
                 now=now, claim=claim.id, periods=[p.period for p in overlap], medical_fen=medical)


def _insured_with(session: Session, person_id: int, employer_id: int, schemes: tuple[Scheme, ...], day: date) -> bool:
    return session.scalar(select(Participation.id).where(
        Participation.person_id == person_id, Participation.employer_id == employer_id,
        Participation.scheme.in_([s.value for s in schemes]), Participation.start_date <= day,
        or_(Participation.end_date.is_(None), Participation.end_date >= day)).limit(1)) is not None


def _average_base(session: Session, clause) -> int | None:  # noqa: ANN001
    value = session.scalar(select(func.avg(Assessment.used_base_fen)).where(  # the months as corrected, if they were
        clause, Assessment.superseded_by.is_(None), Assessment.used_base_fen > 0))
    return None if value is None else int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def claim_injury(*, session: Session, principal: Principal, command: InjuryClaimCreate, now: datetime,
                 store: ParameterStore | None = None) -> InjuryClaimRead:
    """A recognised work injury: the one-off disability subsidy and, grades 1–4, the monthly allowance; or a
    work death's subsidies. The own wage is the average base of the 12 months before the injury."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    employer = registry.require_employer_in_scope(principal, session.get(Employer, command.employer_id))
    person = registry.person_by_id(session=session, person_id=command.person_id)
    if command.kind == InjuryKind.DEATH and command.grade is not None:
        raise InvalidInput("injury.grade", "工亡不评定伤残等级", "a work death has no disability grade")
    if command.kind == InjuryKind.DISABILITY and (command.grade is None or not 1 <= command.grade <= 10):
        raise InvalidInput("injury.grade", "伤残等级应为 1 至 10 级", "the disability grade is 1 to 10", grade=command.grade)
    if not person.birth_date < command.injury_date <= china_today(now):
        raise InvalidInput("injury.date", "受伤日期应不晚于今天", "the injury date lies between birth and today")
    if not _insured_with(session, person.id, employer.id, (Scheme.WORK_INJURY,), command.injury_date):
        raise InvalidInput("injury.not_insured", "受伤当日此人未在该单位参加工伤保险",
                           "on the injury date this person was not insured against work injury by this employer")
    month = Period.of(command.injury_date)
    wage = _average_base(session, and_(Assessment.person_id == person.id, Assessment.payer_id == employer.id,
                                       Assessment.payer_kind == "employer", Assessment.period < str(month),
                                       Assessment.period >= str(month.plus_months(-12))))
    if wage is None:
        raise InvalidInput("injury.no_wage_record", "受伤前 12 个月没有缴费基数记录，无法确定本人工资",
                           "no contribution base in the 12 months before the injury to take the own wage from")
    if session.scalar(select(InjuryClaim.id).where(InjuryClaim.person_id == person.id, InjuryClaim.kind == command.kind.value,
                                                   InjuryClaim.injury_date == command.injury_date)):
        raise Conflict("injury.duplicate", "这次工伤已经核定", "this injury is already assessed")
    params = (store or default_store()).at(employer.region_code, command.injury_date)
    amounts, steps = rules.injury_benefits(params, kind=command.kind.value, grade=command.grade, wage_fen=wage,
                                           average_wage_fen=params.value("wages.average_monthly_fen"))
    steps.insert(0, {"step": "own_wage_fen", "value": wage, "how": "average contribution base, 12 months before the injury"})
    claim = InjuryClaim(person_id=person.id, employer_id=employer.id, province=province_of(employer.region_code),
                        kind=command.kind.value, injury_date=command.injury_date, grade=command.grade, wage_fen=wage,
                        explanation=json.dumps(steps, ensure_ascii=False), recorded_by=principal.actor,
                        recorded_at=utc_naive(now), **amounts)
    session.add(claim)
    session.flush()
    audit.append(session, actor=principal.actor, action="injury.assessed", subject=f"person:{person.id}", now=now,
                 claim=claim.id, kind=command.kind.value, grade=command.grade, **amounts)
    return InjuryClaimRead(claim_id=claim.id, person_id=person.id, kind=claim.kind, grade=claim.grade, wage_fen=wage,
                           **amounts, steps=steps)


def claim_maternity(*, session: Session, principal: Principal, command: MaternityClaimCreate, now: datetime,
                    store: ParameterStore | None = None) -> MaternityClaimRead:
    """Maternity allowance: the employer's average monthly base of the previous year ÷ 30 × the leave days."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    employer = registry.require_employer_in_scope(principal, session.get(Employer, command.employer_id))
    person = living_person(session=session, person_id=command.person_id)
    if person.sex != "F":
        raise InvalidInput("maternity.sex", "生育津贴由生育的女职工领取", "the maternity allowance is paid to the mother")
    if not person.birth_date < command.birth_date <= china_today(now):
        raise InvalidInput("maternity.date", "生育日期应不晚于今天", "the birth date lies between the mother's birth and today")
    if not _insured_with(session, person.id, employer.id, (Scheme.MATERNITY, Scheme.MEDICAL), command.birth_date):
        raise InvalidInput("maternity.not_insured", "生育当日此人未在该单位参加生育保险",
                           "on the birth date this person was not insured for maternity by this employer")
    year = command.birth_date.year - 1
    average = _average_base(session, and_(Assessment.payer_kind == "employer", Assessment.payer_id == employer.id,
                                          Assessment.period.between(f"{year}01", f"{year}12")))
    if average is None:
        raise InvalidInput("maternity.no_employer_record", f"单位 {year} 年没有缴费记录，无法计算职工月平均缴费工资",
                           f"the employer has no contributions in {year} to average")
    if session.scalar(select(MaternityClaim.id).where(MaternityClaim.person_id == person.id,
                                                      MaternityClaim.birth_date == command.birth_date)):
        raise Conflict("maternity.duplicate", "这次生育已经核定", "this birth is already assessed")
    params = (store or default_store()).at(employer.region_code, command.birth_date)
    days, allowance, steps = rules.maternity_allowance(params, average_base_fen=average, difficult_birth=command.difficult_birth,
                                                       babies=command.babies)
    steps.insert(0, {"step": "employer_average_base_fen", "value": average, "how": f"average monthly base of the employer in {year}"})
    claim = MaternityClaim(person_id=person.id, employer_id=employer.id, province=province_of(employer.region_code),
                           birth_date=command.birth_date, leave_days=days, employer_average_base_fen=average,
                           allowance_fen=allowance, explanation=json.dumps(steps, ensure_ascii=False),
                           recorded_by=principal.actor, recorded_at=utc_naive(now))
    session.add(claim)
    session.flush()
    audit.append(session, actor=principal.actor, action="maternity.assessed", subject=f"person:{person.id}", now=now,
                 claim=claim.id, leave_days=days, allowance_fen=allowance)
    return MaternityClaimRead(claim_id=claim.id, person_id=person.id, leave_days=days, employer_average_base_fen=average,
                              allowance_fen=allowance, steps=steps)


def pay_unemployment(*, database: Database, province: str, period: str, now: datetime, actor: str,
                     store: ParameterStore | None = None) -> UnemploymentPayrollRead:
    """A month of unemployment benefit for every drawing claim, and the medical contributions the fund pays
    for them, set-based and posted in one entry (debit the unemployment pool; credit cash and the medical
    pool). Idempotent: a claim is paid once a month; a claim whose entitled months are all paid ends."""
    month = ledger.require_open_month(database, province=province, period=period, now=now, job="unemployment",
                                      future_code="unemployment.period_not_open", future_zh="发放期 {month} 尚未开始",
                                      future_en="the period {month} is not open yet")
    params = (store or default_store()).at(province, month.first_day())
    if params.value("unemployment.medical_paid_by_fund") != "floor_base_full_rate":
        raise InvalidInput("unemployment.medical_rule", "不支持的医保代缴规则", "unsupported medical contribution rule")
    rate = rate_numerator(params.value("contribution.medical.employer_rate")
                                             + params.value("contribution.medical.individual_rate"))
    medical = literal(contribution_rules.contribution_fen(contribution_rules.base_limits(params).floor_fen, rate), BigInteger)
    paid = select(func.count()).where(UnemploymentPayment.claim_id == UnemploymentClaim.id).scalar_subquery()
    benefit_this_month = _benefit_by_spell_month(params, paid + 1) if params.value(
        "unemployment.amount_rule") == "fixed_by_spell_month" else UnemploymentClaim.monthly_fen
    due = and_(UnemploymentClaim.province == province, UnemploymentClaim.status == "drawing",
               UnemploymentClaim.start_period <= str(month), paid < UnemploymentClaim.entitled_months)
    with database.transaction() as session:
        session.execute(insert_ignoring_duplicates(session, UnemploymentPayment.__table__).from_select(
            ["claim_id", "person_id", "province", "period", "benefit_fen", "medical_fen"],
            select(UnemploymentClaim.id, UnemploymentClaim.person_id, literal(province), literal(str(month)),
                   benefit_this_month, medical).where(due)))
        new = and_(UnemploymentPayment.province == province, UnemploymentPayment.period == str(month),
                   UnemploymentPayment.entry_id.is_(None))
        count, benefit, medical_total = session.execute(select(
            func.count(), func.coalesce(func.sum(UnemploymentPayment.benefit_fen), 0),
            func.coalesce(func.sum(UnemploymentPayment.medical_fen), 0)).where(new)).one()
        if count:
            entry = _post_unemployment(session, province, month, int(benefit), int(medical_total), actor, now)
            session.execute(update(UnemploymentPayment).where(new).values(entry_id=entry))
        done = select(func.count()).where(UnemploymentPayment.claim_id == UnemploymentClaim.id).scalar_subquery()
        ended = session.execute(update(UnemploymentClaim).where(
            UnemploymentClaim.province == province, UnemploymentClaim.status == "drawing",
            done >= UnemploymentClaim.entitled_months).values(
            status="stopped", stop_reason="exhausted", months_used=UnemploymentClaim.entitled_months, months_left=0,
            medical_paid_by_fund=False).execution_options(synchronize_session=False)).rowcount
        audit.append(session, actor=actor, action="unemployment.paid", subject=f"province:{province}", now=now,
                     period=str(month), claims=int(count), benefit_fen=int(benefit), medical_fen=int(medical_total))
    return UnemploymentPayrollRead(period=str(month), province=province, claims_paid=int(count), benefit_fen=int(benefit),
                                   medical_fen=int(medical_total), claims_exhausted=ended)


def _benefit_by_spell_month(params: ParameterSnapshot, month_of_spell: ColumnElement) -> ColumnElement:
    """Where a province pays fixed amounts by month of the spell (上海), the amount in force in the paying month for
    each claim's next month, as one CASE over the table's rows (latest start first)."""
    table = params.value("unemployment.fixed_amount_by_spell_month_fen")
    starts = sorted(table, reverse=True)
    return case(*((month_of_spell >= start, literal(table[start], BigInteger)) for start in starts[:-1]),
                else_=literal(table[starts[-1]], BigInteger))


def _post_unemployment(session: Session, province: str, month: Period, benefit: int, medical: int, actor: str,
                       now: datetime) -> int:
    def account(kind: AccountKind, insurance: str | None = None) -> int:
        return ledger.open_account(session=session, kind=kind, province=province, insurance=insurance, now=now).id

    lines = [Line(account(AccountKind.POOLING_FUND, "unemployment"), benefit + medical), Line(account(AccountKind.CASH), -benefit)]
    if medical:
        lines.append(Line(account(AccountKind.POOLING_FUND, "medical"), -medical))
    return ledger.post_entry(session=session, key=f"unemployment:{province}:{month}:{uuid.uuid4().hex[:12]}", province=province,
                             period=str(month), kind="unemployment_benefit", lines=lines, actor=actor, now=now,
                             memo=f"失业保险金及代缴医保 unemployment benefit and medical contributions {month}").id
