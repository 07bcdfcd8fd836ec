"""The citizen's own applications: what they applied for, with its status and dates (unemployment registrations with
the benefit's months, amount and end; transfers with their step, who acts next and the legal deadline; other claims),
the one-key unemployment application, and a transfer to another province with its plan shown before it is made.

Every page is the login's own person as the account stores it: no id travels in an address or a form. The work is the
owning contexts' use cases (benefits.claims, transfers.service), which judge the person and refuse in words; a refusal
is shown next to the form and nothing is saved. The forms that do work carry a one-time token spent in the same
transaction as the work, so a second submission does nothing twice."""

from __future__ import annotations

from datetime import date

from fastapi import Request
from fastapi.responses import HTMLResponse

from shebao.benefits import claims
from shebao.benefits.schemas import INVOLUNTARY, SeparationReason, UnemploymentSelfApply
from shebao.core.clock import china_today
from shebao.core.errors import DomainError, InvalidInput
from shebao.core.http import Runtime, RuntimeDep
from shebao.core.money import fen_to_yuan_grouped
from shebao.core.periods import Period
from shebao.core.security import Principal
from shebao.enrollment import service as enrollment
from shebao.registry import service as registry
from shebao.transfers import rules as transfer_rules
from shebao.transfers import service as transfers
from shebao.transfers.schemas import TransferApply
from shebao.web.employer_pages import _day
from shebao.web.kit import Form40, Once, insured_login, message, page, page_router, reason_in, refused, spend_once

router = page_router()
REASONS = tuple(SeparationReason)
# Where a service's refusal is shown: next to its field; any other code above the form.
UNEMPLOYMENT_FIELDS = {"unemployment.date": "separation_date", "separation_date.format": "separation_date",
                       "unemployment.date_not_recorded": "separation_date",
                       "unemployment.voluntary": "reason", "reason.unknown": "reason"}
TRANSFER_FIELDS = {"region.unknown": "to_region", "region.abolished": "to_region", "region.too_coarse": "to_region",
                   "to_region.unknown": "to_region", "transfer.starts_too_late": "starts_on",
                   "starts_on.format": "starts_on"}


# ------------------------------------------------------------------ my applications


def _next_actor(transfer: dict) -> str | None:
    """Who acts next on an open transfer: the new province (letter, receipt, completion) or the old one (check, send)."""
    moves = transfer_rules.MOVES[transfer_rules.Step(transfer["step"])]
    ahead = [(step, side) for step, side in moves.items() if step != transfer_rules.Step.REFUSED]
    if not ahead:
        return None
    step, side = ahead[0]
    return {"step": step.value, "province": transfer["to_province"] if side == transfer_rules.Side.NEW
            else transfer["from_province"], "side": side.value}


def _province_names(rt: Runtime) -> dict[str, str]:
    with rt.database.transaction() as session:
        return {r.code: r.name for r in registry.current_regions(session=session, level=1)}


@router.get("/me/applications", response_class=HTMLResponse)
def my_applications(request: Request, rt: RuntimeDep):
    """Every application of the person: unemployment, transfers, work injury and maternity, newest first."""
    who, away = insured_login(request)
    if away:
        return away
    now = rt.clock.now()
    try:
        with rt.database.transaction() as session:
            mine = claims.claims_of(session=session, person_id=who.person_id)
            moves = transfers.list_transfers(session=session, principal=who, now=now)
    except DomainError as exc:
        return refused(request, exc)
    names = _province_names(rt)
    for move in moves:
        move["next"] = _next_actor(move)
        move["from_name"], move["to_name"] = names.get(move["from_province"], move["from_province"]), \
            names.get(move["to_province"], move["to_province"])
    drawing = any(c["status"] == "drawing" for c in mine["unemployment"])
    return page(request, "citizen/apply_list.html", {
        "unemployment": mine["unemployment"], "injury": mine["injury"], "maternity": mine["maternity"],
        "transfers": moves, "drawing": drawing, "open_transfer": any(m["open"] for m in moves),
        "yuan": fen_to_yuan_grouped, "today": china_today(now)})


# ------------------------------------------------------------------ unemployment: the one-key application


def _unemployment_form(request: Request, rt: Runtime, who: Principal, *, errors: dict | None = None,
                       values: dict | None = None, status_code: int = 200) -> HTMLResponse:
    with rt.database.transaction() as session:
        last_job = enrollment.last_job_ended(session=session, person_id=who.person_id)
        months = claims.unemployment_months(session=session, person_id=who.person_id)
        drawing = any(c["status"] == "drawing" for c in claims.claims_of(session=session, person_id=who.person_id)
                      ["unemployment"])
    values = values or {"separation_date": last_job["end_date"].isoformat() if last_job else ""}
    return page(request, "citizen/apply_unemployment.html", {
        "errors": errors or {}, "values": values, "last_job": last_job, "months": months, "drawing": drawing,
        "reasons": [(r.value, r in INVOLUNTARY) for r in REASONS], "today": china_today(rt.clock.now())},
        status_code=status_code)


@router.get("/me/apply/unemployment", response_class=HTMLResponse)
def unemployment_form(request: Request, rt: RuntimeDep):
    who, away = insured_login(request)
    if away:
        return away
    return _unemployment_form(request, rt, who)


def _reason_of(text: str) -> SeparationReason:
    try:
        return SeparationReason(text)
    except ValueError:
        raise InvalidInput("reason.unknown", "请选择离职原因", "choose the reason the job ended") from None


@router.post("/me/apply/unemployment", response_class=HTMLResponse)
def apply_unemployment(request: Request, rt: RuntimeDep, separation_date: Form40 = "", reason: Form40 = "",
                       once: Once = ""):
    """The one-key application for the login's own person: registered, the benefit set, the job's insurance ended,
    the medical insurance paid by the fund, and the employment service told — or a refusal in words, nothing saved."""
    who, away = insured_login(request)
    if away:
        return away
    now = rt.clock.now()
    values = {"separation_date": separation_date, "reason": reason}
    try:
        command = UnemploymentSelfApply(separation_date=_day(separation_date.strip(), "separation_date"),
                                        reason=_reason_of(reason.strip()))
        with rt.database.transaction() as session:
            first = spend_once(session, who, once, now)
            if first:
                done = claims.apply_unemployment_online(session=session, principal=who, command=command, now=now)
                region = registry.region_full_name(session=session, code=_claim_region(session, who, done.claim_id))
    except DomainError as exc:
        field = UNEMPLOYMENT_FIELDS.get(exc.code, "form")
        return _unemployment_form(request, rt, who, errors={field: reason_in(request, exc)}, values=values,
                                  status_code=exc.status_code)
    if not first:
        return message(request, "apply_unemployment_title", "already_done", 409, back="/me/applications")
    end = Period.parse(done.start_period).plus_months(done.entitled_months - 1)
    return page(request, "citizen/apply_unemployment_done.html", {
        "claim": done, "end_period": str(end), "separation_date": command.separation_date, "region": region,
        "registered_on": china_today(now), "yuan": fen_to_yuan_grouped})


def _claim_region(session, who: Principal, claim_id: int) -> str:  # noqa: ANN001 - a Session
    return next(c["region_code"] for c in claims.claims_of(session=session, person_id=who.person_id)["unemployment"]
                if c["claim_id"] == claim_id)


# ------------------------------------------------------------------ transfer to another province


def _transfer_form(request: Request, rt: Runtime, *, province: str | None, errors: dict | None = None,
                   values: dict | None = None, status_code: int = 200) -> HTMLResponse:
    with rt.database.transaction() as session:
        provinces = registry.current_regions(session=session, level=1)
        chosen = province if province in {p.code for p in provinces} else None
        counties = registry.current_regions(session=session, level=3, within=chosen) if chosen else []
    return page(request, "citizen/apply_transfer.html", {
        "provinces": provinces, "province": chosen, "counties": counties, "errors": errors or {},
        "values": values or {"starts_on": china_today(rt.clock.now()).isoformat()}}, status_code=status_code)


@router.get("/me/apply/transfer", response_class=HTMLResponse)
def transfer_form(request: Request, rt: RuntimeDep, province: str | None = None):
    """Step 1: the province moved to (a link per province keeps it a plain GET), then the county and the start."""
    who, away = insured_login(request)
    if away:
        return away
    return _transfer_form(request, rt, province=(province or "")[:6] or None)


def _transfer_fields(to_region: str, starts_on: str) -> tuple[str, date]:
    region = to_region.strip()
    if not (region.isdigit() and len(region) in (6, 9)):
        raise InvalidInput("to_region.unknown", "请选择新参保地所在的区县", "choose the county where you now work")
    return region, _day(starts_on.strip(), "starts_on")


@router.post("/me/apply/transfer/plan", response_class=HTMLResponse)
def transfer_plan(request: Request, rt: RuntimeDep, to_region: Form40 = "", starts_on: Form40 = ""):
    """Step 2: what the transfer would move, before anything moves; one button applies."""
    who, away = insured_login(request)
    if away:
        return away
    values = {"to_region": to_region, "starts_on": starts_on}
    try:
        region, start = _transfer_fields(to_region, starts_on)
        with rt.database.transaction() as session:
            planned = transfers.plan(session=session, principal=who, person_id=who.person_id, to_region=region, on=start)
            region_name = registry.region_full_name(session=session, code=region)
    except DomainError as exc:
        return _transfer_form(request, rt, province=(to_region[:2] + "0000") if to_region[:2].isdigit() else None,
                              errors={TRANSFER_FIELDS.get(exc.code, "form"): reason_in(request, exc)}, values=values,
                              status_code=exc.status_code)
    names = _province_names(rt)
    return page(request, "citizen/apply_transfer_plan.html", {
        "plan": planned, "region_name": region_name, "starts_on": start, "names": names,
        "deadlines": _deadline_rows(planned["deadlines_working_days"]), "yuan": fen_to_yuan_grouped})


def _deadline_rows(deadlines: dict[str, int]) -> list[tuple[str, int]]:
    return [(step.value, deadlines[step.value]) for step in transfer_rules.DEADLINE_FROM if step.value in deadlines]


@router.post("/me/apply/transfer", response_class=HTMLResponse)
def apply_transfer(request: Request, rt: RuntimeDep, to_region: Form40 = "", starts_on: Form40 = "", once: Once = ""):
    """Step 3: the application, made once; its status is on /me/applications."""
    who, away = insured_login(request)
    if away:
        return away
    now = rt.clock.now()
    try:
        region, start = _transfer_fields(to_region, starts_on)
        with rt.database.transaction() as session:
            first = spend_once(session, who, once, now)
            if first:
                done = transfers.apply(session=session, principal=who, cipher=rt.cipher, now=now,
                                       command=TransferApply(person_id=who.person_id, to_region=region, starts_on=start,
                                                             channel="online"))
    except DomainError as exc:
        return _transfer_form(request, rt, province=(to_region[:2] + "0000") if to_region[:2].isdigit() else None,
                              errors={TRANSFER_FIELDS.get(exc.code, "form"): reason_in(request, exc)},
                              values={"to_region": to_region, "starts_on": starts_on}, status_code=exc.status_code)
    if not first:
        return message(request, "apply_transfer_title", "already_done", 409, back="/me/applications")
    done["next"] = _next_actor(done)
    names = _province_names(rt)
    return page(request, "citizen/apply_transfer_done.html", {"transfer": done, "names": names})
