"""Ledger rules: an entry balances, has whole non-zero fen, and its reversal undoes it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shebao.core.errors import InvalidInput
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
