"""Policy HTTP API: every parameter in force for a region on a day, with its source and validity; the values in
force on a day past the last day they are known for; and those not checked against their source for a year."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from shebao.policy.store import default_store

router = APIRouter(prefix="/api/v1/policy", tags=["policy"])


@router.get("/{region_code}/{day}", summary="Parameters in force for a region on a day")
def parameters_in_force(region_code: str, day: date) -> dict:
    """Each value with its source, `valid_until` (the last day it is known for, or null: until replaced),
    `past_validity` (refuse or provisional), and whether on this day it is `expired` and served `provisional`."""
    snapshot = default_store().at(region_code, day)
    return {"region_code": region_code, "date": day.isoformat(), "parameters": [p.as_dict() for p in snapshot.all()]}


@router.get("/{region_code}/{day}/expired", summary="Parameters in force on a day past their validity")
def parameters_expired(region_code: str, day: date) -> dict:
    """The values in force for a region on a day after the last day they are known for: those refused when read
    (`past_validity: refuse`) and those served provisionally (`provisional: true`)."""
    snapshot = default_store().at(region_code, day)
    return {"region_code": region_code, "date": day.isoformat(), "expired": [p.as_dict() for p in snapshot.expired()]}


@router.get("/{region_code}/{day}/stale", summary="Parameters in force on a day not checked against their source for a year")
def parameters_stale(region_code: str, day: date) -> dict:
    """The values in force for a region on a day whose source was last checked more than a year before it, or never
    recorded as checked (`checked: null`): to be checked before they are trusted further."""
    snapshot = default_store().at(region_code, day)
    return {"region_code": region_code, "date": day.isoformat(), "stale": [p.as_dict() for p in snapshot.stale()]}
