"""Statutory retirement ages under the 2025 reform, and the pension formula's worked example."""

from datetime import date

import pytest

from shebao.benefits.rules import Group
from shebao.benefits.service import PensionCaseIn, pension_case, retirement_date
from shebao.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("birth", "sex", "group", "years", "months"),
    [
        (date(1964, 12, 15), "M", Group.MALE, 60, 0),
        (date(1965, 1, 15), "M", Group.MALE, 60, 1),
        (date(1965, 4, 15), "M", Group.MALE, 60, 1),
        (date(1965, 5, 15), "M", Group.MALE, 60, 2),
        (date(1968, 1, 15), "M", Group.MALE, 60, 10),  # k = 36: floor(36 / 4) + 1 = 10 months
        (date(1976, 12, 15), "M", Group.MALE, 63, 0),
        (date(1990, 6, 15), "M", Group.MALE, 63, 0),
        (date(1969, 12, 15), "F", Group.FEMALE_CADRE, 55, 0),
        (date(1970, 1, 15), "F", Group.FEMALE_CADRE, 55, 1),
        (date(1974, 12, 15), "F", Group.FEMALE_WORKER, 50, 0),
        (date(1975, 1, 15), "F", Group.FEMALE_WORKER, 50, 1),
        (date(1975, 3, 15), "F", Group.FEMALE_WORKER, 50, 2),
        (date(1984, 12, 15), "F", Group.FEMALE_WORKER, 55, 0),
    ],
)
def test_statutory_ages_across_birth_months(birth, sex, group, years, months):
    assert retirement_date(birth_date=birth, sex=sex, group=group)["age"] == {"years": years, "months": months}


def test_the_statutory_date_is_the_birth_date_plus_the_age():
    assert retirement_date(birth_date=date(1965, 5, 31), sex="M", group=Group.MALE)["statutory_date"] == "2025-07-31"


def test_a_category_that_does_not_fit_the_sex_is_refused():
    with pytest.raises(InvalidInput):
        retirement_date(birth_date=date(1970, 1, 1), sex="M", group=Group.FEMALE_WORKER)


def _case(**changes):
    fields = {"region": "110000", "retire_date": "2024-03-01", "birth_date": "1964-03-01", "sex": "M", "category": "male",
              "contribution_months": 360, "deemed_months": 0, "average_index": "1.2", "personal_account_fen": 20_000_000,
              "calculation_wage_fen": 1_000_000}
    fields.update(changes)
    return PensionCaseIn(**fields)


def test_the_worked_example_to_the_fen():
    # W 10,000 yuan, I 1.2, N 30 years, balance 200,000 yuan, retiring at 60: 3,300.00 + 1,438.85 = 4,738.85
    result = pension_case(case=_case())
    assert result["eligible"] and result["retirement_age"] == {"years": 60, "months": 0}
    assert (result["basic_pension_fen"], result["personal_account_pension_fen"], result["total_fen"]) == (330000, 143885, 473885)
    assert result["divisor"] == 139 and result["transitional_pension_fen"] == 0
    assert [s["step"] for s in result["steps"]][-3:] == ["divisor", "personal_account_pension", "transitional_pension"]


def test_without_a_wage_the_provinces_value_in_force_is_used_and_named():
    result = pension_case(case=_case(calculation_wage_fen=None, retire_date="2025-03-01", birth_date="1965-01-15"))
    basic = next(s for s in result["steps"] if s["step"] == "basic_pension")
    assert "W 1005817" in basic["how"]


def test_ineligible_cases_name_every_failed_condition():
    result = pension_case(case=_case(contribution_months=120, retire_date="2022-03-01"))
    assert result["eligible"] is False and len(result["reasons"]) == 2
    assert any("fewer than the 180" in r for r in result["reasons"])
    assert any("before the earliest allowed age" in r for r in result["reasons"])


@pytest.mark.parametrize("changes", [{"average_index": "abc"}, {"average_index": "9"}, {"sex": "F"},
                                     {"retire_date": "1960-01-01"}])
def test_bad_cases_are_refused(changes):
    with pytest.raises(InvalidInput):
        pension_case(case=_case(**changes))
