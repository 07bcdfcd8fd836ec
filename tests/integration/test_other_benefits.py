"""Unemployment (the one-key application), work injury and maternity, from a year of paid contributions."""

import random
from datetime import date

import pytest
from sqlalchemy import func, select

from shebao.benefits.claims import apply_unemployment, claim_injury, claim_maternity, stop_unemployment
from shebao.benefits.models import InjuryClaim, MaternityClaim, UnemploymentClaim
from shebao.benefits.schemas import InjuryClaimCreate, MaternityClaimCreate, UnemploymentApply, UnemploymentStop
from shebao.contributions.batch import run_month_end
from shebao.contributions.collection import settle_period_in_full
from shebao.contributions.schemas import BaseDeclare
from shebao.contributions.service import declare_base
from shebao.core.errors import Conflict, InvalidInput
from shebao.core.security import SYSTEM
from shebao.demo.seed import demo_credit_code
from shebao.enrollment import service as enrollment
from shebao.enrollment.models import Participation
from shebao.enrollment.schemas import EmployeeHire
from shebao.registry import service as registry
from shebao.registry.schemas import EmployerCreate
from shebao.services import employment
from tests.support import CHAOYANG, add_test_streets, id_number, register

BASE = 1_000_000


@pytest.fixture
def workplace(database, cipher, clock):
    """A man and a woman hired on 2024-01-01 at 10,000 yuan, with every month of 2024 billed and paid."""
    add_test_streets(database, clock)
    man = register(database, cipher, clock, birth=date(1985, 3, 1), sequence=31, name="王强")
    woman = register(database, cipher, clock, birth=date(1990, 5, 1), sequence=42, name="李娜")
    with database.transaction() as session:
        firm = registry.register_employer(session=session, principal=SYSTEM, now=clock.now(), command=EmployerCreate(
            uscc=demo_credit_code(CHAOYANG, random.Random(3)), name="朝阳精密机械有限公司", region_code=CHAOYANG,
            industry_code="C34")).id
        for person, birth, sequence in ((man, date(1985, 3, 1), 31), (woman, date(1990, 5, 1), 42)):
            enrollment.hire(session=session, cipher=cipher, principal=SYSTEM, employer_id=firm, now=clock.now(),
                            command=EmployeeHire(id_number=id_number(CHAOYANG, birth, sequence), start_date=date(2024, 1, 1)))
            declare_base(session=session, principal=SYSTEM, now=clock.now(), command=BaseDeclare(
                person_id=person, effective_period="202401", declared_base_fen=BASE))
    for month in range(1, 13):
        period = f"2024{month:02d}"
        run_month_end(database=database, province="110000", period=period, now=clock.now(), actor="test")
        settle_period_in_full(database=database, province="110000", period=period, paid_on=date(2024, month, 10),
                              actor="bank", now=clock.now())
    return {"man": man, "woman": woman, "firm": firm}


def _unemployment(database, clock, person, reason="employer_terminated", on=date(2025, 1, 31)):
    with database.transaction() as session:
        return apply_unemployment(session=session, principal=SYSTEM, now=clock.now(), command=UnemploymentApply(
            person_id=person, separation_date=on, reason=reason, region_code=CHAOYANG))


def test_the_one_key_application_registers_checks_and_sets_the_benefit(database, clock, workplace):
    claim = _unemployment(database, clock, workplace["man"])
    assert claim.contribution_months == 12 and claim.entitled_months == 12
    assert claim.monthly_fen == 217800  # 90% of Beijing's 2,420-yuan minimum wage
    assert claim.medical_paid_by_fund and claim.start_period == "202502" and claim.jobs_ended == 1
    with database.unit_of_work() as uow:
        open_jobs = uow.session.scalar(select(func.count()).where(Participation.person_id == workplace["man"],
                                                                  Participation.status != "ended"))
        assert open_jobs == 0


def test_reemployment_stops_the_benefit_and_the_months_left_carry_over(database, cipher, clock, workplace):
    _unemployment(database, clock, workplace["man"])
    with database.transaction() as session:
        stopped = stop_unemployment(session=session, principal=SYSTEM, person_id=workplace["man"], now=clock.now(),
                                    command=UnemploymentStop(stopped_on=date(2025, 2, 20)))
    assert stopped.months_used == 0 and stopped.months_left == 12
    with database.transaction() as session:
        employment.hire(session=session, cipher=cipher, principal=SYSTEM, employer_id=workplace["firm"], now=clock.now(),
                        command=EmployeeHire(id_number=id_number(CHAOYANG, date(1985, 3, 1), 31), start_date=date(2025, 2, 21)))
    again = _unemployment(database, clock, workplace["man"], on=date(2025, 2, 28))
    assert again.carried_months == 12 and again.entitled_months == 24  # 12 + 12, capped at 24


def test_hiring_stops_a_running_benefit(database, cipher, clock, workplace):
    _unemployment(database, clock, workplace["man"])
    with database.transaction() as session:
        employment.hire(session=session, cipher=cipher, principal=SYSTEM, employer_id=workplace["firm"], now=clock.now(),
                        command=EmployeeHire(id_number=id_number(CHAOYANG, date(1985, 3, 1), 31), start_date=date(2025, 2, 25)))
        claim = session.scalar(select(UnemploymentClaim))
        assert claim.status == "stopped" and claim.stop_reason == "reemployed"


@pytest.mark.parametrize("reason, code", [("resigned", "unemployment.voluntary")])
def test_a_voluntary_resignation_is_refused_and_nothing_is_written(database, clock, workplace, reason, code):
    with pytest.raises(InvalidInput) as refused:
        _unemployment(database, clock, workplace["man"], reason=reason)
    assert refused.value.code == code
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(UnemploymentClaim)) == 0
        assert uow.session.scalar(select(func.count()).where(Participation.status == "ended")) == 0


def test_a_second_claim_while_drawing_is_refused(database, clock, workplace):
    _unemployment(database, clock, workplace["man"])
    with pytest.raises(Conflict):
        _unemployment(database, clock, workplace["man"])


def _injury(database, clock, workplace, **fields):
    command = {"person_id": workplace["man"], "employer_id": workplace["firm"], "kind": "disability",
               "injury_date": date(2025, 1, 15), "grade": 3} | fields
    with database.transaction() as session:
        return claim_injury(session=session, principal=SYSTEM, now=clock.now(), command=InjuryClaimCreate(**command))


def test_a_grade_three_injury_gets_23_months_and_80_percent_a_month(database, clock, workplace):
    result = _injury(database, clock, workplace)
    assert result.wage_fen == BASE and result.one_off_fen == 23 * BASE and result.monthly_allowance_fen == 800_000


def test_grade_five_has_no_monthly_allowance_and_a_work_death_its_subsidies(database, clock, workplace):
    assert _injury(database, clock, workplace, grade=5).monthly_allowance_fen == 0
    death = _injury(database, clock, workplace, kind="death", grade=None, injury_date=date(2025, 1, 20))
    assert death.one_off_fen == 20 * 5_418_800 and death.funeral_fen == 6 * 1_176_100  # 2024's income, 54,188


@pytest.mark.parametrize("grade", [0, 11, None])
def test_a_grade_outside_one_to_ten_is_refused(database, clock, workplace, grade):
    with pytest.raises(InvalidInput) as refused:
        _injury(database, clock, workplace, grade=grade)
    assert refused.value.code == "injury.grade"
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(InjuryClaim)) == 0


def test_maternity_allowance_is_the_employer_average_over_30_times_the_leave(database, clock, workplace):
    with database.transaction() as session:
        result = claim_maternity(session=session, principal=SYSTEM, now=clock.now(), command=MaternityClaimCreate(
            person_id=workplace["woman"], employer_id=workplace["firm"], birth_date=date(2025, 2, 10), difficult_birth=True))
    assert result.leave_days == 98 + 60 + 15  # national, Beijing's extension, a difficult birth
    assert result.employer_average_base_fen == BASE and result.allowance_fen == round(BASE * 173 / 30)


def test_maternity_for_a_man_is_refused(database, clock, workplace):
    with database.transaction() as session, pytest.raises(InvalidInput):
        claim_maternity(session=session, principal=SYSTEM, now=clock.now(), command=MaternityClaimCreate(
            person_id=workplace["man"], employer_id=workplace["firm"], birth_date=date(2025, 2, 10)))
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(MaternityClaim)) == 0


def test_the_monthly_run_pays_the_benefit_and_the_medical_insurance_until_the_months_run_out(database, clock, workplace):
    from decimal import ROUND_HALF_UP, Decimal

    from shebao.benefits.claims import pay_unemployment
    from shebao.contributions.rules import base_limits
    from shebao.ledger import service as ledger
    from shebao.policy.store import default_store

    _unemployment(database, clock, workplace["man"])  # 12 months from 2025-02
    first = pay_unemployment(database=database, province="110000", period="202502", now=clock.now(), actor="test")
    again = pay_unemployment(database=database, province="110000", period="202502", now=clock.now(), actor="test")
    params = default_store().at("110000", date(2025, 2, 1))
    floor = base_limits(params).floor_fen
    rates = params.value("contribution.medical.employer_rate") + params.value("contribution.medical.individual_rate")
    assert first.claims_paid == 1 and first.benefit_fen == 217800 and again.claims_paid == 0
    assert first.medical_fen == int((floor * rates).quantize(Decimal(1), rounding=ROUND_HALF_UP))  # on the base floor
    with pytest.raises(InvalidInput) as refused:
        pay_unemployment(database=database, province="110000", period="202504", now=clock.now(), actor="test")
    assert refused.value.code == "unemployment.period_not_open"
    with database.transaction() as session:
        stopped = stop_unemployment(session=session, principal=SYSTEM, person_id=workplace["man"], now=clock.now(),
                                    command=UnemploymentStop(stopped_on=date(2025, 3, 1)))
        assert stopped.months_used == 1 and stopped.months_left == 11
        assert ledger.unbalanced_entries(session=session) == []


def test_a_province_paying_fixed_amounts_pays_each_month_of_the_spell_its_own(database, clock, workplace):
    """上海 pays fixed amounts by month of the spell (1–12, 13–24, extension); the run pays each claim the amount of
    the month it is in, from the table in force in the paying month. Beijing is given Shanghai's rule here."""
    from dataclasses import replace

    from shebao.benefits.claims import pay_unemployment
    from shebao.policy.store import DatedValue, ParameterStore, default_store

    base = default_store()
    rule, table = base.national["unemployment.amount_rule"], base.national["unemployment.fixed_amount_by_spell_month_fen"]
    fixed = {"unemployment.amount_rule": replace(rule, values=(DatedValue(date(2024, 1, 1), "fixed_by_spell_month", "test"),)),
             "unemployment.fixed_amount_by_spell_month_fen": replace(table, values=(
                 DatedValue(date(2024, 1, 1), {1: 200_000, 2: 150_000}, "test: month 1, then from month 2"),))}
    store = ParameterStore(base.national, base.provinces | {"110000": base.provinces["110000"] | fixed}, base.cities)
    _unemployment(database, clock, workplace["man"])  # 12 months from 2025-02
    first = pay_unemployment(database=database, province="110000", period="202502", now=clock.now(), actor="test", store=store)
    second = pay_unemployment(database=database, province="110000", period="202503", now=clock.now(), actor="test", store=store)
    assert (first.benefit_fen, second.benefit_fen) == (200_000, 150_000)
