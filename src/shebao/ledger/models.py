"""Ledger tables: accounts, entries, lines (append-only), and closed periods."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
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
    # The month the money is for, where it is not the month posted: a paid bill's distribution posts in the month of
    # the payment and is for the bill's month; an interest correction is for the December of the year it corrects.
    # NULL: the posting period. Year-end interest counts a credit from it (pension.interest_credit_month).
    for_period: Mapped[str | None] = mapped_column(String(6))
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
    # The year's credits in the rule's parts of a year (rules.weighted_credit): fen-months under monthly products
    # (each credit × the months it earns), fen × 1,083 under the yearly shortcut (over 2,000 parts).
    weighted_fen: Mapped[int] = mapped_column(BigInteger)
    rate_millionths: Mapped[int] = mapped_column(BigInteger)
    interest_fen: Mapped[int] = mapped_column(BigInteger)
    rule: Mapped[str] = mapped_column(String(80))  # rules.InterestRule.name: method, months counted, which month

    __table_args__ = (UniqueConstraint("year", "account_id"), Index("ix_interest_credits_province_year", "province", "year"))


class InterestCorrection(Base):
    """One personal account's interest for a year recomputed under the rule in force now, and the difference posted
    for it in an open period (positive: interest owed to the account; negative: interest taken back)."""

    __tablename__ = "interest_corrections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    year: Mapped[int] = mapped_column(BigInteger)
    province: Mapped[str] = mapped_column(String(6))
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_accounts.id"))
    recomputation: Mapped[int] = mapped_column(BigInteger)  # 1 for the year's first recomputation run, then 2, …
    entry_key: Mapped[str] = mapped_column(String(128))  # the correction entry of the account's chunk
    period: Mapped[str] = mapped_column(String(6))  # the open period it was posted in
    rule: Mapped[str] = mapped_column(String(80))  # the rule recomputed under (rules.InterestRule.name)
    opening_fen: Mapped[int] = mapped_column(BigInteger)
    contributions_fen: Mapped[int] = mapped_column(BigInteger)
    weighted_fen: Mapped[int] = mapped_column(BigInteger)
    rate_millionths: Mapped[int] = mapped_column(BigInteger)
    interest_fen: Mapped[int] = mapped_column(BigInteger)  # the year's interest under the rule
    credited_fen: Mapped[int] = mapped_column(BigInteger)  # what the year had credited: the first run and corrections since
    difference_fen: Mapped[int] = mapped_column(BigInteger)  # interest_fen - credited_fen, never 0
    corrected_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("year", "account_id", "recomputation"),
                      Index("ix_interest_corrections_province_year", "province", "year"),
                      Index("ix_interest_corrections_entry_key", "entry_key"))


class NationalSettlement(Base):
    """One province's line of a year's national adjustment (中央调剂 / 全国统筹) of an insurance's pooling fund: the
    figures it was computed from, what it remitted and received, and the entries that moved the money (None where
    the amount was zero and nothing was posted). Written once per year, province and insurance."""

    __tablename__ = "national_settlements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    province: Mapped[str] = mapped_column(String(6))
    insurance: Mapped[str] = mapped_column(String(20))
    base_fen: Mapped[int] = mapped_column(BigInteger)  # Σ the year's assessed pension bases
    assessments: Mapped[int] = mapped_column(BigInteger)  # person-months behind the base
    rate: Mapped[str] = mapped_column(String(12))  # the year's remittance rate as published, e.g. "0.045"
    remitted_fen: Mapped[int] = mapped_column(BigInteger)
    retirees: Mapped[int] = mapped_column(BigInteger)
    received_fen: Mapped[int] = mapped_column(BigInteger)
    net_fen: Mapped[int] = mapped_column(BigInteger)  # received − remitted: > 0 the province gains, < 0 it pays in
    remit_key: Mapped[str | None] = mapped_column(String(128))
    receive_key: Mapped[str | None] = mapped_column(String(128))
    period: Mapped[str] = mapped_column(String(6))  # the month the entries were posted in
    settled_by: Mapped[str] = mapped_column(String(120))
    settled_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("year", "insurance", "province"),
                      CheckConstraint("base_fen >= 0 AND remitted_fen >= 0 AND retirees >= 0 AND received_fen >= 0",
                                      name="not_negative"))
