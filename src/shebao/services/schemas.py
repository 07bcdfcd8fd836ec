"""Request and response models of the public service platform's use cases (the archive, the death event)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

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
    drawn_fen: int = Field(0, description="drawn by the pension in the year (a retiree's account)")
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


class ProvinceMonthsRead(BaseModel):
    """What one province holds of the person's record, counted as the pension award counts it."""

    province: str
    province_name: str
    months: int = Field(description="paid months and archive months that count (not deemed)")
    deemed_months: int
    base_sum_fen: int = Field(description="the sum of the monthly bases of the months that count")


class ArchiveYearRead(BaseModel):
    """One year in one province: the months that count, their bases and the employers insuring the person."""

    year: int
    province: str
    province_name: str
    kind: str = Field(description="assessed (on the platform) | archive (taken over) | deemed")
    months: int
    base_sum_fen: int
    employers: list[str] = []
    average_wage_fen: int | None = Field(None, description="the average monthly wage a year taken over came with "
                                                            "(None: a platform year, whose wage is the parameters')")


class InsuranceSpanRead(BaseModel):
    """An insurance joined: where, through whom, from when to when."""

    scheme: str
    mode: str
    province: str
    region_code: str
    employer_id: int | None
    employer_name: str | None
    start_date: date
    end_date: date | None
    status: str


class OmittedSpanRead(BaseModel):
    """Months that look omitted: inside a pension participation with no paid contribution, or a gap between
    participations before the statutory retirement date. Staff may offer a make-up payment for them."""

    province: str
    province_name: str
    first_period: str
    last_period: str
    months: int
    kind: Literal["unpaid", "gap"]
    reason: str
    reason_en: str


class PersonalAccountRead(BaseModel):
    """The personal account: the ledger's balance now and, for a retiree, what it held at retirement, what the
    pension has drawn from it and what remains (never shown as a negative balance)."""

    balance_fen: int = Field(description="what the ledger holds now (personal_account_balance)")
    at_retirement_fen: int | None = None
    drawn_by_pension_fen: int = 0
    remaining_fen: int = Field(description="for a retiree, what the pension has not yet drawn; else the balance")
    years: list[YearStatementRead] = []


class PensionSummaryRead(BaseModel):
    province: str
    province_name: str
    retire_date: date
    first_period: str
    contribution_months: int = Field(description="the months the award counted")
    deemed_months: int
    monthly_fen: int
    status: str


class BenefitClaimRead(BaseModel):
    kind: Literal["unemployment", "work_injury", "maternity"]
    province: str
    on: date
    amount_fen: int = Field(description="monthly for unemployment; the allowance or one-off amount otherwise")
    status: str
    detail: str


class PersonArchiveRead(BaseModel):
    """The electronic archive (电子档案), nationwide: every province's months, bases, employers and insurances, the
    personal account, transfers, temporary accounts and benefits, and the months that look omitted."""

    person_id: int
    name: str
    id_number_masked: str
    as_of: date
    retired: bool
    contribution_months: int = Field(description="as the pension award counts them: paid months and archive months "
                                                 "(a retiree: the months the award used)")
    deemed_months: int
    years_counted: dict[str, int]
    paid_months: int = Field(description="months paid on the platform (any province)")
    base_sum_fen: int
    statutory_retirement_date: date | None
    provinces: list[ProvinceMonthsRead]
    years: list[ArchiveYearRead]
    insurances: list[InsuranceSpanRead]
    personal_account: PersonalAccountRead
    benefit_place: dict[str, Any] = Field(description="where the pension is or will be paid (transfer rules 1–4), "
                                                      "and what other provinces hold to be gathered first")
    transfers: list[dict[str, Any]]
    temporary_accounts: list[dict[str, Any]]
    pension: PensionSummaryRead | None
    claims: list[BenefitClaimRead]
    omitted: list[OmittedSpanRead]
    verification_code: str = Field(description="printed on the statement; GET /api/v1/statements/verify checks it")
    figures_digest: str = Field(description="SHA-256 of the statement's canonical figures")


class StatementVerifyRead(BaseModel):
    """Whether a printed statement of rights is genuine, and whether its figures still equal the ledger's."""

    genuine: bool
    figures_match: bool = False
    reason: str
    reason_en: str
    name_masked: str | None = None
    issued_on: date | None = None
    contribution_months: int | None = None
    deemed_months: int | None = None
    personal_account_fen: int | None = None


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
