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
@example(wage=3_000_000, index=4, second=4, months=241, deemed=0, pre=0, balance=0, divisor=672 * 50, coefficient=0,
         rounding="months", base="indexed_wage", per_month=0, unit=1)
@given(wage=st.integers(100_000, 2_000_000), index=st.integers(0, 30_000), second=st.integers(0, 30_000),
       months=st.integers(0, 720), deemed=st.integers(0, 480), pre=st.integers(0, 240), balance=st.integers(0, 10**10),
       divisor=st.integers(56 * 600, 233 * 600), coefficient=st.integers(0, 150),
       rounding=st.sampled_from(sorted(rules.YEARS_ROUNDING)), base=st.sampled_from(sorted(rules.TRANSITIONAL_BASES)),
       per_month=st.sampled_from([0, 83]), unit=st.sampled_from(sorted(rules.AMOUNT_UNITS.values())))
def test_each_part_is_the_formula_in_exact_decimals(wage, index, second, months, deemed, pre, balance, divisor, coefficient,
                                                    rounding, base, per_month, unit):
    per_year = rules.YEARS_ROUNDING[rounding]
    per_month = per_month if rounding == "whole_years_and_months" else 0
    constants = rules.FormulaConstants(wage_fen=wage, accrual=100, coefficient=coefficient, per_year=per_year,
                                       divisor_units=divisor, transitional_base=rules.TRANSITIONAL_BASES[base],
                                       per_month=per_month, amount_unit=unit)
    parts = rules.pension_parts(constants=constants, index=index, transitional_index=second, contribution_months=months,
                                deemed_months=deemed, actual_transitional_months=pre, balance_fen=balance)

    def years(m: int) -> Fraction:  # as the form prints them: to 1/per_year of a year, half up, or whole + per month
        if per_month:
            return Fraction((m // 12) * per_year + (m % 12) * per_month, per_year)
        return Fraction(_half_up_exact(Fraction(m * per_year, 12)), per_year)

    def printed(amount: Fraction) -> int:  # half up to the fen, then (上海) half up to the jiao
        return _half_up_exact(Fraction(_half_up_exact(amount), unit)) * unit

    i, i_t = Fraction(index, 10_000), Fraction(second, 10_000)
    per_deemed_year, per_actual_year = {"indexed_wage": (wage * i_t, wage * i_t),
                                        "average_of_wage_and_indexed_wage": ((wage + wage * i_t) / 2,) * 2,
                                        "wage": (Fraction(wage),) * 2, "beijing": (Fraction(wage), wage * i)}[base]
    assert parts.basic_fen == printed(wage * (1 + i) / 2 * years(months + deemed) / 100)
    assert parts.account_fen == printed(balance / Fraction(divisor, 600))
    assert parts.transitional_fen == printed((per_deemed_year * years(deemed) + per_actual_year * years(pre))
                                             * Fraction(coefficient, 10_000))
    assert parts.total_fen == parts.basic_fen + parts.account_fen + parts.transitional_fen


def test_the_largest_products_stay_inside_64_bits():
    """What SQL computes must fit a BIGINT (SQLite would silently turn an overflow into a float): a wage of
    20,000 yuan, an index of 3, 60 years at four decimals and a transitional coefficient of 1.5% (the highest
    published is 1.4%)."""
    largest = 2_000_000 * (10_000 + 30_000) * (60 * 10_000) * 150
    assert largest < 2**63


def test_the_steps_applied_to_columns_are_sql():
    names = ("wage", "idx", "second", "months", "deemed", "pre", "balance", "divisor", "coef", "minimum", "per_year",
             "accrual", "halves", "per_month", "unit", *(f"w{k}" for k in range(6)))
    c = {name: column(name, BigInteger) for name in names}
    constants = rules.FormulaConstants(
        wage_fen=c["wage"], accrual=c["accrual"], coefficient=c["coef"], per_year=c["per_year"], divisor_units=c["divisor"],
        transitional_base=rules.TransitionalBase((c["w0"], c["w1"], c["w2"]), (c["w3"], c["w4"], c["w5"]), c["halves"]),
        per_month=c["per_month"], amount_unit=c["unit"])
    parts = rules.pension_parts(constants=constants, index=c["idx"], transitional_index=c["second"],
                                contribution_months=c["months"], deemed_months=c["deemed"],
                                actual_transitional_months=c["pre"], balance_fen=c["balance"])
    expressions = [rules.index_ten_thousandths(column("index_sum", BigInteger), c["months"]), parts.basic_fen,
                   parts.account_fen, parts.transitional_fen, parts.total_fen,
                   rules.meets_minimum(rules.counted_months(c["months"], c["deemed"]), c["minimum"])]
    assert all(hasattr(expression, "compile") for expression in expressions)
    assert "FLOOR" not in str(parts.total_fen.compile())  # integer division, as in Python; FLOOR would mean a non-integer


@given(wage=st.integers(100_000, 2_000_000), local=st.integers(100_000, 2_000_000), index=st.integers(0, 30_000),
       months=st.integers(0, 720), actual=st.integers(0, 720), rounding=st.sampled_from(["hundredths", "ten_thousandths"]))
def test_the_rise_beyond_twenty_years_is_each_band_to_the_fen(wage, local, index, months, actual, rounding):
    """吉林's 增发: (W_local + W × I) / 2 × the years within each band × its rate, each band half up to the fen."""
    per_year = rules.YEARS_ROUNDING[rounding]
    bands = rules.ExtraBands(starts=(20, 25, 30), widths=(5, 5, 100), rates=(15, 20, 25), min_actual_months=240)
    years = rules.years_units(months, per_year)
    base = Fraction(local + wage * Fraction(index, 10_000), 2)
    n = Fraction(years, per_year)
    expected = sum(_half_up_exact(base * max(Fraction(0), min(n - start, Fraction(width))) * Fraction(rate, 10_000))
                   for start, width, rate in zip((20, 25, 30), (5, 5, 100), (15, 20, 25), strict=True))
    rise = rules.extra_accrual_fen(wage, local, index, years, per_year, actual, bands)
    assert rise == (expected if actual > 240 else 0)
