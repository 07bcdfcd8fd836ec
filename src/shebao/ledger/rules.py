"""Ledger rules: what makes an entry acceptable, and the year's interest on a personal account. Pure functions
over plain values; the interest steps over `Number`s (core.arithmetic), so that the crediting batch (batch.py)
applies to its columns the formula a person's figures give in Python."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from shebao.core.arithmetic import RATE_DENOMINATOR, Number, at_least, divide_half_up
from shebao.core.errors import InvalidInput, given_zh


class AccountKind(StrEnum):
    """What an account is for; the sign convention is debit positive, credit negative."""

    PERSONAL_ACCOUNT = "personal_account"  # a person's pension personal account (a liability to the person)
    POOLING_FUND = "pooling_fund"  # one per insurance and province
    NATIONAL_FUND = "national_fund"  # the national fund's one account
    RECEIVABLE = "receivable"  # what an employer or a flexible worker owes
    CASH = "cash"  # money at the collecting bank
    CLEARING = "clearing"  # billed but not yet paid contributions
    INTEREST = "interest"  # interest credited to personal accounts, by province
    BENEFIT_PAYABLE = "benefit_payable"  # benefits owed and not yet paid out (held months included), by province
    BROUGHT_FORWARD = "brought_forward"  # balances taken over from a legacy system's archive, by province


@dataclass(frozen=True)
class Line:
    account_id: int
    amount_fen: int  # debit > 0, credit < 0


def check_lines(lines: Sequence[Line]) -> None:
    """An entry has at least two lines of whole, non-zero fen, and its debits equal its credits."""
    if len(lines) < 2:
        raise InvalidInput("entry.too_few_lines", "一笔分录至少有借贷两行", "an entry has at least a debit and a credit line")
    for line in lines:
        if isinstance(line.amount_fen, bool) or not isinstance(line.amount_fen, int):
            raise InvalidInput("entry.amount_not_integer", f"金额必须是整数（分）{given_zh(line.amount_fen)}",
                               f"amounts are whole fen: {line.amount_fen!r}")
        if line.amount_fen == 0:
            raise InvalidInput("entry.zero_line", "分录行金额不能为零", "a line of zero fen says nothing")
    debits = sum(line.amount_fen for line in lines if line.amount_fen > 0)
    credits = -sum(line.amount_fen for line in lines if line.amount_fen < 0)
    if debits != credits:
        raise InvalidInput("entry.unbalanced", f"借贷不平：借方 {debits} 分，贷方 {credits} 分",
                           f"debits {debits} fen do not equal credits {credits} fen", debits=debits, credits=credits)


def reversal_of(lines: Sequence[Line]) -> list[Line]:
    """The lines that undo an entry: the same accounts with the signs turned."""
    return [Line(line.account_id, -line.amount_fen) for line in lines]


# --- Year-end interest (记账利息): one formula, two shapes ---------------------------------------------------
# For year Y at the crediting rate r (in millionths): the opening balance earns r for the whole year, and each
# month's credits earn r for the months left after their month, summed as "weighted" fen-months; the account's
# interest is rounded half up to the fen. tests/integration/test_interest_formula_properties.py holds the batch
# and the Python shape equal to the fen.
MONTHS_PER_YEAR = 12
# The within-year convention the formula implements (pension.crediting_within_year_rule): a credit of month m
# earns 12 − m months. The national rule counts 13 − m (month m itself included); changing it is issue #11.
WITHIN_YEAR_RULE = "months_remaining_after_credit"


def months_earning(month: Number) -> Number:
    """The months of interest a credit of month m (1-12) earns in its own year: 12 − m."""
    return MONTHS_PER_YEAR - month


def weighted_credit(credited_fen: Number, month: Number) -> Number:
    """A credit of month m in fen-months: the amount × the months it earns in the year."""
    return credited_fen * months_earning(month)


def interest_fen(opening_fen: Number, weighted_fen: Number, rate_millionths: Number) -> Number:
    """opening × r + weighted / 12 × r, rounded half up to the fen; an account whose balance, weighted over the
    year, is not above zero (drawn down by its pension) earns nothing. The rate is never negative."""
    return divide_half_up(at_least(opening_fen * MONTHS_PER_YEAR + weighted_fen, 0) * rate_millionths,
                          MONTHS_PER_YEAR * RATE_DENOMINATOR)


def year_interest_fen(opening_fen: int, credits: Iterable[tuple[int, int]], rate_millionths: int) -> int:
    """One account's interest for a year from its opening balance and its (month, credited fen) of the year
    (a withdrawal is a negative credit): what the crediting batch computes for the account in SQL."""
    return interest_fen(opening_fen, sum(weighted_credit(amount, month) for month, amount in credits), rate_millionths)
