"""Contributions HTTP API: base declarations, bills, payments, batch runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from shebao.contributions import corrections, makeup, refunds, service
from shebao.contributions.schemas import (
    MAX_ID,
    BaseCorrect,
    BaseDeclarationRead,
    BaseDeclarationVersionRead,
    BaseDeclare,
    BillRead,
    CorrectionRead,
    CorrectionRequest,
    CorrectionReverse,
    MakeupBillRead,
    MakeupRequest,
    PayerCreditRead,
    PaymentCreate,
    RefundDecide,
    RefundRead,
    RefundRequest,
)
from shebao.core.http import CipherDep, NowDep, PrincipalDep, SessionDep
from shebao.core.runs import BatchRunRead

router = APIRouter(prefix="/api/v1", tags=["contributions"])


@router.post("/bases", response_model=BaseDeclarationRead, status_code=201, summary="Declare a contribution base (缴费基数申报)")
def declare_base(body: BaseDeclare, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.declare_base(session=session, principal=who, command=body, now=now)


@router.post("/bases/{declaration_id}/corrections", response_model=BaseDeclarationRead, status_code=201,
             summary="Correct a declared base (缴费基数更正): a new version, the old one kept; billed months are corrected")
def correct_base(declaration_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: BaseCorrect, session: SessionDep,
                 who: PrincipalDep, now: NowDep):
    return service.correct_base(session=session, principal=who, declaration_id=declaration_id, command=body, now=now)


@router.get("/bases", response_model=list[BaseDeclarationVersionRead],
            summary="A person's declared bases, every version, as far as the caller may see them")
def base_history(session: SessionDep, who: PrincipalDep, person_id: Annotated[int, Query(ge=1, le=MAX_ID)]):
    return service.base_history(session=session, principal=who, person_id=person_id)


@router.get("/bills", response_model=list[BillRead], summary="A payer's bills with what is still unpaid")
def bills(session: SessionDep, who: PrincipalDep, payer_kind: Annotated[str, Query(pattern="^(employer|flexible)$")],
          payer_id: Annotated[int, Query(ge=1, le=MAX_ID)], limit: Annotated[int, Query(ge=1, le=240)] = 60):
    return service.bills_of(session=session, principal=who, payer_kind=payer_kind, payer_id=payer_id, limit=limit)


@router.post("/payments", status_code=201, summary="Record a payment (allocated oldest debt first, with late fees)")
def record_payment(body: PaymentCreate, session: SessionDep, who: PrincipalDep, now: NowDep) -> dict:
    return service.take_payment(session=session, principal=who, command=body, now=now)


@router.post("/persons/{person_id}/makeup", response_model=list[MakeupBillRead], status_code=201,
             summary="Bill past months that were never assessed (补缴)")
def request_makeup(person_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: MakeupRequest, session: SessionDep, who: PrincipalDep, now: NowDep):
    return makeup.request_makeup(session=session, principal=who, person_id=person_id, command=body, now=now)


@router.get("/batch-runs", response_model=list[BatchRunRead], summary="Month-end, collection and interest runs")
def batch_runs(session: SessionDep, who: PrincipalDep, province: Annotated[str | None, Query(max_length=6)] = None,
               kind: Annotated[str | None, Query(max_length=20)] = None, limit: Annotated[int, Query(ge=1, le=200)] = 50):
    return service.batch_runs(session=session, principal=who, province=province, kind=kind, limit=limit)


@router.post("/corrections", response_model=list[CorrectionRead], status_code=201,
             summary="Recompute billed months after the facts were fixed (追溯更正): only the differences are posted")
def request_correction(body: CorrectionRequest, session: SessionDep, who: PrincipalDep, now: NowDep):
    return corrections.request_correction(session=session, principal=who, command=body, now=now)


@router.get("/corrections", response_model=list[CorrectionRead], summary="The corrections of a person's months")
def corrections_of(session: SessionDep, who: PrincipalDep, person_id: Annotated[int, Query(ge=1, le=MAX_ID)]):
    return corrections.corrections_of(session=session, principal=who, person_id=person_id)


@router.post("/corrections/{correction_id}/reversal", response_model=CorrectionRead, status_code=201,
             summary="Undo a correction made in error (the latest of its months only)")
def reverse_correction(correction_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: CorrectionReverse,
                       session: SessionDep, who: PrincipalDep, now: NowDep):
    return corrections.reverse_correction(session=session, principal=who, correction_id=correction_id, command=body,
                                          now=now)


@router.post("/refunds", response_model=RefundRead, status_code=201,
             summary="Ask for what was paid and is not owed (退费): to a bank account, or offset against the bills")
def request_refund(body: RefundRequest, session: SessionDep, cipher: CipherDep, who: PrincipalDep, now: NowDep):
    return refunds.request_refund(session=session, cipher=cipher, principal=who, command=body, now=now)


@router.get("/refunds", response_model=PayerCreditRead, summary="A payer's credit and its refunds")
def payer_credit(session: SessionDep, cipher: CipherDep, who: PrincipalDep,
                 payer_kind: Annotated[str, Query(pattern="^(employer|flexible)$")],
                 payer_id: Annotated[int, Query(ge=1, le=MAX_ID)]):
    return refunds.payer_credit(session=session, cipher=cipher, principal=who, payer_kind=payer_kind, payer_id=payer_id)


@router.post("/refunds/{refund_id}/decision", response_model=RefundRead,
             summary="A clerk other than the one who asked approves or rejects a refund")
def decide_refund(refund_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: RefundDecide, session: SessionDep,
                  cipher: CipherDep, who: PrincipalDep, now: NowDep):
    return refunds.decide_refund(session=session, cipher=cipher, principal=who, refund_id=refund_id, command=body,
                                 now=now)
