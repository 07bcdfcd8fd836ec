"""Contribution assessment for one month: worked examples to the fen, clamping, bad bases."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shebao.contributions.rules import Category, assess_month
from shebao.core.errors import InvalidInput
from shebao.policy.store import default_store

BEIJING_2024_07 = default_store().at("110105", date(2024, 7, 1))


def test_a_beijing_employee_in_july_2024_to_the_fen():
    result = assess_month(BEIJING_2024_07, category=Category.EMPLOYEE, declared_base_fen=1234500)
    items = {i.insurance.value: i.as_dict() for i in result.items}
    assert result.used_base_fen == 1234500
    assert items["pension"] == {"insurance": "pension", "employer_fen": 197520, "individual_fen": 98760,
                                "personal_account_fen": 98760}
    assert items["medical"]["employer_fen"] == 123450
    assert items["medical"]["individual_fen"] == 24690 + 300  # 2% plus Beijing's 3 yuan serious-illness aid
    assert items["unemployment"]["employer_fen"] == items["unemployment"]["individual_fen"] == 6173  # 6172.5 half up
    assert items["work_injury"] == {"insurance": "work_injury", "employer_fen": 2469, "individual_fen": 0,
                                    "personal_account_fen": 0}
    assert items["maternity"]["employer_fen"] == 6173
    assert result.total_fen == 465708


def test_the_base_is_clamped_to_the_floor_and_ceiling_in_force_that_month():
    june = default_store().at("110000", date(2024, 6, 1))
    assert assess_month(june, category=Category.EMPLOYEE, declared_base_fen=500000).used_base_fen == 632600
    low = assess_month(BEIJING_2024_07, category=Category.EMPLOYEE, declared_base_fen=500000)
    high = assess_month(BEIJING_2024_07, category=Category.EMPLOYEE, declared_base_fen=9000000)
    assert (low.declared_base_fen, low.used_base_fen) == (500000, 682100)
    assert (high.declared_base_fen, high.used_base_fen) == (9000000, 3528300)


def test_without_published_limits_the_floor_and_ceiling_come_from_the_average_wage():
    guangdong = default_store().at("440305", date(2024, 8, 1))
    result = assess_month(guangdong, category=Category.EMPLOYEE, declared_base_fen=100)
    assert result.limits.floor_fen == 603490  # 1,005,817 x 0.60 = 603,490.2
    assert result.limits.ceiling_fen == 3017451  # 1,005,817 x 3
    assert "wages.average_monthly_fen" in result.sources


def test_a_flexible_worker_pays_pension_and_medical_alone():
    result = assess_month(BEIJING_2024_07, category=Category.FLEXIBLE, declared_base_fen=682100)
    items = {i.insurance.value: i for i in result.items}
    assert set(items) == {"pension", "medical"}
    assert items["pension"].employer_fen == 0
    assert items["pension"].individual_fen == 136420  # 20%
    assert items["pension"].personal_account_fen == 54568  # 8%
    assert items["medical"].individual_fen == 54568  # 8% national default


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
