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


def _half_up(exact: Decimal) -> int:
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)) if exact > 0 else 0


@given(opening=st.integers(-10**8, 10**10), credits=credits, rate=st.integers(0, 200_000))
def test_the_years_interest_is_the_national_method_in_exact_decimals(opening, credits, rate):
    """Monthly products (劳办发〔1997〕116号): opening × r + Σ credit × r × (12 − n + 1) / 12, half up once; a balance
    that is not above zero over the year earns nothing."""
    r = Decimal(rate) / 1_000_000
    exact = opening * r + sum(amount * r * (12 - month + 1) / 12 for month, amount in credits)
    assert rules.year_interest_fen(opening, credits, rate) == _half_up(exact)


@given(opening=st.integers(-10**8, 10**10), credits=credits, rate=st.integers(0, 200_000))
def test_a_province_crediting_from_the_month_after_counts_twelve_less_n(opening, credits, rate):
    rule = rules.InterestRule(within_year=rules.WithinYearRule.MONTHS_REMAINING_AFTER_CREDIT)
    r = Decimal(rate) / 1_000_000
    exact = opening * r + sum(amount * r * (12 - month) / 12 for month, amount in credits)
    assert rules.year_interest_fen(opening, credits, rate, rule) == _half_up(exact)


@given(opening=st.integers(-10**8, 10**10), credits=credits, rate=st.integers(0, 200_000))
def test_the_yearly_shortcut_takes_the_published_1_083_literally(opening, credits, rate):
    """opening × r + the year's credits × r × 1.083 × ½ — 1.083 as published, not 13/12 — half up once, per account."""
    rule = rules.InterestRule(method=rules.InterestMethod.YEARLY)
    r = Decimal(rate) / 1_000_000
    exact = opening * r + sum(amount for _, amount in credits) * r * Decimal("1.083") / 2
    assert rules.year_interest_fen(opening, credits, rate, rule) == _half_up(exact)


def test_the_policy_examples():
    # 1,000.00 each month of a year at 2.62%: 1,000 × 78 × 0.0262 / 12 = 170.30
    assert rules.year_interest_fen(0, [(month, 100_000) for month in range(1, 13)], 26_200) == 17_030
    # 1,000.00 in March (10 months) and 500.00 in November (2) at 3.97%: 36.3917 → 36.39
    assert rules.year_interest_fen(0, [(3, 100_000), (11, 50_000)], 39_700) == 3_639
    # the shortcut on twelve equal credits: 12,000 × 0.0262 × 1.083 / 2 = 170.2476 → 170.25 (the monthly method: 170.30)
    yearly = rules.InterestRule(method=rules.InterestMethod.YEARLY)
    assert rules.year_interest_fen(0, [(month, 100_000) for month in range(1, 13)], 26_200, yearly) == 17_025


def test_a_december_credit_earns_one_month_and_a_january_one_twelve():
    assert rules.months_earning(12) == 1 and rules.months_earning(1) == 12
    assert rules.year_interest_fen(0, [(12, 1_200_000)], 26_200) == 2_620  # 12,000.00 × 2.62% / 12
    after = rules.WithinYearRule.MONTHS_REMAINING_AFTER_CREDIT
    assert rules.months_earning(12, after) == 0 and rules.months_earning(1, after) == 11


def test_a_credit_counts_from_the_month_it_is_for_within_the_year():
    assert rules.credit_month(rules.month_index(2024, 3), 2024) == 3
    assert rules.credit_month(rules.month_index(2023, 11), 2024) == 1  # for last year, paid this year: 12 months
    assert rules.credit_month(rules.month_index(2025, 1), 2024) == 13  # for next year: nothing this year
    assert rules.months_earning(13) == 0 and rules.months_earning(13, rules.WithinYearRule.MONTHS_REMAINING_AFTER_CREDIT) == 0


def test_the_rule_is_named_for_the_record_and_unknown_values_are_refused():
    assert rules.NATIONAL_RULE.name == "monthly:months_including_credit_month:contribution_month"
    assert rules.interest_rule("yearly", "months_including_credit_month", "posting_month").name == "yearly"
    with pytest.raises(InvalidInput) as refused:
        rules.interest_rule("quarterly", "months_including_credit_month", "contribution_month")
    assert refused.value.code == "interest.rule"


def test_the_explanation_gives_the_batchs_figure_with_each_step_in_both_languages():
    explained = rules.explain_interest(10_000_000, [(3, 100_000), (11, 50_000)], 39_700)
    assert explained["interest_fen"] == rules.year_interest_fen(10_000_000, [(3, 100_000), (11, 50_000)], 39_700)
    assert explained["closing_fen"] == 10_000_000 + 150_000 + explained["interest_fen"]
    assert [step["step"] for step in explained["steps"]] == [
        "rate", "opening_product", "credit_month_3", "credit_month_11", "products", "interest", "closing"]
    assert all(step["how"] and step["how_zh"] for step in explained["steps"])
    assert explained["steps"][2]["value"] == 1_000_000 and explained["steps"][2]["yuan"] == "10000.00"
    yearly = rules.explain_interest(0, [(1, 100_000)], 26_200, rules.InterestRule(method=rules.InterestMethod.YEARLY))
    assert [step["step"] for step in yearly["steps"]] == ["rate", "opening_interest", "credits_interest", "interest", "closing"]
    assert yearly["steps"][2]["yuan"] == "14.1873" and yearly["interest_fen"] == 1_419  # 1,000 × 2.62% × 0.5415


def test_the_interest_steps_applied_to_columns_are_sql():
    opening, weighted, amount, month = (column(name, BigInteger) for name in ("opening", "weighted", "amount", "month"))
    for rule in (rules.NATIONAL_RULE, rules.InterestRule(method=rules.InterestMethod.YEARLY)):
        for expression in (rules.interest_fen(opening, weighted, 26_200, rule), rules.weighted_credit(amount, month, rule),
                           rules.credit_month(month, 2024)):
            assert hasattr(expression, "compile") and "FLOOR" not in str(expression.compile())
