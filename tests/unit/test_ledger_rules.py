"""Ledger rules: an entry balances, has whole non-zero fen, and its reversal undoes it; the year's interest is
the crediting formula in exact decimals, rounded half up to the fen."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import BigInteger, column

from shebao.core.errors import InvalidInput
from shebao.ledger import rules
from shebao.ledger.rules import Line, check_lines, reversal_of


def test_a_balanced_entry_passes():
    check_lines([Line(1, 100), Line(2, -60), Line(3, -40)])


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ([Line(1, 100)], "entry.too_few_lines"),
        ([Line(1, 100), Line(2, -99)], "entry.unbalanced"),
        ([Line(1, 100), Line(2, 0), Line(3, -100)], "entry.zero_line"),
        ([Line(1, 1.5), Line(2, -1.5)], "entry.amount_not_integer"),
        ([Line(1, True), Line(2, -1)], "entry.amount_not_integer"),
    ],
)
def test_bad_entries_are_refused(lines, code):
    with pytest.raises(InvalidInput) as refused:
        check_lines(lines)
    assert refused.value.code == code


amounts = st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=8)


@given(debits=amounts, split=st.integers(min_value=1, max_value=5))
def test_any_balanced_entry_and_its_reversal_pass_and_cancel(debits, split):
    total = sum(debits)
    credits = [total // split] * (split - 1)
    credits.append(total - sum(credits))
    lines = [Line(i, d) for i, d in enumerate(debits)] + [Line(100 + i, -c) for i, c in enumerate(credits) if c]
    check_lines(lines)
    reversed_lines = reversal_of(lines)
    check_lines(reversed_lines)
    assert sum(a.amount_fen + b.amount_fen for a, b in zip(lines, reversed_lines)) == 0


credits = st.lists(st.tuples(st.integers(1, 12), st.integers(-2_000_000, 5_000_000)), max_size=30)


@given(opening=st.integers(-10**8, 10**10), credits=credits, rate=st.integers(0, 200_000))
def test_the_years_interest_is_the_formula_in_exact_decimals(opening, credits, rate):
    """opening × r + Σ credit × r × (12 − month) / 12 (today's convention; 13 − month is issue #11), half up; a
    balance that is not above zero over the year earns nothing."""
    r = Decimal(rate) / 1_000_000
    exact = opening * r + sum(amount * r * (12 - month) / 12 for month, amount in credits)
    expected = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)) if exact > 0 else 0
    assert rules.year_interest_fen(opening, credits, rate) == expected


def test_a_december_credit_earns_nothing_in_its_own_year():
    assert rules.months_earning(12) == 0 and rules.months_earning(1) == 11
    assert rules.year_interest_fen(0, [(12, 10**9)], 26_200) == 0


def test_the_interest_steps_applied_to_columns_are_sql():
    opening, weighted, amount, month = (column(name, BigInteger) for name in ("opening", "weighted", "amount", "month"))
    for expression in (rules.interest_fen(opening, weighted, 26_200), rules.weighted_credit(amount, month)):
        assert hasattr(expression, "compile") and "FLOOR" not in str(expression.compile())
