"""Request and response models of the registry API."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from shebao.registry.rules import EmployerStatus, PersonStatus, Sex

_STRICT = ConfigDict(extra="forbid", str_max_length=200)


class RegionSummary(BaseModel):
    code: str
    name: str
    level: int
    current: bool


class RegionRead(RegionSummary):
    full_name: str
    parent: RegionSummary | None
    first_year: int | None
    last_year: int | None
    name_history: list[dict]
    children: list[RegionSummary]


class PersonCreate(BaseModel):
    model_config = _STRICT

    id_number: str = Field(description="18-character citizen ID number (15-digit legacy numbers are upgraded)")
    name: str
    hukou_region_code: str = Field(description="household registration region (county or street)")
    residence_region_code: str = Field(description="where the person lives and is served (county or street)")
    phone: str | None = None
    sex: Sex | None = Field(None, description="optional; refused if it contradicts the ID number")
    birth_date: date | None = Field(None, description="optional; refused if it contradicts the ID number")
    effective_from: date | None = None


class PersonChange(BaseModel):
    model_config = _STRICT

    effective_from: date
    reason: str = Field(min_length=2, max_length=200)
    name: str | None = None
    hukou_region_code: str | None = None
    residence_region_code: str | None = None
    phone: str | None = None
    status: PersonStatus | None = None
    death_date: date | None = None


class PersonSearch(BaseModel):
    model_config = _STRICT

    id_number: str


class PersonSummary(BaseModel):
    id: int
    id_number_masked: str
    name: str
    sex: Sex
    birth_date: date | None = Field(description="omitted in lists, where beside the masked number it would "
                                                "rebuild the whole ID number")
    residence_region_code: str
    status: PersonStatus


class PersonRead(PersonSummary):
    id_number: str
    address_code: str
    hukou_region_code: str
    hukou_region_name: str
    residence_region_name: str
    phone: str | None
    death_date: date | None
    version: int
    effective_from: date


class RegistrationWarningLevel(BaseModel):
    comparison: str
    level: str
    reason: str
    reason_en: str
    weight: float


class RegistrationWarning(BaseModel):
    """A likely existing record of the person just registered (one person, several numbers): the registration stands,
    the pair waits in the linkage review queue (or is linked, when the match is near certain)."""

    code: str
    reason: str
    reason_en: str
    candidate_id_number_masked: str
    probability: float
    link_candidate_id: int
    status: str  # review | linked
    levels: list[RegistrationWarningLevel]


class PersonRegistered(PersonRead):
    warnings: list[RegistrationWarning] = Field(default_factory=list)


class PersonVersionRead(BaseModel):
    version: int
    effective_from: date
    name: str
    hukou_region_code: str
    residence_region_code: str
    status: PersonStatus
    death_date: date | None
    reason: str
    recorded_by: str


class PersonPage(BaseModel):
    total: int
    items: list[PersonSummary]


class EmployerCreate(BaseModel):
    model_config = _STRICT

    uscc: str
    name: str
    region_code: str
    industry_code: str


class EmployerChange(BaseModel):
    model_config = _STRICT

    reason: str = Field(min_length=2, max_length=200)
    name: str | None = None
    industry_code: str | None = None
    status: EmployerStatus | None = None


class EmployerRead(BaseModel):
    id: int
    uscc: str
    name: str
    region_code: str
    region_name: str
    industry_code: str
    status: EmployerStatus


class EmployerPage(BaseModel):
    total: int
    items: list[EmployerRead]
