"""What the benefit use cases take in (strict: unknown fields and wrong types are refused) and what they answer."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shebao.benefits.rules import Group
from shebao.core.ids import StrictEmployerId, StrictRecordId
from shebao.core.money import DecimalText, Fen
from shebao.payouts.schemas import ReturnSummary

_STRICT = ConfigDict(extra="forbid")


class Ground(StrEnum):
    STATUTORY = "statutory"
    EARLY_VOLUNTARY = "early_voluntary"  # up to 3 years before the new age, not before the old one
    DELAYED = "delayed"  # up to 3 years after, by agreement with the employer
    SPECIAL_WORK = "special_work"  # 特殊工种: from 55 (men) or 45 (women) after enough years of one kind of such work


class SpecialWorkKind(StrEnum):
    """The kinds of special work whose years allow early retirement (1978 处理意见 第六条), each with its own years."""

    HIGH_ALTITUDE_HEAVY = "high_altitude_heavy"  # 高空和特别繁重体力劳动
    UNDERGROUND_HIGH_TEMPERATURE = "underground_high_temperature"  # 井下、高温
    OTHER_HARMFUL = "other_harmful"  # 其他有害身体健康


class RetirementApply(BaseModel):
    model_config = _STRICT

    person_id: StrictRecordId
    retire_date: date
    category: Group
    ground: Ground = Ground.STATUTORY
    region_code: str = Field(pattern=r"^\d{6}$|^\d{9}$", description="the agency's region that takes the application")
    transitional_index: DecimalText | None = Field(
        None, description="the second (transitional) index as the archive records it, where the province uses one "
                          "(天津 全部平均工资指数, 辽宁 建账前缴费指数); default: the average index")
    notional_account_fen: Fen | None = Field(None, ge=0, description="上海's 1993–1997 虚账实记总额 as the archive records it")
    special_work_kind: SpecialWorkKind | None = Field(None, description="on the special-work ground: the kind of work")
    special_work_months: int | None = Field(None, ge=0, le=720, description="on the special-work ground: the months of "
                                                                            "that kind of work the file records")


class CertificationMethod(StrEnum):
    ONLINE_FACE = "online_face"  # self-certification with a recorded face-check result
    STAFF_VISIT = "staff_visit"
    PASSIVE_HOSPITAL = "passive_hospital"  # a hospital visit, from the health department's data
    PASSIVE_BANK = "passive_bank"  # a withdrawal in person at a bank counter


# How each way of certifying reads for people, (Chinese, English).
METHOD_NAMES: dict[CertificationMethod, tuple[str, str]] = {
    CertificationMethod.ONLINE_FACE: ("线上人脸识别认证", "online face check"),
    CertificationMethod.STAFF_VISIT: ("经办人员上门", "staff visit"),
    CertificationMethod.PASSIVE_HOSPITAL: ("就医记录（无感认证）", "hospital visit (passive)"),
    CertificationMethod.PASSIVE_BANK: ("银行柜面取款（无感认证）", "bank counter (passive)"),
}


class CertificationCreate(BaseModel):
    model_config = _STRICT

    person_id: StrictRecordId
    method: CertificationMethod
    certified_on: date
    evidence: str = Field(min_length=3, max_length=200, description="face-check result id, visiting officer, source record")


class DeathReport(BaseModel):
    model_config = _STRICT

    person_id: StrictRecordId
    death_date: date
    source: str = Field(min_length=3, max_length=200, description="the civil-affairs record it comes from")


class SeparationReason(StrEnum):
    EMPLOYER_TERMINATED = "employer_terminated"
    CONTRACT_EXPIRED = "contract_expired"  # not renewed by the employer
    EMPLOYER_CLOSED = "employer_closed"
    EMPLOYER_FAULT = "employer_fault"  # the worker ended it for the employer's fault (劳动合同法第三十八条)
    RESIGNED = "resigned"  # voluntary: not eligible


INVOLUNTARY = {SeparationReason.EMPLOYER_TERMINATED, SeparationReason.CONTRACT_EXPIRED, SeparationReason.EMPLOYER_CLOSED,
               SeparationReason.EMPLOYER_FAULT}


class UnemploymentApply(BaseModel):
    model_config = _STRICT

    person_id: StrictRecordId
    separation_date: date
    reason: SeparationReason
    region_code: str = Field(pattern=r"^\d{6}$|^\d{9}$")


class UnemploymentSelfApply(BaseModel):
    """The insured's own application online: the person is the login's, the agency where their last job was insured."""

    model_config = _STRICT

    separation_date: date
    reason: SeparationReason


class UnemploymentStop(BaseModel):
    model_config = _STRICT

    stopped_on: date
    reason: str = Field("reemployed", pattern="^(reemployed|moved_away|refused_work|other)$")


class InjuryKind(StrEnum):
    DISABILITY = "disability"
    DEATH = "death"


class InjuryClaimCreate(BaseModel):
    model_config = _STRICT

    person_id: StrictRecordId
    employer_id: StrictEmployerId
    kind: InjuryKind
    injury_date: date
    grade: StrictInt | None = Field(None, description="disability grade 1 (most severe) to 10; none for a death")


class MaternityClaimCreate(BaseModel):
    model_config = _STRICT

    person_id: StrictRecordId
    employer_id: StrictEmployerId
    birth_date: date
    difficult_birth: bool = False
    babies: StrictInt = Field(1, ge=1, le=6)


class PensionEstimate(BaseModel):
    model_config = _STRICT

    person_id: StrictRecordId
    category: Group
    retire_date: date | None = Field(None, description="the statutory date when absent")
    wage_growth: DecimalText = Field("0.03", description="yearly growth of the calculation wage, a decimal")
    future_index: DecimalText = Field("1.0", description="the contribution index assumed for future months")
    account_interest: DecimalText = Field("0.02", description="yearly personal-account interest assumed")


# How each assumption of an estimate reads for people, (Chinese, English).
ASSUMPTION_NAMES: dict[str, tuple[str, str]] = {
    "wage_growth": ("计发基数年增长率", "yearly wage growth"), "future_index": ("今后缴费指数", "future contribution index"),
    "account_interest": ("个人账户年记账利率", "yearly personal-account interest"),
}


class LocalExtra(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    fen: Fen = Field(ge=0)


class PensionCalculate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region: str
    # Bounded so that adding an age in months to them stays inside the calendar (year 9999 overflowed).
    retire_date: date = Field(ge=date(1951, 1, 1), le=date(2200, 12, 31))
    birth_date: date = Field(ge=date(1880, 1, 1), le=date(2100, 12, 31))
    sex: str = Field(pattern="^[MF]$")
    category: Group
    contribution_months: StrictInt = Field(ge=0, le=12 * 80)
    deemed_months: StrictInt = Field(0, ge=0, le=12 * 60)
    average_index: DecimalText = Field(description='average contribution index as a decimal string, e.g. "1.2"')
    personal_account_fen: Fen = Field(ge=0)
    calculation_wage_fen: Fen | None = Field(None, ge=1)
    transitional_index: DecimalText | None = Field(
        None, description="the transitional (deemed-years) index where the province uses a second one (天津, 江苏); "
                          "default: the average index")
    pre_account_months: StrictInt = Field(0, ge=0, le=12 * 80, description="of contribution_months, those paid before "
                                          "the personal account opened (counted as transitional years in 河北, 辽宁, 云南)")
    local_extras: list[LocalExtra] = Field(default_factory=list, max_length=20,
                                           description="local items (独生子女补贴) shown apart from total_fen")
    local_calculation_wage_fen: Fen | None = Field(
        None, ge=1, description="the city's own W for the basic pension's fixed half where the province uses one (吉林); "
                                "default: the city's pack, else W")
    notional_account_fen: Fen = Field(0, ge=0, description="上海's 1993–1997 notional account (虚账实记总额), paid within the "
                                                            "transitional pension ÷ the province's divisor (120)")


class ArchiveYear(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: StrictInt
    province: str = Field(pattern=r"^\d{2}0000$")
    year: StrictInt = Field(ge=1951, le=2100)
    kind: str = Field(pattern="^(archive|deemed)$")
    months: StrictInt = Field(ge=1, le=12)
    base_sum_fen: StrictInt = Field(0, ge=0)
    average_wage_fen: StrictInt = Field(0, ge=0)


# --- What the benefit use cases answer -------------------------------------------------------------------
# Each reads exactly as the answers always have: the fields in this order, nothing left out when empty.


class StepRead(BaseModel):
    """One step of an explanation: what was worked out, its value, and how (the rule, or a parameter and its source)."""

    step: str
    value: Any
    how: str


class AgeRead(BaseModel):
    years: int
    months: int


class RetirementDateRead(BaseModel):
    birth_date: date
    sex: str
    category: Group
    age: AgeRead
    statutory_date: date
    steps: list[StepRead]


class PensionCalculationRead(BaseModel):
    """An explained pension award: the calculator's answer, and the explanation of every award and estimate."""

    eligible: bool
    reasons: list[str]
    reasons_zh: list[str]
    retirement_age: AgeRead
    statutory_retirement_age: AgeRead
    statutory_retirement_date: date
    basic_pension_fen: int
    personal_account_pension_fen: int
    transitional_pension_fen: int
    total_fen: int
    local_extras_fen: int = Field(0, description="local items shown apart from the national total")
    divisor: int | float = Field(description="the divisor in months (interpolated by month and rounded as the province "
                                             "prints it, 137.8; to four decimals where kept exact)")
    counted_years: str = Field("", description="N as the formula used it (31.33), or months/12 where kept exact")
    transitional_index: str = Field("", description="the index the transitional pension used")
    steps: list[StepRead]


class PensionEstimateRead(PensionCalculationRead):
    assumptions: list[StepRead]
    estimate: bool


class PensionYearRead(BaseModel):
    """One year and province of the record: paid months on the platform (assessed), or taken over (archive, deemed)."""

    year: str
    province: str
    kind: str
    months: int
    base_sum: int
    wage: int
    index_sum: int


class PensionRecordRead(BaseModel):
    contribution_months: int
    deemed_months: int
    index_sum_millionths: int
    average_index: str
    personal_account_fen: int
    years: list[PensionYearRead]


class BenefitPlaceRead(BaseModel):
    province: str
    why: str
    months_by_province: dict[str, int]


class _AwardHead(BaseModel):
    award_id: int
    person_id: int
    province: str
    ground: Ground
    first_period: str
    benefit_place: BenefitPlaceRead


class RetirementAwardRead(PensionCalculationRead, _AwardHead):
    """The award made at the counter, explained. Pydantic takes the fields of the last base first: the award's own,
    then the calculation's, then the record."""

    record: PensionRecordRead


class AwardRead(BaseModel):
    id: int
    province: str
    status: str
    status_reason: str
    retire_date: date
    first_period: str
    ground: Ground
    basic_fen: int
    account_fen: int
    transitional_fen: int
    awarded_total_fen: int
    monthly_fen: int
    account_remaining_fen: int
    certified_on: date
    certification_due: date
    stop_period: str | None


class AdjustmentRead(BaseModel):
    since_period: str
    before_fen: int
    increase_fen: int


class PayrollLineRead(BaseModel):
    for_period: str
    kind: str
    amount_fen: int
    status: str
    hold_reason: str
    paid_period: str | None
    bank_return: ReturnSummary | None = Field(None, description="the bank returned this month's payment: why, and since when")


class CertificationSummary(BaseModel):
    method: CertificationMethod
    certified_on: date
    evidence: str


class RecoveryRead(BaseModel):
    amount_fen: int
    months: int
    from_period: str
    status: str


class PensionRead(BaseModel):
    """A receiver's award with its explanation, adjustments, latest payroll lines, certifications and any recovery."""

    award: AwardRead
    explanation: PensionCalculationRead
    adjustments: list[AdjustmentRead]
    payroll: list[PayrollLineRead]
    certifications: list[CertificationSummary]
    recovery: RecoveryRead | None


class HeldLineRead(BaseModel):
    person_id: int
    award_id: int
    for_period: str
    kind: str
    amount_fen: int
    reason: str
    reason_zh: str


class PayrollHeldRead(BaseModel):
    period: str
    province: str
    by_reason: dict[str, int] = Field(description="receivers held, by reason")
    lines: list[HeldLineRead]


class CertificationRead(BaseModel):
    certification_id: int
    person_id: int
    certified_on: date = Field(description="the award's latest proof of life after this one")
    resumed: bool
    arrears_lines: int
    arrears_fen: int
    status: str


class CertificationImportRead(BaseModel):
    imported: int
    already_recorded: int
    resumed: int
    arrears_fen: int


class UnemploymentClaimRead(BaseModel):
    claim_id: int
    person_id: int
    province: str
    status: str
    contribution_months: int
    entitled_months: int
    carried_months: int
    monthly_fen: int
    start_period: str
    medical_paid_by_fund: bool
    months_used: int | None
    months_left: int | None
    steps: list[StepRead]


class UnemploymentApplicationRead(UnemploymentClaimRead):
    jobs_ended: int = Field(description="employers whose participations the registration ended")


class UnemploymentPayrollRead(BaseModel):
    period: str
    province: str
    claims_paid: int
    benefit_fen: int
    medical_fen: int
    claims_exhausted: int


class InjuryClaimRead(BaseModel):
    claim_id: int
    person_id: int
    kind: InjuryKind
    grade: int | None
    wage_fen: int
    one_off_fen: int
    monthly_allowance_fen: int
    funeral_fen: int
    steps: list[StepRead]


class MaternityClaimRead(BaseModel):
    claim_id: int
    person_id: int
    leave_days: int
    employer_average_base_fen: int
    allowance_fen: int
    steps: list[StepRead]


class SurvivorBenefitRead(BaseModel):
    kind: str
    name: str
    name_en: str
    amount_fen: int
    status: str
    steps: list[dict[str, Any]] = Field(description="each with its step, a value or value_fen, and how or its source")


class PensionStopRead(BaseModel):
    id: int
    stop_period: str = Field(description="the first month not payable: the month after the death")
    lines_cancelled: int


class RecoveryOpenedRead(BaseModel):
    amount_fen: int
    months: int
    from_period: str
    entry_id: int


class DeathStopRead(BaseModel):
    """What a death stops in the benefits: the pension (and the recovery of what was paid after it), unemployment."""

    award: PensionStopRead | None
    recovery: RecoveryOpenedRead | None
    unemployment_stopped: int
