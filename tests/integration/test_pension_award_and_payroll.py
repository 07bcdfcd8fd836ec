"""Retirement from the record, the award to the fen, payroll, certification, death and recovery."""

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import func, select

from shebao.benefits import payroll
from shebao.benefits.archive import bring_forward
from shebao.benefits.models import BenefitFlag, Certification, PayrollLine, PensionAward, RetirementApplication
from shebao.benefits.receivers import certify
from shebao.benefits.schemas import ArchiveYear, CertificationCreate, DeathReport, RetirementApply
from shebao.benefits.service import pension_of
from shebao.core.clock import FixedClock
from shebao.core.errors import Conflict, InvalidInput, NotFound
from shebao.core.security import SYSTEM
from shebao.ledger import service as ledger
from shebao.risk.models import RiskBlockedAttempt
from shebao.services.deaths import record_death
from shebao.services.retirement import apply_for_retirement
from tests.support import CHAOYANG, add_test_streets, give_active_card, register

BEIJING, SHANGHAI = "110000", "310000"
WAGE_2024 = 1188300  # Beijing's calculation wage for 2024 retirements (京人社发〔2024〕16号)


def _archive(database, clock, person_id, *, province=BEIJING, deemed_years=12, years=range(1996, 2024), index="0.8",
             balance=15_000_000):
    rows = [ArchiveYear(person_id=person_id, province=province, year=1984 + k, kind="deemed", months=12)
            for k in range(deemed_years)]
    rows += [ArchiveYear(person_id=person_id, province=province, year=y, kind="archive", months=12,
                         base_sum_fen=int(12 * 1_000_000 * Decimal(index)), average_wage_fen=1_000_000) for y in years]
    with database.transaction() as session:
        bring_forward(session=session, province=province, years=rows, balances={person_id: balance} if balance else {},
                      period="202401", actor="test", now=clock.now())


@pytest.fixture
def retiree(database, cipher, clock):
    """A man born 1964-06-15 (statutory age 60, before the reform) with 28 archive years at index 0.8, 12 deemed
    years and 150,000 yuan in his personal account, holding an active card."""
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=11)
    _archive(database, clock, person)
    give_active_card(database, cipher, clock, person)
    return person


def _apply(database, clock, person, **overrides):
    command = {"person_id": person, "retire_date": date(2024, 6, 15), "category": "male", "region_code": CHAOYANG}
    with database.unit_of_work() as uow:  # as the API does: committed, then a returned refusal raised
        outcome = apply_for_retirement(session=uow.session, principal=SYSTEM, now=clock.now(),
                                       command=RetirementApply(**(command | overrides)))
        uow.commit()
    if outcome.error is not None:
        raise outcome.error
    return outcome.award


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_the_award_is_computed_from_the_record_to_the_fen(database, clock, retiree):
    result = _apply(database, clock, retiree)
    basic = _half_up(Decimal(WAGE_2024) * Decimal("1.8") / 2 * Decimal("40.00") / 100)
    account = _half_up(Decimal(15_000_000) / 139)
    # Beijing's G同 + G实 (京劳社养发〔2007〕21号): the 12 deemed years at index 1, the actual years 1996–1997 at 0.8, 1%.
    transitional = _half_up(Decimal(WAGE_2024) * (12 * 1 + 2 * Decimal("0.8")) / 100)
    assert (result.basic_pension_fen, result.personal_account_pension_fen, result.transitional_pension_fen) == (
        basic, account, transitional) == (427788, 107914, 161609)
    assert result.total_fen == basic + account + transitional and result.divisor == 139 and result.eligible
    assert result.record.contribution_months == 336 and result.record.deemed_months == 144
    assert result.record.average_index == "0.8" and result.first_period == "202407"
    steps = {step.step: step for step in result.steps}
    assert "国发〔2005〕38号" in steps["divisor"].how and steps["personal_account_fen"].value == 15_000_000
    with database.unit_of_work() as uow:
        award = uow.session.scalar(select(PensionAward))
        assert award.monthly_fen == basic + account + transitional and award.status == "paying"
        assert award.pre_account_months == 24
        explained = pension_of(session=uow.session, principal=SYSTEM, person_id=retiree)
    assert explained.explanation.total_fen == basic + account + transitional


def test_payroll_pays_back_to_the_first_month_once_and_posts_balanced(database, clock, retiree):
    _apply(database, clock, retiree)
    run = payroll.run_payroll(database=database, province=BEIJING, period="202503", now=clock.now(), actor="test")
    assert run.persons == 9 and run.total_fen == 9 * 697311  # 2024-07 to 2025-03
    again = payroll.run_payroll(database=database, province=BEIJING, period="202503", now=clock.now(), actor="test")
    assert again.id == run.id and again.total_fen == run.total_fen
    with database.unit_of_work() as uow:
        paid = uow.session.scalar(select(func.sum(PayrollLine.amount_fen)).where(PayrollLine.status == "paid"))
        assert paid == 9 * 697311
        assert ledger.unbalanced_entries(session=uow.session) == []
        award = uow.session.scalar(select(PensionAward))
        assert award.account_remaining_fen == 15_000_000 - 9 * 107914


def test_payroll_for_a_period_not_yet_open_is_refused(database, clock, retiree):
    with pytest.raises(InvalidInput) as refused:
        payroll.run_payroll(database=database, province=BEIJING, period="202504", now=clock.now(), actor="test")
    assert refused.value.code == "payroll.period_not_open"


def test_one_person_one_pension_is_blocked_and_the_attempt_recorded(database, clock, retiree):
    _apply(database, clock, retiree)
    with pytest.raises(Conflict) as refused:
        _apply(database, clock, retiree, region_code="310115")
    assert (refused.value.code, refused.value.details["rule_id"]) == ("risk.blocked", "R21_second_pension_award")
    with database.unit_of_work() as uow:  # risk control's record of the attempt (risk_blocked_attempts), not a flag
        assert uow.session.scalar(select(func.count()).select_from(RiskBlockedAttempt)) == 1
        assert uow.session.scalar(select(func.count()).select_from(PensionAward)) == 1


def test_a_date_before_the_statutory_one_needs_a_ground(database, clock, retiree):
    with pytest.raises(InvalidInput) as refused:
        _apply(database, clock, retiree, retire_date=date(2024, 1, 15))
    assert refused.value.code == "retirement.before_statutory_date"
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(RetirementApplication)) == 0


def test_too_few_months_is_refused_with_the_condition(database, cipher, clock):
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=13)
    _archive(database, clock, person, deemed_years=0, years=range(2010, 2020), balance=0)
    with pytest.raises(InvalidInput) as refused:
        _apply(database, clock, person)
    assert refused.value.code == "retirement.ineligible" and "120" in refused.value.reason_en


def test_the_transfer_rules_name_the_awarding_province(database, cipher, clock):
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=15)
    _archive(database, clock, person, province=SHANGHAI, deemed_years=0, years=range(2004, 2024), balance=0)
    with pytest.raises(Conflict) as refused:
        _apply(database, clock, person)
    assert refused.value.code == "retirement.wrong_province" and refused.value.details["benefit_province"] == SHANGHAI


def test_overdue_certification_suspends_and_a_certification_pays_the_arrears(database, clock, retiree):
    _apply(database, clock, retiree)
    payroll.run_payroll(database=database, province=BEIJING, period="202503", now=clock.now(), actor="test")
    july = FixedClock(datetime(2025, 7, 20, 2, 0, tzinfo=UTC))
    swept = payroll.sweep_certifications(database=database, province=BEIJING, on=date(2025, 7, 20), now=july.now(), actor="t")
    assert swept["suspended"] == 1
    run = payroll.run_payroll(database=database, province=BEIJING, period="202507", now=july.now(), actor="test")
    assert run.persons == 0 and run.total_fen == 0 and '"certification_lapsed": 1' in run.detail
    with database.transaction() as session:
        held = session.scalar(select(func.count()).where(PayrollLine.status == "held",
                                                         PayrollLine.hold_reason == "certification_lapsed"))
        assert held == 1  # 2025-07 (the months between were never run)
        result = certify(session=session, principal=SYSTEM, now=july.now(), command=CertificationCreate(
            person_id=retiree, method="staff_visit", certified_on=date(2025, 7, 20), evidence="visit by officer 0042"))
    assert result.resumed and result.arrears_fen == 697311 and result.status == "paying"


def test_a_death_stops_payment_and_recovers_what_was_paid_after_it(database, clock, retiree):
    _apply(database, clock, retiree)
    payroll.run_payroll(database=database, province=BEIJING, period="202503", now=clock.now(), actor="test")
    with database.transaction() as session:
        result = record_death(session=session, principal=SYSTEM, now=clock.now(), command=DeathReport(
            person_id=retiree, death_date=date(2025, 1, 10), source="民政部门死亡登记 2025-0001"))
    assert result.award.stop_period == "202502"
    assert result.recovery.amount_fen == 2 * 697311 and result.recovery.months == 2
    with database.transaction() as session:
        with pytest.raises(Conflict) as refused:
            certify(session=session, principal=SYSTEM, now=clock.now(), command=CertificationCreate(
                person_id=retiree, method="staff_visit", certified_on=date(2025, 2, 1), evidence="visit 7"))
        assert refused.value.code == "certification.deceased"
        assert ledger.unbalanced_entries(session=session) == []
        assert session.scalar(select(func.count()).select_from(Certification)) == 0


def test_certifying_someone_unknown_is_refused(database, clock, retiree):
    with database.transaction() as session, pytest.raises(NotFound):
        certify(session=session, principal=SYSTEM, now=clock.now(), command=CertificationCreate(
            person_id=987654, method="staff_visit", certified_on=date(2025, 2, 1), evidence="visit 7"))


def test_platform_months_count_once_their_bill_is_paid(database, cipher, clock, retiree):
    import random

    from shebao.contributions.batch import run_month_end
    from shebao.contributions.collection import settle_period_in_full
    from shebao.contributions.schemas import BaseDeclare
    from shebao.contributions.service import declare_base
    from shebao.demo.seed import demo_credit_code
    from shebao.enrollment import service as enrollment
    from shebao.enrollment.schemas import EmployeeHire
    from shebao.registry import service as registry
    from shebao.registry.schemas import EmployerCreate
    from tests.support import id_number

    with database.transaction() as session:
        firm = registry.register_employer(session=session, principal=SYSTEM, now=clock.now(), command=EmployerCreate(
            uscc=demo_credit_code(CHAOYANG, random.Random(5)), name="朝阳印刷厂", region_code=CHAOYANG, industry_code="C23")).id
        enrollment.hire(session=session, cipher=cipher, principal=SYSTEM, employer_id=firm, now=clock.now(),
                        command=EmployeeHire(id_number=id_number(CHAOYANG, date(1964, 6, 15), 11), start_date=date(2024, 1, 1)))
        declare_base(session=session, principal=SYSTEM, now=clock.now(), command=BaseDeclare(
            person_id=retiree, effective_period="202401", declared_base_fen=1_000_000))
    for month in range(1, 6):
        run_month_end(database=database, province=BEIJING, period=f"2024{month:02d}", now=clock.now(), actor="test")
        if month <= 3:  # April and May stay unpaid
            settle_period_in_full(database=database, province=BEIJING, period=f"2024{month:02d}", paid_on=date(2024, month, 10),
                                  actor="bank", now=clock.now())
    result = _apply(database, clock, retiree)
    assert result.record.contribution_months == 336 + 3
    years = {(row.year, row.kind): row for row in result.record.years}
    assert years[("2024", "assessed")].months == 3
    assert result.record.personal_account_fen == 15_000_000 + 3 * 80_000  # 8% of 10,000 yuan a month


def test_the_batch_awards_each_application_from_its_own_record(database, cipher, clock):
    from shebao.benefits.awards import award_pending
    from shebao.benefits.models import RetirementApplication
    from shebao.core.clock import utc_naive

    add_test_streets(database, clock)
    people = {}
    for sequence, index, balance in ((21, "0.6", 8_000_000), (23, "1.0", 15_000_000), (25, "2.0", 31_000_000)):
        person = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=sequence)
        _archive(database, clock, person, deemed_years=0, index=index, balance=balance)
        people[person] = (Decimal(index), balance)
    with database.transaction() as session:
        session.add_all(RetirementApplication(
            person_id=p, province=BEIJING, region_code=CHAOYANG, category="male", retire_date=date(2024, 6, 15), age_months=720,
            ground="statutory", status="pending", applied_by="test", applied_at=utc_naive(clock.now())) for p in people)
    run = award_pending(database=database, province=BEIJING, now=clock.now(), actor="test", chunk=2)
    assert run.persons == 3
    with database.unit_of_work() as uow:
        for award in uow.session.scalars(select(PensionAward)):
            index, balance = people[award.person_id]
            assert award.basic_fen == _half_up(Decimal(WAGE_2024) * (1 + index) / 2 * Decimal("28.00") / 100)
            assert award.account_fen == _half_up(Decimal(balance) / 139) and award.personal_account_fen == balance


def test_the_yearly_adjustment_applies_from_its_date_and_pays_the_difference_once(database, clock, retiree):
    _apply(database, clock, retiree)
    payroll.run_payroll(database=database, province=BEIJING, period="202503", now=clock.now(), actor="test")
    first = payroll.adjust_pensions(database=database, province=BEIJING, year=2025, now=clock.now(), actor="test")
    again = payroll.adjust_pensions(database=database, province=BEIJING, year=2025, now=clock.now(), actor="test")
    assert first.persons == 1 and again.persons == 0
    rise = _half_up(Decimal(697311) * Decimal("0.02"))
    april = FixedClock(datetime(2025, 4, 10, 2, 0, tzinfo=UTC))
    run = payroll.run_payroll(database=database, province=BEIJING, period="202504", now=april.now(), actor="test")
    assert run.total_fen == 697311 + rise + 3 * rise  # April at the new amount, January to March's difference
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(PensionAward.monthly_fen)) == 697311 + rise
    with pytest.raises(InvalidInput):
        payroll.adjust_pensions(database=database, province=BEIJING, year=2026, now=april.now(), actor="test")


def test_the_yearly_adjustment_counts_the_contribution_years_completed_on_both_databases(database, cipher, clock):
    """27 years and 11 months are 27 years (每满一年): the rise per year is the rule's (rules.adjustment_fen), and it
    does not round 27.92 up to 28 on PostgreSQL, as a true division cast to an integer there did."""
    from shebao.benefits import rules
    from shebao.benefits.models import PensionAdjustment
    from shebao.policy.store import DatedValue, Parameter, ParameterStore, default_store

    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=13)
    rows = [ArchiveYear(person_id=person, province=BEIJING, year=y, kind="archive", months=12 if y < 2023 else 11,
                        base_sum_fen=12 * 800_000, average_wage_fen=1_000_000) for y in range(1996, 2024)]
    with database.transaction() as session:
        bring_forward(session=session, province=BEIJING, years=rows, balances={person: 15_000_000}, period="202401",
                      actor="test", now=clock.now())
    give_active_card(database, cipher, clock, person)
    _apply(database, clock, person)
    base = default_store()
    split = {path: Parameter(path, "fen", "the test's split", (DatedValue(date(2025, 1, 1), fen, "the test's figure"),))
             for path, fen in (("pension.adjustment.fixed_fen", 5_000), ("pension.adjustment.per_year_fen", 300))}
    store = ParameterStore(base.national, dict(base.provinces) | {BEIJING: base.provinces.get(BEIJING, {}) | split})
    percent = rules.millionths(store.at(BEIJING, date(2025, 1, 1)).value("pension.adjustment.percent"))
    with database.unit_of_work() as uow:
        award = uow.session.scalar(select(PensionAward).where(PensionAward.person_id == person))
        before, months = award.monthly_fen, award.contribution_months + award.deemed_months
    assert months == 27 * 12 + 11
    payroll.adjust_pensions(database=database, province=BEIJING, year=2025, now=clock.now(), actor="test", store=store)
    with database.unit_of_work() as uow:
        increase = uow.session.scalar(select(PensionAdjustment.increase_fen))
    assert increase == rules.adjustment_fen(before, 27, fixed_fen=5_000, per_year_fen=300, percent=percent)
    assert increase == 5_000 + 27 * 300 + _half_up(Decimal(before) * percent / 1_000_000)


def test_an_interrupted_payroll_resumes_and_pays_everyone_once(database, cipher, clock, retiree):
    others = []
    for sequence in (31, 33):
        person = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=sequence)
        _archive(database, clock, person)
        give_active_card(database, cipher, clock, person)
        others.append(person)
    for person in [retiree, *others]:
        _apply(database, clock, person)

    def crash_after_the_first_chunk(stage, done, total):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        payroll.run_payroll(database=database, province=BEIJING, period="202503", now=clock.now(), actor="test", chunk=1,
                            progress=crash_after_the_first_chunk)
    run = payroll.run_payroll(database=database, province=BEIJING, period="202503", now=clock.now(), actor="test", chunk=1)
    with database.unit_of_work() as uow:
        paid = uow.session.execute(select(PayrollLine.person_id, func.count()).where(PayrollLine.status == "paid")
                                   .group_by(PayrollLine.person_id)).all()
        assert sorted(n for _, n in paid) == [9, 9, 9] and ledger.unbalanced_entries(session=uow.session) == []
    assert run.status == "done"


def test_the_sweep_reminds_once_before_the_due_date(database, clock, retiree):
    _apply(database, clock, retiree)  # certified on retiring, 2024-06-15: due 2025-06-15
    june = FixedClock(datetime(2025, 6, 1, 2, 0, tzinfo=UTC))
    first = payroll.sweep_certifications(database=database, province=BEIJING, on=date(2025, 6, 1), now=june.now(), actor="t")
    again = payroll.sweep_certifications(database=database, province=BEIJING, on=date(2025, 6, 1), now=june.now(), actor="t")
    assert first == {"reminded": 1, "suspended": 0} and again == {"reminded": 0, "suspended": 0}


def test_a_death_waits_for_a_payroll_chunk_holding_the_award(database, clock, retiree):
    """On PostgreSQL the award is the lock both take, so a death never slips between judging and paying."""
    import threading

    if database.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises every writer anyway")
    _apply(database, clock, retiree)
    finished = threading.Event()

    def die():
        with database.transaction() as session:
            record_death(session=session, principal=SYSTEM, now=clock.now(), command=DeathReport(
                person_id=retiree, death_date=date(2025, 1, 10), source="民政部门死亡登记 2025-0002"))
        finished.set()

    with database.transaction() as payroll_chunk:
        payroll_chunk.execute(select(PensionAward.id).with_for_update())
        worker = threading.Thread(target=die)
        worker.start()
        assert not finished.wait(0.5)  # the death waits for the chunk
    worker.join(10)
    assert finished.is_set()


def test_the_database_itself_refuses_to_pay_a_person_with_a_death_record(database, clock, retiree):
    from sqlalchemy import text, update
    from sqlalchemy.exc import DBAPIError

    from shebao.benefits.receivers import suspend_pension

    _apply(database, clock, retiree)
    with database.transaction() as session:
        suspend_pension(session=session, principal=SYSTEM, person_id=retiree, reason="去向不明", now=clock.now())
    payroll.run_payroll(database=database, province=BEIJING, period="202503", now=clock.now(), actor="test")
    with database.transaction() as session:
        record_death(session=session, principal=SYSTEM, now=clock.now(), command=DeathReport(
            person_id=retiree, death_date=date(2025, 2, 20), source="民政部门死亡登记 2025-0003"))
    with pytest.raises(DBAPIError, match="death record"), database.transaction() as session:
        session.execute(update(PayrollLine).where(PayrollLine.person_id == retiree).values(status="paid"))
    with database.unit_of_work() as uow:  # the months before the death stay owed (to the heirs), never paid to the dead
        assert uow.session.scalar(select(func.count()).where(PayrollLine.status == "held")) == 8  # 2024-07 to 2025-02
        assert uow.session.execute(text("SELECT count(*) FROM payroll_lines WHERE status = 'paid'")).scalar() == 0


def test_asking_again_in_the_same_province_is_blocked_as_a_second_award(database, clock, retiree):
    _apply(database, clock, retiree)
    with pytest.raises(Conflict) as refused:
        _apply(database, clock, retiree)
    assert (refused.value.code, refused.value.details["rule_id"]) == ("risk.blocked", "R21_second_pension_award")
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(BenefitFlag)) == 0
        assert uow.session.scalar(select(func.count()).select_from(RetirementApplication)) == 1


def test_a_passive_import_resumes_the_suspended_once_and_names_the_bad_rows(database, cipher, clock, retiree):
    from shebao.benefits.receivers import import_certifications
    from tests.support import id_number

    _apply(database, clock, retiree)
    payroll.run_payroll(database=database, province=BEIJING, period="202503", now=clock.now(), actor="test")
    july = FixedClock(datetime(2025, 7, 20, 2, 0, tzinfo=UTC))
    payroll.sweep_certifications(database=database, province=BEIJING, on=date(2025, 7, 20), now=july.now(), actor="t")
    payroll.run_payroll(database=database, province=BEIJING, period="202507", now=july.now(), actor="test")
    number = id_number(CHAOYANG, date(1964, 6, 15), 11)
    good = {"id_number": number, "method": "passive_hospital", "date": "2025-07-18", "source": "HIS-2025-7781"}
    with pytest.raises(InvalidInput) as refused, database.transaction() as session:
        import_certifications(session=session, cipher=cipher, principal=SYSTEM, now=july.now(), rows=[
            good, good | {"method": "telepathy"}, good | {"id_number": id_number(CHAOYANG, date(1970, 1, 1), 77)}])
    assert [r["row"] for r in refused.value.details["rejected"]] == [2, 3]
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Certification)) == 0
        result = import_certifications(session=session, cipher=cipher, principal=SYSTEM, now=july.now(), rows=[good])
    assert result.model_dump() == {"imported": 1, "already_recorded": 0, "resumed": 1, "arrears_fen": 697311}
    with database.transaction() as session:
        again = import_certifications(session=session, cipher=cipher, principal=SYSTEM, now=july.now(), rows=[good])
    assert again.model_dump() == {"imported": 0, "already_recorded": 1, "resumed": 0, "arrears_fen": 0}


def test_an_award_on_a_wage_not_yet_published_is_recomputed_when_it_is_and_the_paid_months_made_good(database, clock, retiree):
    """预发: awarded in 2024 while only 2023's W (11,525) is known, the award is provisional; once 2024's W (11,883,
    京人社发〔2024〕16号) is loaded, reconcile recomputes basic and transitional, moves the monthly amount, and the next
    payroll pays every month already paid its difference."""
    from dataclasses import replace

    from shebao.benefits.awards import award_pending
    from shebao.benefits.models import PensionRecalculation
    from shebao.core.clock import utc_naive
    from shebao.core.runs import ProvisionalResult
    from shebao.policy.store import DatedValue, ParameterStore, default_store
    from shebao.services.provisional import reconcile

    published = default_store()
    wage = published.provinces[BEIJING]["pension.calculation_wage_fen"]
    only_2023 = replace(wage, values=(DatedValue(date(2023, 1, 1), 1_152_500, "test: 2023's W only", date(2023, 12, 31)),))
    unpublished = ParameterStore(published.national, published.provinces | {
        BEIJING: published.provinces[BEIJING] | {"pension.calculation_wage_fen": only_2023}}, published.cities)
    with database.transaction() as session:
        session.add(RetirementApplication(
            person_id=retiree, province=BEIJING, region_code=CHAOYANG, category="male", retire_date=date(2024, 6, 15),
            age_months=720, ground="statutory", status="pending", applied_by="test", applied_at=utc_naive(clock.now())))
    award_pending(database=database, province=BEIJING, now=clock.now(), actor="test", store=unpublished)
    payroll.run_payroll(database=database, province=BEIJING, period="202503", now=clock.now(), actor="test", store=unpublished)
    with database.unit_of_work() as uow:
        provisional = uow.session.scalars(select(ProvisionalResult).where(ProvisionalResult.kind == "pension_award")).all()
        assert [(r.period, r.corrected_at) for r in provisional] == [("202406", None)]
        before = uow.session.scalar(select(PensionAward))
        assert before.calculation_wage_fen == 1_152_500
        monthly_before = before.monthly_fen
    still = reconcile(database=database, now=clock.now(), actor="test", province=BEIJING, store=unpublished)
    assert still["corrected"] == [] and still["still_provisional"][0]["kind"] == "pension_award"
    result = reconcile(database=database, now=clock.now(), actor="test", province=BEIJING, store=published)
    done = next(c for c in result["corrected"] if c["kind"] == "pension_award")
    with database.unit_of_work() as uow:
        award = uow.session.scalar(select(PensionAward))
        assert award.calculation_wage_fen == 1_188_300 and award.monthly_fen == 697311  # as if awarded on 11,883
        recalculation = uow.session.scalar(select(PensionRecalculation))
        difference = recalculation.awarded_after_fen - recalculation.awarded_before_fen
        assert difference == 697311 - monthly_before > 0
        arrears = uow.session.scalars(select(PayrollLine).where(PayrollLine.kind == "recompute")).all()
        assert len(arrears) == 9 and {line.amount_fen for line in arrears} == {difference}  # 2024-07 to 2025-03
        assert done["recomputed"] == 1 and done["arrears_fen"] == 9 * difference
        assert ledger.unbalanced_entries(session=uow.session) == []
    again = reconcile(database=database, now=clock.now(), actor="test", province=BEIJING, store=published)
    assert again["corrected"] == [] and again["still_provisional"] == []  # once
