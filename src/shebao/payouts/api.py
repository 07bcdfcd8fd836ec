"""Payouts HTTP API: a province's bank batches, their maker-checker release and bank file, the returned lines,
and the reconciliation of a bank's month. (The return file itself and an account fixed are use cases other
contexts react to: `services/api.py`.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from shebao.core.http import CipherDep, NowDep, PrincipalDep, SessionDep
from shebao.core.ids import RecordIdPath
from shebao.payouts import service
from shebao.payouts.schemas import PayoutBatchRead, ReconciliationRead, ReturnedLineRead

router = APIRouter(prefix="/api/v1", tags=["payouts"])
Province = Annotated[str, Query(pattern=r"^\d{2}0000$")]
Month = Annotated[str, Query(pattern=r"^\d{6}$")]


@router.get("/bank-batches", response_model=list[PayoutBatchRead],
            summary="A province's payment batches to the banks (a bank: its own released batches)")
def batches(province: Province, session: SessionDep, who: PrincipalDep, period: Month | None = None,
            status: Annotated[str | None, Query(max_length=10)] = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 200):
    return service.batches(session=session, principal=who, province=province, period=period, status=status, limit=limit)


@router.get("/bank-batches/{batch_id}", response_model=PayoutBatchRead, summary="One payment batch: lines, total, maker, checker")
def batch(batch_id: RecordIdPath, session: SessionDep, who: PrincipalDep):
    return service.batch_of(session=session, principal=who, batch_id=batch_id)


@router.post("/bank-batches/{batch_id}/prepare", response_model=PayoutBatchRead,
             summary="The maker closes a batch for approval (no line is added to it any more)")
def prepare(batch_id: RecordIdPath, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.prepare_batch(session=session, principal=who, batch_id=batch_id, now=now)


@router.post("/bank-batches/{batch_id}/approve", response_model=PayoutBatchRead,
             summary="A second person approves a prepared batch: it is released to the bank and leaves cash")
def approve(batch_id: RecordIdPath, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.approve_batch(session=session, principal=who, batch_id=batch_id, now=now)


@router.get("/bank-batches/{batch_id}/file", response_class=PlainTextResponse,
            summary="A released batch's payment instructions for its bank (CSV: reference, account, name, amount, card, memo)")
def bank_file(batch_id: RecordIdPath, session: SessionDep, cipher: CipherDep, who: PrincipalDep, now: NowDep) -> str:
    return service.bank_file(session=session, cipher=cipher, principal=who, batch_id=batch_id, now=now)


@router.get("/bank-returns", response_model=list[ReturnedLineRead],
            summary="Payments the bank returned, within your region (default: those still to be paid again)")
def returned_lines(session: SessionDep, who: PrincipalDep, province: Annotated[str | None, Query(pattern=r"^\d{2}0000$")] = None,
                   status: Annotated[str | None, Query(max_length=10)] = None,
                   source: Annotated[str | None, Query(max_length=10)] = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 200, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0):
    return service.returned_lines(session=session, principal=who, province=province, status=status, source=source,
                                  limit=limit, offset=offset)


@router.get("/bank-reconciliation/{period}", response_model=ReconciliationRead,
            summary="Each bank's month: sent, paid, returned, awaiting release — against the ledger's movements")
def reconcile(period: str, province: Province, session: SessionDep, who: PrincipalDep,
              bank_code: Annotated[str | None, Query(max_length=12)] = None):
    return service.reconcile(session=session, principal=who, province=province, period=period, bank_code=bank_code)
