"""Request and response models of the comparison context: the linkage's review queue and its decisions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class LinkDecision(StrEnum):
    CONFIRM = "confirm"
    REJECT = "reject"


class LinkDecide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: LinkDecision
    reason: str = Field(min_length=4, max_length=200, description="what the clerk checked (documents, a visit, …)")


class LinkLevelRead(BaseModel):
    comparison: str
    level: str
    reason: str
    reason_en: str
    weight: float


class LinkRecordRead(BaseModel):
    """One side of a pair as stored: a person of ours, or a household-register row (no number: only its hash)."""

    kind: str  # person | ext_population
    id: int
    name: str
    sex: str
    birth_date: date | None = Field(description="omitted in lists, where beside the masked number it would rebuild the "
                                                "whole ID number; shown when one pair is read (an audited view)")
    hukou_region_code: str
    residence_region_code: str
    id_number_masked: str | None  # ours only


class LinkCandidateRead(BaseModel):
    candidate_id: int
    province: str
    status: str
    status_zh: str
    match_probability: float
    match_weight: float
    left: LinkRecordRead
    right: LinkRecordRead
    levels: list[LinkLevelRead]
    found_by: str
    found_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None


class LinkCandidatePage(BaseModel):
    total: int
    items: list[LinkCandidateRead]
