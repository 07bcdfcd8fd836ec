"""The award's integer steps (rules.py, shared by the calculator and the batch) equal the formulas of
国发〔2005〕38号 computed in exact decimals and rounded half up to the fen; and each step applied to SQL
columns gives an SQL expression, not a Python value (so the batch really computes it in the database)."""

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import BigInteger, column

from shebao.benefits import rules
from shebao.core.arithmetic import divide_half_up, one_if_zero


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@given(numerator=st.integers(0, 10**15), denominator=st.integers(1, 10**12))
def test_division_rounds_half_up_exactly(numerator, denominator):
    assert divide_half_up(numerator, denominator) == _half_up(Decimal(numerator) / Decimal(denominator))


@given(count=st.integers(0, 10**9))
def test_one_if_zero(count):
    assert one_if_zero(count) == (1 if count == 0 else 0)


@given(base=st.integers(0, 10**9), wage=st.integers(1, 10**8))
def test_an_index_is_base_over_wage_in_millionths_half_up(base, wage):
    assert rules.index_millionths(base, wage) == _half_up(Decimal(base) * 1_000_000 / wage)


@given(months=st.integers(0, 600), per_month=st.integers(0, 3_000_000), extra=st.integers(0, 599))
def test_the_average_index_is_four_decimals_half_up(months, per_month, extra):
    index_sum = months * per_month + (extra % months if months else 0)
    expected = _half_up(Decimal(index_sum) / months / 100) if months else 0
    assert rules.index_ten_thousandths(index_sum, months) == expected


def _half_up_exact(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


# 3,000,000 × 1.0004 / 2 × 241/12 years × 1% is exactly 301,370.5: in 28-digit decimals 241/12 is a hair short, and
# the half fell the wrong way. Years in months over 12 repeat forever; the formula is computed in exact fractions.
@example(wage=3_000_000, index=4, months=241, deemed=0, balance=0, divisor_12=672, coefficient=0)
@given(wage=st.integers(100_000, 3_000_000), index=st.integers(0, 30_000), months=st.integers(0, 720),
       deemed=st.integers(0, 480), balance=st.integers(0, 10**10), divisor_12=st.integers(56 * 12, 233 * 12),
       coefficient=st.integers(0, 20_000))
def test_each_part_is_the_formula_in_exact_decimals(wage, index, months, deemed, balance, divisor_12, coefficient):
    parts = rules.pension_parts(wage_fen=wage, index=index, contribution_months=months, deemed_months=deemed,
                                balance_fen=balance, divisor_twelfths=divisor_12, coefficient_millionths=coefficient,
                                accrual_millionths=10_000)  # 1% a year
    i, years, deemed_years = Fraction(index, 10_000), Fraction(months + deemed, 12), Fraction(deemed, 12)
    assert parts.basic_fen == _half_up_exact(wage * (1 + i) / 2 * years / 100)
    assert parts.account_fen == _half_up_exact(balance / Fraction(divisor_12, 12))
    assert parts.transitional_fen == _half_up_exact(wage * i * deemed_years * Fraction(coefficient, 1_000_000))
    assert parts.total_fen == parts.basic_fen + parts.account_fen + parts.transitional_fen


def test_the_steps_applied_to_columns_are_sql():
    wage, index, months, deemed, balance, divisor_12, coefficient, minimum = (
        column(name, BigInteger) for name in ("wage", "idx", "months", "deemed", "balance", "divisor_12", "coef", "minimum"))
    parts = rules.pension_parts(wage_fen=wage, index=index, contribution_months=months, deemed_months=deemed,
                                balance_fen=balance, divisor_twelfths=divisor_12, coefficient_millionths=coefficient,
                                accrual_millionths=column("accrual", BigInteger))
    expressions = [rules.index_ten_thousandths(column("index_sum", BigInteger), months), parts.basic_fen, parts.account_fen,
                   parts.transitional_fen, parts.total_fen,
                   rules.meets_minimum(rules.counted_months(months, deemed), minimum)]
    assert all(hasattr(expression, "compile") for expression in expressions)
    assert "FLOOR" not in str(parts.total_fen.compile())  # integer division, as in Python; FLOOR would mean a non-integer

