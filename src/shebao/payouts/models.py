"""Payout tables: the batches sent to each bank, their lines, and the bank's return files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shebao.core.db import Base, BigId

Fen = BigInteger


class PayoutBatch(Base):
    """What one province sends one bank for one month and one source (payroll, refund): collected while open,
    prepared by a maker, approved and released by a second person. A month may have several (seq 1, 2, …): lines
    paid after a batch was prepared go into the next."""

    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    province: Mapped[str] = mapped_column(String(6))
    period: Mapped[str] = mapped_column(String(6))  # the month the lines were paid in
    source: Mapped[str] = mapped_column(String(10))  # payroll | refund
    bank_code: Mapped[str] = mapped_column(String(12))
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))  # open | prepared | released
    line_count: Mapped[int | None] = mapped_column(Integer)  # as the maker prepared it
    total_fen: Mapped[int | None] = mapped_column(Fen)
    opened_by: Mapped[str] = mapped_column(String(120))
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    prepared_by: Mapped[str | None] = mapped_column(String(120))  # the maker
    prepared_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_by: Mapped[str | None] = mapped_column(String(120))  # the checker, never the maker
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    release_entry_id: Mapped[int | None] = mapped_column(BigId)  # the entry that paid it out of cash

    __table_args__ = (UniqueConstraint("province", "period", "source", "bank_code", "seq"),
                      Index("ix_payout_batches_province_status", "province", "status"))


class PayoutLine(Base):
    """One payment to one receiver's account: a payroll line's month, or a refund. Its id is its reference to the
    bank (rules.line_reference). A line returned and paid again is a new line (attempt 2, …); the old one stays."""

    __tablename__ = "payout_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(BigId, ForeignKey("payout_batches.id"), index=True)
    province: Mapped[str] = mapped_column(String(6))
    source: Mapped[str] = mapped_column(String(10))
    source_ref: Mapped[int] = mapped_column(BigInteger)  # the payroll line's id, the refund's id
    attempt: Mapped[int] = mapped_column(Integer)  # 1, then 2 … each time the same source line is paid again
    person_id: Mapped[int | None] = mapped_column(BigId)  # the receiver: a person,
    employer_id: Mapped[int | None] = mapped_column(Integer)  # or an employer (a refund)
    region_code: Mapped[str] = mapped_column(String(9))  # the receiver's region: whose staff see the line
    receiver_name: Mapped[str] = mapped_column(String(100))  # the account holder's name, as the bank checks it
    bank_code: Mapped[str] = mapped_column(String(12))
    card_number: Mapped[str | None] = mapped_column(String(11))
    account_enc: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM, like the card's
    amount_fen: Mapped[int] = mapped_column(Fen)
    memo: Mapped[str] = mapped_column(String(60))
    payable_account_id: Mapped[int] = mapped_column(BigId)  # the ledger account a return credits again
    add_entry_id: Mapped[int] = mapped_column(BigId)  # the entry that moved it from the payable into transit
    status: Mapped[str] = mapped_column(String(10))  # pending | sent | returned | fixed | resent
    fixed_by: Mapped[str | None] = mapped_column(String(120))
    fixed_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("source", "source_ref", "attempt"),
                      Index("ix_payout_lines_province_status", "province", "status"),
                      Index("ix_payout_lines_add_entry_id", "add_entry_id"))


class PayoutReturnFile(Base):
    """A return file as the bank sent it: recognised by its digest, so that the same file twice changes nothing."""

    __tablename__ = "payout_return_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    province: Mapped[str] = mapped_column(String(6))
    digest: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(200))
    lines: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(Fen)
    imported_by: Mapped[str] = mapped_column(String(120))
    imported_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("province", "digest"),)


class PayoutReturn(Base):
    """One line the bank returned, with its reason. A line is returned once (unique), whatever the files say."""

    __tablename__ = "payout_returns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    file_id: Mapped[int] = mapped_column(BigId, ForeignKey("payout_return_files.id"), index=True)
    line_id: Mapped[int] = mapped_column(BigId, ForeignKey("payout_lines.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(20))  # rules.ReturnReason
    amount_fen: Mapped[int] = mapped_column(Fen)
    entry_id: Mapped[int] = mapped_column(BigId)  # the entry that took it back into cash and the payable
    returned_at: Mapped[datetime] = mapped_column(DateTime)
