"""Risk HTTP API: the fund projection of a province's pension pool, as JSON and as an SVG chart (the cockpit embeds
the chart). Who may read it: staff of the province or above, administrators, auditors (services/permissions.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from shebao.core.clock import china_today
from shebao.core.http import NowDep, SessionDep
from shebao.risk.schemas import ProjectionQuery

router = APIRouter(prefix="/api/v1/fund", tags=["risk"])
ProjectionParams = Annotated[ProjectionQuery, Query()]


def _projection(query: ProjectionQuery, session, now) -> dict[str, Any]:  # noqa: ANN001 - a Session, a datetime
    from shebao.policy.store import default_store
    from shebao.risk.projection import project_fund

    return project_fund(session=session, store=default_store(), province=query.province,
                        today=china_today(now), as_of=query.as_of, years=query.years, overrides=query.overrides())


@router.get("/projection", summary="A province's pension pool projected year by year, with and without the 2025 "
            "retirement-age reform (养老保险统筹基金预测)")
def projection(query: ProjectionParams, session: SessionDep, now: NowDep) -> dict:
    return _projection(query, session, now)


@router.get("/projection.svg", summary="The projection as an SVG line chart: income, spending, balance, the run-out "
            "year marked, with and without the reform", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}})
def projection_chart(query: ProjectionParams, session: SessionDep, now: NowDep) -> Response:
    from shebao.risk.projection_chart import projection_svg

    return Response(projection_svg(_projection(query, session, now)), media_type="image/svg+xml")
