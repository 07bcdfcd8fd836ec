"""Ledger HTTP API: the personal-account interest calculator, open to everyone like the pension calculator."""

from __future__ import annotations

from fastapi import APIRouter

from shebao.ledger import service
from shebao.ledger.schemas import InterestCalculate, InterestCalculationRead

router = APIRouter(prefix="/api/v1", tags=["ledger"])


@router.post("/interest/calc", response_model=InterestCalculationRead,
             summary="One personal account's year of interest, explained (the calculator behind `shebao interest calc`)")
def interest_calc(body: InterestCalculate):
    return service.interest_case(case=body)
