"""Policy HTTP API: every parameter in force for a region on a day, with its source."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from shebao.policy.store import default_store

router = APIRouter(prefix="/api/v1/policy", tags=["policy"])


@router.get("/{region_code}/{day}", summary="Parameters in force for a region on a day")
def parameters_in_force(region_code: str, day: date) -> dict:
    snapshot = default_store().at(region_code, day)
    return {"region_code": region_code, "date": day.isoformat(), "parameters": [p.as_dict() for p in snapshot.all()]}
