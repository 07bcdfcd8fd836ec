"""Risk cases and recoveries over HTTP: list a region's cases, show one, assign it, add notes and evidence (multipart),
conclude it; record repayments and write-offs of a recovery. Staff of the case's region (as stored), administrators;
auditors read only (services/permissions.py). Each write is one transaction, audited by the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from shebao.core.http import NowDep, PrincipalDep, SessionDep, download
from shebao.core.ids import RecordIdPath
from shebao.risk import case_rules, cases, recovery
from shebao.risk.schemas import CaseAssign, CaseConclusion, CaseNote, Repayment, WriteOff

router = APIRouter(prefix="/api/v1/risk", tags=["risk"])
RegionQuery = Annotated[str, Query(pattern=r"^\d{6}(\d{3})?$", description="a province, city, county or street code")]
MAX_UPLOAD_READ = 104_857_600  # the largest risk.cases.evidence_max_bytes allows; the service applies the limit in force


@router.get("/cases", summary="The risk cases of a region, those being worked first")
def list_cases(*, region: RegionQuery, session: SessionDep, who: PrincipalDep,
               status: Annotated[str | None, Query(max_length=14)] = None,
               rule: Annotated[str | None, Query(max_length=48)] = None,
               severity: Annotated[str | None, Query(max_length=10)] = None,
               limit: Annotated[int, Query(ge=1, le=cases.MAX_CASES)] = 500) -> dict:
    return {"cases": cases.list_cases(session=session, principal=who, region=region, status=status, rule=rule,
                                      severity=severity, limit=limit)}


@router.get("/cases/{case_id}", summary="One risk case with its history, evidence and recovery")
def show_case(*, case_id: RecordIdPath, session: SessionDep, who: PrincipalDep, now: NowDep) -> dict:
    return cases.show_case(session=session, principal=who, case_id=case_id, now=now)


@router.post("/cases/{case_id}/assign", summary="Give a case to a clerk of its region")
def assign_case(*, case_id: RecordIdPath, body: CaseAssign, session: SessionDep, who: PrincipalDep, now: NowDep) -> dict:
    return cases.assign_case(session=session, principal=who, case_id=case_id, to=body.to, now=now)


@router.post("/cases/{case_id}/notes", summary="Record what was found on a case")
def add_note(*, case_id: RecordIdPath, body: CaseNote, session: SessionDep, who: PrincipalDep, now: NowDep) -> dict:
    return cases.add_note(session=session, principal=who, case_id=case_id, note=body.note, now=now)


@router.post("/cases/{case_id}/evidence", summary="File evidence on an assigned case (multipart: file, note)")
def add_evidence(*, case_id: RecordIdPath, file: Annotated[UploadFile, File()], session: SessionDep, who: PrincipalDep,
                 now: NowDep, note: Annotated[str | None, Form(max_length=case_rules.MAX_REASON_CHARS)] = None) -> dict:
    content = file.file.read(MAX_UPLOAD_READ + 1)
    return cases.add_evidence(session=session, principal=who, case_id=case_id, file_name=file.filename,
                              content=content, note=note, now=now)


@router.get("/cases/{case_id}/evidence/{evidence_id}", summary="Download a file filed on a case (audited)",
            response_class=Response)
def evidence_file(*, case_id: RecordIdPath, evidence_id: RecordIdPath, session: SessionDep, who: PrincipalDep,
                  now: NowDep) -> Response:
    found = cases.evidence_file(session=session, principal=who, case_id=case_id, evidence_id=evidence_id, now=now)
    return download(found.content, found.content_type, found.file_name)


@router.post("/cases/{case_id}/conclusion", summary="Conclude a case: confirmed with the overpaid amount, or cleared "
             "with the reason")
def conclude_case(*, case_id: RecordIdPath, body: CaseConclusion, session: SessionDep, who: PrincipalDep,
                  now: NowDep) -> dict:
    return cases.conclude_case(session=session, principal=who, case_id=case_id, confirmed=body.outcome == "confirmed",
                               overpaid_fen=body.overpaid_fen, reason=body.reason, now=now)


@router.post("/recoveries/{recovery_id}/repayments", summary="Record a repayment received towards a recovery")
def repay(*, recovery_id: RecordIdPath, body: Repayment, session: SessionDep, who: PrincipalDep, now: NowDep) -> dict:
    return recovery.repay(session=session, principal=who, recovery_id=recovery_id, amount_fen=body.amount_fen,
                          reference=body.reference, now=now)


@router.post("/recoveries/{recovery_id}/write-offs", summary="Write off what will not be recovered")
def write_off(*, recovery_id: RecordIdPath, body: WriteOff, session: SessionDep, who: PrincipalDep, now: NowDep) -> dict:
    return recovery.write_off(session=session, principal=who, recovery_id=recovery_id, amount_fen=body.amount_fen,
                              reason=body.reason, now=now)
