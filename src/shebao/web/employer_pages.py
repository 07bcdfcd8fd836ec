"""The employer hall: where an employer's account lands — its own record, who it insures, its bills and what is
overdue — and what it files itself: a hire (with the employee's base from the start month), a leave, the yearly base
declaration as a file, and its bills, payments and the amount to pay today with the late fee.

The employer is always the login's own (`who.employer_id`, as stored on the account); no id travels in an address.
Everything goes through the services, which judge the employer as stored."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from shebao.contributions import employer_hall
from shebao.contributions import service as contributions
from shebao.contributions.schemas import BaseDeclare
from shebao.core.clock import china_today
from shebao.core.errors import DATE_FORMAT_ZH, DomainError, InvalidInput
from shebao.core.http import Runtime, RuntimeDep
from shebao.core.money import fen_to_yuan_grouped, yuan_to_fen
from shebao.core.periods import Period
from shebao.core.security import Principal, Role
from shebao.enrollment import service as enrollment
from shebao.enrollment.schemas import EmployeeHire, EmployeeLeave
from shebao.registry import service as registry
from shebao.registry.rules import masked_name
from shebao.services import employment
from shebao.web.kit import (
    Form40,
    Once,
    login_as,
    message,
    page,
    page_router,
    reason_in,
    refused,
    spend_once,
)

router = page_router()
SHOWN = 200  # employees listed on the page; the count is of them all
BILLS_SHOWN = 12
HISTORY_SHOWN = 36
MAX_FILE_BYTES = 1_000_000


def _employees(session: Session, who: Principal) -> tuple[int, list[dict]]:
    participations = enrollment.employees_of(session=session, principal=who, employer_id=who.employer_id)
    shown = []
    for p in participations[:SHOWN]:
        person = registry.person_by_id(session=session, person_id=p.person_id)
        shown.append({"person_id": p.person_id, "name": masked_name(person.name),
                      "id_number_masked": person.id_number_masked, "since": p.start_date, "status": p.status.value})
    return len(participations), shown


@router.get("/employer", response_class=HTMLResponse)
def employer_home(request: Request, rt: RuntimeDep):
    who, away = login_as(request, Role.EMPLOYER)
    if away:
        return away
    today = china_today(rt.clock.now())
    try:
        with rt.database.transaction() as session:
            employer = registry.get_employer(session=session, principal=who, employer_id=who.employer_id)
            count, employees = _employees(session, who)
            bills = contributions.bills_of(session=session, principal=who, payer_kind="employer", payer_id=who.employer_id)
    except DomainError as exc:
        return refused(request, exc)
    overdue = [b for b in bills if b.unpaid_fen > 0 and b.due_date < today]
    return page(request, "employer/home.html", {
        "employer": employer, "employee_count": count, "employees": employees,
        "bills": bills[:BILLS_SHOWN], "overdue": overdue, "arrears_fen": sum(b.unpaid_fen for b in overdue),
        "yuan": fen_to_yuan_grouped, "today": today})


# ------------------------------------------------------------------ employees: hire and leave


def _field_of(code: str, date_field: str) -> str:
    """Which field of the form a service's refusal is about (the rest are said above the form)."""
    if "date" in code:
        return date_field
    if code.startswith(("base.", "money.", "decimal.", "period.")):
        return "base"
    if code.startswith(("id_number", "person.", "participation.already", "participation.overlap")):
        return "id_number"
    return "form"


def _employees_page(request: Request, rt: Runtime, who: Principal, *, errors: dict | None = None,
                    values: dict | None = None, leave_errors: dict | None = None, done: str | None = None,
                    status_code: int = 200) -> HTMLResponse:
    with rt.database.transaction() as session:
        count, employees = _employees(session, who)
    return page(request, "employer/employees.html", {
        "employee_count": count, "employees": employees, "errors": errors or {}, "values": values or {},
        "leave_errors": leave_errors or {}, "done": done, "today": china_today(rt.clock.now())},
        status_code=status_code)


def _day(text: str, field: str) -> date:
    try:
        if len(text) == 10 and text[4] == text[7] == "-":
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise InvalidInput(f"{field}.format", DATE_FORMAT_ZH, "date is YYYY-MM-DD")


@router.get("/employer/hire", response_class=HTMLResponse)
def employees_page(request: Request, rt: RuntimeDep):
    who, away = login_as(request, Role.EMPLOYER)
    return away or _employees_page(request, rt, who)


@router.post("/employer/hire", response_class=HTMLResponse)
def hire(request: Request, rt: RuntimeDep, id_number: Form40 = "", start_date: Form40 = "", base: Form40 = "",
         once: Once = ""):
    """A hire: the employee's insurances start on the day and the base is declared from that month, in one
    transaction — a refusal of either saves nothing."""
    who, away = login_as(request, Role.EMPLOYER)
    if away:
        return away
    values = {"id_number": id_number.strip(), "start_date": start_date.strip(), "base": base.strip()}
    now = rt.clock.now()
    step = "form"
    try:
        with rt.database.transaction() as session:
            step = "start_date"
            start = _day(values["start_date"], "start_date")
            step = "base"
            base_fen = yuan_to_fen(values["base"])
            step = "form"
            if not spend_once(session, who, once, now):
                return message(request, "employees_title", "already_done", 409, back="/employer/hire")
            step = "id_number"
            started = employment.hire(session=session, cipher=rt.cipher, principal=who, employer_id=who.employer_id,
                                      command=EmployeeHire(id_number=values["id_number"], start_date=start), now=now)
            step = "base"
            contributions.declare_base(session=session, principal=who, now=now, command=BaseDeclare(
                person_id=started[0].person_id, effective_period=str(Period.of(start)), declared_base_fen=base_fen))
    except DomainError as exc:
        field = _field_of(exc.code, "start_date") if step == "id_number" else step
        return _employees_page(request, rt, who, errors={field: reason_in(request, exc)}, values=values,
                               status_code=exc.status_code)
    return _employees_page(request, rt, who, done="hired", status_code=201)


@router.post("/employer/leave", response_class=HTMLResponse)
def leave(request: Request, rt: RuntimeDep, person_id: Form40 = "", end_date: Form40 = "", reason: Annotated[
        str, Form(max_length=200)] = "", confirm: Form40 = "", once: Once = ""):
    """A leave from one employee's row, confirmed by ticking the box: the insurances through the employer end on the
    last day; billed months after it are credited back (services.employment.leave)."""
    who, away = login_as(request, Role.EMPLOYER)
    if away:
        return away
    if not person_id.isdigit() or not 0 < int(person_id) < 2**53:
        return message(request, "employees_title", "employee_unknown", 404, back="/employer/hire")
    pid = int(person_id)
    now = rt.clock.now()
    try:
        with rt.database.transaction() as session:
            last_day = _day(end_date.strip(), "end_date")
            if len(reason.strip()) < 2:
                raise InvalidInput("leave.reason", "请填写减员原因（至少 2 个字）", "give the reason (at least 2 characters)")
            if confirm != "yes":
                raise InvalidInput("leave.confirm", "请勾选确认后再办理减员", "tick the box to confirm the leave")
            if not spend_once(session, who, once, now):
                return message(request, "employees_title", "already_done", 409, back="/employer/hire")
            employment.leave(session=session, principal=who, employer_id=who.employer_id, person_id=pid,
                             command=EmployeeLeave(end_date=last_day, reason=reason.strip()), now=now)
    except DomainError as exc:
        field = {"leave.reason": "reason", "leave.confirm": "confirm"}.get(exc.code, _field_of(exc.code, "end_date"))
        return _employees_page(request, rt, who, leave_errors={pid: {field: reason_in(request, exc)}},
                               status_code=exc.status_code)
    return _employees_page(request, rt, who, done="left")


# ------------------------------------------------------------------ the yearly base declaration, as a file


@router.get("/employer/bases", response_class=HTMLResponse)
def bases_page(request: Request, rt: RuntimeDep):
    who, away = login_as(request, Role.EMPLOYER)
    return away or page(request, "employer/bases.html", {"result": None, "error": None,
                                                         "period": str(Period.of(china_today(rt.clock.now())))})


@router.post("/employer/bases", response_class=HTMLResponse)
async def upload_bases(request: Request, rt: RuntimeDep):
    """The file's rows, all declared or none: what was accepted and, next to each rejected row, why."""
    who, away = login_as(request, Role.EMPLOYER)
    if away:
        return away
    form = await request.form()
    upload = form.get("file")
    once = form.get("once")
    period = str(Period.of(china_today(rt.clock.now())))
    raw = await upload.read(MAX_FILE_BYTES + 1) if hasattr(upload, "read") else b""
    problem = None
    if not raw.strip():
        problem = InvalidInput("bases.no_file", "请选择要上传的「CSV」文件", "choose a CSV file to upload")
    elif len(raw) > MAX_FILE_BYTES:
        problem = InvalidInput("bases.too_large", "文件超过 1 兆字节", "the file is larger than 1 MB")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            problem = InvalidInput("bases.encoding", "文件应为 UTF-8 编码的「CSV」文件", "the file is a CSV in UTF-8")
    if problem is not None:
        return page(request, "employer/bases.html", {"result": None, "error": reason_in(request, problem),
                                                     "period": period}, status_code=422)
    return await _declare_bases(request, rt, who, text, once if isinstance(once, str) else "", period)


async def _declare_bases(request: Request, rt: Runtime, who: Principal, text: str, once: str, period: str) -> HTMLResponse:
    def work() -> HTMLResponse:
        now: datetime = rt.clock.now()
        try:
            with rt.database.transaction() as session:
                if not spend_once(session, who, once, now):
                    return message(request, "bases_title", "already_done", 409, back="/employer/bases")
                accepted = employer_hall.import_bases(session=session, cipher=rt.cipher, principal=who, csv_text=text,
                                                      now=now)
        except DomainError as exc:
            details = exc.details or {}
            result = {"saved": False, "accepted": details.get("accepted", []), "rejected": details.get("rejected", [])}
            error = reason_in(request, exc)
            return page(request, "employer/bases.html", {"result": result if "rejected" in details else None,
                                                         "error": error, "period": period},
                        status_code=exc.status_code)
        return page(request, "employer/bases.html", {"result": {"saved": True, "accepted": accepted, "rejected": []},
                                                     "error": None, "period": period}, status_code=201)

    return await run_in_threadpool(work)


# ------------------------------------------------------------------ bills, payments, arrears and the late fee


@router.get("/employer/bills", response_class=HTMLResponse)
def bills_page(request: Request, rt: RuntimeDep):
    who, away = login_as(request, Role.EMPLOYER)
    if away:
        return away
    now = rt.clock.now()
    try:
        with rt.database.transaction() as session:
            bills = contributions.bills_of(session=session, principal=who, payer_kind="employer", payer_id=who.employer_id)
            payments = employer_hall.payments_of(session=session, principal=who, payer_kind="employer",
                                                 payer_id=who.employer_id, limit=HISTORY_SHOWN)
            arrears = employer_hall.arrears_today(session=session, principal=who, payer_kind="employer",
                                                  payer_id=who.employer_id, now=now)
    except DomainError as exc:
        return refused(request, exc)
    return page(request, "employer/bills.html", {"bills": bills, "payments": payments, "arrears": arrears,
                                                 "yuan": fen_to_yuan_grouped, "today": china_today(now)})
