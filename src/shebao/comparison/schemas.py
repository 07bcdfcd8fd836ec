"""Request bodies of the comparison's API."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class CompareRunCreate(BaseModel):
    province: str = Field(pattern=r"^\d{2}0000$", description="the province compared, such as 110000")
    as_of: date | None = Field(None, description="the day the lists describe (default: today)")
    engine: str | None = Field(None, pattern="^(duckdb|spark)$", description="default: the platform's setting")


class CaseOutcomeRecord(BaseModel):
    outcome: str = Field(min_length=1, max_length=16, description="one of the case's allowed_outcomes")
    note: str = Field(min_length=1, max_length=500, description="what was found")
