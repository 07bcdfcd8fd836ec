"""Money in fen and YYYYMM periods (half-up rounding to the fen is a case: tests/cases/core/rate_half_up.yaml)."""


import pytest
from hypothesis import given
from hypothesis import strategies as st

from shebao.core.errors import InvalidInput
from shebao.core.money import fen_to_yuan, yuan_to_fen
from shebao.core.periods import Period


def test_yuan_and_fen_convert_exactly():
    assert yuan_to_fen("6821") == 682100
    assert yuan_to_fen("6821.05") == 682105
    assert fen_to_yuan(682105) == "6821.05"
    assert fen_to_yuan(-5) == "-0.05"


@pytest.mark.parametrize("bad", [6821.5, "6821.005", "six", "1e-3"])
def test_floats_and_fractions_of_a_fen_are_refused(bad):
    with pytest.raises(InvalidInput):
        yuan_to_fen(bad)


@pytest.mark.parametrize("typed", ["1e3", "1E3", "1_000", "1,000", "０.５", "0x10", "12 5"])
def test_amounts_typed_in_yuan_are_plain_digits(typed):
    """An exponent or a separator would silently turn what a person typed into another amount."""
    with pytest.raises(InvalidInput) as refused:
        yuan_to_fen(typed)
    assert refused.value.code == "money.malformed"


@pytest.mark.parametrize(("typed", "fen"), [("5.", 500), (".5", 50), (" 12.30 ", 1230), ("+1", 100)])
def test_plain_yuan_in_every_usual_spelling(typed, fen):
    assert yuan_to_fen(typed) == fen


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_fen_survive_a_round_trip_through_yuan(fen):
    assert yuan_to_fen(fen_to_yuan(fen)) == fen


def test_periods_parse_print_and_move():
    period = Period.parse("202407")
    assert str(period) == "202407"
    assert period.plus_months(6) == Period(2025, 1)
    assert period.plus_months(-7) == Period(2023, 12)
    assert Period(2023, 12).months_until(period) == 7


@pytest.mark.parametrize("bad", ["2024-07", "202413", "202400", "24071", "abcdef", "194812"])
def test_bad_periods_are_refused(bad):
    with pytest.raises(InvalidInput):
        Period.parse(bad)


@given(st.integers(min_value=1950, max_value=2200), st.integers(min_value=1, max_value=12), st.integers(-500, 500))
def test_moving_a_period_and_counting_back_agree(year, month, count):
    start = Period(year, month)
    assert start.months_until(start.plus_months(count)) == count
