"""Transfers HTTP API: the calculators, the plan, the application, the steps, the lists, gathering, conversion."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from shebao.core.http import CipherDep, NowDep, PrincipalDep, SessionDep
from shebao.core.ids import RecordIdPath
from shebao.transfers import service
from shebao.transfers.schemas import (
    BenefitPlaceCase,
    ConversionRequest,
    GatherRequest,
    TransferAmountCase,
    TransferApply,
    TransferStepTake,
)

router = APIRouter(prefix="/api/v1", tags=["transfers"])


@router.post("/transfers/amount", summary="What the old province sends: the personal account and 12% of the bases")
def transfer_amount(body: TransferAmountCase) -> dict:
    return service.amount_case(case=body)


@router.post("/benefit-place", summary="Which province pays the pension, by the four rules")
def benefit_place(body: BenefitPlaceCase) -> dict:
    return service.benefit_place_case(case=body)


@router.get("/persons/{person_id}/transfer-plan", summary="What a transfer would move, before anything moves")
def transfer_plan(person_id: RecordIdPath, to_region: Annotated[str, Query(pattern=r"^\d{6}(\d{3})?$")],
                  session: SessionDep, who: PrincipalDep, on: date | None = None, now: NowDep = None) -> dict:
    from shebao.core.clock import china_today

    return service.plan(session=session, principal=who, person_id=person_id, to_region=to_region,
                        on=on or china_today(now))


@router.post("/transfers", status_code=201, summary="Apply for a transfer in the new province")
def apply(body: TransferApply, session: SessionDep, who: PrincipalDep, cipher: CipherDep, now: NowDep) -> dict:
    return service.apply(session=session, principal=who, cipher=cipher, command=body, now=now)


@router.get("/transfers", summary="Transfers touching the caller's region (either side); overdue ones on request")
def list_transfers(session: SessionDep, who: PrincipalDep, now: NowDep,
                   province: Annotated[str | None, Query(pattern=r"^\d{2}0000$")] = None,
                   overdue: bool = False, open_only: bool = False) -> dict:
    return {"transfers": service.list_transfers(session=session, principal=who, now=now, province=province,
                                                overdue=overdue, open_only=open_only)}


@router.get("/transfers/{transfer_id}", summary="One transfer: steps, deadlines, items, notices")
def status(transfer_id: RecordIdPath, session: SessionDep, who: PrincipalDep) -> dict:
    return service.status(session=session, principal=who, transfer_id=transfer_id)


@router.post("/transfers/{transfer_id}/steps", summary="Take the next step (by the province whose step it is)")
def take_step(transfer_id: RecordIdPath, body: TransferStepTake, session: SessionDep, who: PrincipalDep,
              now: NowDep) -> dict:
    return service.take_step(session=session, principal=who, transfer_id=transfer_id, command=body, now=now)


@router.post("/transfers/gather", summary="Gather temporary accounts to the place of benefit before the award")
def gather(body: GatherRequest, session: SessionDep, who: PrincipalDep, now: NowDep) -> dict:
    return service.gather(session=session, principal=who, command=body, now=now)


@router.post("/transfers/conversions", status_code=201, summary="Employee ↔ residents' pension")
def convert(body: ConversionRequest, session: SessionDep, who: PrincipalDep, now: NowDep) -> dict:
    return service.convert(session=session, principal=who, command=body, now=now)
