"""`shebao user unlock USERNAME`, `shebao user unlock-address ADDRESS`, `shebao user reset-otp USERNAME`:
the operator's way back into a locked account, one that does not need the administrator account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from pydantic import BaseModel
from sqlalchemy.orm import Session

from shebao.accounts import service
from shebao.clikit import DbOpt, JsonOpt, command_group, emit, refuse, settings_for
from shebao.core.clock import SystemClock
from shebao.core.db import Database
from shebao.core.errors import DomainError
from shebao.core.security import SYSTEM

commands = typer.Typer()  # mounted by `shebao/cli.py`
user_app = command_group("user", "User accounts: unlock, second factor")
commands.add_typer(user_app)

UsernameArg = Annotated[str, typer.Argument(help="the account's username")]


def _as_operator(db: str | None, as_json: bool, call: Callable[[Session], BaseModel]) -> dict:
    """One use case in one transaction as the operator at the command line; refusals exit 1 with the reason."""
    database = Database(settings_for(db).database_url)
    try:
        with database.transaction() as session:
            return call(session).model_dump(mode="json")
    except DomainError as exc:
        refuse(exc, as_json)
    finally:
        database.dispose()


@user_app.command("unlock")
def unlock(username: UsernameArg, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Clear every failed-login count and lock of an account (every address, re-entered passwords too)."""
    result = _as_operator(db, as_json, lambda session: service.unlock_user(
        session=session, principal=SYSTEM, username=username, now=SystemClock().now()))
    state = "已解锁 unlocked" if result["was_locked"] else "未锁定 was not locked; counts cleared"
    disabled = "" if result["active"] else " · 账号已停用 the account is disabled"
    emit(result, as_json, f"{result['username']}: {state} ({result['counts_cleared']} counts){disabled}")


@user_app.command("unlock-address")
def unlock_address(address: Annotated[str, typer.Argument(help="the client address (an IPv6 address stands for its /64)")],
                   db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Clear the failed-login counts and locks of one address, for every account."""
    result = _as_operator(db, as_json, lambda session: service.unlock_source(
        session=session, principal=SYSTEM, address=address, now=SystemClock().now()))
    state = "已解锁 unlocked" if result["was_locked"] else "未锁定 was not locked; counts cleared"
    emit(result, as_json, f"{result['source']}: {state} ({result['counts_cleared']} counts)")


@user_app.command("reset-otp")
def reset_otp(username: UsernameArg, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Remove an account's second factor (a lost phone): the owner logs in with the password and enrols again."""
    result = _as_operator(db, as_json, lambda session: service.reset_second_factor(
        session=session, principal=SYSTEM, username=username, now=SystemClock().now()))
    emit(result, as_json, f"{result['username']}: 动态口令已移除 second factor removed")
