"""The screening over HTTP: `POST /api/v1/risk/screenings` screens a province (its own staff at province level, or
an administrator), `GET /api/v1/risk/screenings?province=` lists its screenings (services/permissions.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shebao.core.clock import china_today
from shebao.core.http import CipherDep, NowDep, PrincipalDep, SessionDep
from shebao.risk.schemas import ScreeningCreate

router = APIRouter(prefix="/api/v1/risk", tags=["risk"])
ProvinceQuery = Annotated[str, Query(pattern=r"^\d{6}$", description="a province code, e.g. 110000")]


@router.post("/screenings", status_code=201, summary="Screen a province after the fact through the risk rules, "
             "opening a case per new finding")
def create_screening(*, body: ScreeningCreate, session: SessionDep, who: PrincipalDep, now: NowDep,
                     cipher: CipherDep) -> dict:
    from shebao.risk.screening import screen_province

    return screen_province(session=session, province=body.province, as_of=body.as_of or china_today(now),
                           actor=who.actor, now=now, rules=body.rules, cipher=cipher)


@router.get("/screenings", summary="A province's screenings, the latest first, with counts and time per rule")
def list_screenings(*, province: ProvinceQuery, session: SessionDep,
                    limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict:
    from shebao.risk.screening import list_runs

    return {"screenings": list_runs(session=session, province=province, limit=limit)}
