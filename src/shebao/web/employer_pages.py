"""The employer hall: where an employer's account lands. Read-only for now: the employer's own record, who it insures,
its latest bills and what is overdue. Everything through the services, judged on the employer as stored."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shebao.contributions import service as contributions
from shebao.core.clock import china_today
from shebao.core.errors import DomainError
from shebao.core.http import RuntimeDep
from shebao.core.money import fen_to_yuan_grouped
from shebao.core.security import Role
from shebao.enrollment import service as enrollment
from shebao.registry import service as registry
from shebao.registry.rules import masked_name
from shebao.web.kit import current_principal, landing_for, page, page_router, refused

router = page_router()
SHOWN = 200  # employees listed on the page; the count is of them all
BILLS_SHOWN = 12


@router.get("/employer", response_class=HTMLResponse)
def employer_home(request: Request, rt: RuntimeDep):
    who = current_principal(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    if who.role != Role.EMPLOYER or not who.employer_id:
        return RedirectResponse(landing_for(who.role), status_code=303)
    today = china_today(rt.clock.now())
    try:
        with rt.database.transaction() as session:
            employer = registry.get_employer(session=session, principal=who, employer_id=who.employer_id)
            participations = enrollment.employees_of(session=session, principal=who, employer_id=who.employer_id)
            employees = []
            for p in participations[:SHOWN]:
                person = registry.person_by_id(session=session, person_id=p.person_id)
                employees.append({"name": masked_name(person.name), "id_number_masked": person.id_number_masked,
                                  "since": p.start_date, "status": p.status.value})
            bills = contributions.bills_of(session=session, principal=who, payer_kind="employer", payer_id=who.employer_id)
    except DomainError as exc:
        return refused(request, exc)
    overdue = [b for b in bills if b.unpaid_fen > 0 and b.due_date < today]
    return page(request, "employer/home.html", {
        "employer": employer, "employee_count": len(participations), "employees": employees,
        "bills": bills[:BILLS_SHOWN], "overdue": overdue, "arrears_fen": sum(b.unpaid_fen for b in overdue),
        "yuan": fen_to_yuan_grouped, "today": today})
