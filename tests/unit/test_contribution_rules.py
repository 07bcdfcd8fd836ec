"""Contribution assessment for one month: sources, bad bases, the limits always hold.

The worked examples to the fen (Beijing, Shanghai, clamping, flexible workers) are cases:
tests/cases/contributions/assessment.yaml."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shebao.contributions.rules import Category, assess_month
from shebao.core.errors import InvalidInput
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
