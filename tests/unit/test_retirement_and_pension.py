"""Refusals of the retirement and pension calculators, and what their explanations say.

The worked examples (ages under the 2025 reform, the pension formula) are cases: tests/cases/benefits/."""

from datetime import date

import pytest

from shebao.benefits.rules import Group
from shebao.benefits.schemas import PensionCalculate
from shebao.benefits.service import pension_case, retirement_date
from shebao.core.errors import InvalidInput


def test_a_category_that_does_not_fit_the_sex_is_refused():
    with pytest.raises(InvalidInput):
        retirement_date(birth_date=date(1970, 1, 1), sex="M", group=Group.FEMALE_WORKER)


def _case(**changes):
    fields = {"region": "110000", "retire_date": "2024-03-01", "birth_date": "1964-03-01", "sex": "M", "category": "male",
              "contribution_months": 360, "deemed_months": 0, "average_index": "1.2", "personal_account_fen": 20_000_000,
              "calculation_wage_fen": 1_000_000}
    fields.update(changes)
    return PensionCalculate(**fields)


def test_the_explanation_ends_with_the_divisor_and_the_two_account_figures():
    # The worked example's figures are a case: tests/cases/benefits/pension.yaml.
    result = pension_case(case=_case())
    assert [s.step for s in result.steps][-3:] == ["divisor", "personal_account_pension", "transitional_pension"]


def test_without_a_wage_the_provinces_value_in_force_is_used_and_named():
    result = pension_case(case=_case(calculation_wage_fen=None, retire_date="2025-03-01", birth_date="1965-01-15"))
    basic = next(s for s in result.steps if s.step == "basic_pension")
    assert "W 1204900" in basic.how and "京人社发〔2025〕13号" in basic.how  # Beijing's own 2025 W, named


def test_ineligible_cases_name_every_failed_condition():
    result = pension_case(case=_case(contribution_months=120, retire_date="2022-03-01"))
    assert result.eligible is False and len(result.reasons) == 2
    assert any("fewer than the 180" in r for r in result.reasons)
    assert any("before the earliest allowed age" in r for r in result.reasons)


@pytest.mark.parametrize("changes", [{"average_index": "abc"}, {"average_index": "9"}, {"sex": "F"},
                                     {"retire_date": "1960-01-01"}])
def test_bad_cases_are_refused(changes):
    with pytest.raises(InvalidInput):
        pension_case(case=_case(**changes))


def test_any_province_city_or_county_code_reads_its_provinces_pack_and_an_unknown_one_is_refused():
    county = pension_case(case=_case(region="340102", calculation_wage_fen=None, retire_date="2024-06-15",
                                     birth_date="1964-06-15"))  # 合肥 瑶海区: 安徽's W of 2024
    assert "W 784200" in next(s for s in county.steps if s.step == "basic_pension").how
    with pytest.raises(InvalidInput) as unknown:
        pension_case(case=_case(region="990000"))
    assert unknown.value.code == "region.unknown" and unknown.value.reason_en
    with pytest.raises(InvalidInput) as malformed:
        pension_case(case=_case(region="11"))
    assert malformed.value.code == "region.malformed"


def test_a_national_value_standing_in_for_the_provinces_says_so():
    result = pension_case(case=_case(region="440100", calculation_wage_fen=None, retire_date="2021-02-24",
                                     birth_date="1966-02-24", sex="F", category="female_cadre"))
    basic = next(s for s in result.steps if s.step == "basic_pension")
    assert result.eligible and "national value used: province figure not found" in basic.how and "全国值" in basic.how


def test_local_extras_are_shown_apart_from_the_total_and_the_inputs_are_checked():
    result = pension_case(case=_case(local_extras=[{"name": "独生子女补贴", "fen": 17_765}]))
    assert result.local_extras_fen == 17_765
    assert result.total_fen == result.basic_pension_fen + result.personal_account_pension_fen + result.transitional_pension_fen
    with pytest.raises(InvalidInput) as refused:
        pension_case(case=_case(pre_account_months=400))
    assert refused.value.code == "pension.pre_account_months" and refused.value.reason_en
    with pytest.raises(InvalidInput) as index:
        pension_case(case=_case(transitional_index="abc"))
    assert index.value.code == "decimal.malformed" and index.value.reason_en  # refused as any decimal field is


def test_a_notional_account_is_refused_where_the_province_keeps_none():
    with pytest.raises(InvalidInput) as refused:
        pension_case(case=_case(region="110000", notional_account_fen=100_000))
    assert refused.value.code == "pension.notional_account" and refused.value.reason_en
