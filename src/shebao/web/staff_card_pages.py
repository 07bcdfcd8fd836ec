"""The card pages of the staff console: the production batches of the clerk's region with their forms (send the waiting
applications to the factory, record the factory's return file), handing a card out at the counter by ID number, and
the region's blacklist with listing and release.

Everything goes through the card context's services (cards/batch.py, cards/service.py, cards/bank.py), which judge a
batch on its region as stored, a person on where they live or hold hukou, an employer on its seat: outside the clerk's
region a batch is the same 404 page whether it exists or not, and a person or employer is refused like a stranger. The
ID number is typed in the form's body, never the address. Every form carries the CSRF token (page_router) and a
one-time token spent in the same transaction as the work, so a form sent twice does its work once; a refusal is shown
in words next to the form that was sent, and nothing is saved. Auditors read the pages; they see no form, and a form
they send anyway is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from sqlalchemy.orm import Session

from shebao.cards import bank
from shebao.cards import batch as production
from shebao.cards import service as cards
from shebao.core.clock import CHINA_TZ, as_utc
from shebao.core.errors import DomainError, InvalidInput, NotFound
from shebao.core.http import Runtime, RuntimeDep
from shebao.core.security import Principal, Role
from shebao.registry import service as registry
from shebao.web.kit import message, page, page_router, reason_in, record_number, spend_once
from shebao.web.staff_pages import _clerk, _region

router = page_router()
TEXT_MAX = 4000  # a form's free text, read at most; the services apply their own limits and say so
RETURN_FILE_MAX = 2 * 1024 * 1024  # a factory return file read at most (a county's batch is far smaller)
Text = Annotated[str, Form(max_length=TEXT_MAX)]
BLACKLIST_SHOWN = 200


def _china(at: datetime | None) -> str:
    """A stored instant (naive UTC) as Beijing time, to the minute."""
    return as_utc(at).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if at is not None else "—"


def _counter_clerk(request: Request) -> tuple[Principal | None, HTMLResponse | None]:
    """The clerk at the counter: logged in as staff, and not an auditor (auditors read; they hand nothing out)."""
    who, away = _clerk(request)
    if away is None and who.role == Role.AUDITOR:
        return None, message(request, "refused_title", "cards_read_only", 403, back="/staff/cards/hand-out")
    return who, away


def _not_found(request: Request, back: str) -> HTMLResponse:
    return message(request, "case_not_found_title", "cards_not_found", 404, back=back)


def _work(request: Request, rt: Runtime, who: Principal, once: str, done: str, action: Callable[[Session], object],
          show_again: Callable[[str, int], HTMLResponse], not_found_back: str | None = None) -> HTMLResponse:
    """One form's work in one transaction with its one-time token: done → `done`; sent twice → said so; refused → the
    page again with the refusal next to the form, nothing saved (the one-time token rolls back with it)."""
    if who.role == Role.AUDITOR:
        return message(request, "refused_title", "cards_read_only", 403, back=done)
    try:
        with rt.database.transaction() as session:
            first = spend_once(session, who, once, rt.clock.now())
            if first:
                action(session)
    except NotFound as exc:
        if not_found_back is not None:
            return _not_found(request, not_found_back)
        return show_again(reason_in(request, exc), exc.status_code)
    except DomainError as exc:
        return show_again(reason_in(request, exc), exc.status_code)
    if not first:
        return message(request, "refused_title", "already_done", 409, back=done)
    return RedirectResponse(done, status_code=303)


# ------------------------------------------------------------------ batches


def _batches_page(request: Request, rt: Runtime, who: Principal, *, error: str | None = None,
                  status_code: int = 200) -> HTMLResponse:
    region = _region(rt, who)
    with rt.database.transaction() as session:
        region_name = registry.region_full_name(session=session, code=region)
        batches = production.list_batches(session=session, principal=who, region=region)
        waiting = production.waiting_applications(session=session, principal=who, region=region)
    return page(request, "staff/cards_batches.html", {
        "region": region, "region_name": region_name, "batches": batches, "waiting": waiting, "error": error,
        "writes": who.role != Role.AUDITOR, "china": _china}, status_code=status_code)


@router.get("/staff/cards", response_class=HTMLResponse)
def batches(request: Request, rt: RuntimeDep):
    who, away = _clerk(request)
    return away or _batches_page(request, rt, who)


@router.post("/staff/cards/submit", response_class=HTMLResponse)
def submit(request: Request, rt: RuntimeDep, once: Text = ""):
    """Every application waiting in the clerk's region (as stored on the account) goes to the factory as one batch."""
    who, away = _clerk(request)
    if away:
        return away
    return _work(request, rt, who, once, "/staff/cards",
                 lambda session: production.submit_batch(session=session, principal=who, region_code=_region(rt, who),
                                                         now=rt.clock.now()),
                 lambda words, code: _batches_page(request, rt, who, error=words, status_code=code))


# ------------------------------------------------------------------ handing out at the counter (before /{batch_id})


def _hand_out_page(request: Request, who: Principal, *, found: dict | None = None, id_number: str = "",
                   error: str | None = None, handed: dict | None = None, status_code: int = 200) -> HTMLResponse:
    return page(request, "staff/cards_hand_out.html", {
        "found": found, "id_number": id_number, "error": error, "handed": handed,
        "writes": who.role != Role.AUDITOR}, status_code=status_code)


@router.get("/staff/cards/hand-out", response_class=HTMLResponse)
def hand_out_form(request: Request):
    who, away = _clerk(request)
    return away or _hand_out_page(request, who)


@router.post("/staff/cards/hand-out/find", response_class=HTMLResponse)
def hand_out_find(request: Request, rt: RuntimeDep, id_number: Text = ""):
    """The card waiting for the ID number typed (in the body), within the clerk's region; the look-up is audited."""
    who, away = _counter_clerk(request)
    if away:
        return away
    number = id_number.strip()
    try:
        with rt.database.transaction() as session:
            found = cards.card_waiting_for(session=session, cipher=rt.cipher, principal=who, id_number=number,
                                           now=rt.clock.now())
    except DomainError as exc:
        return _hand_out_page(request, who, id_number=number, error=reason_in(request, exc), status_code=exc.status_code)
    return _hand_out_page(request, who, found=found, id_number=number)


@router.post("/staff/cards/hand-out/done", response_class=HTMLResponse)
def hand_out_done(request: Request, rt: RuntimeDep, id_number: Text = "", identity_checked: Text = "",
                  once: Text = ""):
    """The clerk has checked the identity document and hands the card over: through cards.service, once."""
    who, away = _counter_clerk(request)
    if away:
        return away
    number = id_number.strip()
    handed: dict = {}
    try:
        with rt.database.transaction() as session:
            first = spend_once(session, who, once, rt.clock.now())
            if first:
                handed = cards.hand_out_at_counter(session=session, cipher=rt.cipher, principal=who, id_number=number,
                                                   identity_checked=identity_checked == "yes", now=rt.clock.now())
    except DomainError as exc:
        found = _still_waiting(rt, who, number)
        return _hand_out_page(request, who, found=found, id_number=number if found else "",
                              error=reason_in(request, exc), status_code=exc.status_code)
    if not first:
        return message(request, "refused_title", "already_done", 409, back="/staff/cards/hand-out")
    return _hand_out_page(request, who, handed=handed)


def _still_waiting(rt: Runtime, who: Principal, id_number: str) -> dict | None:
    """The card shown again beside a refusal (identity not ticked), or None when there is none to show."""
    try:
        with rt.database.transaction() as session:
            return cards.card_waiting_for(session=session, cipher=rt.cipher, principal=who, id_number=id_number,
                                          now=rt.clock.now())
    except DomainError:
        return None


# ------------------------------------------------------------------ one batch


def _batch_page(request: Request, rt: Runtime, who: Principal, batch_id: int, *, error: dict | None = None,
                status_code: int = 200) -> HTMLResponse:
    try:
        with rt.database.transaction() as session:
            found = production.describe_batch(session=session, principal=who, batch_id=batch_id)
    except DomainError:
        return _not_found(request, "/staff/cards")
    return page(request, "staff/cards_batch.html", {
        "batch": found, "error": error or {}, "writes": who.role != Role.AUDITOR, "china": _china,
        "columns": ",".join(production.RETURN_COLUMNS)}, status_code=status_code)


def _batch_of(request: Request, batch_id: str) -> tuple[Principal | None, int | None, HTMLResponse | None]:
    who, away = _clerk(request)
    if away:
        return None, None, away
    number = record_number(batch_id)
    return who, number, _not_found(request, "/staff/cards") if number is None else None


@router.get("/staff/cards/{batch_id}", response_class=HTMLResponse)
def batch_page(request: Request, rt: RuntimeDep, batch_id: str):
    who, number, away = _batch_of(request, batch_id)
    return away or _batch_page(request, rt, who, number)


@router.get("/staff/cards/{batch_id}/manifest.csv", response_class=PlainTextResponse)
def batch_manifest(request: Request, rt: RuntimeDep, batch_id: str):
    """The manifest for the factory, as the API gives it (staff and administrators)."""
    who, number, away = _batch_of(request, batch_id)
    if away:
        return away
    try:
        with rt.database.transaction() as session:
            text = production.manifest_of(session=session, principal=who, batch_id=number)
    except DomainError:
        return _not_found(request, "/staff/cards")
    return PlainTextResponse(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="batch-{number}-manifest.csv"'})


@router.post("/staff/cards/{batch_id}/return", response_class=HTMLResponse)
def batch_return(request: Request, rt: RuntimeDep, batch_id: str, file: Annotated[UploadFile | None, File()] = None,
                 once: Text = ""):
    """The factory's return file (CSV, UTF-8): every card of the batch gets its number — all rows or none; the rows
    refused are listed next to the form."""
    who, number, away = _batch_of(request, batch_id)
    if away:
        return away
    content = file.file.read(RETURN_FILE_MAX + 1) if file is not None else b""

    def record(session: Session) -> None:
        if not content:
            raise InvalidInput("batch.return_missing", "请选择制卡厂的回盘文件", "choose the factory's return file")
        if len(content) > RETURN_FILE_MAX:
            raise InvalidInput("batch.return_too_large", "回盘文件过大", "the return file is too large")
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("batch.return_encoding", "回盘文件须为 UTF-8 编码", "the return file is not UTF-8") from None
        production.record_factory_return(session=session, cipher=rt.cipher, principal=who, batch_id=number,
                                         csv_text=text, now=rt.clock.now())

    rejected: list[dict] = []

    def record_keeping_rows(session: Session) -> None:
        try:
            record(session)
        except InvalidInput as exc:
            rejected.extend(exc.details.get("rejected", []))
            raise

    return _work(request, rt, who, once, f"/staff/cards/{number}", record_keeping_rows,
                 lambda words, code: _batch_page(request, rt, who, number, error={"return": words, "rows": rejected},
                                                 status_code=code),
                 not_found_back="/staff/cards")


# ------------------------------------------------------------------ the blacklist


def _blacklist_page(request: Request, rt: Runtime, who: Principal, *, error: dict | None = None,
                    status_code: int = 200, released: bool = False) -> HTMLResponse:
    region = _region(rt, who)
    with rt.database.transaction() as session:
        region_name = registry.region_full_name(session=session, code=region)
        entries = bank.blacklist_entries(session=session, principal=who, region=region, released=released,
                                         limit=BLACKLIST_SHOWN)
    return page(request, "staff/cards_blacklist.html", {
        "region": region, "region_name": region_name, "entries": entries, "released": released,
        "error": error or {}, "writes": who.role != Role.AUDITOR, "grounds": bank.GROUND_NAMES,
        "shown": BLACKLIST_SHOWN}, status_code=status_code)


@router.get("/staff/blacklist", response_class=HTMLResponse)
def blacklist(request: Request, rt: RuntimeDep, released: str = ""):
    who, away = _clerk(request)
    return away or _blacklist_page(request, rt, who, released=released == "1")


@router.post("/staff/blacklist/add", response_class=HTMLResponse)
def blacklist_add(request: Request, rt: RuntimeDep, subject_kind: Text = "", identifier: Text = "",
                  ground: Text = "", reason: Text = "", once: Text = ""):
    """A person by ID number or an employer by credit code (typed in the body), listed today with a ground and reason."""
    who, away = _clerk(request)
    if away:
        return away
    return _work(request, rt, who, once, "/staff/blacklist",
                 lambda session: bank.list_by_identifier(session=session, cipher=rt.cipher, principal=who,
                                                         subject_kind=subject_kind.strip(), identifier=identifier.strip(),
                                                         ground=ground.strip(), reason=reason, now=rt.clock.now()),
                 lambda words, code: _blacklist_page(request, rt, who, error={"add": words}, status_code=code))


@router.post("/staff/blacklist/release", response_class=HTMLResponse)
def blacklist_release(request: Request, rt: RuntimeDep, entry_id: Text = "", reason: Text = "", once: Text = ""):
    """A listing released today, with the reason; the entry named in the body, judged on its subject as stored."""
    who, away = _clerk(request)
    if away:
        return away
    number = record_number(entry_id.strip())
    if number is None:
        return _not_found(request, "/staff/blacklist")
    return _work(request, rt, who, once, "/staff/blacklist",
                 lambda session: bank.release_today(session=session, principal=who, entry_id=number, reason=reason,
                                                    now=rt.clock.now()),
                 lambda words, code: _blacklist_page(request, rt, who, error={f"release_{number}": words},
                                                     status_code=code),
                 not_found_back="/staff/blacklist")
