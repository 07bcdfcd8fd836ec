"""Accounts HTTP API: log in for a bearer token, log out, who am I, create users."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shebao.accounts import service
from shebao.accounts.schemas import TokenRead, UserCreate, UserRead
from shebao.core.http import NowDep, PrincipalDep, RuntimeDep, SessionDep, token_ttl
from shebao.core.security import Principal

router = APIRouter(prefix="/api/v1", tags=["accounts"])
_bearer = HTTPBearer(auto_error=False)


@router.post("/auth/token", response_model=TokenRead, summary="Log in: username and password for a bearer token")
def issue_token(rt: RuntimeDep, username: Annotated[str, Form(max_length=64)],
                password: Annotated[str, Form(max_length=200)]):
    # Its own transaction: a failed attempt must be counted even though the request is refused.
    with rt.database.unit_of_work() as uow:
        outcome = service.log_in(session=uow.session, username=username, password=password, now=rt.clock.now(),
                                 token_ttl=token_ttl(rt.settings), max_failures=rt.settings.login_max_failures,
                                 lock_for=timedelta(minutes=rt.settings.login_lock_minutes))
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


@router.post("/users", response_model=UserRead, status_code=201, summary="Create a user (administrators)")
def create_user(body: UserCreate, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.create_user(session=session, principal=who, command=body, now=now)


def _describe(who: Principal) -> dict:
    return {"username": who.username, "role": who.role, "region_code": who.region_code,
            "person_id": who.person_id, "employer_id": who.employer_id}
