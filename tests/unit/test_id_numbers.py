"""Citizen ID numbers: format, check character, birth date, address code in time.

The standard's examples and the legacy upgrade are cases: tests/cases/registry/id_number.yaml."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from shebao.core.errors import InvalidInput
from shebao.registry.divisions import all_divisions
from shebao.registry.rules import Sex, parse_id_number
from tests.support import id_number

TODAY = date(2026, 11, 25)


def test_odd_sequence_is_male():
    assert parse_id_number(id_number(sequence=123), today=TODAY).sex == Sex.MALE
    assert parse_id_number(id_number(sequence=124), today=TODAY).sex == Sex.FEMALE


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("11010519491231002", "id_number.length"),
        ("1101051949123100212", "id_number.length"),
        ("11010519491231002Y", "id_number.malformed"),
        ("1101051949123A002X", "id_number.malformed"),
        ("110105194912310021", "id_number.checksum"),
        ("11010549123100A", "id_number.malformed"),
        ("", "id_number.length"),
    ],
)
def test_malformed_numbers_are_refused_with_a_reason(number, code):
    with pytest.raises(InvalidInput) as refused:
        parse_id_number(number, today=TODAY)
    assert refused.value.code == code
    assert refused.value.reason and refused.value.reason_en


def _with_check(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def test_an_impossible_birth_date_is_refused():
    with pytest.raises(InvalidInput) as refused:
        parse_id_number(_with_check("11010519990230123"), today=TODAY)
    assert refused.value.code == "id_number.birth_date"


def test_a_birth_date_in_the_future_is_refused():
    with pytest.raises(InvalidInput) as refused:
        parse_id_number(_with_check("11010520270101123"), today=TODAY)
    assert refused.value.code == "id_number.birth_date"


def test_an_unknown_address_code_is_refused():
    with pytest.raises(InvalidInput) as refused:
        parse_id_number(_with_check("99999919800101123"), today=TODAY)
    assert refused.value.code == "id_number.unknown_region"


def test_someone_born_in_1975_may_carry_a_chongqing_code_created_in_1997():
    number = _with_check("50010319750101123")
    assert not ric.is_valid(number), "stdnum's own check is stricter than the rule and turns this person away"
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.address_name == "重庆市渝中区"


def test_nobody_born_in_2015_carries_a_beijing_code_abolished_in_2010():
    with pytest.raises(InvalidInput) as refused:
        parse_id_number(_with_check("11010320150101123"), today=TODAY)
    assert refused.value.code == "id_number.region_not_in_use"
    assert "110103" in refused.value.reason and "2015" in refused.value.reason


def test_someone_born_before_the_abolition_keeps_the_old_code():
    parsed = parse_id_number(_with_check("11010319800101123"), today=TODAY)
    assert parsed.address_name == "北京市崇文区"


_CURRENT_COUNTIES = sorted(c for c, d in all_divisions().items() if d.level == 3 and d.last_year is None)


@given(
    county=st.sampled_from(_CURRENT_COUNTIES),
    birth=st.dates(min_value=date(2000, 1, 1), max_value=TODAY),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_any_number_built_by_the_standard_parses_back(county, birth, sequence):
    number = id_number(county, birth, sequence)
    parsed = parse_id_number(number.lower(), today=TODAY)
    assert parsed.number == number
    assert parsed.birth_date == birth
    assert parsed.sex == (Sex.MALE if sequence % 2 else Sex.FEMALE)


@given(st.text(max_size=30))
def test_arbitrary_text_never_crashes_the_parser(text):
    try:
        parse_id_number(text, today=TODAY)
    except InvalidInput as refused:
        assert refused.code.startswith("id_number.")
