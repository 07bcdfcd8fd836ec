"""Ledger HTTP API: the personal-account interest calculator, open to everyone like the pension calculator; the
national adjustment's yearly settlement (administrators) and its statement (staff: their own province's line)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from shebao.core.http import NowDep, PrincipalDep, SessionDep
from shebao.ledger import national_fund, service
from shebao.ledger.schemas import InterestCalculate, InterestCalculationRead, NationalFundStatementRead

router = APIRouter(prefix="/api/v1", tags=["ledger"])


@router.post("/interest/calc", response_model=InterestCalculationRead,
             summary="One personal account's year of interest, explained (the calculator behind `shebao interest calc`)")
def interest_calc(body: InterestCalculate):
    return service.interest_case(case=body)


Year = Annotated[int, Path(ge=1998, le=2100, description="the year settled (YYYY)")]


@router.post("/national-fund/{year}/settlement", response_model=NationalFundStatementRead,
             summary="Settle a year of the national adjustment between the provinces' pension pooling funds "
                     "(a year already settled: its statement, nothing posted twice)")
def settle_national_fund(year: Year, session: SessionDep, who: PrincipalDep, now: NowDep):
    return national_fund.settle(session=session, principal=who, year=year, now=now)


@router.get("/national-fund/{year}/statement", response_model=NationalFundStatementRead,
            summary="A settled year's national adjustment: the rule, the totals, the national account's check, and the "
                    "provinces' lines you may see")
def national_fund_statement(year: Year, session: SessionDep, who: PrincipalDep,
                            province: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None):
    return national_fund.statement(session=session, principal=who, year=year, province=province)
