"""Benefits HTTP API: retirement and awards, payroll, certification, deaths, unemployment, work injury,
maternity, the estimator."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from shebao.benefits import claims, payroll, receivers, service
from shebao.benefits.models import PayrollLine
from shebao.benefits.rules import Group
from shebao.benefits.schemas import (
    CertificationCreate,
    CertificationImportRead,
    CertificationRead,
    HeldLineRead,
    InjuryClaimCreate,
    InjuryClaimRead,
    MaternityClaimCreate,
    MaternityClaimRead,
    PayrollHeldRead,
    PensionCalculate,
    PensionCalculationRead,
    PensionEstimate,
    PensionEstimateRead,
    PensionRead,
    RetirementApply,
    RetirementAwardRead,
    RetirementDateRead,
    UnemploymentApplicationRead,
    UnemploymentApply,
    UnemploymentClaimRead,
    UnemploymentPayrollRead,
    UnemploymentStop,
)
from shebao.core.http import CipherDep, NowDep, PrincipalDep, RuntimeDep, SessionDep
from shebao.core.ids import RecordIdPath
from shebao.core.periods import Period
from shebao.core.runs import BatchRunRead
from shebao.core.security import Principal, Role
from shebao.services import retirement  # the use case spans contexts; an adapter may call down to it

router = APIRouter(prefix="/api/v1", tags=["benefits"])


def _province_staff(who: Principal, province: str) -> None:
    who.require_role(Role.STAFF, Role.ADMIN)
    who.require_region(province)


@router.get("/retirement/date", response_model=RetirementDateRead, summary="Statutory retirement date and age (2025 reform)")
def retirement_date(birth_date: date, sex: Annotated[str, Query(pattern="^[MF]$")], category: Group,
                    region: Annotated[str, Query(pattern=r"^\d{6}$")] = "000000"):
    return service.retirement_date(birth_date=birth_date, sex=sex, group=category, region=region)


@router.post("/pension/calc", response_model=PensionCalculationRead,
             summary="One pension case, explained (the calculator behind `shebao pension calc`)")
def pension_calc(body: PensionCalculate):
    return service.pension_case(case=body)


@router.post("/retirement/applications", response_model=RetirementAwardRead, status_code=201,
             summary="Retire a person from their own record and award the pension")
def apply_for_retirement(body: RetirementApply, rt: RuntimeDep, who: PrincipalDep, now: NowDep):
    # Its own transaction; a second pension is blocked by risk rule R21, which records the attempt apart and raises.
    with rt.database.unit_of_work() as uow:
        outcome = retirement.apply_for_retirement(session=uow.session, principal=who, command=body, now=now)
        uow.commit()
    if outcome.error is not None:
        raise outcome.error
    return outcome.award


@router.get("/persons/{person_id}/pension", response_model=PensionRead,
            summary="A receiver's award, explanation, payroll and certifications")
def pension_of(person_id: RecordIdPath, session: SessionDep, who: PrincipalDep):
    return service.pension_of(session=session, principal=who, person_id=person_id)


@router.post("/pension/estimate", response_model=PensionEstimateRead,
             summary="Estimate a future pension from the person's record and assumptions")
def estimate(body: PensionEstimate, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.estimate(session=session, principal=who, command=body, now=now)


@router.post("/payroll/{period}", response_model=BatchRunRead, summary="Run a month's pension payroll for a province")
def run_payroll(period: str, province: Annotated[str, Query(pattern=r"^\d{2}0000$")], rt: RuntimeDep, who: PrincipalDep,
                now: NowDep):
    _province_staff(who, province)
    return payroll.run_payroll(database=rt.database, province=province, period=period, now=now, actor=who.actor)


@router.get("/payroll/{period}/held", response_model=PayrollHeldRead,
            summary="Receivers held in a payroll month, with the reason")
def held(period: str, province: Annotated[str, Query(pattern=r"^\d{2}0000$")], session: SessionDep, who: PrincipalDep,
         limit: Annotated[int, Query(ge=1, le=1000)] = 200):
    _province_staff(who, province)
    month = Period.parse(period)
    lines = session.scalars(select(PayrollLine).where(PayrollLine.province == province, PayrollLine.status == "held",
                                                      PayrollLine.for_period <= str(month))
                            .order_by(PayrollLine.award_id, PayrollLine.for_period).limit(limit)).all()
    return PayrollHeldRead(period=str(month), province=province, by_reason=payroll.held_summary(session, province, month),
                           lines=[HeldLineRead(person_id=x.person_id, award_id=x.award_id, for_period=x.for_period, kind=x.kind,
                                               amount_fen=x.amount_fen, reason=x.hold_reason,
                                               reason_zh=payroll.HOLD_REASONS.get(x.hold_reason, ("", ""))[0]) for x in lines])


@router.post("/certifications", response_model=CertificationRead, status_code=201,
             summary="Record a proof of life (face check, visit, other departments)")
def certify(body: CertificationCreate, session: SessionDep, who: PrincipalDep, now: NowDep):
    return receivers.certify(session=session, principal=who, command=body, now=now)


@router.post("/unemployment/claims", response_model=UnemploymentApplicationRead, status_code=201,
             summary="The one-key unemployment application")
def apply_unemployment(body: UnemploymentApply, session: SessionDep, who: PrincipalDep, now: NowDep):
    return claims.apply_unemployment(session=session, principal=who, command=body, now=now)


@router.post("/unemployment/payroll/{period}", response_model=UnemploymentPayrollRead,
             summary="Pay a month of unemployment benefit and the medical contributions")
def pay_unemployment(period: str, province: Annotated[str, Query(pattern=r"^\d{2}0000$")], rt: RuntimeDep, who: PrincipalDep,
                     now: NowDep):
    _province_staff(who, province)
    return claims.pay_unemployment(database=rt.database, province=province, period=period, now=now, actor=who.actor)


@router.post("/persons/{person_id}/unemployment/stop", response_model=UnemploymentClaimRead,
             summary="Stop a running unemployment benefit")
def stop_unemployment(person_id: RecordIdPath, body: UnemploymentStop, session: SessionDep, who: PrincipalDep, now: NowDep):
    return claims.stop_unemployment(session=session, principal=who, person_id=person_id, command=body, now=now)


@router.post("/injury/claims", response_model=InjuryClaimRead, status_code=201, summary="Assess a work injury or a work death")
def claim_injury(body: InjuryClaimCreate, session: SessionDep, who: PrincipalDep, now: NowDep):
    return claims.claim_injury(session=session, principal=who, command=body, now=now)


@router.post("/maternity/claims", response_model=MaternityClaimRead, status_code=201, summary="Assess the maternity allowance")
def claim_maternity(body: MaternityClaimCreate, session: SessionDep, who: PrincipalDep, now: NowDep):
    return claims.claim_maternity(session=session, principal=who, command=body, now=now)


@router.post("/certifications/import", response_model=CertificationImportRead, status_code=201,
             summary="Passive certifications from other departments (all or none)")
def import_certifications(body: list[dict[str, str]], session: SessionDep, who: PrincipalDep, cipher: CipherDep,
                          now: NowDep):
    return receivers.import_certifications(session=session, cipher=cipher, principal=who, rows=body, now=now)
