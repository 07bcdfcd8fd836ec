"""Comparison HTTP API: run the lists for a province, read a list for a region, work its cases, see the progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shebao.comparison import cases
from shebao.comparison.schemas import CaseOutcomeRecord, CompareRunCreate
from shebao.core.http import NowDep, PrincipalDep, RuntimeDep, SessionDep
from shebao.core.ids import RecordIdPath

router = APIRouter(prefix="/api/v1/comparison", tags=["comparison"])
RegionQuery = Annotated[str, Query(pattern=r"^\d{6}(\d{3})?$", description="a province, city, county or street code")]


@router.post("/runs", status_code=201, summary="Compute every list for a province and open or close the cases")
def run(body: CompareRunCreate, rt: RuntimeDep, who: PrincipalDep, now: NowDep) -> dict:
    from shebao.comparison.runs import compare
    from shebao.policy.store import default_store

    return compare(database=rt.database, store=default_store(), principal=who, province=body.province,
                   as_of=body.as_of, engine_name=body.engine or rt.settings.comparison_engine, now=now)


@router.get("/lists/{kind}", summary="One list's rows within a region, from its province's latest comparison")
def list_rows(kind: str, region: RegionQuery, session: SessionDep, who: PrincipalDep,
              limit: Annotated[int, Query(ge=1, le=cases.MAX_ROWS)] = 1000) -> dict:
    return cases.list_rows(session=session, principal=who, kind=kind, region=region, limit=limit)


@router.get("/cases", summary="The cases of a region, the open ones first")
def list_cases(region: RegionQuery, session: SessionDep, who: PrincipalDep,
               list_kind: Annotated[str | None, Query(alias="list", max_length=30)] = None,
               status: Annotated[str | None, Query(max_length=10)] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> dict:
    return {"cases": cases.list_cases(session=session, principal=who, region=region, kind=list_kind, status=status,
                                      limit=limit)}


@router.get("/cases/{case_id}", summary="One case with its history")
def show_case(case_id: RecordIdPath, session: SessionDep, who: PrincipalDep) -> dict:
    return cases.show_case(session=session, principal=who, case_id=case_id)


@router.post("/cases/{case_id}/outcome", summary="Record what was found; a final outcome closes the case")
def work_case(case_id: RecordIdPath, body: CaseOutcomeRecord, session: SessionDep, who: PrincipalDep,
              now: NowDep) -> dict:
    return cases.work_case(session=session, principal=who, case_id=case_id, outcome=body.outcome, note=body.note,
                           now=now)


@router.get("/progress", summary="How far a region's cases are worked, by region one level down")
def progress(region: RegionQuery, session: SessionDep, who: PrincipalDep,
             level: Annotated[str, Query(pattern="^(province|city|county|street)$")] = "street") -> dict:
    return cases.progress(session=session, principal=who, region=region, level=level)
