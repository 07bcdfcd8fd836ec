"""What every page needs: who is logged in (any role), the language, the large-text mode, the template context,
CSRF protection for every form and one-time form tokens.

CSRF is the double-submit pattern: a random token in an HttpOnly, SameSite=Strict cookie (set by `PagePreferences`
on the first page a browser asks for) and the same token in a hidden `csrf` field of every form
(`{{ csrf_field() }}`). Every POST of a page router made by `page_router()` is refused with a 403 page unless the
two match. A form that must do its work once also carries `{{ once_field() }}`: a fresh random token that the
handler spends with `spend_once` in the same transaction as the work; a second submission finds it spent.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Cookie, Depends, FastAPI, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shebao.accounts import service as accounts
from shebao.core.clock import CHINA_TZ, as_utc
from shebao.core.errors import DomainError
from shebao.core.http import Runtime, invalid_request_answer, validation_reasons
from shebao.core.regions import level_of
from shebao.core.security import Principal, Role
from shebao.web.i18n import language, translator

TOKEN_COOKIE = "shebao_token"
CSRF_COOKIE = "shebao_csrf"
LANG_COOKIE = "lang"
TEXT_COOKIE = "text_size"
CSRF_FIELD = "csrf"
ONCE_FIELD = "once"
YEAR = 365 * 24 * 3600

LangQuery = Annotated[str | None, Query(max_length=2)]
LangCookie = Annotated[str | None, Cookie(alias=LANG_COOKIE)]
TokenCookie = Annotated[str | None, Cookie(alias=TOKEN_COOKIE)]
Form40 = Annotated[str, Form(max_length=40)]  # a short field of a page's form (an amount, a date, an ID number)
Once = Annotated[str, Form(max_length=200)]  # a form's one-time token

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"

# Where each role lands after logging in, and the header's links for it.
LANDING = {Role.INSURED: "/me", Role.EMPLOYER: "/employer", Role.STAFF: "/staff", Role.ADMIN: "/staff",
           Role.AUDITOR: "/staff"}
STAFF_NAV = (("/staff", "nav_staff"), ("/staff/comparison", "nav_comparison"), ("/staff/risk", "nav_risk"),
             ("/staff/cards", "nav_cards"), ("/staff/blacklist", "nav_blacklist"), ("/staff/runs", "nav_runs"))
NAV = {Role.INSURED: (("/me", "nav_record"), ("/me/pension", "nav_pension"), ("/me/card", "nav_card"), ("/ecard", "ecard"),
                       ("/me/reminders", "nav_reminders"), ("/me/applications", "nav_applications")),
       Role.EMPLOYER: (("/employer", "nav_employer"), ("/employer/hire", "nav_employees"),
                       ("/employer/bases", "nav_bases"), ("/employer/bills", "nav_bills")),
       Role.STAFF: STAFF_NAV, Role.ADMIN: STAFF_NAV, Role.AUDITOR: STAFF_NAV}


# ------------------------------------------------------------------ who, language, text size


def principal_for(rt: Runtime, token: str | None) -> Principal | None:
    """The principal of a login cookie, any role; None when there is none or it has expired or been revoked."""
    if not token:
        return None
    try:
        with rt.database.unit_of_work() as uow:
            return accounts.principal_for_token(session=uow.session, token=token[:200], now=rt.clock.now())
    except DomainError:
        return None


_NOBODY = object()


def current_principal(request: Request) -> Principal | None:
    """The logged-in principal of this request, looked up once per request."""
    found = getattr(request.state, "who", _NOBODY)
    if found is _NOBODY:
        found = principal_for(request.app.state.runtime, request.cookies.get(TOKEN_COOKIE))
        request.state.who = found
    return found


def chosen_language(request: Request) -> str:
    return language(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))


def large_text(request: Request) -> bool:
    asked = request.query_params.get("text")
    return asked == "large" if asked in ("large", "normal") else request.cookies.get(TEXT_COOKIE) == "large"


def landing_for(role: Role) -> str:
    return LANDING.get(role, "/")


def sees_cockpit(who: Principal | None) -> bool:
    """Managers at province level or above, administrators and auditors."""
    if who is None:
        return False
    if who.role in (Role.ADMIN, Role.AUDITOR):
        return True
    return who.role == Role.STAFF and bool(who.region_code) and level_of(who.region_code) <= 1


def nav_links(who: Principal | None) -> list[tuple[str, str]]:
    if who is None:
        return [("/login", "login")]
    links = list(NAV.get(who.role, ()))
    if sees_cockpit(who):
        links.append(("/cockpit", "nav_cockpit"))
    return links


# ------------------------------------------------------------------ templates


def _csrf_token(request: Request) -> str:
    return request.scope.get("state", {}).get(CSRF_COOKIE) or request.cookies.get(CSRF_COOKIE) or ""


def _page_globals(request: Request) -> dict:
    """Every template's header and forms: the login, the text size, the CSRF and one-time fields."""
    who = current_principal(request)
    token = _csrf_token(request)
    return {
        "who": who, "nav": nav_links(who), "large_text": large_text(request),
        "csrf_field": lambda: Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token),
        "once_field": lambda: Markup('<input type="hidden" name="{}" value="{}">').format(ONCE_FIELD, new_once()),
    }


def china_time(at: str | datetime | None) -> str:
    """An instant as people in China read it: Beijing time to the minute (instants are kept in UTC)."""
    if not at:
        return ""
    instant = datetime.fromisoformat(at) if isinstance(at, str) else at
    return as_utc(instant).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


templates = Jinja2Templates(directory=WEB_DIR / "templates", context_processors=[_page_globals])
templates.env.filters["china_time"] = china_time


def page(request: Request, template: str, context: dict | None = None, status_code: int = 200) -> HTMLResponse:
    """A page in the request's language: `t` and `lang` and whatever the page adds."""
    chosen = chosen_language(request)
    return templates.TemplateResponse(request, template, {"t": translator(chosen), "lang": chosen} | (context or {}),
                                      status_code=status_code)


def message(request: Request, title_key: str, message_key: str, status_code: int, back: str | None = None) -> HTMLResponse:
    """A short page that says one thing (refused, already done), with a way back."""
    return page(request, "message.html", {"title_key": title_key, "message_key": message_key, "back": back},
                status_code=status_code)


def record_number(text: str) -> int | None:
    """A record id from a page's address: digits only, the size of a record id; anything else finds nothing."""
    return int(text) if text.isdigit() and len(text) <= 18 else None


def reason_in(request: Request, exc: DomainError) -> str:
    """A service's refusal in the reader's language, to show next to the form or the field."""
    return exc.reason_en if chosen_language(request) == "en" else exc.reason


def login_as(request: Request, role: Role) -> tuple[Principal | None, RedirectResponse | None]:
    """The logged-in principal of `role`, linked to its person or employer; or where to send the browser instead:
    the login form, or another role's own page."""
    who = current_principal(request)
    if who is None:
        return None, RedirectResponse("/login", status_code=303)
    linked = who.person_id if role == Role.INSURED else who.employer_id if role == Role.EMPLOYER else True
    if who.role != role or not linked:
        return None, RedirectResponse(landing_for(who.role), status_code=303)
    return who, None


def insured_login(request: Request) -> tuple[Principal | None, RedirectResponse | None]:
    """The insured person logged in, or where to send the browser instead."""
    return login_as(request, Role.INSURED)


def refused(request: Request, exc: DomainError) -> HTMLResponse:
    """A service's refusal as a page, in the reader's language."""
    chosen = chosen_language(request)
    return page(request, "message.html", {"title_key": "refused_title", "text": exc.reason_en if chosen == "en" else exc.reason,
                                          "back": "/"}, status_code=exc.status_code)


# ------------------------------------------------------------------ CSRF


class CsrfRefused(Exception):  # noqa: N818 - an answer, not a fault
    """A form came without the token of the browser that was shown it."""


async def csrf_protect(request: Request) -> None:
    """Every POST of a page router: the form's `csrf` field must equal the browser's CSRF cookie."""
    if request.method != "POST":
        return
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or len(cookie) < 32 or not secrets.compare_digest(sent.encode(), cookie.encode()):
        raise CsrfRefused


def page_router() -> APIRouter:
    """A router of pages: kept out of the API document, every POST checked for its CSRF token."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def set_csrf_cookie(response: HTMLResponse, token: str | None = None) -> None:
    """A fresh token (at login: a new session gets a new token)."""
    response.set_cookie(CSRF_COOKIE, token or new_csrf_token(), httponly=True, samesite="strict", path="/")


def set_login_cookie(response: HTMLResponse, token: str, max_age: int) -> None:
    """The session cookie: HttpOnly, SameSite=Strict; Secure off this machine (core.http.SecurityHeaders adds it)."""
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict", max_age=max_age, path="/")


async def _csrf_refused_page(request: Request, exc: CsrfRefused) -> HTMLResponse:
    return message(request, "csrf_title", "csrf_refused", 403, back=_form_page(request.url.path))


async def _invalid_form_page(request: Request, exc: RequestValidationError) -> Response:
    """A page's form or address the framework refused before the page ran (a field too long): a page in words, not
    JSON; the API keeps its JSON answer."""
    if request.url.path.startswith(NOT_PAGES):
        return await invalid_request_answer(request, exc)
    zh, en, _ = validation_reasons(exc)
    back = _form_page(request.url.path) if request.method == "POST" else "/"
    return page(request, "message.html", {"title_key": "refused_title", "text": en if chosen_language(request) == "en" else zh,
                                          "back": back}, status_code=422)


def _form_page(action: str) -> str:
    """The page that shows a form posting to `action` (/staff/person → /staff, /ecard/open → /ecard; /login itself)."""
    parent = action.rsplit("/", 1)[0]
    return parent or ("/login" if action == "/login" else "/")


# ------------------------------------------------------------------ one-time forms


def new_once() -> str:
    return secrets.token_urlsafe(24)


def spend_once(session: Session, who: Principal | None, token: str | None, now) -> bool:  # noqa: ANN001 - a datetime
    """Spends the form's one-time token in the caller's transaction: True the first time, False when already done.
    A missing or malformed token is refused (InvalidInput) like any bad field."""
    return accounts.spend_form_token(session=session, token=token or "", actor=who.actor if who else "anonymous", now=now)


# ------------------------------------------------------------------ preferences and the CSRF cookie


NOT_PAGES = ("/api/", "/static/", "/docs", "/openapi")
RETURN_COOKIE = "after_login"
RETURN_PATH = re.compile(r"/[a-z0-9/_.-]{1,120}")  # a page's plain path: never a query, another host or personal data


class PagePreferences:
    """On every page (not /api, not /static): the CSRF cookie when the browser has none, and `?lang=` and `?text=`
    remembered as cookies, so that one click switches the language or the text size on every page after it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(NOT_PAGES):
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        query = _query(scope)
        extra: list[str] = []
        if len(cookies.get(CSRF_COOKIE, "")) < 32:
            token = new_csrf_token()
            scope.setdefault("state", {})[CSRF_COOKIE] = token
            extra.append(f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict")
        if scope.get("method") == "GET":  # a choice is a link followed; a form's own ?lang= is for its answer only
            if query.get("lang") in ("zh", "en"):
                extra.append(f"{LANG_COOKIE}={query['lang']}; Max-Age={YEAR}; Path=/; HttpOnly; SameSite=Lax")
            if query.get("text") in ("large", "normal"):
                extra.append(f"{TEXT_COOKIE}={query['text']}; Max-Age={YEAR}; Path=/; HttpOnly; SameSite=Lax")
        # Who is logged in, looked up before the page runs: a page that renders inside its own transaction must not
        # open a second one for the header (SQLite has one writer).
        runtime = getattr(getattr(scope.get("app"), "state", None), "runtime", None)
        if runtime is not None:
            token = cookies.get(TOKEN_COOKIE)
            scope.setdefault("state", {})["who"] = await run_in_threadpool(principal_for, runtime, token) if token else None

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start" and _sent_to_log_in(scope, message):
                extra.append(f"{RETURN_COOKIE}={path}; Max-Age=600; Path=/; HttpOnly; SameSite=Strict")
            if message["type"] == "http.response.start" and extra:
                present = b" ".join(v for k, v in message.get("headers", []) if k.lower() == b"set-cookie")
                added = [(b"set-cookie", c.encode("latin-1")) for c in extra
                         if c.split("=", 1)[0].encode() + b"=" not in present]  # the page's own choice wins
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, send_with_cookies)


def _sent_to_log_in(scope: Scope, message: Message) -> bool:
    """A page asked for without a login: remember it (a plain path, no query) to go back to once logged in."""
    return (scope.get("method") == "GET" and message.get("status") == 303
            and (b"location", b"/login") in message.get("headers", []) and RETURN_PATH.fullmatch(scope["path"]) is not None
            and scope["path"] not in ("/login", "/logout"))


def return_after_login(request: Request, who: Principal) -> str:
    """Where a fresh login goes: the page asked for before it, when this role may open it; else the role's landing."""
    wanted = request.cookies.get(RETURN_COOKIE, "")
    if RETURN_PATH.fullmatch(wanted) and any(wanted == href or wanted.startswith(href + "/")
                                             for href, _ in nav_links(who)):
        return wanted
    return landing_for(who.role)


def _cookies(scope: Scope) -> dict[str, str]:
    raw = b"; ".join(v for k, v in scope.get("headers", []) if k == b"cookie").decode("latin-1")
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # noqa: BLE001 - a malformed cookie header is as good as none
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _query(scope: Scope) -> dict[str, str]:
    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))[:20])


def install(app: FastAPI) -> None:
    """The page machinery on an app: the preferences and CSRF cookie, and the CSRF refusal page."""
    app.add_middleware(PagePreferences)
    app.add_exception_handler(CsrfRefused, _csrf_refused_page)
    app.add_exception_handler(RequestValidationError, _invalid_form_page)
