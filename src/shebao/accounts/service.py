"""Account use cases: create users, log in with lockout, resolve bearer tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.accounts.models import AuthToken, User
from shebao.accounts.schemas import TokenRead, UserCreate, UserRead
from shebao.core import audit
from shebao.core.clock import utc_naive
from shebao.core.errors import Conflict, InvalidInput, Locked, Unauthenticated
from shebao.core.security import (
    Principal,
    Role,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)
from shebao.registry.models import Employer, Person
from shebao.registry.service import get_region

# Verified when the username is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = hash_password("shebao-no-such-user")


def create_user(*, session: Session, principal: Principal, command: UserCreate, now: datetime) -> UserRead:
    """Creates a user account (administrators only) bound to what its role needs."""
    principal.require_role(Role.ADMIN)
    _check_binding(session, command)
    if session.scalar(select(User).where(User.username == command.username)) is not None:
        raise Conflict("user.duplicate", f"用户名 {command.username} 已存在", f"username {command.username} is taken")
    user = User(username=command.username, display_name=command.display_name,
                password_hash=hash_password(command.password), role=command.role.value,
                region_code=command.region_code, person_id=command.person_id, employer_id=command.employer_id,
                bank_code=command.bank_code, failed_logins=0, locked_until=None, active=True, created_at=utc_naive(now))
    session.add(user)
    session.flush()
    audit.append(session, actor=principal.actor, action="user.created", subject=f"user:{user.id}", now=now,
                 role=user.role, region=user.region_code)
    return _read(user)


def _check_binding(session: Session, command: UserCreate) -> None:
    if command.role == Role.STAFF:
        if not command.region_code:
            raise InvalidInput("user.region_required", "经办人员账号必须指定管辖区域", "a staff account needs a region")
        get_region(session=session, code=command.region_code)
    elif command.region_code:
        raise InvalidInput("user.region_not_allowed", "只有经办人员账号有管辖区域", "only staff accounts have a region")
    if command.role == Role.INSURED and (command.person_id is None or session.get(Person, command.person_id) is None):
        raise InvalidInput("user.person_required", "参保人账号必须绑定已登记的人员", "an insured account is bound to a registered person")
    if (command.role == Role.BANK) != bool(command.bank_code):
        raise InvalidInput("user.bank_code", "银行账号必须且只有银行账号指定银行代码", "a bank account, and only a bank account, names its bank code")
    if command.role == Role.EMPLOYER and (command.employer_id is None or session.get(Employer, command.employer_id) is None):
        raise InvalidInput("user.employer_required", "单位账号必须绑定已登记的单位", "an employer account is bound to a registered employer")


@dataclass(frozen=True)
class LoginOutcome:
    """A login's result. Failures are returned, not raised, so that the failure count is committed."""

    token: TokenRead | None = None
    error: Exception | None = None


def log_in(*, session: Session, username: str, password: str, now: datetime, token_ttl: timedelta,
           max_failures: int, lock_for: timedelta) -> LoginOutcome:
    """Checks a password; locks the account for a while after max_failures wrong passwords in a row."""
    stamp = utc_naive(now)
    user = session.scalar(select(User).where(User.username == username[:64]))
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return LoginOutcome(error=_bad_credentials())
    if user.locked_until is not None and user.locked_until > stamp:
        return LoginOutcome(error=_locked(user))
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = stamp + lock_for
            user.failed_logins = 0
            audit.append(session, actor=f"user:{user.username}", action="user.locked", subject=f"user:{user.id}", now=now,
                         until=user.locked_until.isoformat())
            return LoginOutcome(error=_locked(user))
        return LoginOutcome(error=_bad_credentials())
    user.failed_logins, user.locked_until = 0, None
    token = new_token()
    expires = stamp + token_ttl
    session.add(AuthToken(token_digest=token_digest(token), user_id=user.id, issued_at=stamp, expires_at=expires, revoked=False))
    audit.append(session, actor=f"{user.role}:{user.username}", action="user.logged_in", subject=f"user:{user.id}", now=now)
    return LoginOutcome(token=TokenRead(access_token=token, expires_at=expires, role=Role(user.role), region_code=user.region_code))


def _bad_credentials() -> Unauthenticated:
    return Unauthenticated("auth.bad_credentials", "用户名或密码错误", "wrong username or password")


def _locked(user: User) -> Locked:
    return Locked("auth.locked", f"连续登录失败次数过多，账号已锁定至 {user.locked_until:%Y-%m-%d %H:%M} (UTC)",
                  f"too many failed logins in a row; locked until {user.locked_until:%Y-%m-%d %H:%M} UTC")


def principal_for_token(*, session: Session, token: str, now: datetime) -> Principal:
    """The principal a bearer token stands for, if the token is known, unrevoked and unexpired."""
    record = session.get(AuthToken, token_digest(token))
    if record is None or record.revoked:
        raise Unauthenticated("auth.token_invalid", "登录凭证无效，请重新登录", "the token is not valid; log in again")
    if record.expires_at <= utc_naive(now):
        raise Unauthenticated("auth.token_expired", "登录已过期，请重新登录", "the token has expired; log in again")
    user = session.get(User, record.user_id)
    if user is None or not user.active:
        raise Unauthenticated("auth.token_invalid", "登录凭证无效，请重新登录", "the token is not valid; log in again")
    return Principal(user_id=user.id, username=user.username, role=Role(user.role), region_code=user.region_code,
                     person_id=user.person_id, employer_id=user.employer_id, bank_code=user.bank_code)


def log_out(*, session: Session, token: str) -> None:
    """Revokes a bearer token."""
    record = session.get(AuthToken, token_digest(token))
    if record is not None:
        record.revoked = True


def _read(user: User) -> UserRead:
    return UserRead(id=user.id, username=user.username, display_name=user.display_name, role=Role(user.role),
                    region_code=user.region_code, person_id=user.person_id, employer_id=user.employer_id,
                    bank_code=user.bank_code)


def confirm_password(*, session: Session, principal: Principal, password: str | None, now: datetime | None = None) -> bool:
    """Whether the logged-in user typed their password again correctly (re-authentication)."""
    user = session.get(User, principal.user_id) if principal.user_id is not None else None
    return bool(user is not None and password and verify_password(user.password_hash, password))


def disable_logins_of_person(*, session: Session, person_id: int, reason: str, actor: str, now: datetime) -> int:
    """Every login bound to the person stops working, and their tokens are revoked (a death)."""
    users = session.scalars(select(User).where(User.person_id == person_id, User.active.is_(True))).all()
    for user in users:
        user.active = False
        for token in session.scalars(select(AuthToken).where(AuthToken.user_id == user.id, AuthToken.revoked.is_(False))):
            token.revoked = True
        audit.append(session, actor=actor, action="user.disabled", subject=f"user:{user.id}", now=now, reason=reason)
    return len(users)
