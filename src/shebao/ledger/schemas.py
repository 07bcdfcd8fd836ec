"""Ledger request and response models: the interest calculator's case and its explained answer; the national fund's statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shebao.core.money import DecimalText, Fen
from shebao.ledger.rules import InterestMethod, WithinYearRule

MAX_CREDITS = 120  # a year's credits, a few a month at most: far more than any account has


class MonthCredit(BaseModel):
    """One credit of the year: the month n it is for (1-12) and its amount (negative: drawn from the account)."""

    model_config = ConfigDict(extra="forbid")

    month: StrictInt = Field(ge=1, le=12, description="the month n (1-12) of the year the credit is for")
    fen: Fen = Field(description="the amount credited, in fen (negative for a withdrawal)")


class InterestCalculate(BaseModel):
    """One personal account's year: what `shebao interest calc --input CASE.json` and POST /api/v1/interest/calc take."""

    model_config = ConfigDict(extra="forbid")

    opening_fen: Fen = Field(0, ge=0, description="the balance at the end of the year before, in fen")
    credits: list[MonthCredit] = Field(default_factory=list, max_length=MAX_CREDITS)
    rate: DecimalText = Field(description='the year\'s crediting rate, a decimal exact in millionths, e.g. "0.0262"')
    method: InterestMethod = Field(InterestMethod.MONTHLY, description="monthly products (national) or yearly shortcut")
    within_year_rule: WithinYearRule = Field(WithinYearRule.MONTHS_INCLUDING_CREDIT_MONTH,
                                             description="months a credit of month n earns: 13 - n (national) or 12 - n")


class InterestStepRead(BaseModel):
    """One step of the explanation: its value (fen, fen-months, or an unrounded amount as text), the same in yuan
    where it is money, and how it was reached, in English and in Chinese."""

    step: str
    value: Any
    yuan: str | None
    how: str
    how_zh: str


class InterestCalculationRead(BaseModel):
    interest_fen: int
    closing_fen: int
    steps: list[InterestStepRead]
    interest_yuan: str
    closing_yuan: str
    opening_fen: int
    credits_fen: int
    rate: str
    method: InterestMethod
    within_year_rule: WithinYearRule
    rule: str


class NationalFundLineRead(BaseModel):
    """One province's line of a year's national adjustment: the figures, what it remitted and received, and how."""

    province: str
    in_settlement: bool  # False: the province had no assessed base and no retirees that year, and was left out
    base_fen: int
    assessments: int
    rate: str
    remitted_fen: int
    retirees: int
    received_fen: int
    net_fen: int  # received − remitted: > 0 the province gains from the adjustment, < 0 it pays in
    remitted_yuan: str
    received_yuan: str
    net_yuan: str
    remit_key: str | None
    receive_key: str | None
    how: str
    how_zh: str


class NationalFundStatementRead(BaseModel):
    """A year's national adjustment (上解/下拨): the rule and its source, the national totals, the national account's
    check, and the provinces' lines the caller may see (staff: their own province's)."""

    year: int
    insurance: str
    rate: str
    rule: str
    source: str
    retirees_counted: str
    retirees_source: str
    provinces: int
    base_fen: int
    remitted_fen: int  # the year's pot: Σ remitted
    received_fen: int  # Σ received, equal to the pot to the fen
    retirees: int
    per_retiree_yuan: str
    national_movement_fen: int  # what the year's entries left on the national account: 0
    national_balance_fen: int  # the national account's balance over all time (0 while only settlements post to it)
    balanced: bool
    period: str
    settled_at: datetime
    settled_by: str
    newly_settled: bool
    lines: list[NationalFundLineRead]
