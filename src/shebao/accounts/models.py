"""User accounts, their bearer tokens (stored as digests only) and the counts of failed logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from shebao.core.db import Base
from shebao.registry.models import BigId


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(9), ForeignKey("regions.code"))
    person_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("persons.id"))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"))
    bank_code: Mapped[str | None] = mapped_column(String(12))  # a bank's account: the cards of this bank
    # Failures against the account from every address together (the account-wide count and lock).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    failures_since: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    disabled_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    # The second factor (TOTP, RFC 6238): the secret encrypted at rest; required once confirmed.
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)  # a code is good once
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AuthToken(Base):
    __tablename__ = "auth_tokens"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginThrottle(Base):
    """A count of failed logins within a window, and a lock once it reaches its threshold.

    One row per address (`source:<address>`, whatever account was tried), per account and address
    (`user:<id>@<address>`), and per account for re-entered passwords (`user:<id>@session`). The
    account-wide count of every address together lives on the user row itself.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    failures_since: Mapped[datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)


class FormSubmission(Base):
    """A one-time form token, spent: a web form carries a random `once` token, and the work it asks for is done in the
    same transaction that stores it here. A second submission of the same form (a double click, the back button)
    finds it spent and does nothing. The token itself is not secret (the CSRF token guards who may submit)."""

    __tablename__ = "form_submissions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    actor: Mapped[str] = mapped_column(String(120))
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
