"""Two of the staff console's work queues as lists: the transfers open in the clerk's region (overdue first, with
their deadlines) and the receivers suspended because their proof of life is overdue (the oldest certification first).

Each list is read from the service that owns it (transfers.service.list_transfers, benefits.receivers.
lapsed_receivers), which keeps to the clerk's region as stored on the account; administrators and auditors, who have
no region, see the whole country's, as the services give them (and as the console's counts count them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from shebao.benefits import receivers
from shebao.core.errors import DomainError
from shebao.core.http import Runtime, RuntimeDep
from shebao.core.security import Principal
from shebao.registry import service as registry
from shebao.transfers import service as transfers
from shebao.web.kit import chosen_language, page, page_router
from shebao.web.staff_pages import TRANSFERS_SHOWN, _clerk, _region

router = page_router()
PROOFS_SHOWN = 200


def overdue_first(rows: list[dict]) -> list[dict]:
    """Overdue first (the most working days late first), then by the due day (none last), then the oldest."""
    return sorted(rows, key=lambda r: (-r["overdue_working_days"], r["due_on"] or date.max.isoformat(), r["id"]))


def _queue(request: Request, rt: Runtime, template: str, fetch: Callable[[Session, Principal], dict],
           empty: dict) -> HTMLResponse:
    """A queue of the clerk's region as its service gives it; a refusal of the service is said in words."""
    who, away = _clerk(request)
    if away:
        return away
    region = _region(rt, who)
    found, error = empty, None
    with rt.database.transaction() as session:
        region_name = registry.region_full_name(session=session, code=region)
        try:
            found = fetch(session, who)
        except DomainError as exc:
            error = exc.reason_en if chosen_language(request) == "en" else exc.reason
    return page(request, template, {"region": region, "region_name": region_name, "error": error} | found,
                status_code=403 if error else 200)


@router.get("/staff/queues/transfers", response_class=HTMLResponse)
def transfer_queue(request: Request, rt: RuntimeDep):
    def fetch(session: Session, who: Principal) -> dict:
        return {"transfers": overdue_first(transfers.list_transfers(
            session=session, principal=who, now=rt.clock.now(), open_only=True, limit=TRANSFERS_SHOWN)), "shown": TRANSFERS_SHOWN}

    return _queue(request, rt, "staff/queue_transfers.html", fetch, {"transfers": []})


@router.get("/staff/queues/proofs", response_class=HTMLResponse)
def proof_queue(request: Request, rt: RuntimeDep):
    def fetch(session: Session, who: Principal) -> dict:
        found = receivers.lapsed_receivers(session=session, principal=who, limit=PROOFS_SHOWN)
        return {"receivers": found["items"], "total": found["total"]}

    return _queue(request, rt, "staff/queue_proofs.html", fetch, {"receivers": [], "total": 0})
