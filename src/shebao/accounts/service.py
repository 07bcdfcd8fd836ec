"""Account use cases: create users; log in, counted and locked per address and per account; the second
factor (TOTP) of staff, auditors and administrators; the password entered again before a sensitive act;
unlocking by the operator; the logins of a person who died.

How failures are counted (thresholds and durations are SHEBAO_LOGIN_* settings, see `login_policy`):

- per address, whatever account it tries: an address that fails too often is locked for a while;
- per account and address: five wrong passwords lock that account *from that address* only, so an
  attacker elsewhere cannot lock the owner out;
- per account from every address together, at a higher threshold: a spread-out attack still locks the
  account; a correct second factor (with the password) logs in all the same;
- re-entered passwords (opening the e-card, an online PIN reset, enrolling a second factor) come from a
  session that is already logged in: five wrong ones lock the account itself, for login and re-entry alike.

A refusal rolls the use case back; the failure it counted is written again in a transaction of its own
(see `_keep_after_rollback`), so a refusal can never be used to guess for free.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import segno
from sqlalchemy import delete, event, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from shebao.accounts.models import AuthToken, FormSubmission, LoginThrottle, User
from shebao.accounts.rules import (
    SESSION_SOURCE,
    LoginPolicy,
    china_minute,
    china_time,
    clear,
    count_failure,
    is_locked,
    login_source,
    matching_totp_step,
    new_totp_secret,
    totp_uri,
    typed_username,
)
from shebao.accounts.schemas import SecondFactorEnrolmentRead, SecondFactorRead, TokenRead, UnlockRead, UserCreate, UserRead
from shebao.core import audit
from shebao.core.clock import utc_naive
from shebao.core.errors import Conflict, InvalidInput, Locked, NotFound, Unauthenticated
from shebao.core.security import (
    FieldCipher,
    Principal,
    Role,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)
from shebao.registry.models import Employer, Person
from shebao.registry.service import get_region
from shebao.settings import Settings, get_settings

# Verified when the username is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = hash_password("shebao-no-such-user")
SECOND_FACTOR_ROLES = (Role.STAFF, Role.AUDITOR, Role.ADMIN)
_TOTP_FIELD = "totp_secret"  # the authenticated data of the secret's encryption


def login_policy(settings: Settings) -> LoginPolicy:
    return LoginPolicy(max_failures=settings.login_max_failures, lock_for=timedelta(minutes=settings.login_lock_minutes),
                       account_max_failures=settings.login_account_max_failures,
                       source_max_failures=settings.login_source_max_failures,
                       source_lock_for=timedelta(minutes=settings.login_source_lock_minutes),
                       window=timedelta(minutes=settings.login_failure_window_minutes))


def create_user(*, session: Session, principal: Principal, command: UserCreate, now: datetime) -> UserRead:
    """Creates a user account (administrators only) bound to what its role needs."""
    principal.require_role(Role.ADMIN)
    _check_binding(session, command)
    if session.scalar(select(User).where(User.username == command.username)) is not None:
        raise Conflict("user.duplicate", f"用户名「{command.username}」已存在", f"username {command.username} is taken")
    user = User(username=command.username, display_name=command.display_name,
                password_hash=hash_password(command.password), role=command.role.value,
                region_code=command.region_code or None, person_id=command.person_id, employer_id=command.employer_id,
                bank_code=command.bank_code or None, failed_logins=0, locked_until=None, active=True,
                created_at=utc_naive(now))  # an empty region or bank code is none (regions.code is a foreign key)
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
    # A staff account may name the clerk's own person record, so that the in-process risk rule R24 keeps the clerk
    # off it (and the screening finds who acted on whose record).
    if command.role == Role.STAFF and command.person_id is not None and session.get(Person, command.person_id) is None:
        raise InvalidInput("user.person_unknown", "经办人员账号绑定的人员未登记", "a staff account's own person must be registered")
    if command.role not in (Role.INSURED, Role.STAFF) and command.person_id is not None:
        raise InvalidInput("user.person_not_allowed", "只有参保人和经办人员账号绑定人员",
                           "only an insured person's or a staff member's account is bound to a person")
    if command.role != Role.EMPLOYER and command.employer_id is not None:
        raise InvalidInput("user.employer_not_allowed", "只有单位账号绑定单位", "only an employer's account is bound to an employer")


# ------------------------------------------------------------------ logging in


@dataclass(frozen=True)
class LoginOutcome:
    """A login's result. Failures are returned, not raised, so that the failure count is committed."""

    token: TokenRead | None = None
    error: Exception | None = None


def log_in(*, session: Session, cipher: FieldCipher, username: str, password: str, now: datetime, token_ttl: timedelta,
           policy: LoginPolicy, source: str | None, otp: str | None = None) -> LoginOutcome:
    """Checks a password (and the second factor once enrolled), counting failures per address and per account.

    `source` is the client's address as the server saw it; the caller commits the session either way.
    """
    stamp, where = utc_naive(now), login_source(source)
    name = typed_username(username)
    # The account's row first: parallel attempts on one account wait here, then each sees the counts before it.
    user = session.scalar(select(User).where(User.username == name).with_for_update())
    by_source = session.get(LoginThrottle, _source_key(where))
    if is_locked(by_source, stamp):  # before any password is hashed: a locked address costs nothing
        return LoginOutcome(error=_source_locked(by_source.locked_until))
    here = session.get(LoginThrottle, _pair_key(name, where))
    if is_locked(here, stamp):
        return LoginOutcome(error=_locked_here(here.locked_until))
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return LoginOutcome(error=_count_login_failure(session, None, name, where, stamp, now, policy) or _bad_credentials())
    second_factor = user.totp_confirmed_at is not None
    account_locked = is_locked(user, stamp)
    if account_locked and not (second_factor and otp):
        return LoginOutcome(error=_account_locked(user.locked_until, second_factor))
    if not verify_password(user.password_hash, password):
        refusal = _count_login_failure(session, user, name, where, stamp, now, policy)
        # While the account is locked, a wrong password and a wrong code get the same answer.
        return LoginOutcome(error=_account_locked(user.locked_until, True) if account_locked else refusal or _bad_credentials())
    if second_factor:
        if not otp:
            return LoginOutcome(error=Unauthenticated("auth.otp_required", "此账号已启用动态口令，请同时输入动态口令",
                                                      "this account has a second factor: give the one-time code too"))
        step = matching_totp_step(_totp_secret(cipher, user), otp, now=now, after_step=user.totp_last_step)
        if step is None:
            refusal = _count_login_failure(session, user, name, where, stamp, now, policy)
            return LoginOutcome(error=_account_locked(user.locked_until, True) if account_locked else refusal or _otp_wrong())
        user.totp_last_step = step
    if here is not None:
        session.delete(here)  # the owner got in from here; the count of every address together stays
    token = new_token()
    expires = stamp + token_ttl
    session.add(AuthToken(token_digest=token_digest(token), user_id=user.id, issued_at=stamp, expires_at=expires, revoked=False))
    audit.append(session, actor=f"{user.role}:{user.username}", action="user.logged_in", subject=f"user:{user.id}", now=now,
                 source=where, second_factor=second_factor, while_locked=account_locked)
    return LoginOutcome(token=TokenRead(access_token=token, expires_at=expires.replace(tzinfo=UTC), role=Role(user.role),
                                        region_code=user.region_code))


def _count_login_failure(session: Session, user: User | None, name: str, where: str, stamp: datetime, now: datetime,
                         policy: LoginPolicy) -> Locked | None:
    """Counts a failed login against the address, the account from this address, and the account.
    Returns the lock that now stands in the way, if any."""
    by_source = _counter(session, _source_key(where), user_id=None, source=where)
    if count_failure(by_source, stamp=stamp, threshold=policy.source_max_failures, lock_for=policy.source_lock_for,
                     window=policy.window):
        audit.append(session, actor=f"source:{where}", action="login.source_locked", subject=f"source:{where}", now=now,
                     until=china_time(by_source.locked_until).isoformat())
    # Counted by name, known or not, so that a lock does not tell which usernames exist.
    here = _counter(session, _pair_key(name, where), user_id=user.id if user else None, source=where)
    if count_failure(here, stamp=stamp, threshold=policy.max_failures, lock_for=policy.lock_for, window=policy.window) and user:
        audit.append(session, actor=f"source:{where}", action="login.locked_from_source", subject=f"user:{user.id}", now=now,
                     source=where, until=china_time(here.locked_until).isoformat())
    if user is not None and count_failure(user, stamp=stamp, threshold=policy.account_max_failures, lock_for=policy.lock_for,
                                          window=policy.window):
        audit.append(session, actor=f"source:{where}", action="user.locked", subject=f"user:{user.id}", now=now,
                     until=china_time(user.locked_until).isoformat(), why="failures from every address together")
    standing = [(by_source.locked_until, _source_locked), (here.locked_until, _locked_here)]
    if user is not None:
        standing.append((user.locked_until, lambda until: _account_locked(until, user.totp_confirmed_at is not None)))
    return _latest_lock(standing, stamp)


def _latest_lock(standing: list[tuple[datetime | None, Callable[[datetime], Locked]]], stamp: datetime) -> Locked | None:
    """The lock that ends last among those in force: the time one may try again."""
    in_force = [(until, refusal) for until, refusal in standing if until is not None and until > stamp]
    if not in_force:
        return None
    until, refusal = max(in_force, key=lambda pair: pair[0])
    return refusal(until)


def _source_key(where: str) -> str:
    return f"source:{where}"


def _pair_key(name: str, where: str) -> str:
    return f"user:{name}@{where}"


def _counter(session: Session, key: str, *, user_id: int | None, source: str) -> LoginThrottle:
    """The counter row of a key, created if missing and locked for this transaction (concurrent attempts
    on PostgreSQL wait for each other instead of losing a count; SQLite's BEGIN IMMEDIATE serialises them)."""
    insert = postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(LoginThrottle).values(key=key, user_id=user_id, source=source, failed_logins=0)
                    .on_conflict_do_nothing(index_elements=["key"]))
    row = session.scalars(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
                          .execution_options(populate_existing=True)).one()
    if row.user_id is None and user_id is not None:
        row.user_id = user_id
    return row


def _china(until: datetime) -> tuple[str, dict]:
    return china_minute(until), {"locked_until": china_time(until).isoformat()}


def _bad_credentials() -> Unauthenticated:
    return Unauthenticated("auth.bad_credentials", "用户名或密码错误", "wrong username or password")


def _otp_wrong() -> Unauthenticated:
    return Unauthenticated("auth.otp_wrong", "动态口令错误或已使用过", "the one-time code is wrong or was used already")


def _source_locked(until: datetime) -> Locked:
    shown, details = _china(until)
    return Locked("auth.source_locked", f"此网络地址登录失败次数过多，已暂停从此地址登录，至北京时间 {shown}",
                  f"too many failed logins from this address; logins from it are paused until {shown} China time (UTC+8)",
                  **details)


def _locked_here(until: datetime) -> Locked:
    shown, details = _china(until)
    return Locked("auth.locked", f"从此网络地址登录此账号失败次数过多，已锁定至北京时间 {shown}",
                  f"too many failed logins to this account from this address; locked until {shown} China time (UTC+8)",
                  **details)


def _account_locked(until: datetime, second_factor: bool) -> Locked:
    shown, details = _china(until)
    zh = f"登录失败次数过多，账号已锁定至北京时间 {shown}"
    en = f"too many failed logins; the account is locked until {shown} China time (UTC+8)"
    if second_factor:
        zh += "；输入正确的密码和动态口令仍可登录"
        en += "; the password with a correct one-time code still logs in"
    return Locked("auth.locked", zh, en, **details)


# ------------------------------------------------------------------ tokens


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


def principal_named(*, session: Session, username: str) -> Principal:
    """The principal an active account stands for, with its stored role and region: at the command line, where the
    operator names who acts when two people must be told apart (a batch's maker and its checker)."""
    user = session.scalar(select(User).where(User.username == typed_username(username)))
    if user is None or not user.active:
        raise NotFound("user.unknown", f"没有用户名为「{typed_username(username)}」的有效账号",
                       f"no active account is named {typed_username(username)}")
    return Principal(user_id=user.id, username=user.username, role=Role(user.role), region_code=user.region_code,
                     person_id=user.person_id, employer_id=user.employer_id, bank_code=user.bank_code)


def log_out(*, session: Session, token: str) -> None:
    """Revokes a bearer token."""
    record = session.get(AuthToken, token_digest(token))
    if record is not None:
        record.revoked = True


def spend_form_token(*, session: Session, token: str, actor: str, now: datetime) -> bool:
    """Spends a one-time form token in the caller's transaction: True the first time (do the work now, in this same
    transaction, so that a failure gives the token back), False when that form was already submitted. Two submissions
    at once: the second waits on the first's row and then finds it spent."""
    if not 16 <= len(token) <= 64 or not token.isascii() or not token.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("form.once", "表单已失效，请重新打开页面再提交", "the form has expired: open the page again and submit")
    dialect = postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    spent = session.scalar(dialect(FormSubmission.__table__).values(token=token, actor=actor[:120],
                                                                     submitted_at=utc_naive(now))
                           .on_conflict_do_nothing().returning(FormSubmission.__table__.c.token))
    return spent is not None


def _read(user: User) -> UserRead:
    return UserRead(id=user.id, username=user.username, display_name=user.display_name, role=Role(user.role),
                    region_code=user.region_code, person_id=user.person_id, employer_id=user.employer_id,
                    bank_code=user.bank_code)


# ------------------------------------------------------------------ the password again


def confirm_password(*, session: Session, principal: Principal, password: str | None, now: datetime,
                     policy: LoginPolicy | None = None) -> bool:
    """Whether the logged-in user typed their password again correctly (re-authentication).

    A wrong password counts like a failed login and is kept even though the caller's use case is then
    refused. Raises Locked (423) once the account is locked, whether by these failures or by failed logins.
    """
    user = session.get(User, principal.user_id, with_for_update=True) if principal.user_id is not None else None
    if user is None or not user.active:
        return False
    policy = policy or login_policy(get_settings())
    stamp = utc_naive(now)
    in_session = session.get(LoginThrottle, _pair_key(user.username, SESSION_SOURCE))
    _refuse_if_locked(user, in_session, stamp)
    if password and verify_password(user.password_hash, password[:200]):
        if in_session is not None:
            session.delete(in_session)
        return True
    _count_in_session_failure(session, user.id, stamp, now, policy, "password")
    return False


def _refuse_if_locked(user: User, in_session: LoginThrottle | None, stamp: datetime) -> None:
    refusal = _latest_lock([(user.locked_until, lambda until: _account_locked(until, False)),
                            (in_session.locked_until if in_session else None, lambda until: _account_locked(until, False))], stamp)
    if refusal is not None:
        raise refusal


def _count_in_session_failure(session: Session, user_id: int, stamp: datetime, now: datetime, policy: LoginPolicy,
                              what: str) -> None:
    """Counts a wrong password or code typed in a logged-in session, here and again after a rollback.
    Raises Locked when this failure locks the account."""

    def record(into: Session) -> Locked | None:
        user = into.get(User, user_id, with_for_update=True)
        row = _counter(into, _pair_key(user.username, SESSION_SOURCE), user_id=user.id, source=SESSION_SOURCE)
        if count_failure(row, stamp=stamp, threshold=policy.max_failures, lock_for=policy.lock_for, window=policy.window):
            user.locked_until = max(row.locked_until, user.locked_until or row.locked_until)
            audit.append(into, actor=f"{user.role}:{user.username}", action="user.locked", subject=f"user:{user.id}", now=now,
                         until=china_time(user.locked_until).isoformat(), why=f"wrong {what} re-entered in a session")
        else:
            count_failure(user, stamp=stamp, threshold=policy.account_max_failures, lock_for=policy.lock_for,
                          window=policy.window)
        return _latest_lock([(user.locked_until, lambda until: _account_locked(until, False))], stamp)

    refusal = record(session)
    _keep_after_rollback(session, record)
    if refusal is not None:
        raise refusal


_KEPT = "shebao.accounts.kept_after_rollback"


def _keep_after_rollback(session: Session, record: Callable[[Session], object]) -> None:
    """Writes `record` again in a transaction of its own if the caller's transaction does not commit.

    A re-entered password is checked inside someone else's use case (opening the e-card, resetting a PIN);
    when it is wrong that use case is refused and rolled back, and the failure would vanish with it.
    """
    session.info.setdefault(_KEPT, []).append(record)


@event.listens_for(Session, "after_commit")
def _kept_records_committed(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_KEPT, None)


@event.listens_for(Session, "after_transaction_end")
def _kept_records_written_again(session: Session, transaction) -> None:  # noqa: ANN001 - SessionTransaction
    if transaction.parent is not None or _KEPT not in session.info:
        return
    records = session.info.pop(_KEPT)
    with Session(bind=session.get_bind()) as own:
        for record in records:
            record(own)
        own.commit()


# ------------------------------------------------------------------ the second factor


def begin_second_factor(*, session: Session, cipher: FieldCipher, principal: Principal, password: str, now: datetime,
                        policy: LoginPolicy | None = None) -> SecondFactorEnrolmentRead:
    """A staff, auditor or administrator account starts enrolling a TOTP second factor (password again).
    The secret takes effect when confirmed with a first code; until then logins go on without it."""
    user = _own_account(session, principal)
    if user.totp_confirmed_at is not None:
        raise Conflict("totp.already_enabled", "此账号已启用动态口令；更换设备须由运维人员重置后重新启用",
                       "this account already has a second factor; to change device an operator resets it first")
    if not confirm_password(session=session, principal=principal, password=password, now=now, policy=policy):
        raise Unauthenticated("totp.reauthentication", "启用动态口令需要再次输入登录密码",
                              "enrolling a second factor needs your login password again")
    secret = new_totp_secret()
    user.totp_secret, user.totp_last_step = cipher.encrypt(_TOTP_FIELD, secret), None
    audit.append(session, actor=principal.actor, action="user.totp_started", subject=f"user:{user.id}", now=now)
    uri = totp_uri(secret, user.username)
    image = io.BytesIO()
    segno.make(uri, error="m").save(image, kind="svg", scale=4, border=2, xmldecl=False)
    return SecondFactorEnrolmentRead(secret=secret, otpauth_uri=uri, qr_svg=image.getvalue().decode())


def confirm_second_factor(*, session: Session, cipher: FieldCipher, principal: Principal, code: str, now: datetime,
                          policy: LoginPolicy | None = None) -> SecondFactorRead:
    """The first code from the authenticator app turns the second factor on; every login needs one from then on."""
    user = _own_account(session, principal)
    if user.totp_confirmed_at is not None:
        raise Conflict("totp.already_enabled", "此账号已启用动态口令", "this account already has a second factor")
    if user.totp_secret is None:
        raise Conflict("totp.not_started", "请先申请启用动态口令（需再次输入密码）", "start the enrolment first (password again)")
    stamp = utc_naive(now)
    _refuse_if_locked(user, session.get(LoginThrottle, _pair_key(user.username, SESSION_SOURCE)), stamp)
    step = matching_totp_step(_totp_secret(cipher, user), code, now=now, after_step=user.totp_last_step)
    if step is None:
        _count_in_session_failure(session, user.id, stamp, now, policy or login_policy(get_settings()), "one-time code")
        raise _otp_wrong()
    user.totp_confirmed_at, user.totp_last_step = stamp, step
    audit.append(session, actor=principal.actor, action="user.totp_enabled", subject=f"user:{user.id}", now=now)
    return SecondFactorRead(username=user.username, enabled=True, enabled_at=stamp.replace(tzinfo=UTC))


def _own_account(session: Session, principal: Principal) -> User:
    principal.require_role(*SECOND_FACTOR_ROLES)
    user = session.get(User, principal.user_id, with_for_update=True) if principal.user_id is not None else None
    if user is None or not user.active:
        raise Unauthenticated("auth.token_invalid", "登录凭证无效，请重新登录", "the token is not valid; log in again")
    return user


def _totp_secret(cipher: FieldCipher, user: User) -> str:
    return cipher.decrypt(_TOTP_FIELD, user.totp_secret)


# ------------------------------------------------------------------ the operator


def unlock_user(*, session: Session, principal: Principal, username: str, now: datetime) -> UnlockRead:
    """Clears every count and lock of an account (the operator's `shebao user unlock`)."""
    principal.require_role(Role.ADMIN)
    user = _user_named(session, username)
    stamp = utc_naive(now)
    # Its counts by id, and those counted under its name before the account existed.
    its_counts = or_(LoginThrottle.user_id == user.id, LoginThrottle.key.startswith(f"user:{user.username}@", autoescape=True))
    rows = session.scalars(select(LoginThrottle).where(its_counts)).all()
    was_locked = is_locked(user, stamp) or any(is_locked(row, stamp) for row in rows)
    clear(user)
    cleared = session.execute(delete(LoginThrottle).where(its_counts)).rowcount
    audit.append(session, actor=principal.actor, action="user.unlocked", subject=f"user:{user.id}", now=now,
                 was_locked=was_locked, counts_cleared=cleared)
    return UnlockRead(username=user.username, was_locked=was_locked, counts_cleared=cleared, active=user.active)


def unlock_source(*, session: Session, principal: Principal, address: str, now: datetime) -> UnlockRead:
    """Clears the counts and locks of one address, for every account (`shebao user unlock-address`)."""
    principal.require_role(Role.ADMIN)
    where = login_source(address)
    stamp = utc_naive(now)
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.source == where)).all()
    was_locked = any(is_locked(row, stamp) for row in rows)
    cleared = session.execute(delete(LoginThrottle).where(LoginThrottle.source == where)).rowcount
    audit.append(session, actor=principal.actor, action="login.source_unlocked", subject=f"source:{where}", now=now,
                 was_locked=was_locked, counts_cleared=cleared)
    return UnlockRead(source=where, was_locked=was_locked, counts_cleared=cleared)


def reset_second_factor(*, session: Session, principal: Principal, username: str, now: datetime) -> SecondFactorRead:
    """Removes an account's second factor (a lost phone); the owner enrols again after logging in."""
    principal.require_role(Role.ADMIN)
    user = _user_named(session, username)
    had = user.totp_secret is not None
    user.totp_secret, user.totp_confirmed_at, user.totp_last_step = None, None, None
    audit.append(session, actor=principal.actor, action="user.totp_reset", subject=f"user:{user.id}", now=now, had=had)
    return SecondFactorRead(username=user.username, enabled=False, enabled_at=None)


def _user_named(session: Session, username: str) -> User:
    name = typed_username(username)
    user = session.scalar(select(User).where(User.username == name).with_for_update())
    if user is None:
        raise NotFound("user.unknown", f"没有用户名为「{name}」的账号", f"no account is named {name}")
    return user


# ------------------------------------------------------------------ life events


def disable_logins_of_person(*, session: Session, person_id: int, reason: str, actor: str, now: datetime) -> int:
    """Disables every login bound to a person (their death) and revokes their tokens; returns how many
    accounts were disabled (0 when already done: the call may be repeated)."""
    stamp = utc_naive(now)
    users = session.scalars(select(User).where(User.person_id == person_id).with_for_update().order_by(User.id)).all()
    disabled = 0
    for user in users:
        if user.active:
            user.active, user.disabled_at, user.disabled_reason = False, stamp, reason[:200]
            audit.append(session, actor=actor, action="user.disabled", subject=f"user:{user.id}", now=now, reason=reason[:200])
            disabled += 1
    if users:
        session.execute(update(AuthToken).where(AuthToken.user_id.in_([user.id for user in users]), AuthToken.revoked.is_(False))
                        .values(revoked=True))
    return disabled
