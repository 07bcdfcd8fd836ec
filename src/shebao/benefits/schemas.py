"""What the benefit use cases take in. Strict: unknown fields and wrong types are refused."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shebao.benefits.rules import Group
from shebao.core.ids import StrictEmployerId, StrictRecordId
from shebao.core.money import DecimalText, Fen

_STRICT = ConfigDict(extra="forbid")


class Ground(StrEnum):
    STATUTORY = "statutory"
    EARLY_VOLUNTARY = "early_voluntary"  # up to 3 years before the new age, not before the old one
    DELAYED = "delayed"  # up to 3 years after, by agreement with the employer


class RetirementApply(BaseModel):
    model_config = _STRICT

    person_id: StrictRecordId
    retire_date: date
    category: Group
    ground: Ground = Ground.STATUTORY
    region_code: str = Field(pattern=r"^\d{6}$|^\d{9}$", description="the agency's region that takes the application")


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


class ArchiveYear(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: StrictInt
    province: str = Field(pattern=r"^\d{2}0000$")
    year: StrictInt = Field(ge=1951, le=2100)
    kind: str = Field(pattern="^(archive|deemed)$")
    months: StrictInt = Field(ge=1, le=12)
    base_sum_fen: StrictInt = Field(0, ge=0)
    average_wage_fen: StrictInt = Field(0, ge=0)
