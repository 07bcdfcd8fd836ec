"""The helpers that give a rule its two shapes (core/arithmetic.py): on Python integers they compute, on SQL
columns they return one portable expression (CASE, COALESCE — never the dialects' own MIN/MAX or LEAST/GREATEST),
and the module loads without SQLAlchemy until an SQL expression reaches it."""

import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import BigInteger, column
from sqlalchemy.dialects import postgresql, sqlite

from shebao.core.arithmetic import at_least, clamp, coalesce, millionths
from shebao.core.errors import InvalidInput

values = st.integers(-10**12, 10**12)


@given(value=values, low=values, high=values)
def test_clamp_holds_a_value_between_its_bounds(value, low, high):
    held = clamp(value, low, high)
    if low <= high:
        assert held == min(max(value, low), high)
    else:  # the CASE's order: below the low bound gives it, whatever the high one says
        assert held == (low if value < low else high if value > high else value)


@given(value=values, low=values)
def test_at_least_is_the_larger(value, low):
    assert at_least(value, low) == max(value, low)


@given(value=st.none() | values, default=values)
def test_coalesce_fills_a_missing_value(value, default):
    assert coalesce(value, default) == (default if value is None else value)


def test_a_zero_is_not_missing():
    assert coalesce(0, 5) == 0 and clamp(0, 0, 10) == 0


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"])
def test_on_columns_the_helpers_are_one_portable_sql_text(dialect):
    x, low, high = (column(name, BigInteger) for name in ("x", "low", "high"))
    compiled = {name: str(expression.compile(dialect=dialect)) for name, expression in {
        "clamp": clamp(x, 10, 20), "clamp_columns": clamp(x, low, high), "at_least": at_least(x, 0),
        "coalesce": coalesce(x, 10), "nested": clamp(coalesce(x, 10), 10, 20)}.items()}
    assert all("CASE WHEN" in compiled[name] for name in ("clamp", "clamp_columns", "at_least", "nested"))
    assert "coalesce(x" in compiled["coalesce"]
    assert not any(word in text.upper() for text in compiled.values()
                   for word in ("MIN(", "MAX(", "LEAST(", "GREATEST("))


def test_a_column_among_integers_makes_the_expression_sql():
    assert hasattr(clamp(5, column("low", BigInteger), 20), "compile")
    assert hasattr(coalesce(None, column("default", BigInteger)), "compile")


def test_applied_to_integers_the_helpers_do_not_load_sqlalchemy():
    program = ("import sys; from shebao.core.arithmetic import clamp, coalesce; "
               "assert clamp(coalesce(None, 3), 5, 9) == 5; print('sqlalchemy' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "False"


def test_a_rate_finer_than_a_millionth_is_refused_as_input():
    assert millionths(Decimal("0.0262")) == 26_200
    with pytest.raises(InvalidInput) as refused:
        millionths(Decimal("0.0000001"))
    assert refused.value.code == "parameter.precision"


def test_a_denominator_beyond_32_bits_is_a_64_bit_constant_in_sql():
    """PostgreSQL reads a bare integer parameter as INTEGER and refuses 4 × 10⁹; the yearly interest divides by 2 × 10⁹."""
    from sqlalchemy import Integer

    from shebao.core.arithmetic import divide_half_up

    assert divide_half_up(5 * 10**9, 2 * 10**9) == 3 and divide_half_up(3 * 10**9 - 1, 2 * 10**9) == 1
    wide = str(divide_half_up(column("n", Integer), 2 * 10**9).compile(dialect=postgresql.dialect()))
    assert wide == "(n * %(n_1)s::INTEGER + %(param_1)s::BIGINT) / (%(param_1)s::BIGINT * %(param_2)s::BIGINT)"
    narrow = str(divide_half_up(column("n", Integer), 12 * 10**6).compile(dialect=postgresql.dialect()))
    assert "BIGINT" not in narrow  # small constants stay as they were
