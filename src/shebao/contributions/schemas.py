"""Request and response models of contributions."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from shebao.contributions.rules import Category, Insurance
from shebao.core.clock import UtcDateTime

# Ids are 64-bit in the database: a larger one cannot exist and is refused as input, never overflows.
MAX_ID = 2**63 - 1


class ContributionAssess(BaseModel):
    """One month for one person, as the calculator takes it."""

    model_config = ConfigDict(extra="forbid")

    region: str = Field(description="6-digit province/city/county code (or 9-digit street)")
    period: str = Field(description="contribution month, YYYYMM")
    category: Category
    declared_base_fen: StrictInt
    work_injury_class: StrictInt = Field(1, description="industry risk class 1-8 (employees only)")
    insurances: list[Insurance] | None = Field(None, max_length=5, description=(
        "the insurances the person is in, each assessed from its own participation (e.g. [\"work_injury\"] for "
        "work-injury-only, [\"medical\"] for a flexible worker insured for medical only); omitted: all the "
        "category's"))


class BaseDeclare(BaseModel):
    """An employer declares an employee's base (or a flexible worker chooses theirs) from a period on."""

    model_config = ConfigDict(extra="forbid")

    person_id: int = Field(ge=1, le=MAX_ID)
    effective_period: str = Field(description="YYYYMM from which the base applies (often July)")
    declared_base_fen: StrictInt


class BaseCorrect(BaseModel):
    """A declared base corrected before its month is billed: the new amount for the same person, payer and period."""

    model_config = ConfigDict(extra="forbid")

    declared_base_fen: StrictInt


class BaseDeclarationRead(BaseModel):
    """A declaration as recorded (its current version), with the floor and ceiling that month-end applies."""

    id: int
    version: int
    person_id: int
    payer_kind: str
    payer_id: int
    effective_period: str
    declared_base_fen: int
    floor_fen: int
    ceiling_fen: int
    used_base_fen: int
    declared_by: str
    declared_at: UtcDateTime


class BaseDeclarationVersionRead(BaseModel):
    """One version of a declaration in a person's history; a superseded one says who corrected it and when."""

    id: int
    version: int
    person_id: int
    payer_kind: str
    payer_id: int
    effective_period: str
    declared_base_fen: int
    declared_by: str
    declared_at: UtcDateTime
    superseded_by: str | None
    superseded_at: UtcDateTime | None


class BillRead(BaseModel):
    id: int
    period: str
    province: str
    payer_kind: str
    payer_id: int
    kind: str
    amount_fen: int
    unpaid_fen: int
    persons: int
    due_date: date


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idempotency_key: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$",
                                 description="the bank's unique reference (no control characters)")
    payer_kind: str = Field(pattern="^(employer|flexible)$")
    payer_id: int | None = Field(None, ge=1, le=MAX_ID, description="employer id, or the flexible worker's person id")
    bill_id: int | None = Field(None, ge=1, le=MAX_ID, description="instead of payer: any bill of the payer")
    amount_fen: StrictInt
    received_on: date
    accept_excess: StrictBool = Field(False, description=(
        "money the bank already took: what exceeds the debt (or all of it, when nothing is owed) is kept as the "
        "payer's credit, to offset or refund, instead of refusing the payment"))


class MakeupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    periods: list[str] = Field(min_length=1, max_length=120, description="months YYYYMM to make up")


class MakeupBillRead(BaseModel):
    bill_id: int
    period: str
    payer_kind: str
    payer_id: int
    amount_fen: int
    used_base_fen: int
    due_date: str


class CorrectionRead(BaseModel):
    """A retroactive correction: which months were recomputed, for how many people, and what the payers owe
    more or less for them (posted in the open period)."""

    id: int
    province: str
    cause: str
    cause_zh: str
    cause_en: str
    reason: str
    first_period: str
    last_period: str
    posted_period: str
    persons: int = Field(description="people whose months changed")
    months: int = Field(description="person-months corrected")
    difference_fen: int = Field(description="what the payers owe more (+) or less (−) in all")
    bills: int = Field(description="correction bills, one per payer and month")
    billed_more_fen: int
    credited_fen: int = Field(description="no longer owed: paid off against the same month, else the payer's credit")
    actor: str
    created_at: datetime


class CorrectionRequest(BaseModel):
    """A clerk's retroactive correction (稽核更正): recompute the billed months from a period on, for one person or
    for everyone an employer insured, after facts were fixed (a participation, a base, a death)."""

    model_config = ConfigDict(extra="forbid")

    person_id: StrictInt | None = Field(None, ge=1, le=MAX_ID)
    employer_id: StrictInt | None = Field(None, ge=1, le=MAX_ID)
    since: str = Field(pattern=r"^\d{6}$", description="the first month to recompute, YYYYMM")
    reason: str = Field(min_length=2, max_length=200)


class CorrectionReverse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=200, description="why the correction was wrong")


class RefundRequest(BaseModel):
    """Have back what a payer paid and no longer owes: paid to a bank account, or offset against its bills."""

    model_config = ConfigDict(extra="forbid")

    payer_kind: str = Field(pattern="^(employer|flexible)$")
    payer_id: StrictInt = Field(ge=1, le=MAX_ID, description="employer id, or the flexible worker's person id")
    amount_fen: StrictInt = Field(description="no more than the payer's credit")
    method: str = Field(pattern="^(bank|offset)$", description="bank: paid to the account; offset: against the bills")
    reason: str = Field(min_length=2, max_length=200)
    bank_code: str | None = Field(None, pattern=r"^[A-Z0-9]{3,12}$", description="the bank, for a refund paid to an account")
    bank_account: str | None = Field(None, pattern=r"^\d{8,30}$", description="the account the refund is paid to")


class RefundDecide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: StrictBool
    reason: str = Field(min_length=2, max_length=200)


class RefundRead(BaseModel):
    id: int
    province: str
    payer_kind: str
    payer_id: int
    amount_fen: int
    method: str
    status: str
    status_zh: str
    reason: str
    bank_code: str | None
    bank_account_masked: str | None
    offset_fen: int
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    payout_line_id: int | None = Field(None, description="the bank payment (payouts) of a refund paid to an account")
    payout_status: str | None = Field(None, description="pending (awaiting release) | sent | returned | fixed | resent")
    payout_status_zh: str | None = None
    payout_status_en: str | None = None


class PayerCreditRead(BaseModel):
    """What a payer paid and no longer owes, and its refunds."""

    payer_kind: str
    payer_id: int
    credit_fen: int = Field(description="paid and not owed, less the refunds asked for and not rejected")
    refunds: list[RefundRead]
