"""HTTP plumbing shared by every context's router: dependencies, error mapping, limits, logging."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shebao.core.clock import Clock
from shebao.core.db import Database
from shebao.core.errors import DomainError, Unauthenticated, validation_problem_zh
from shebao.core.security import FieldCipher, Principal

if TYPE_CHECKING:
    from shebao.settings import Settings

log = structlog.get_logger("shebao.http")


# Who a bearer token stands for: the accounts context answers; the app hands its function in, so that the
# shared kernel depends on no context above it.
Authenticate = Callable[..., Principal]  # (*, session, token, now) -> Principal


@dataclass
class Runtime:
    """What a running app holds: settings, database, clock, the field cipher and how tokens are resolved."""

    settings: Settings
    database: Database
    clock: Clock
    cipher: FieldCipher
    authenticate: Authenticate
    card_keys: object | None = None  # the cards context's KeyStore, made on first use


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def db_session(rt: Annotated[Runtime, Depends(runtime)]) -> Iterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back if it raises."""
    with rt.database.unit_of_work() as uow:
        yield uow.session
        uow.commit()


def now(rt: Annotated[Runtime, Depends(runtime)]) -> datetime:
    return rt.clock.now()


def cipher(rt: Annotated[Runtime, Depends(runtime)]) -> FieldCipher:
    return rt.cipher


_bearer = HTTPBearer(auto_error=False)


def principal(
    request: Request,
    rt: Annotated[Runtime, Depends(runtime)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The authenticated caller. Tokens are checked in their own short transaction, once per request
    (the authorization dependency usually has already done it)."""
    known = getattr(request.state, "principal", None)
    if known is not None:
        return known
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("auth.required", "请先登录（请求须携带访问令牌）", "log in first: a bearer token is required")
    with rt.database.unit_of_work() as uow:
        request.state.principal = rt.authenticate(session=uow.session, token=credentials.credentials[:200],
                                                  now=rt.clock.now())
    return request.state.principal


SessionDep = Annotated[Session, Depends(db_session)]
NowDep = Annotated[datetime, Depends(now)]
CipherDep = Annotated[FieldCipher, Depends(cipher)]
PrincipalDep = Annotated[Principal, Depends(principal)]
RuntimeDep = Annotated[Runtime, Depends(runtime)]


def error_body(code: str, reason: str, reason_en: str, **details: object) -> dict:
    body: dict = {"code": code, "reason": reason, "reason_en": reason_en}
    if details:
        body["details"] = details
    return {"error": body}


# Where in a request a field that failed validation lies, in Chinese.
_LOCATIONS_ZH = {"body": "请求正文", "query": "查询参数", "path": "路径参数", "header": "请求头", "cookie": "请求头"}


def _where_zh(loc: tuple | list) -> str:
    """The place of a validation problem for a Chinese reason: the part of the request, then the field's own name
    (an identifier of the API, quoted as literal text): 请求正文中的「effective_from」."""
    parts = [str(p) for p in loc]
    place = _LOCATIONS_ZH.get(parts[0]) if parts else None
    field = ".".join(parts[1:] if place else parts)
    if place:
        return f"{place}中的「{field}」" if field else place
    return f"「{field}」" if field else ""


def validation_reasons(exc: RequestValidationError) -> tuple[str, str, list[dict]]:
    """What was wrong with a request, in Chinese and English, and every problem found (field, problem)."""
    errors = exc.errors()
    problems = [{"field": ".".join(str(p) for p in err.get("loc", ())), "problem": err.get("msg", "")} for err in errors]
    first = problems[0] if problems else {"field": "", "problem": "invalid"}
    zh = (_where_zh(errors[0].get("loc", ())) + validation_problem_zh(errors[0].get("type", ""))) if errors else "不符合要求"
    return f"请求内容有误：{zh}", f"invalid request: {first['field']}: {first['problem']}", problems


async def invalid_request_answer(request: Request, exc: RequestValidationError) -> JSONResponse:
    zh, en, problems = validation_reasons(exc)
    log.info("request.invalid", path=request.url.path, problems=len(problems))
    return JSONResponse(error_body("request.invalid", zh, en, problems=problems), status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        log.info("request.refused", path=request.url.path, code=exc.code, status=exc.status_code)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse({"error": exc.as_dict()}, status_code=exc.status_code, headers=headers)

    app.add_exception_handler(RequestValidationError, invalid_request_answer)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's answer to a body it cannot decode (bad UTF-8, broken JSON)
            body = error_body("request.malformed", "请求内容无法解析：须为 UTF-8 编码的 JSON",
                              "the request body cannot be read: it must be UTF-8 encoded JSON")
            return JSONResponse(body, status_code=400)
        reasons = {404: ("没有这个地址", "no such address"), 405: ("不支持此请求方法", "method not allowed")}
        zh, en = reasons.get(exc.status_code, (f"请求未能处理（状态码 {exc.status_code}）", str(exc.detail)))
        return JSONResponse(error_body(f"http.{exc.status_code}", zh, en), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))


class BodySizeLimit:
    """Refuses request bodies over a limit before the endpoint reads them (413)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _send_too_large(send, self.max_bytes)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await _send_too_large(send, self.max_bytes)


class _TooLarge(Exception):
    pass


class NulRefusal:
    """Refuses a NUL character in a JSON body or a query string (422) before any endpoint sees it: PostgreSQL
    stores no NUL in a text column, and no name, note or code of ours holds one. Multipart bodies (files) pass."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b""):
            await _send_nul(send)
            return
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"")
        if not content_type.lower().startswith(b"application/json"):
            await self.app(scope, receive, send)
            return
        messages, body = [], b""
        while True:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"") if message["type"] == "http.request" else b""
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        if b"\\u0000" in body.lower():
            await _send_nul(send)
            return
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)


async def _send_nul(send: Send) -> None:
    import json

    body = json.dumps(error_body("request.nul_character", "请求内容含有空字符（NUL），无法保存，请删除后重试",
                                 "the request holds a NUL character, which cannot be stored; remove it and retry"),
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _send_too_large(send: Send, max_bytes: int) -> None:
    import json

    body = json.dumps(error_body("request.too_large", f"请求内容超过 {max_bytes} 字节",
                                 f"the request body is over {max_bytes} bytes"), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def install_request_logging(app: FastAPI) -> None:
    @app.middleware("http")
    async def _log(request: Request, call_next):  # noqa: ANN001, ANN202
        request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex[:16]
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        response.headers["x-request-id"] = request_id
        log.info("request", method=request.method, path=request.url.path, status=response.status_code,
                 ms=round((time.perf_counter() - started) * 1000, 1), request_id=request_id)
        return response


def download(content: bytes, media_type: str, file_name: str) -> Response:
    """A file to save, never cached: its name (Chinese included) in RFC 6266/5987 form, with an ASCII fallback."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in file_name) or "file"
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"
    return Response(content=content, media_type=media_type,
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


def token_ttl(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.token_ttl_minutes)


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]", "testserver"}
# Pages use no inline script (static/*.js); inline style attributes draw the charts' bars. The API
# documentation page starts Swagger UI with an inline script, so it alone may run one.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]


class SecurityHeaders:
    """Every response: no sniffing, no framing, a content security policy, no referrer; every cookie
    HttpOnly with a SameSite policy, and Secure unless the site is served on this machine only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1").rsplit(":", 1)[0].lower()
        secure = scope.get("scheme") == "https" or host not in LOCAL_HOSTS
        policy = DOCS_CONTENT_SECURITY_POLICY if scope.get("path", "").startswith("/docs") else CONTENT_SECURITY_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, harden_cookie(v, secure) if k.lower() == b"set-cookie" else v)
                           for k, v in message.get("headers", [])]
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", policy.encode()))
                if secure and b"strict-transport-security" not in present:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def harden_cookie(value: bytes, secure: bool) -> bytes:
    """A Set-Cookie value with HttpOnly, a SameSite policy and (off this machine) Secure."""
    text = value.decode("latin-1")
    attributes = {part.strip().split("=", 1)[0].lower() for part in text.split(";")[1:]}
    if "httponly" not in attributes:
        text += "; HttpOnly"
    if "samesite" not in attributes:
        text += "; SameSite=Lax"
    if secure and "secure" not in attributes:
        text += "; Secure"
    return text.encode("latin-1")
