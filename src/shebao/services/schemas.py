"""Request and response models of the public service platform's use cases (the archive, the death event)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shebao.benefits.schemas import PensionStopRead, RecoveryOpenedRead, SurvivorBenefitRead
from shebao.enrollment.schemas import ParticipationRead
from shebao.payouts.schemas import ReturnedLineRead


class Decision(StrEnum):
    CONFIRM = "confirm"
    REJECT = "reject"


class DeathReviewDecide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Decision
    reason: str = Field(min_length=4, max_length=200, description="what the second clerk checked")


class MonthRecordRead(BaseModel):
    period: str
    payer_kind: str
    payer_id: int
    payer_name: str
    region_code: str
    used_base_fen: int
    employer_fen: int
    individual_fen: int
    personal_account_fen: int
    paid: bool
    version: int = Field(1, description="1 as billed; higher once corrected retroactively")
    correction_id: int | None = Field(None, description="the correction that wrote this version of the month")


class CorrectionNoteRead(BaseModel):
    """A retroactive correction of the person's months, as the archive shows it: why, when, which months and
    what it changed for this person."""

    correction_id: int
    made_on: date
    cause: str
    cause_zh: str
    cause_en: str
    reason: str
    periods: list[str]
    months_before: int = Field(description="of the corrected months, how many counted before")
    months_after: int
    personal_account_change_fen: int
    total_change_fen: int


class YearStatementRead(BaseModel):
    year: int
    opening_fen: int
    contributions_fen: int
    interest_fen: int
    closing_fen: int


class PersonRecordRead(BaseModel):
    person_id: int
    name: str
    id_number_masked: str
    as_of: date
    participations: list[ParticipationRead]
    months: list[MonthRecordRead]
    paid_months: int
    years_counted: dict[str, int]
    interrupted_months: list[str]
    interrupted_spans: list[str]
    statement: list[YearStatementRead]
    corrections: list[CorrectionNoteRead] = []


class DeathRecordedRead(BaseModel):
    """A death recorded, and every context's reaction to it."""

    status: Literal["recorded"] = "recorded"
    person_id: int
    death_date: date
    award: PensionStopRead | None
    recovery: RecoveryOpenedRead | None
    unemployment_stopped: int
    cards_cancelled: list[int]
    participations_ended: int
    logins_disabled: int
    survivor_benefits: list[SurvivorBenefitRead]


class DeathHeldRead(BaseModel):
    """A death report held for a second clerk's review: the person was proved alive after the date reported."""

    status: Literal["review"] = "review"
    review_id: int
    person_id: int
    death_date: date
    conflict: str


DeathRead = Annotated[DeathRecordedRead | DeathHeldRead, Field(discriminator="status")]


class DeathReviewRead(BaseModel):
    review_id: int
    person_id: int
    name: str
    death_date: date
    source: str
    conflict: str
    recorded_by: str


class DeathReviewRejectedRead(BaseModel):
    review_id: int
    status: Literal["rejected"] = "rejected"
    person_id: int


class DeathReviewConfirmedRead(BaseModel):
    review_id: int
    status: Literal["confirmed"] = "confirmed"
    person_id: int
    death: DeathRecordedRead


DeathReviewDecisionRead = Annotated[DeathReviewRejectedRead | DeathReviewConfirmedRead, Field(discriminator="status")]


class AccountFixRead(BaseModel):
    """A returned payment's account recorded as fixed, and what was paid again at once (a payroll month goes into
    this month's open batch; a refund is paid again by the refund context)."""

    line: ReturnedLineRead
    paid_again_lines: int
    paid_again_fen: int
