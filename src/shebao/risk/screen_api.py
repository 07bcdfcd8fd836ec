"""The screening over HTTP: `POST /api/v1/risk/screenings` screens a province (its own staff at province level, or
an administrator), `GET /api/v1/risk/screenings?province=` lists its screenings (services/permissions.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from shebao.core.clock import china_today
from shebao.core.http import NowDep, PrincipalDep, SessionDep

router = APIRouter(prefix="/api/v1/risk", tags=["risk"])
ProvinceQuery = Annotated[str, Query(pattern=r"^\d{6}$", description="a province code, e.g. 110000")]


class ScreeningCreate(BaseModel):
    province: str = Field(pattern=r"^\d{6}$", description="the province screened, e.g. 110000")
    as_of: date | None = Field(default=None, description="screen as of this day (default: today in China)")
    rules: list[Annotated[str, Field(max_length=60)]] | None = Field(
        default=None, max_length=40, description="rule ids to screen (default: every rule screened after the fact)")


@router.post("/screenings", status_code=201, summary="Screen a province after the fact through the risk rules, "
             "opening a case per new finding")
def create_screening(body: ScreeningCreate, session: SessionDep, who: PrincipalDep, now: NowDep) -> dict:
    from shebao.risk.screening import screen_province

    return screen_province(session=session, province=body.province, as_of=body.as_of or china_today(now),
                           actor=who.actor, now=now, rules=body.rules)


@router.get("/screenings", summary="A province's screenings, the latest first, with counts and time per rule")
def list_screenings(province: ProvinceQuery, session: SessionDep,
                    limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict:
    from shebao.risk.screening import list_runs

    return {"screenings": list_runs(session=session, province=province, limit=limit)}
