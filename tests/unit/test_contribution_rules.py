"""Contribution assessment for one month: sources, bad bases, the limits always hold; the integer steps
month-end shares with the calculator equal the decimal formula.

The worked examples to the fen (Beijing, Shanghai, clamping, flexible workers) are cases:
tests/cases/contributions/assessment.yaml."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import BigInteger, column

from shebao.contributions import rules
from shebao.contributions.rules import Category, assess_month
from shebao.core.errors import InvalidInput
from shebao.core.money import apply_rate_half_up
from shebao.policy.store import default_store

BEIJING_2024_07 = default_store().at("110105", date(2024, 7, 1))


def test_limits_derived_from_the_average_wage_name_it_as_their_source():
    # The figures (60% and 300% of the average wage) are a case: tests/cases/contributions/assessment.yaml.
    guangdong = default_store().at("440305", date(2024, 8, 1))
    result = assess_month(guangdong, category=Category.EMPLOYEE, declared_base_fen=100)
    assert "wages.average_monthly_fen" in result.sources


def test_every_figure_names_its_source():
    result = assess_month(BEIJING_2024_07, category=Category.EMPLOYEE, declared_base_fen=1234500)
    assert result.sources["contribution.pension.employer_rate"].startswith("国办发〔2019〕13号")
    assert "contribution.base.floor_fen" in result.sources


@pytest.mark.parametrize(("base", "code"), [(-1, "base.not_positive"), (0, "base.not_positive"),
                                            (12345.6, "base.not_integer"), ("1234500", "base.not_integer"),
                                            (True, "base.not_integer"), (10**12, "base.absurd")])
def test_bad_bases_are_refused(base, code):
    with pytest.raises(InvalidInput) as refused:
        assess_month(BEIJING_2024_07, category=Category.EMPLOYEE, declared_base_fen=base)
    assert refused.value.code == code


def test_an_unknown_work_injury_class_is_refused():
    with pytest.raises(InvalidInput):
        assess_month(BEIJING_2024_07, category=Category.EMPLOYEE, declared_base_fen=1234500, work_injury_class=9)


@given(st.integers(min_value=1, max_value=100 * 3528300))
def test_the_base_used_is_always_within_the_limits_and_parts_add_up(base):
    result = assess_month(BEIJING_2024_07, category=Category.EMPLOYEE, declared_base_fen=base)
    assert 682100 <= result.used_base_fen <= 3528300
    assert result.total_fen == sum(i.employer_fen + i.individual_fen for i in result.items)
    pension = result.items[0]
    assert pension.personal_account_fen <= pension.individual_fen


@given(base=st.integers(0, 10**10), rate=st.integers(0, 1_000_000))
def test_an_amount_is_the_base_times_the_rate_half_up_to_the_fen(base, rate):
    """The integer step (millionths) gives what Decimal arithmetic rounded half up gives: the calculator's figures
    did not move when it took the step month-end uses."""
    assert rules.contribution_fen(base, rate) == apply_rate_half_up(base, Decimal(rate) / 1_000_000)


@given(declared=st.none() | st.integers(1, 10**9), floor=st.integers(1, 10**7), span=st.integers(0, 10**7))
def test_the_base_used_is_the_declared_one_held_within_the_limits_and_the_floor_when_none(declared, floor, span):
    ceiling = floor + span
    expected = floor if declared is None else min(max(declared, floor), ceiling)
    assert rules.used_base_fen(declared, floor, ceiling) == expected


def test_the_steps_applied_to_columns_are_sql_with_integer_division():
    declared, used = column("declared", BigInteger), column("used", BigInteger)
    expressions = [rules.used_base_fen(declared, 682100, 3528300), rules.contribution_fen(used, 160_000),
                   rules.medical_individual_fen(used, 20_000, 300)]
    assert all(hasattr(expression, "compile") for expression in expressions)
    assert not any("FLOOR" in str(expression.compile()) for expression in expressions)


def test_the_month_coverage_rule_is_a_parameter_stated_in_the_explanation():
    from shebao.policy.store import default_store

    params = default_store().at("110000", date(2026, 11, 1))
    assessed = assess_month(params, category=Category.EMPLOYEE, declared_base_fen=1_000_000)
    assert assessed.sources["contribution.month_coverage_rule"] == params.explain("contribution.month_coverage_rule").source
    assert "contribution.rounding" in assessed.sources


def test_a_coverage_rule_the_code_does_not_have_is_refused_by_calculator_and_batch():
    from dataclasses import replace

    from shebao.contributions.batch import MonthRates
    from shebao.policy.store import ParameterSnapshot, default_store

    params = default_store().at("110000", date(2026, 11, 1))
    values = {value.path: value for value in params.all()}
    values["contribution.month_coverage_rule"] = replace(values["contribution.month_coverage_rule"], value="first_day")
    other = ParameterSnapshot("110000", date(2026, 11, 1), values)
    for attempt in (lambda: assess_month(other, category=Category.EMPLOYEE, declared_base_fen=1_000_000),
                    lambda: MonthRates.of(other)):
        with pytest.raises(InvalidInput) as refused:
            attempt()
        assert refused.value.code == "policy.unsupported_rule"
        assert "「contribution.month_coverage_rule」" in refused.value.reason and "first_day" in refused.value.reason_en
