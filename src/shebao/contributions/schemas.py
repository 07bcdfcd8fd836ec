"""Request and response models of contributions."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shebao.contributions.rules import Category


class AssessCase(BaseModel):
    """One month for one person, as the calculator takes it."""

    model_config = ConfigDict(extra="forbid")

    region: str = Field(description="6-digit province/city/county code (or 9-digit street)")
    period: str = Field(description="contribution month, YYYYMM")
    category: Category
    declared_base_fen: StrictInt
    work_injury_class: StrictInt = Field(1, description="industry risk class 1-8 (employees only)")
