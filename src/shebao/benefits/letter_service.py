"""The pension letter's use cases: gather what the pure letter (letter.py) needs beside the explanation — the figures
the award went in with, the parameters in force, an estimate's figure of today — and compose it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.benefits import rules
from shebao.benefits import service as benefits
from shebao.benefits.letter import (
    AWARD_WAGE_SOURCE,
    AwardFacts,
    EstimateAssumptions,
    Letter,
    PensionFigures,
    award_letter,
    estimate_letter,
    source_of,
)
from shebao.benefits.models import PensionAward, RetirementApplication
from shebao.benefits.schemas import PensionEstimate, PensionEstimateRead, PensionRead
from shebao.core.clock import china_today
from shebao.core.regions import province_of
from shebao.core.security import Principal
from shebao.policy.store import ParameterStore, default_store
from shebao.registry import service as registry

WAGE = "pension.calculation_wage_fen"


def award_letter_of(*, session: Session, principal: Principal, person_id: int,
                    store: ParameterStore | None = None) -> tuple[PensionRead, Letter]:
    """A receiver's award (as `pension_of` reads it, scope and all) and the letter that explains it."""
    store = store or default_store()
    pension = benefits.pension_of(session=session, principal=principal, person_id=person_id, store=store)
    award = session.scalar(select(PensionAward).where(PensionAward.person_id == person_id))
    region = session.scalar(select(RetirementApplication.region_code).where(RetirementApplication.id == award.application_id))
    params = store.at(region, award.retire_date)  # the pack the award was made with: a city's over its province's
    own_wage = award.calculation_wage_fen != params.value(WAGE)  # set apart at the award, as pension_of explains it
    figures = PensionFigures(
        wage_fen=award.calculation_wage_fen, wage_source=AWARD_WAGE_SOURCE if own_wage else source_of(params, WAGE),
        average_index=rules.decimal_index(award.index_ten_thousandths), balance_fen=award.personal_account_fen,
        contribution_months=award.contribution_months, deemed_months=award.deemed_months,
        pre_account_months=award.pre_account_months)
    facts = AwardFacts(first_period=award.first_period, monthly_fen=award.monthly_fen, retire_date=award.retire_date)
    return pension, award_letter(pension.explanation.model_dump(mode="json"), params, figures, facts)


def estimate_letter_of(*, session: Session, principal: Principal, command: PensionEstimate, now: datetime,
                       store: ParameterStore | None = None) -> tuple[PensionEstimateRead, Letter]:
    """An estimate (as `estimate` makes it) and the letter that explains it, in today's money too."""
    store = store or default_store()
    result = benefits.estimate(session=session, principal=principal, command=command, now=now, store=store)
    person = registry.person_by_id(session=session, person_id=command.person_id)
    province = province_of(person.hukou_region_code)  # where the estimator reckons, as it does
    retire = command.retire_date or result.statutory_retirement_date
    params_now = store.at(province, china_today(now))
    assumed = EstimateAssumptions(wage_growth=Decimal(command.wage_growth), wage_now_fen=params_now.value(WAGE),
                                  wage_now_source=source_of(params_now, WAGE), retire_date=retire,
                                  account_interest=Decimal(command.account_interest))
    return result, estimate_letter(result.model_dump(mode="json"), store.at(province, retire), assumed)
