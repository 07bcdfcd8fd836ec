"""Cockpit HTTP API: a region's figures and its children's, for drill-down (risk/cockpit.py). Who may read: staff of
the region or above, administrators, auditors (services/permissions.py); the projection's chart is linked, not
repeated (GET /api/v1/fund/projection.svg)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from shebao.core.http import PrincipalDep, SessionDep

router = APIRouter(prefix="/api/v1/cockpit", tags=["risk"])


@router.get("/figures", summary="A region's cockpit figures and its children's, from the latest refresh (驾驶舱指标)")
def cockpit_figures(
        *, region: Annotated[str, Query(pattern=r"^\d{6}(\d{3})?$", description="000000 the country, a province, city, "
                                                                             "county or street")],
        session: SessionDep, who: PrincipalDep,
        level: Annotated[str | None, Query(pattern="^(province|city|county|street)$",
                                           description="drill down to this level (default: one level down)")] = None,
        as_of: Annotated[date | None, Query(description="the latest refresh by this day (default: the latest)")] = None,
) -> dict:
    from shebao.risk.cockpit import figures

    return figures(session=session, principal=who, region=region, level=level, as_of=as_of)
