"""Ledger rules: what makes an entry acceptable. Pure functions over plain values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

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
