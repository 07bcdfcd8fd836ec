"""Transfer tables: a transfer and its steps, what each insurance carries, and temporary accounts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shebao.core.db import Base, BigId

Fen = BigInteger


class Transfer(Base):
    """One movement of a person's pension relationship (or of a temporary account's funds, or between schemes)
    from one province to another, through the steps of `rules.MOVES`."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    # move: the relationship moves; temporary: a temporary account opens in the new province and the relationship
    # stays; gather: a temporary account's (or a province's) funds gathered to the place of benefit;
    # conversion: employee ↔ residents' pension.
    kind: Mapped[str] = mapped_column(String(12))
    from_province: Mapped[str] = mapped_column(String(6), index=True)
    to_province: Mapped[str] = mapped_column(String(6), index=True)
    to_region: Mapped[str] = mapped_column(String(9))  # where the application was taken
    step: Mapped[str] = mapped_column(String(12))  # rules.Step
    # Held while the transfer is open (NULL once completed or refused): "p<person>" for a move, a temporary account
    # or a conversion — one at a time per person — and "p<person>:g<province>" for a gathering, one per province.
    open_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(8))  # online | counter | system
    applied_on: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)  # the first day insured in the new province
    due_on: Mapped[date | None] = mapped_column(Date)  # when the next step is due (working days), NULL once over
    direction: Mapped[str | None] = mapped_column(String(12))  # a conversion's rules.Direction
    months_counted: Mapped[int] = mapped_column(Integer, default=0)
    base_sum_fen: Mapped[int] = mapped_column(Fen, default=0)  # the bases since 1998-01 the pooled part is 12% of
    pooled_fen: Mapped[int] = mapped_column(Fen, default=0)
    personal_account_fen: Mapped[int] = mapped_column(Fen, default=0)
    sent_entry_id: Mapped[int | None] = mapped_column(BigId)  # the journal entries (the ledger owns them)
    received_entry_id: Mapped[int | None] = mapped_column(BigId)
    refused_reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_transfers_step_due", "step", "due_on"),)


class TransferStep(Base):
    """A step a transfer took: when, by whom, why, and when it had been due."""

    __tablename__ = "transfer_steps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(BigId, ForeignKey("transfers.id"), index=True)
    step: Mapped[str] = mapped_column(String(12))
    on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    province: Mapped[str] = mapped_column(String(6))  # the side that took it
    actor: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class TransferItem(Base):
    """What one insurance carries in a transfer, by its own rule: the pension's months and money, medical years
    recognised, unemployment months carried over, the residents' scheme's months."""

    __tablename__ = "transfer_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(BigId, ForeignKey("transfers.id"), index=True)
    insurance: Mapped[str] = mapped_column(String(20))
    months: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Fen, default=0)
    rule: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("transfer_id", "insurance"),)


class TemporaryAccount(Base):
    """A temporary contribution account (临时基本养老保险缴费账户) in a province that is not the relationship's:
    open while the person pays there, gathered to the place of benefit on the next move or at retirement."""

    __tablename__ = "temporary_accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    province: Mapped[str] = mapped_column(String(6))
    relationship_province: Mapped[str] = mapped_column(String(6))  # where the relationship stayed
    opened_on: Mapped[date] = mapped_column(Date)
    opened_by_transfer_id: Mapped[int] = mapped_column(BigId, ForeignKey("transfers.id"))
    closed_on: Mapped[date | None] = mapped_column(Date)  # the last day paid into it (the next move)
    gathered_by_transfer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("transfers.id"))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)


class TransferNotice(Base):
    """What the person was told at a step (SMS / the app): the text, in Chinese and English."""

    __tablename__ = "transfer_notices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(BigId, ForeignKey("transfers.id"), index=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    step: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(String(300))
    text_en: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime)
