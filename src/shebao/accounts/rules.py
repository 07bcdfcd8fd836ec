"""Login rules without I/O: the lockout policy, counting failures in a window, where a login comes
from, one-time codes (TOTP, RFC 6238) and how a lock's end is told to a person (China time)."""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import pyotp

from shebao.core.clock import CHINA_TZ

TOTP_ISSUER = "shebao 社保"
TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
# A code of the previous or next 30-second step is accepted too: phones' clocks drift.
TOTP_DRIFT_STEPS = 1
# Failures re-entering the password come from a session already logged in, not from an address.
SESSION_SOURCE = "session"
UNKNOWN_SOURCE = "unknown"


@dataclass(frozen=True)
class LoginPolicy:
    """How many failures lock what, and for how long (SHEBAO_LOGIN_* settings)."""

    max_failures: int = 5  # per account from one address, and re-entered passwords: then the pair is locked
    lock_for: timedelta = timedelta(minutes=15)
    account_max_failures: int = 20  # per account from every address together: then the account is locked
    source_max_failures: int = 30  # per address whatever the account: then the address is locked
    source_lock_for: timedelta = timedelta(minutes=30)
    window: timedelta = timedelta(minutes=60)  # failures older than this are forgotten


class FailureCounter(Protocol):
    failed_logins: int
    failures_since: datetime | None
    locked_until: datetime | None


def is_locked(counter: FailureCounter | None, stamp: datetime) -> bool:
    return counter is not None and counter.locked_until is not None and counter.locked_until > stamp


def count_failure(counter: FailureCounter, *, stamp: datetime, threshold: int, lock_for: timedelta,
                  window: timedelta) -> bool:
    """Counts one failure; locks when the failures within the window reach the threshold. True when it locks now."""
    if counter.failures_since is None or not counter.failed_logins or stamp - counter.failures_since >= window:
        counter.failed_logins, counter.failures_since = 0, stamp
    counter.failed_logins += 1
    if counter.failed_logins < threshold:
        return False
    counter.locked_until = max(stamp + lock_for, counter.locked_until or stamp)
    counter.failed_logins, counter.failures_since = 0, None
    return True


def clear(counter: FailureCounter) -> None:
    counter.failed_logins, counter.failures_since, counter.locked_until = 0, None, None


def typed_username(text: str) -> str:
    """A username as typed, made safe to look up: at most 64 characters, no NUL (which PostgreSQL refuses
    in text; no account has one, so such a name is simply unknown)."""
    return text[:64].replace("\x00", "\N{REPLACEMENT CHARACTER}")


def login_source(address: str | None) -> str:
    """The source a login is counted against: an IPv4 address, an IPv6 /64 network (what one subscriber
    holds), or the name a test client gives, cut to 64 characters."""
    if not address:
        return UNKNOWN_SOURCE
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return typed_username(address.strip()) or UNKNOWN_SOURCE
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def china_time(stamp: datetime) -> datetime:
    """A stored instant (naive UTC) as the time in China."""
    aware = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)
    return aware.astimezone(CHINA_TZ)


def china_minute(stamp: datetime) -> str:
    return f"{china_time(stamp):%Y-%m-%d %H:%M}"


def new_totp_secret() -> str:
    return pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends


def totp_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app reads (usually from a QR code)."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS).provisioning_uri(
        name=username, issuer_name=TOTP_ISSUER)


def totp_step(now: datetime) -> int:
    return int(now.timestamp()) // TOTP_STEP_SECONDS


def matching_totp_step(secret: str, code: str | None, *, now: datetime, after_step: int | None) -> int | None:
    """The time step whose code was typed, if it is within the drift and later than the last one used."""
    typed = (code or "").strip().replace(" ", "")
    if len(typed) != TOTP_DIGITS or not typed.isdigit():
        return None
    otp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS)
    current = totp_step(now)
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if (after_step is None or step > after_step) and hmac.compare_digest(otp.generate_otp(step), typed):
            return step
    return None
