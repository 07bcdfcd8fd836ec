"""The staff console's front: the clerk's region, the work queues with their counts, and a search by ID number.

Scope is the region stored on the clerk's account (administrators and auditors, who have none, see the demo
province's queues: they may see the whole country). Every count comes from the service that owns the queue, which
keeps to the caller's region; a person found is read through the services, which audit the view."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from shebao.benefits import receivers
from shebao.comparison import cases as comparison_cases
from shebao.core.errors import DomainError
from shebao.core.http import Runtime, RuntimeDep
from shebao.core.regions import level_of
from shebao.core.security import Principal, Role
from shebao.registry import service as registry
from shebao.risk import case_rules as risk_case_rules
from shebao.risk import cases as risk_cases
from shebao.services import archive
from shebao.transfers import service as transfers
from shebao.web.kit import current_principal, landing_for, page, page_router

router = page_router()
STAFF_ROLES = (Role.STAFF, Role.ADMIN, Role.AUDITOR)
LEVEL_NAMES = {1: "province", 2: "city", 3: "county", 4: "street"}
RISK_SHOWN = 500  # risk.cases.list_cases's largest page: a count at it reads "500+"
TRANSFERS_SHOWN = 200
CASE_PAGES = {"queue_comparison": "/staff/comparison", "queue_risk": "/staff/risk",  # web/staff_case_pages.py
              "queue_transfers": "/staff/queues/transfers", "queue_certification": "/staff/queues/proofs",
              "runs_queue_applications": "/staff/queues/transfers",  # web/staff_queue_pages.py
              "queue_visits": "/staff/visits"}  # web/citizen_selfpay_pages.py


def _clerk(request: Request) -> tuple[Principal | None, RedirectResponse | None]:
    who = current_principal(request)
    if who is None:
        return None, RedirectResponse("/login", status_code=303)
    if who.role not in STAFF_ROLES:
        return None, RedirectResponse(landing_for(who.role), status_code=303)
    return who, None


def _region(rt: Runtime, who: Principal) -> str:
    return who.region_code or rt.settings.demo_province


def _count(fetch) -> int | None:  # noqa: ANN001 - a callable returning a count
    """A queue's count, or None (shown as "—") when its service refuses the region."""
    try:
        return fetch()
    except DomainError:
        return None


def _queues(session: Session, who: Principal, region: str, now: datetime) -> list[dict]:
    def comparison() -> int:
        level = LEVEL_NAMES[max(1, level_of(region))]
        done = comparison_cases.progress(session=session, principal=who, region=region, level=level)
        return sum(r["open"] + r["working"] for r in done["regions"])

    def risk() -> int:
        rows = risk_cases.list_cases(session=session, principal=who, region=region, limit=RISK_SHOWN)
        return sum(1 for c in rows if c["status"] not in risk_case_rules.CONCLUDED)

    def overdue_transfers() -> int:
        return len(transfers.list_transfers(session=session, principal=who, now=now, overdue=True, limit=TRANSFERS_SHOWN))

    def open_transfers() -> int:  # applications to review: transfers still open in the region
        return len(transfers.list_transfers(session=session, principal=who, now=now, open_only=True,
                                            limit=TRANSFERS_SHOWN))

    def lapsed() -> int:
        return receivers.lapsed_receivers(session=session, principal=who, limit=1)["total"]

    def visits() -> int:  # receivers asking for a home visit to prove they are alive
        return receivers.visit_requests(session=session, principal=who, limit=1)["total"]

    return [{"key": "queue_comparison", "count": _count(comparison), "capped": False},
            {"key": "queue_risk", "count": (n := _count(risk)), "capped": n == RISK_SHOWN},
            {"key": "queue_transfers", "count": (m := _count(overdue_transfers)), "capped": m == TRANSFERS_SHOWN},
            {"key": "queue_certification", "count": _count(lapsed), "capped": False},
            {"key": "runs_queue_applications", "count": (k := _count(open_transfers)), "capped": k == TRANSFERS_SHOWN},
            {"key": "queue_visits", "count": _count(visits), "capped": False}]


def _home(request: Request, rt: Runtime, who: Principal, *, found: dict | None = None, error: str | None = None,
          status_code: int = 200) -> HTMLResponse:
    region = _region(rt, who)
    with rt.database.transaction() as session:
        region_name = registry.region_full_name(session=session, code=region)
        queues = _queues(session, who, region, rt.clock.now())
    return page(request, "staff/home.html", {"region": region, "region_name": region_name, "queues": queues,
                                             "found": found, "error": error, "case_pages": CASE_PAGES},
                status_code=status_code)


@router.get("/staff", response_class=HTMLResponse)
def staff_home(request: Request, rt: RuntimeDep):
    who, away = _clerk(request)
    return away or _home(request, rt, who)


@router.post("/staff/person", response_class=HTMLResponse)
def find_person(request: Request, rt: RuntimeDep, id_number: Annotated[str, Form(max_length=40)] = ""):
    """A person by ID number, sent in the form's body (never in the address), within the clerk's region; audited."""
    who, away = _clerk(request)
    if away:
        return away
    lang = request.query_params.get("lang") or request.cookies.get("lang")
    try:
        with rt.database.transaction() as session:
            person = registry.find_person_by_id_number(session=session, cipher=rt.cipher, principal=who,
                                                       id_number=id_number.strip(), now=rt.clock.now())
            record = archive.person_record(session=session, principal=who, person_id=person.id, now=rt.clock.now())
    except DomainError as exc:
        return _home(request, rt, who, error=exc.reason_en if lang == "en" else exc.reason, status_code=exc.status_code)
    found = {"name": person.name, "id_number_masked": person.id_number_masked,
             "residence": person.residence_region_name, "status": person.status.value,
             "paid_months": record.paid_months, "years_counted": record.years_counted,
             "interrupted_spans": record.interrupted_spans,
             "schemes": sorted({p.scheme.value for p in record.participations if p.status.value != "ended"})}
    return _home(request, rt, who, found=found)
