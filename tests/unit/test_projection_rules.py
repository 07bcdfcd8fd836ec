"""The fund projection's model on populations small enough to check by hand: one cohort's deaths, its retirement in
the right year and month with and without the 2025 reform, the balance to the fen; the personal account's part
moving to the pool when the account is drawn down; the reform moving the run-out year later; assumptions outside
their range refused in Chinese and English; the chart well-formed XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from shebao.core.errors import InvalidInput
from shebao.policy.store import default_store
from shebao.risk import projection_rules as rules
from shebao.risk.projection_chart import projection_svg
from shebao.risk.schemas import ProjectionQuery
from tests.support import assert_bilingual

PROVINCE = "110000"
AS_OF = date(2024, 12, 31)  # the first month projected is 2025-01
START = 2025 * 12  # month index of 2025-01
W = 1_000_000  # the calculation wage, 10,000 yuan, in fen
STILL = {"wage_growth": "0", "coverage_growth": "0", "new_entrants_rate": "0", "pension_indexation": "0",
         "interest_rate": "0", "mortality_improvement": "0", "account_rate": "0", "calculation_wage_fen": str(W),
         "contribution_years_at_original_age": "30", "pooled_rate": "0.16", "accrual_rate": "0.01",
         "mortality_basis": "non_pension", "female_cadre_share": "0.5"}
Q_MALE = {59: Decimal("0.008403"), 60: Decimal("0.009161"), 61: Decimal("0.010065")}  # CL1 (2010–2013)
Q_FEMALE_70 = Decimal("0.015643")  # CL2 (2010–2013), age 70


def fen(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), ROUND_HALF_UP))


def run(start: rules.StartingPoint, years: int, **overrides) -> dict[str, rules.Scenario]:
    params = default_store().at(PROVINCE, AS_OF)
    ages = rules.RetirementSchedule(*rules.retirement_snapshots(default_store(), PROVINCE, AS_OF))
    knobs = rules.assumptions(params, STILL | overrides)
    return rules.project(start, params=params, ages=ages, knobs=knobs, years=years)


def men_born_1966_01(count: int = 100, base_fen: int = W) -> rules.StartingPoint:
    """`count` men born January 1966 (59 at the start, 60 in 2026), each assessed on `base_fen` for twelve months."""
    return rules.StartingPoint(START, 0, (rules.ContributorRow("M", 1966, 1, count, count * 12 * base_fen, count * 12),), ())


def test_the_reform_retires_a_man_born_1966_01_at_60_years_4_months_even_projected_from_before_it():
    reform, before = rules.retirement_snapshots(default_store(), PROVINCE, AS_OF)  # as of 2024-12-31, the eve
    assert (reform.day, before.day) == (date(2025, 1, 1), date(2024, 12, 31))
    schedule = rules.RetirementSchedule(reform, before)
    birth = 1966 * 12
    assert schedule.months(rules.Group.MALE, birth, reform=True) == 60 * 12 + 4  # min(36, floor(12 / 4) + 1)
    assert schedule.months(rules.Group.MALE, birth, reform=False) == 60 * 12
    assert schedule.months(rules.Group.FEMALE_WORKER, 1975 * 12, reform=True) == 50 * 12 + 1
    later, _ = rules.retirement_snapshots(default_store(), PROVINCE, date(2026, 6, 30))
    assert later.day == date(2026, 6, 30)


def test_one_cohort_year_by_year_to_the_fen():
    scenarios = run(men_born_1966_01(), years=3)
    reform, before = scenarios["with_reform"], scenarios["without_reform"]

    # 2025: aged 59 all year, everyone contributes twelve months in both scenarios.
    deaths = 100 * Q_MALE[59]
    alive, survivors = 100 - deaths / 2, 100 - deaths
    income_2025 = fen(alive * 12 * W * Decimal("0.16"))
    assert income_2025 == 191_193_312  # 99.57985 × 12 × 1,000,000 × 0.16
    for scenario in (reform, before):
        first = scenario.years[0]
        assert (first.year, first.first_period, first.last_period) == (2025, "202501", "202512")
        assert (first.income_fen, first.spending_fen, first.balance_fen) == (income_2025, 0, income_2025)
        assert first.contributors == 99 and first.receivers == 0 and first.retired == 0

    # 2026: 60 from January. Before the reform: retired at once, paid 12 months of W × (1 + 1) / 2 × 30 × 1%.
    deaths = survivors * Q_MALE[60]
    alive, retired = survivors - deaths / 2, survivors - deaths
    old = before.years[1]
    assert old.income_fen == 0 and old.retired == 98
    assert old.spending_fen == fen(alive * 12 * Decimal(300_000))
    assert old.balance_fen == income_2025 - old.spending_fen
    # Under the reform: four more months of contributions, then eight months of a pension with 30 4/12 years.
    new = reform.years[1]
    pension = Decimal(W) * 2 / 2 * (30 + Decimal(4) / 12) * Decimal("0.01")
    assert new.income_fen == fen(alive * 4 * W * Decimal("0.16"))
    assert new.spending_fen == fen(alive * 8 * pension)
    assert new.balance_fen == income_2025 + new.income_fen - new.spending_fen
    assert (new.contributors, new.receivers) == (0, 98)

    # 2027: a full year of pensions for the survivors, at 61.
    alive_2027 = retired - retired * Q_MALE[61] / 2
    assert before.years[2].spending_fen == fen(alive_2027 * 12 * 300_000)
    assert reform.years[2].spending_fen == fen(alive_2027 * 12 * pension)
    assert reform.years[2].balance_fen == new.balance_fen - reform.years[2].spending_fen


def test_deaths_among_receivers_and_interest_on_the_balance():
    start = rules.StartingPoint(START, 5_000_000_000, (), (rules.ReceiverRow("F", 1955, 1, 1000, 1000 * 300_000, 0, 0),))
    year = run(start, years=1, interest_rate="0.02")["with_reform"].years[0]
    deaths = 1000 * Q_FEMALE_70
    spending = fen((1000 - deaths / 2) * 12 * 300_000)
    assert year.spending_fen == spending and year.income_fen == 0
    interest = fen((Decimal(5_000_000_000) - Decimal(spending) / 2) * Decimal("0.02"))
    assert year.interest_fen == interest
    assert year.balance_fen == 5_000_000_000 - spending + interest
    assert year.receivers == 984  # 1000 × (1 − 0.015643) = 984.357
    assert year.months_of_spending_covered == (Decimal(year.balance_fen) * 12 / spending).quantize(Decimal("0.1"))


def test_the_pool_takes_over_the_account_part_once_the_account_is_drawn_down():
    # 10 receivers of 4,000 yuan a month, 1,000 of it from a personal account holding 5 more months of it.
    start = rules.StartingPoint(START, 0, (), (rules.ReceiverRow("M", 1955, 1, 10, 10 * 400_000, 10 * 100_000,
                                                                 10 * 100_000 * 5),))
    first, second = run(start, years=2, mortality_improvement="0")["with_reform"].years
    q70, q71 = Decimal("0.027495"), Decimal("0.030965")
    alive = 10 - 10 * q70 / 2
    assert first.spending_fen == fen(alive * (12 * 400_000 - 5 * 100_000))
    survivors = 10 - 10 * q70
    assert second.spending_fen == fen((survivors - survivors * q71 / 2) * 12 * 400_000)


def test_a_new_pension_has_its_account_part_over_the_divisor():
    scenarios = run(men_born_1966_01(count=1), years=2, account_rate="0.08")
    year = scenarios["without_reform"].years[1]
    alive = (1 - Q_MALE[59]) * (1 - Q_MALE[60] / 2)
    basic = Decimal(300_000)  # W × (1 + 1) / 2 × 30 × 1%
    account = Decimal("0.08") * 12 * 30 * W / 139  # the divisor at 60
    assert year.spending_fen == fen(alive * 12 * basic)  # the account pays its part for 139 months
    assert fen(account) == 207_194  # 2,071.94 yuan a month


def working_province() -> rules.StartingPoint:
    """A province ageing fast: 60 contributors of each sex per birth year 1962–2002 on W, 15 receivers of each sex
    per birth year 1935–1964 on half of W, two years' pensions in the balance."""
    contributors = tuple(rules.ContributorRow(sex, year, 6, 60, 60 * 12 * W, 60 * 12)
                         for sex in ("M", "F") for year in range(1962, 2003))
    receivers = tuple(rules.ReceiverRow(sex, year, 6, 15, 15 * 500_000, 0, 0)
                      for sex in ("M", "F") for year in range(1935, 1965))
    return rules.StartingPoint(START, 2 * 2 * 30 * 15 * 12 * 500_000, contributors, receivers)


def test_the_reform_moves_the_run_out_year_later():
    scenarios = run(working_province(), years=40, wage_growth="0.04", pension_indexation="0.03",
                    new_entrants_rate="0.02", account_rate="0.08", interest_rate="0.02", mortality_improvement="0.01")
    reform, before = scenarios["with_reform"], scenarios["without_reform"]
    assert (before.runs_out_year, reform.runs_out_year) == (2032, 2035)  # three years later
    effect = rules.run_out_difference(reform, before, 40)
    assert effect["years"] == 3 and not effect["at_least"]
    assert_bilingual(effect["zh"], effect["en"])
    # Fewer receivers and more contributors each year once the delays begin.
    assert all(r.receivers <= b.receivers and r.contributors >= b.contributors
               for r, b in zip(reform.years, before.years, strict=True))


@pytest.mark.parametrize(("overrides", "assumption"), [
    ({"wage_growth": "5.0"}, "wage_growth"),
    ({"wage_growth": "-0.5"}, "wage_growth"),
    ({"interest_rate": "abc"}, "interest_rate"),
    ({"entry_age_years": "22.5"}, "entry_age_years"),
    ({"female_cadre_share": "1.5"}, "female_cadre_share"),
    ({"mortality_basis": "census"}, "mortality_basis"),
    ({"pooled_rate": "NaN"}, "pooled_rate"),
    ({"pooled_rate": 0.16}, "pooled_rate"),  # a float, never: rates are decimals
])
def test_an_assumption_outside_its_range_is_refused_in_both_languages(overrides, assumption):
    with pytest.raises(InvalidInput) as refused:
        rules.assumptions(default_store().at(PROVINCE, AS_OF), overrides)
    assert refused.value.details["assumption"] == assumption
    assert_bilingual(refused.value.reason, refused.value.reason_en)


@pytest.mark.parametrize("years", [0, 200, -1])
def test_a_horizon_outside_1_to_100_years_is_refused(years):
    with pytest.raises(InvalidInput) as refused:
        rules.check_years(years)
    assert refused.value.code == "projection.years"
    assert_bilingual(refused.value.reason, refused.value.reason_en)


def test_an_unknown_assumption_is_refused_and_the_query_names_every_knob():
    with pytest.raises(InvalidInput) as refused:
        rules.assumptions(default_store().at(PROVINCE, AS_OF), {"inflation": "0.02"})
    assert refused.value.code == "projection.unknown_assumption"
    assert set(ProjectionQuery.model_fields) == {"province", "years", "as_of", *rules.KNOB_NAMES}


def test_every_assumption_is_echoed_with_its_source():
    knobs = rules.assumptions(default_store().at(PROVINCE, AS_OF), {"wage_growth": "0.03"})
    echoed = {item["name"]: item for item in knobs.echo}
    assert set(echoed) == set(rules.KNOB_NAMES)
    assert echoed["wage_growth"]["overridden"] and echoed["wage_growth"]["value"] == "0.03"
    assert "platform's assumption" in echoed["interest_rate"]["source"]
    assert "2010" in default_store().at(PROVINCE, AS_OF).explain("risk.projection.mortality.non_pension_male").source


def test_the_chart_is_well_formed_svg_with_the_run_out_year_marked():
    scenarios = run(working_province(), years=40, wage_growth="0.04", pension_indexation="0.03",
                    new_entrants_rate="0.02", account_rate="0.08", interest_rate="0.02")
    answer = {"province": PROVINCE, "as_of": AS_OF.isoformat(),
              "reform_effect": rules.run_out_difference(scenarios["with_reform"], scenarios["without_reform"], 40)}
    for key, scenario in scenarios.items():
        answer[key] = {"runs_out_year": scenario.runs_out_year,
                       "years": [{"year": row.year, "income_fen": row.income_fen, "spending_fen": row.spending_fen,
                                  "balance_fen": row.balance_fen} for row in scenario.years]}
    svg = projection_svg(answer)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = " ".join(element.text or "" for element in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "职工养老保险统筹基金预测" in texts and "pension pool projection" in texts
    assert f"{scenarios['without_reform'].runs_out_year} 基金耗尽（不改革）" in texts
    assert len(list(root.iter("{http://www.w3.org/2000/svg}polyline"))) == 6


def test_the_chart_of_a_province_with_nothing_in_it_is_still_drawn():
    """No contributor, no receiver, no balance: every line at zero, the axis one step high (fuzzing found the
    division by a zero-height axis)."""
    flat = {"runs_out_year": None, "years": [{"year": 2026 + i, "income_fen": 0, "spending_fen": 0, "balance_fen": 0}
                                             for i in range(3)]}
    svg = projection_svg({"province": PROVINCE, "as_of": AS_OF.isoformat(), "reform_effect": {},
                          "with_reform": flat, "without_reform": flat})
    assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
