"""The case pages of the staff console: the comparison's cases (comparison/cases.py) and the risk cases with their
recoveries (risk/cases.py, risk/recovery.py), listed for the clerk's region as stored and worked one form at a time.

Everything goes through those services, which judge each case on its region as stored: a case outside the clerk's
region is the same 404 page whether it exists or not. Every form carries the CSRF token (page_router) and a one-time
token spent in the same transaction as the work, so a form sent twice does its work once. A service's refusal (a case
about the clerk, a concluded case, more than is owed, a bad amount) is shown in words on the case page, next to the
form that was sent, and nothing is saved: the transaction rolls back, the one-time token with it. Auditors read the
pages; they never see a form and a form they send anyway is refused. Amounts are typed in yuan and converted to fen
exactly (core.money.yuan_to_fen: text, never a float)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from shebao.comparison import case_rules as comparison_rules
from shebao.comparison import cases as comparison_cases
from shebao.comparison.lists import LIST_KINDS
from shebao.core.errors import Conflict, DomainError, InvalidInput, NotFound
from shebao.core.http import Runtime, RuntimeDep, download
from shebao.core.money import fen_to_yuan_grouped, yuan_to_fen
from shebao.core.regions import level_of
from shebao.core.security import Principal, Role
from shebao.registry import service as registry
from shebao.risk import case_rules as risk_rules
from shebao.risk import cases as risk_cases
from shebao.risk import recovery
from shebao.risk.cases_api import MAX_UPLOAD_READ
from shebao.risk.rules import RULES, SEVERITY_NAMES, SEVERITY_ORDER
from shebao.web.kit import message, page, page_router, reason_in, record_number, refused, spend_once
from shebao.web.staff_pages import LEVEL_NAMES, _clerk, _region

router = page_router()
SHOWN = 200  # cases listed on a page; the filters narrow it
TEXT_MAX = 4000  # a form's free text, read at most; the services apply their own limits and say so
Text = Annotated[str, Form(max_length=TEXT_MAX)]


def _optional(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _not_found(request: Request, back: str) -> HTMLResponse:
    return message(request, "case_not_found_title", "case_not_found", 404, back=back)


def _read_only(request: Request, back: str) -> HTMLResponse:
    return message(request, "refused_title", "case_read_only", 403, back=back)


def _work(request: Request, rt: Runtime, who: Principal, once: str, back: str,
          action: Callable[[Session], object], show_again: Callable[[str, str], HTMLResponse]) -> HTMLResponse:
    """One form's work in one transaction with its one-time token: done → back to the case page; sent twice → said
    so; refused → the case page again with the refusal next to the form (`show_again(form, words)`), nothing saved."""
    if who.role == Role.AUDITOR:
        return _read_only(request, back)
    try:
        with rt.database.transaction() as session:
            first = spend_once(session, who, once, rt.clock.now())
            if first:
                action(session)
    except NotFound:
        return _not_found(request, back.rsplit("/", 1)[0])
    except DomainError as exc:
        return show_again(reason_in(request, exc), exc.status_code)
    if not first:
        return message(request, "refused_title", "already_done", 409, back=back)
    return RedirectResponse(back, status_code=303)


# ------------------------------------------------------------------ the comparison's cases


def _comparison_counts(session: Session, who: Principal, region: str) -> list[dict]:
    """Cases per list in the clerk's region: open, being worked, closed."""
    done = comparison_cases.progress(session=session, principal=who, region=region,
                                     level=LEVEL_NAMES[max(1, level_of(region))])
    counts = {kind: {"kind": kind, "open": 0, "working": 0, "closed": 0, "total": 0} for kind in LIST_KINDS}
    for row in done["regions"]:
        for kind, figures in row["by_list"].items():
            for name in ("open", "working", "closed", "total"):
                counts[kind][name] += figures[name]
    return list(counts.values())


def _list_page(request: Request, template: str, chosen: dict, fetch: Callable[..., list[dict]],
               extra: Callable[[Session, Principal, str], dict] | None = None, **context) -> HTMLResponse:
    """A list of the clerk's region's cases, narrowed by `chosen`; a filter the service refuses is said in words."""
    who, away = _clerk(request)
    if away:
        return away
    rt = request.app.state.runtime
    region = _region(rt, who)
    error, rows = None, []
    with rt.database.transaction() as session:
        region_name = registry.region_full_name(session=session, code=region)
        added = extra(session, who, region) if extra else {}
        try:
            rows = fetch(session=session, principal=who, region=region, limit=SHOWN, **chosen)
        except DomainError as exc:
            error = reason_in(request, exc)
    return page(request, template, {"region": region, "region_name": region_name, "cases": rows, "chosen": chosen,
                                    "error": error, "shown": SHOWN, "yuan": fen_to_yuan_grouped} | added | context,
                status_code=422 if error else 200)


@router.get("/staff/comparison", response_class=HTMLResponse)
def comparison_list(request: Request, kind: str = "", status: str = ""):
    filters = [("kind", "list_col", [(name, (k.zh, k.en)) for name, k in LIST_KINDS.items()]),
               ("status", "status_col", list(comparison_rules.STATUS_NAMES.items()))]
    return _list_page(request, "staff/cases/comparison_list.html",
                      {"kind": _optional(kind[:30]), "status": _optional(status[:30])}, comparison_cases.list_cases,
                      lambda session, who, region: {"counts": _comparison_counts(session, who, region)},
                      heading="comparison_cases", action="/staff/comparison", filters=filters, lists=LIST_KINDS)


def _comparison_page(request: Request, rt: Runtime, who: Principal, case_id: int, *, error: str | None = None,
                     status_code: int = 200) -> HTMLResponse:
    try:
        with rt.database.transaction() as session:
            found = comparison_cases.show_case(session=session, principal=who, case_id=case_id)
    except NotFound:
        return _not_found(request, "/staff/comparison")
    except DomainError as exc:
        return refused(request, exc)
    return page(request, "staff/cases/comparison_case.html", {
        "case": found, "outcomes": comparison_rules.OUTCOMES, "error": error, "writes": who.role != Role.AUDITOR,
        "yuan": fen_to_yuan_grouped}, status_code=status_code)


@router.get("/staff/comparison/{case_id}", response_class=HTMLResponse)
def comparison_case(request: Request, rt: RuntimeDep, case_id: str):
    who, away = _clerk(request)
    if away:
        return away
    number = record_number(case_id)
    return _not_found(request, "/staff/comparison") if number is None else _comparison_page(request, rt, who, number)


@router.post("/staff/comparison/{case_id}/outcome", response_class=HTMLResponse)
def comparison_outcome(request: Request, rt: RuntimeDep, case_id: str, outcome: Text = "", note: Text = "",
                       once: Text = ""):
    who, away = _clerk(request)
    if away:
        return away
    number = record_number(case_id)
    if number is None:
        return _not_found(request, "/staff/comparison")
    return _work(request, rt, who, once, f"/staff/comparison/{number}",
                 lambda session: comparison_cases.work_case(session=session, principal=who, case_id=number,
                                                            outcome=outcome.strip(), note=note, now=rt.clock.now()),
                 lambda words, code: _comparison_page(request, rt, who, number, error=words, status_code=code))


# ------------------------------------------------------------------ risk cases


@router.get("/staff/risk", response_class=HTMLResponse)
def risk_list(request: Request, status: str = "", rule: str = "", severity: str = ""):
    filters = [("status", "status_col", list(risk_rules.STATUS_NAMES.items())),
               ("rule", "rule_col", [(rule_id, (r.name_zh, r.name_en)) for rule_id, r in RULES.items()]),
               ("severity", "cockpit_severity", [(s.value, SEVERITY_NAMES[s]) for s in SEVERITY_ORDER])]
    return _list_page(request, "staff/cases/risk_list.html",
                      {"status": _optional(status[:30]), "rule": _optional(rule[:60]),
                       "severity": _optional(severity[:30])}, risk_cases.list_cases,
                      heading="risk_cases", action="/staff/risk", filters=filters)


def _risk_page(request: Request, rt: Runtime, who: Principal, case_id: int, *, error: dict | None = None,
               status_code: int = 200) -> HTMLResponse:
    try:
        with rt.database.transaction() as session:
            found = risk_cases.show_case(session=session, principal=who, case_id=case_id, now=rt.clock.now())
    except NotFound:
        return _not_found(request, "/staff/risk")
    except DomainError as exc:
        return refused(request, exc)
    return page(request, "staff/cases/risk_case.html", {
        "case": found, "error": error or {}, "writes": who.role != Role.AUDITOR, "me": who.actor,
        "yuan": fen_to_yuan_grouped}, status_code=status_code)


def _risk_form(request: Request, rt: RuntimeDep, who: Principal, number: int, form: str, once: str,
               action: Callable[[Session], object]) -> HTMLResponse:
    return _work(request, rt, who, once, f"/staff/risk/{number}", action,
                 lambda words, code: _risk_page(request, rt, who, number, error={form: words}, status_code=code))


def _risk_case(request: Request, case_id: str) -> tuple[Principal | None, int | None, HTMLResponse | None]:
    who, away = _clerk(request)
    if away:
        return None, None, away
    number = record_number(case_id)
    return who, number, _not_found(request, "/staff/risk") if number is None else None


@router.get("/staff/risk/{case_id}", response_class=HTMLResponse)
def risk_case(request: Request, rt: RuntimeDep, case_id: str):
    who, number, away = _risk_case(request, case_id)
    return away or _risk_page(request, rt, who, number)


@router.get("/staff/risk/{case_id}/evidence/{evidence_id}")
def risk_evidence_file(request: Request, rt: RuntimeDep, case_id: str, evidence_id: str):
    """A file filed on the case, to save (the opening is audited); one 404 for a case or file not in reach."""
    who, number, away = _risk_case(request, case_id)
    evidence_number = record_number(evidence_id)
    if away or evidence_number is None:
        return away or _not_found(request, "/staff/risk")
    try:
        with rt.database.transaction() as session:
            found = risk_cases.evidence_file(session=session, principal=who, case_id=number,
                                             evidence_id=evidence_number, now=rt.clock.now())
    except NotFound:
        return _not_found(request, f"/staff/risk/{number}")
    return download(found.content, found.content_type, found.file_name)


@router.post("/staff/risk/{case_id}/assign", response_class=HTMLResponse)
def risk_assign(request: Request, rt: RuntimeDep, case_id: str, once: Text = ""):
    """Assign to me: the clerk takes the case (the service refuses a case about the clerk)."""
    who, number, away = _risk_case(request, case_id)
    return away or _risk_form(request, rt, who, number, "assign", once, lambda session: risk_cases.assign_case(
        session=session, principal=who, case_id=number, to=who.username, now=rt.clock.now()))


@router.post("/staff/risk/{case_id}/note", response_class=HTMLResponse)
def risk_note(request: Request, rt: RuntimeDep, case_id: str, note: Text = "", once: Text = ""):
    who, number, away = _risk_case(request, case_id)
    return away or _risk_form(request, rt, who, number, "note", once, lambda session: risk_cases.add_note(
        session=session, principal=who, case_id=number, note=note, now=rt.clock.now()))


@router.post("/staff/risk/{case_id}/evidence", response_class=HTMLResponse)
def risk_evidence(request: Request, rt: RuntimeDep, case_id: str, file: Annotated[UploadFile | None, File()] = None,
                  note: Text = "", once: Text = ""):
    who, number, away = _risk_case(request, case_id)
    if away:
        return away
    content = file.file.read(MAX_UPLOAD_READ + 1) if file is not None else b""
    name = file.filename if file is not None else None
    return _risk_form(request, rt, who, number, "evidence", once, lambda session: risk_cases.add_evidence(
        session=session, principal=who, case_id=number, file_name=name, content=content, note=note,
        now=rt.clock.now()))


@router.post("/staff/risk/{case_id}/conclusion", response_class=HTMLResponse)
def risk_conclude(request: Request, rt: RuntimeDep, case_id: str, outcome: Text = "", overpaid_yuan: Text = "",
                  reason: Text = "", once: Text = ""):
    """Confirmed with the overpaid amount in yuan (converted to fen exactly), or cleared with the reason."""
    who, number, away = _risk_case(request, case_id)
    if away:
        return away

    def conclude(session: Session) -> None:
        if outcome not in ("confirmed", "cleared"):
            raise _no_outcome()
        amount = overpaid_yuan.strip()
        risk_cases.conclude_case(session=session, principal=who, case_id=number, confirmed=outcome == "confirmed",
                                 overpaid_fen=yuan_to_fen(amount) if amount else None, reason=_optional(reason),
                                 now=rt.clock.now())

    return _risk_form(request, rt, who, number, "conclusion", once, conclude)


def _no_outcome() -> InvalidInput:
    return InvalidInput("risk.outcome", "请选择办结结论：查实或排除", "choose the conclusion: confirmed or cleared")


@router.post("/staff/risk/{case_id}/repayment", response_class=HTMLResponse)
def risk_repayment(request: Request, rt: RuntimeDep, case_id: str, amount_yuan: Text = "", reference: Text = "",
                   once: Text = ""):
    """A repayment towards the case's recovery, in yuan, with the bank's reference."""
    who, number, away = _risk_case(request, case_id)
    if away:
        return away

    def repay(session: Session) -> None:
        found = risk_cases.show_case(session=session, principal=who, case_id=number, now=rt.clock.now())
        if found["recovery"] is None:
            raise _no_recovery()
        recovery.repay(session=session, principal=who, recovery_id=found["recovery"]["id"],
                       amount_fen=yuan_to_fen(amount_yuan.strip()), reference=reference, now=rt.clock.now())

    return _risk_form(request, rt, who, number, "repayment", once, repay)


def _no_recovery() -> Conflict:
    return Conflict("risk.no_recovery", "该案件没有追回事项，不能登记退回", "the case has no recovery to repay")
