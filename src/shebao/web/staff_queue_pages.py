"""Two of the staff console's work queues as lists: the transfers open in the clerk's region (overdue first, with
their deadlines) and the receivers suspended because their proof of life is overdue (the oldest certification first).

Each list is read from the service that owns it (transfers.service.list_transfers, benefits.receivers.
lapsed_receivers), which keeps to the clerk's region as stored on the account; administrators and auditors, who have
no region, see the whole country's, as the services give them (and as the console's counts count them)."""

from __future__ import annotations

from datetime import date

from fastapi import Request
from fastapi.responses import HTMLResponse

from shebao.benefits import receivers
from shebao.core.errors import DomainError
from shebao.core.http import RuntimeDep
from shebao.registry import service as registry
from shebao.transfers import service as transfers
from shebao.web.kit import chosen_language, page, page_router
from shebao.web.staff_pages import TRANSFERS_SHOWN, _clerk, _region

router = page_router()
PROOFS_SHOWN = 200


def overdue_first(rows: list[dict]) -> list[dict]:
    """Overdue first (the most working days late first), then by the due day (none last), then the oldest."""
    return sorted(rows, key=lambda r: (-r["overdue_working_days"], r["due_on"] or date.max.isoformat(), r["id"]))


@router.get("/staff/queues/transfers", response_class=HTMLResponse)
def transfer_queue(request: Request, rt: RuntimeDep):
    who, away = _clerk(request)
    if away:
        return away
    region = _region(rt, who)
    rows, error = [], None
    with rt.database.transaction() as session:
        region_name = registry.region_full_name(session=session, code=region)
        try:
            rows = transfers.list_transfers(session=session, principal=who, now=rt.clock.now(), open_only=True,
                                            limit=TRANSFERS_SHOWN)
        except DomainError as exc:
            error = exc.reason_en if chosen_language(request) == "en" else exc.reason
    return page(request, "staff/queue_transfers.html", {
        "region": region, "region_name": region_name, "transfers": overdue_first(rows), "error": error,
        "shown": TRANSFERS_SHOWN}, status_code=403 if error else 200)


@router.get("/staff/queues/proofs", response_class=HTMLResponse)
def proof_queue(request: Request, rt: RuntimeDep):
    who, away = _clerk(request)
    if away:
        return away
    region = _region(rt, who)
    found, error = {"total": 0, "items": []}, None
    with rt.database.transaction() as session:
        region_name = registry.region_full_name(session=session, code=region)
        try:
            found = receivers.lapsed_receivers(session=session, principal=who, limit=PROOFS_SHOWN)
        except DomainError as exc:
            error = exc.reason_en if chosen_language(request) == "en" else exc.reason
    return page(request, "staff/queue_proofs.html", {
        "region": region, "region_name": region_name, "receivers": found["items"], "total": found["total"],
        "error": error, "shown": PROOFS_SHOWN}, status_code=403 if error else 200)
