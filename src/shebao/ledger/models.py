"""Ledger tables: accounts, entries, lines (append-only), and closed periods."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from shebao.core.db import Base
from shebao.registry.models import BigId


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    province: Mapped[str] = mapped_column(String(6), index=True)
    insurance: Mapped[str | None] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime)


class JournalEntry(Base):
    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    province: Mapped[str] = mapped_column(String(6))
    period: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(20))
    memo: Mapped[str] = mapped_column(String(200))
    reverses_entry_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("journal_entries.id"), unique=True)
    posted_by: Mapped[str] = mapped_column(String(120))
    posted_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_journal_entries_province_period", "province", "period"),)


class JournalLine(Base):
    __tablename__ = "journal_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("journal_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_accounts.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # debit > 0, credit < 0

    __table_args__ = (CheckConstraint("amount_fen <> 0", name="nonzero"),)


class ClosedPeriod(Base):
    __tablename__ = "closed_periods"

    province: Mapped[str] = mapped_column(String(6), primary_key=True)
    period: Mapped[str] = mapped_column(String(6), primary_key=True)
    closed_by: Mapped[str] = mapped_column(String(120))
    closed_at: Mapped[datetime] = mapped_column(DateTime)


class InterestCredit(Base):
    """One personal account's interest for a year, with the figures it was computed from."""

    __tablename__ = "interest_credits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    year: Mapped[int] = mapped_column(BigInteger)
    province: Mapped[str] = mapped_column(String(6))
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_accounts.id"))
    opening_fen: Mapped[int] = mapped_column(BigInteger)
    contributions_fen: Mapped[int] = mapped_column(BigInteger)
    weighted_fen: Mapped[int] = mapped_column(BigInteger)  # sum of contributions x months remaining in the year
    rate_millionths: Mapped[int] = mapped_column(BigInteger)
    interest_fen: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("year", "account_id"), Index("ix_interest_credits_province_year", "province", "year"))
