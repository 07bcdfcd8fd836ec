"""The staff console's batch runs: the month-end and the pension payroll of the clerk's province, started from a form
and followed live (services/runs.py runs them in a background thread, the same jobs the command line runs).

/staff/runs lists the province's recent runs; staff of the province itself and administrators see a form to start a
month-end or a payroll for a period (CSRF, a one-time token, the period checked by the job's own rule: a month not
begun, a month closed, a month already done are refused in words next to the field and nothing starts). A started run
is followed at /staff/runs/{id}: a <progress> bar that htmx refreshes every second from /staff/runs/{id}/progress
until the run ends (the fragment of an ended run carries no trigger, so the polling stops); without JavaScript the
page reloads itself while the run goes on. A run of another province is the same 404 page as no run at all.

The one-time token is spent in its own transaction just before the run opens (SQLite has one writer, and the run
opens in the job's own transaction); a refused start shows the form again with a fresh token.
"""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shebao.audit.checkpoints import Anchor, checkpoint_if_grown
from shebao.core.clock import china_today
from shebao.core.errors import DomainError, NotFound
from shebao.core.http import Runtime, RuntimeDep
from shebao.core.money import fen_to_yuan_grouped
from shebao.core.periods import Period
from shebao.core.regions import province_of
from shebao.core.security import Principal
from shebao.registry import service as registry
from shebao.services import runs
from shebao.web.kit import chosen_language, message, page, page_router, record_number, spend_once
from shebao.web.staff_pages import _clerk, _region

router = page_router()
log = structlog.get_logger("shebao.web.runs")
Field = Annotated[str, Form(max_length=40)]


def _not_found(request: Request) -> HTMLResponse:
    return message(request, "runs_not_found_title", "runs_not_found", 404, back="/staff/runs")


def _list(request: Request, rt: Runtime, who: Principal, *, error: str | None = None, chosen: dict | None = None,
          status_code: int = 200) -> HTMLResponse:
    province = province_of(_region(rt, who))
    with rt.database.transaction() as session:
        province_name = registry.region_full_name(session=session, code=province)
        listed = runs.recent_runs(session=session, principal=who, province=province)
    suggested = str(Period.of(china_today(rt.clock.now())))
    return page(request, "staff/runs.html", {
        "province": province, "province_name": province_name, "runs": listed, "error": error,
        "chosen": chosen or {"kind": "month_end", "period": suggested}, "starts": runs.may_start(who, province),
        "kinds": {kind: names for kind, (_job, _check, names) in runs.JOBS.items()},
        "yuan": fen_to_yuan_grouped,
        "shown": runs.SHOWN}, status_code=status_code)


@router.get("/staff/runs", response_class=HTMLResponse)
def run_list(request: Request, rt: RuntimeDep):
    who, away = _clerk(request)
    return away or _list(request, rt, who)


@router.post("/staff/runs", response_class=HTMLResponse)
def start(request: Request, rt: RuntimeDep, kind: Field = "", period: Field = "", once: Field = ""):
    """Starts a month-end or a payroll of the clerk's province; refusals next to the field, nothing started."""
    who, away = _clerk(request)
    if away:
        return away
    province = province_of(_region(rt, who))
    chosen = {"kind": kind, "period": period.strip()}
    if not runs.may_start(who, province):
        return message(request, "refused_title", "runs_may_not_start", 403, back="/staff/runs")
    try:
        with rt.database.transaction() as session:
            first = spend_once(session, who, once, rt.clock.now())
        if not first:
            return message(request, "refused_title", "already_done", 409, back="/staff/runs")
        run_id = runs.start_run(database=rt.database, principal=who, kind=kind, province=province,
                                period=period, now=rt.clock.now(), on_done=lambda: _anchor_audit_chain(rt))
    except DomainError as exc:
        words = exc.reason_en if chosen_language(request) == "en" else exc.reason
        return _list(request, rt, who, error=words, chosen=chosen, status_code=exc.status_code)
    return RedirectResponse(f"/staff/runs/{run_id}", status_code=303)


def _anchor_audit_chain(rt: Runtime) -> None:
    """Signs a checkpoint over what the run appended, as the CLI does after a batch. One that cannot be signed (no
    audit key on this server) never undoes the run: the reason goes to the log, and `shebao audit verify` says more."""
    try:
        checkpoint_if_grown(database=rt.database, anchor=Anchor.for_settings(rt.settings, rt.database.url),
                            now=rt.clock.now())
    except (DomainError, OSError) as exc:
        log.warning("run.checkpoint_not_signed", reason=getattr(exc, "reason_en", None) or str(exc))


def _run(request: Request, rt: Runtime, run_id: str) -> tuple[dict | None, HTMLResponse | None]:
    who, away = _clerk(request)
    if away:
        return None, away
    number = record_number(run_id)
    if number is None:
        return None, _not_found(request)
    try:
        with rt.database.transaction() as session:
            return runs.show_run(session=session, principal=who, run_id=number), None
    except NotFound:
        return None, _not_found(request)


@router.get("/staff/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, rt: RuntimeDep, run_id: str):
    found, away = _run(request, rt, run_id)
    return away or page(request, "staff/run.html", {"run": found, "yuan": fen_to_yuan_grouped})


@router.get("/staff/runs/{run_id}/progress", response_class=HTMLResponse)
def run_progress(request: Request, rt: RuntimeDep, run_id: str):
    """The progress fragment htmx swaps in every second; an ended run's carries no trigger, so the polling stops."""
    found, away = _run(request, rt, run_id)
    if away and request.headers.get("HX-Request"):
        # Polled by htmx and the login has gone: send the whole page to the login form, not into the progress box.
        return Response(status_code=204, headers={"HX-Redirect": away.headers.get("location", "/login")})
    return away or page(request, "staff/_run_progress.html", {"run": found, "yuan": fen_to_yuan_grouped})
