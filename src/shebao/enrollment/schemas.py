"""Request and response models of enrollment."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from shebao.enrollment.rules import Mode, Scheme, Status

_STRICT = ConfigDict(extra="forbid")


class EmployeeHire(BaseModel):
    model_config = _STRICT

    id_number: str = Field(description="the employee's citizen ID number (registered already)")
    start_date: date
    schemes: list[Scheme] | None = Field(default=None, max_length=5, description=(
        "the insurances to join, one of the sets the rules allow for the mode (employer: all five, or work_injury "
        "alone; flexible: employee_pension and medical, or either alone); omitted: the mode's usual set"))


class EmployeeLeave(BaseModel):
    model_config = _STRICT

    end_date: date = Field(description="the last day employed")
    reason: str = Field(min_length=2, max_length=200)


class ParticipationCreate(BaseModel):
    model_config = _STRICT

    mode: Mode = Field(description="flexible or resident (employees are hired by their employer)")
    region_code: str = Field(description="where the person works (flexible) or lives (resident): county or street")
    start_date: date
    schemes: list[Scheme] | None = Field(default=None, max_length=5, description=(
        "the insurances to join, one of the sets the rules allow for the mode (employer: all five, or work_injury "
        "alone; flexible: employee_pension and medical, or either alone); omitted: the mode's usual set"))


class ParticipationMoveRequest(BaseModel):
    model_config = _STRICT

    on: date
    reason: str = Field(min_length=2, max_length=200)


class EventRead(BaseModel):
    event: str
    on: date
    reason: str
    actor: str


class ParticipationRead(BaseModel):
    id: int
    person_id: int
    scheme: Scheme
    mode: Mode
    employer_id: int | None
    region_code: str
    start_date: date
    end_date: date | None
    status: Status
    events: list[EventRead] = []
