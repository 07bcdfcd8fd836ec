"""Accounts HTTP API: log in for a bearer token, log out, who am I, create users, enrol a second factor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shebao.accounts import service
from shebao.accounts.schemas import (
    SecondFactorConfirm,
    SecondFactorEnrolmentRead,
    SecondFactorRead,
    SecondFactorStart,
    TokenRead,
    UserCreate,
    UserRead,
)
from shebao.core.http import NowDep, PrincipalDep, RuntimeDep, SessionDep, token_ttl
from shebao.core.security import Principal

router = APIRouter(prefix="/api/v1", tags=["accounts"])
_bearer = HTTPBearer(auto_error=False)


def client_address(request: Request) -> str | None:
    """The address a request came from, as the server saw it (behind a proxy, uvicorn's --forwarded-allow-ips
    decides whether X-Forwarded-For is believed)."""
    return request.client.host if request.client else None


@router.post("/auth/token", response_model=TokenRead,
             summary="Log in: username and password (and the one-time code once a second factor is enrolled) for a bearer token")
def issue_token(request: Request, rt: RuntimeDep, username: Annotated[str, Form(max_length=64)],
                password: Annotated[str, Form(max_length=200)],
                otp: Annotated[str | None, Form(max_length=12, description="the six-digit code of an enrolled second factor")] = None):
    # Its own transaction: a failed attempt must be counted even though the request is refused.
    with rt.database.unit_of_work() as uow:
        outcome = service.log_in(session=uow.session, cipher=rt.cipher, username=username, password=password, otp=otp,
                                 now=rt.clock.now(), token_ttl=token_ttl(rt.settings), policy=service.login_policy(rt.settings),
                                 source=client_address(request))
        uow.commit()
    if outcome.error is not None:
        raise outcome.error
    return outcome.token


@router.post("/auth/logout", status_code=204, summary="Revoke the bearer token")
def log_out(session: SessionDep, who: PrincipalDep,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]):
    if credentials is not None:
        service.log_out(session=session, token=credentials.credentials)


@router.get("/auth/me", summary="Who the token stands for")
def who_am_i(who: PrincipalDep) -> dict:
    return _describe(who)


@router.post("/auth/totp", response_model=SecondFactorEnrolmentRead, status_code=201,
             summary="Start enrolling a TOTP second factor (staff, auditors, administrators; the password again)")
def start_second_factor(body: SecondFactorStart, rt: RuntimeDep, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.begin_second_factor(session=session, cipher=rt.cipher, principal=who, password=body.password, now=now,
                                       policy=service.login_policy(rt.settings))


@router.post("/auth/totp/confirm", response_model=SecondFactorRead,
             summary="Turn the second factor on with the first code the authenticator app shows")
def confirm_second_factor(body: SecondFactorConfirm, rt: RuntimeDep, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.confirm_second_factor(session=session, cipher=rt.cipher, principal=who, code=body.code, now=now,
                                         policy=service.login_policy(rt.settings))


@router.post("/users", response_model=UserRead, status_code=201, summary="Create a user (administrators)")
def create_user(body: UserCreate, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.create_user(session=session, principal=who, command=body, now=now)


def _describe(who: Principal) -> dict:
    return {"username": who.username, "role": who.role, "region_code": who.region_code,
            "person_id": who.person_id, "employer_id": who.employer_id}
