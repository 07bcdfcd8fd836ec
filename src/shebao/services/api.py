"""HTTP API of the cross-context services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response

from shebao.benefits import survivors
from shebao.benefits.schemas import DeathReport, SurvivorBenefitRead
from shebao.core.clock import china_today
from shebao.core.errors import InvalidInput
from shebao.core.http import CipherDep, NowDep, PrincipalDep, RuntimeDep, SessionDep
from shebao.core.ids import EmployerIdPath, RecordIdPath
from shebao.core.pdf import find_font
from shebao.enrollment.schemas import (
    EmployeeHire,
    EmployeeLeave,
    ParticipationCreate,
    ParticipationMoveRequest,
    ParticipationRead,
)
from shebao.payouts.schemas import AccountFix, BankReturnImportRead
from shebao.registry.rules import masked_name
from shebao.services import archive, bank_returns, deaths, employment
from shebao.services.schemas import (
    AccountFixRead,
    DeathRead,
    DeathReviewDecide,
    DeathReviewDecisionRead,
    DeathReviewRead,
    PersonArchiveRead,
    PersonRecordRead,
    StatementVerifyRead,
)
from shebao.services.statement_pdf import statement_pdf

router = APIRouter(prefix="/api/v1", tags=["archive"])


@router.get("/persons/{person_id}/record", response_model=PersonRecordRead,
            summary="The electronic archive: contributions, months counted and interrupted, account statement")
def person_record(person_id: RecordIdPath, session: SessionDep, who: PrincipalDep, now: NowDep):
    return archive.person_record(session=session, principal=who, person_id=person_id, now=now)


@router.get("/persons/{person_id}/archive", response_model=PersonArchiveRead,
            summary="The electronic archive nationwide: every province's months, bases, employers and insurances, the "
                    "personal account, transfers, temporary accounts, benefits and the months that look omitted")
def person_archive(person_id: RecordIdPath, session: SessionDep, who: PrincipalDep, now: NowDep, rt: RuntimeDep):
    return archive.person_archive(session=session, principal=who, person_id=person_id, now=now,
                                  secret=rt.settings.secret_key)


@router.get("/persons/{person_id}/archive.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "the statement of rights (PDF)"}},
            summary="The statement of rights (个人权益记录单) as a PDF, with the platform's seal and a verification code")
def person_archive_pdf(person_id: RecordIdPath, session: SessionDep, who: PrincipalDep, now: NowDep, rt: RuntimeDep):
    font = find_font(rt.settings.letter_font)  # refused plainly (503) before anything is read when there is none
    read = archive.person_archive(session=session, principal=who, person_id=person_id, now=now,
                                  secret=rt.settings.secret_key)
    pdf = statement_pdf(read, holder=masked_name(read.name), issued=china_today(now), font=font)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="statement-{person_id}.pdf"', "Cache-Control": "no-store"})


@router.get("/statements/verify", response_model=StatementVerifyRead,
            summary="Is a printed statement of rights genuine, and do its figures equal the ledger's now? (public: "
                    "answers only the masked name, the issue date and the totals)")
def verify_statement(code: Annotated[str, Query(min_length=1, max_length=64, description="the code printed on it")],
                     session: SessionDep, rt: RuntimeDep):
    return archive.verify_statement(session=session, secret=rt.settings.secret_key, code=code)


@router.post("/deaths", response_model=DeathRead, status_code=201, tags=["life events"],
             summary="A death: every context reacts (pension, cards, participations, logins, survivor benefits)")
def record_death(body: DeathReport, session: SessionDep, who: PrincipalDep, now: NowDep):
    return deaths.record_death(session=session, principal=who, command=body, now=now)


@router.get("/death-reviews", response_model=list[DeathReviewRead], tags=["life events"],
            summary="Death reports held for review (proved alive after the date)")
def death_reviews(session: SessionDep, who: PrincipalDep, limit: Annotated[int, Query(ge=1, le=500)] = 100):
    return deaths.pending_reviews(session=session, principal=who, limit=limit)


@router.post("/death-reviews/{review_id}/decision", response_model=DeathReviewDecisionRead, tags=["life events"],
             summary="A second clerk confirms (every context reacts) or rejects a held death report")
def decide_death_review(review_id: RecordIdPath, body: DeathReviewDecide, session: SessionDep, who: PrincipalDep,
                        now: NowDep):
    return deaths.decide_review(session=session, principal=who, review_id=review_id, command=body, now=now)


@router.get("/persons/{person_id}/survivor-benefits", response_model=list[SurvivorBenefitRead], tags=["life events"],
            summary="What the family of a deceased person may claim, explained")
def survivor_benefits(person_id: RecordIdPath, session: SessionDep, who: PrincipalDep):
    return survivors.survivor_benefits_of(session=session, principal=who, person_id=person_id)


@router.post("/employers/{employer_id}/employees", response_model=list[ParticipationRead], status_code=201,
             tags=["life events"], summary="Hire: the employee's five insurances start, unemployment benefit stops (增员)")
def hire(employer_id: EmployerIdPath, body: EmployeeHire, session: SessionDep, cipher: CipherDep, who: PrincipalDep,
         now: NowDep):
    return employment.hire(session=session, cipher=cipher, principal=who, employer_id=employer_id, command=body, now=now)


@router.post("/employers/{employer_id}/employees/{person_id}/leave", response_model=list[ParticipationRead],
             tags=["life events"], summary="Leave: every participation through the employer ends (减员); billed months after it are corrected")
def leave(employer_id: EmployerIdPath, person_id: RecordIdPath, body: EmployeeLeave, session: SessionDep,
          who: PrincipalDep, now: NowDep):
    return employment.leave(session=session, principal=who, employer_id=employer_id, person_id=person_id, command=body,
                            now=now)


@router.post("/persons/{person_id}/participations", response_model=list[ParticipationRead], status_code=201,
             tags=["life events"], summary="Enroll as a flexible worker or a resident")
def enroll(person_id: RecordIdPath, body: ParticipationCreate, session: SessionDep, who: PrincipalDep, now: NowDep):
    return employment.enroll(session=session, principal=who, person_id=person_id, command=body, now=now)


@router.post("/participations/{participation_id}/suspend", response_model=ParticipationRead, tags=["life events"],
             summary="Suspend")
def suspend(participation_id: RecordIdPath, body: ParticipationMoveRequest, session: SessionDep, who: PrincipalDep,
            now: NowDep):
    return employment.suspend(session=session, principal=who, participation_id=participation_id, command=body, now=now)


@router.post("/participations/{participation_id}/resume", response_model=ParticipationRead, tags=["life events"],
             summary="Resume")
def resume(participation_id: RecordIdPath, body: ParticipationMoveRequest, session: SessionDep, who: PrincipalDep,
           now: NowDep):
    return employment.resume(session=session, principal=who, participation_id=participation_id, command=body, now=now)


@router.post("/participations/{participation_id}/end", response_model=ParticipationRead, tags=["life events"],
             summary="End")
def end_participation(participation_id: RecordIdPath, body: ParticipationMoveRequest, session: SessionDep,
                      who: PrincipalDep, now: NowDep):
    return employment.end(session=session, principal=who, participation_id=participation_id, command=body, now=now)


@router.post("/bank-returns", response_model=BankReturnImportRead, status_code=201, tags=["payouts"],
             summary="The bank's return file (CSV: reference,reason_code,amount_fen): all rows or none; the same file "
                     "twice changes nothing")
def import_bank_returns(province: Annotated[str, Query(pattern=r"^\d{2}0000$")],
                        file_name: Annotated[str, Query(min_length=1, max_length=200)],
                        body: Annotated[bytes, Body(media_type="text/csv")], session: SessionDep, who: PrincipalDep,
                        now: NowDep):
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("payout.return_encoding", "退票文件须为 UTF-8 编码", "the return file is not UTF-8") from None
    return bank_returns.import_bank_returns(session=session, principal=who, province=province, file_name=file_name,
                                            csv_text=text, now=now)


@router.post("/bank-returns/{line_id}/account-fixed", response_model=AccountFixRead, tags=["payouts"],
             summary="A returned payment's account is fixed: a payroll month or a refund is paid again at once")
def fix_returned_account(line_id: RecordIdPath, body: AccountFix, session: SessionDep, cipher: CipherDep,
                         who: PrincipalDep, now: NowDep):
    return bank_returns.fix_returned_account(session=session, cipher=cipher, principal=who, line_id=line_id,
                                             command=body, now=now)
