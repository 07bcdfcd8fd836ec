"""One formula, two shapes: random records awarded by the batch's SQL on a real database and by the explained
calculator in Python agree to the fen on every part — index, divisor, basic, personal-account and transitional
pension, total — and the batch awards exactly the records the calculator finds long enough.

Records, dates and provinces are drawn: contribution years with any index sums, deemed years, account balances,
birth and retirement dates before and after the 2025 reform (whole-year and month-interpolated divisors), and
provinces with their own calculation wage, transitional coefficient, divisor rule and rounding, years rounding,
transitional variant and the year their personal accounts opened (the years before it counted where drawn so)."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, update

from shebao.benefits import rules
from shebao.benefits.archive import bring_forward
from shebao.benefits.awards import award_pending
from shebao.benefits.models import ContributionYear, PensionAward, RetirementApplication
from shebao.benefits.rules import Group, PensionCase, add_months, age_in_months, calculate_pension
from shebao.core.clock import utc_naive
from shebao.policy.store import DatedValue, Parameter, ParameterStore, default_store
from tests.support import add_test_streets, register

PROVINCES = ["110000", "420000", "610000"]
TEST_SOURCE = "drawn by the property test, not a province's figure"
_sequences = itertools.count(1)
_used_numbers: set[tuple[date, int]] = set()

province_rules = st.fixed_dictionaries({
    "wage_before_2025": st.integers(300_000, 2_000_000),
    "wage_from_2025": st.integers(300_000, 2_000_000),
    "coefficient_basis_points": st.one_of(st.just(0), st.integers(1, 150)),
    "divisor_rule_from_2025": st.sampled_from(["interpolate_by_month", "whole_years"]),
    "divisor_rounding": st.sampled_from(sorted(rules.DIVISOR_ROUNDING)),
    "years_rounding": st.sampled_from(sorted(rules.YEARS_ROUNDING)),
    "transitional_base": st.sampled_from(sorted(rules.TRANSITIONAL_BASES)),
    "transitional_years": st.sampled_from(["deemed", "deemed_and_pre_account"]),
    "account_opened_year": st.integers(1992, 1999),
    "amount_rounding": st.sampled_from(sorted(rules.AMOUNT_UNITS)),
    "accrual_per_further_month": st.sampled_from(["0", "0.00083"]),
    "extra_bands": st.booleans(),  # 吉林's rise beyond 20, 25 and 30 years
})
archive_year = st.integers(1, 12).flatmap(lambda months: st.tuples(st.just(months), st.integers(0, months * 3_000_000)))
retiree = st.fixed_dictionaries({
    "province": st.integers(0, len(PROVINCES) - 1),
    "retire_date": st.dates(date(2022, 7, 1), date(2034, 12, 31)),  # the calculation wage is known from 2022-07
    "age_months": st.integers(50 * 12, 65 * 12),
    "days_short": st.integers(0, 27),  # born a few days later: the age in months may fall one short
    "man": st.booleans(),
    "cadre": st.booleans(),
    "archive_years": st.lists(archive_year, max_size=40),
    "deemed_months": st.one_of(st.just(0), st.integers(1, 360)),
    "balance_fen": st.one_of(st.just(0), st.integers(1, 2_000_000_000)),
})


def _parameter(path: str, unit: str, *values: tuple[date, object]) -> Parameter:
    return Parameter(path, unit, "drawn for the test", tuple(DatedValue(since, value, TEST_SOURCE) for since, value in values))


def _store(drawn: dict[str, dict]) -> ParameterStore:
    """The parameters in the YAML, with the drawn provinces' own wage, coefficient and divisor rule over them."""
    base = default_store()
    provinces = dict(base.provinces)
    for code, chosen in drawn.items():
        provinces[code] = provinces.get(code, {}) | {
            "pension.calculation_wage_fen": _parameter("pension.calculation_wage_fen", "fen",
                                                       (date(2006, 1, 1), chosen["wage_before_2025"]),
                                                       (date(2025, 1, 1), chosen["wage_from_2025"])),
            "pension.transitional_coefficient": _parameter("pension.transitional_coefficient", "rate",
                                                           (date(2006, 1, 1), Decimal(chosen["coefficient_basis_points"]) / 10**4)),
            "pension.divisor_month_rule": _parameter("pension.divisor_month_rule", "text",
                                                     (date(2025, 1, 1), chosen["divisor_rule_from_2025"])),
            "pension.personal_account_opened_year": _parameter("pension.personal_account_opened_year", "count",
                                                               (date(1990, 1, 1), chosen["account_opened_year"])),
        } | {f"pension.{name}": _parameter(f"pension.{name}", "text", (date(2006, 1, 1), chosen[name]))
             for name in ("divisor_rounding", "years_rounding", "transitional_base", "transitional_years", "amount_rounding")} | {
            "pension.accrual_per_further_month": _parameter("pension.accrual_per_further_month", "rate",
                                                            (date(2006, 1, 1), Decimal(chosen["accrual_per_further_month"])))} | ({
            "pension.extra_accrual_bands": _parameter("pension.extra_accrual_bands", "table", (date(2006, 1, 1), {
                20: Decimal("0.0015"), 25: Decimal("0.0020"), 30: Decimal("0.0025")})),
            "pension.extra_accrual_min_actual_months": _parameter("pension.extra_accrual_min_actual_months", "months",
                                                                  (date(2006, 1, 1), 240))} if chosen["extra_bands"] else {})
    return ParameterStore(base.national, provinces)


def _new_number(birth: date, man: bool) -> int:
    """An ID sequence not yet used with this birth date: the database lives across the examples."""
    while True:
        sequence = (2 * next(_sequences) + (1 if man else 0)) % 1000
        if (birth, sequence) not in _used_numbers:
            _used_numbers.add((birth, sequence))
            return sequence


def _group(drawn: dict) -> Group:
    return Group.MALE if drawn["man"] else Group.FEMALE_CADRE if drawn["cadre"] else Group.FEMALE_WORKER


def _put_on_record(database, cipher, clock, drawn: dict) -> dict:
    """Registers the person, writes the record rows and the pending application; returns what the calculator needs."""
    retire_date = drawn["retire_date"]
    birth = add_months(retire_date, -drawn["age_months"]) + timedelta(days=drawn["days_short"])
    person = register(database, cipher, clock, birth=birth, sequence=_new_number(birth, drawn["man"]))
    province = PROVINCES[drawn["province"]]
    rows = [{"person_id": person, "province": province, "year": 1990 + k, "kind": "archive", "months": months,
             "base_sum_fen": 0, "average_wage_fen": 0, "index_sum_millionths": index_sum}
            for k, (months, index_sum) in enumerate(drawn["archive_years"])]
    deemed_years, deemed_rest = divmod(drawn["deemed_months"], 12)
    rows += [{"person_id": person, "province": province, "year": 1960 + k, "kind": "deemed", "months": months,
              "base_sum_fen": 0, "average_wage_fen": 0, "index_sum_millionths": 0}
             for k, months in enumerate([12] * deemed_years + ([deemed_rest] if deemed_rest else []))]
    with database.transaction() as session:
        if rows:
            session.execute(insert(ContributionYear), rows)
        if drawn["balance_fen"]:
            bring_forward(session=session, province=province, years=[], balances={person: drawn["balance_fen"]},
                          period="202401", actor="test", now=clock.now())
        application = RetirementApplication(
            person_id=person, province=province, region_code=province, category=_group(drawn).value,
            retire_date=retire_date, age_months=age_in_months(birth, retire_date), ground="statutory", status="pending",
            applied_by="test", applied_at=utc_naive(clock.now()))
        session.add(application)
        session.flush()
    return {"application": application.id, "province": province, "birth": birth, "retire_date": retire_date,
            "group": _group(drawn), "months": sum(m for m, _ in drawn["archive_years"]),
            "index_sum": sum(s for _, s in drawn["archive_years"]), "deemed": drawn["deemed_months"],
            "years": [(1990 + k, months) for k, (months, _) in enumerate(drawn["archive_years"])],
            "balance": drawn["balance_fen"]}


def _calculated(store: ParameterStore, case: dict) -> dict:
    """The explained calculator on the record's figures, as the counter calls it (service._explain)."""
    index = rules.index_ten_thousandths(case["index_sum"], case["months"])
    params = store.at(case["province"], case["retire_date"])
    opened = store.at(case["province"], date(2006, 1, 1)).value("pension.personal_account_opened_year")
    # The age parameters decide only the statutory age and so eligibility by age, which is the counter's check
    # before an application exists; the figures compared here never read them.
    return calculate_pension(params, params, PensionCase(
        region=case["province"], retire_date=case["retire_date"], birth_date=case["birth"], group=case["group"],
        contribution_months=case["months"], deemed_months=case["deemed"], average_index=Decimal(index) / 10_000,
        personal_account_fen=case["balance"], pre_account_months=sum(m for year, m in case["years"] if year < opened)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn_provinces=st.lists(province_rules, min_size=len(PROVINCES), max_size=len(PROVINCES)),
       retirees=st.lists(retiree, min_size=1, max_size=6))
def test_the_award_batch_and_the_calculator_agree_to_the_fen(database, cipher, clock, drawn_provinces, retirees):
    if not getattr(database, "_streets", False):  # the database lives across the examples: add the streets once
        add_test_streets(database, clock)
        database._streets = True
    with database.transaction() as session:  # an earlier example's records short of the minimum stay pending
        session.execute(update(RetirementApplication).where(RetirementApplication.status == "pending").values(status="closed"))
    store = _store(dict(zip(PROVINCES, drawn_provinces, strict=True)))
    cases = [_put_on_record(database, cipher, clock, drawn) for drawn in retirees]
    for province in sorted({case["province"] for case in cases}):
        award_pending(database=database, province=province, now=clock.now(), actor="test", store=store)
    with database.unit_of_work() as uow:
        awarded = {award.application_id: award for award in uow.session.scalars(
            select(PensionAward).where(PensionAward.application_id.in_([case["application"] for case in cases])))}
        uow.session.expunge_all()  # plain objects to compare after the unit of work
    for case in cases:
        expected = _calculated(store, case)
        minimum = store.at(case["province"], case["retire_date"]).value("pension.minimum_contribution_months")
        award = awarded.get(case["application"])
        assert (award is not None) == (case["months"] + case["deemed"] >= minimum), case
        if award is None:
            continue
        steps = {step["step"]: step["value"] for step in expected["steps"]}
        assert (award.contribution_months, award.deemed_months, award.personal_account_fen) == (
            case["months"], case["deemed"], case["balance"]), case
        assert award.index_ten_thousandths == rules.index_ten_thousandths(case["index_sum"], case["months"]), case
        assert rules.divisor_text(rules.divisor_decimal(award.divisor_units)) == steps["divisor"], case
        assert award.calculation_wage_fen == store.at(case["province"], case["retire_date"]).value("pension.calculation_wage_fen")
        assert (award.basic_fen, award.account_fen, award.transitional_fen, award.local_extras_fen, award.monthly_fen) == (
            expected["basic_pension_fen"], expected["personal_account_pension_fen"], expected["transitional_pension_fen"],
            expected["local_extras_fen"], expected["total_fen"] + expected["local_extras_fen"]), case
