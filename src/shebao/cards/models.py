"""Cards and every move in their life."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from shebao.core.db import Base, BigId

VALID = "state IN ('applied', 'in_production', 'issued', 'active', 'frozen')"


class Card(Base):
    __tablename__ = "cards"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    province: Mapped[str] = mapped_column(String(6))
    state: Mapped[str] = mapped_column(String(16))
    card_number: Mapped[str | None] = mapped_column(String(11), unique=True)
    chip_serial: Mapped[str | None] = mapped_column(String(32))
    issue_date: Mapped[date | None] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    bank_code: Mapped[str | None] = mapped_column(String(12))
    bank_account_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    # A loss report also freezes the bank account behind the card; only the card's bank releases that
    # freeze (the holder proves who they are there), not the agency that finds the card again.
    bank_frozen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    replaces_card_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cards.id"))
    batch_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("production_batches.id"), index=True)
    applied_region: Mapped[str] = mapped_column(String(9))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        # One person, one valid card in the whole country — enforced by the database as well.
        Index("uq_cards_one_valid_per_person", "person_id", unique=True,
              sqlite_where=text(VALID), postgresql_where=text(VALID)),
        Index("ix_cards_person", "person_id"),  # payroll looks a receiver's card up by person, in any state
    )


class CardEvent(Base):
    __tablename__ = "card_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    card_id: Mapped[int] = mapped_column(BigId, ForeignKey("cards.id"), index=True)
    move: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(120))
    region_code: Mapped[str] = mapped_column(String(9))  # where: the agency's region
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)


class BlacklistEntry(Base):
    """A person or employer listed for refusing to insure or for malicious arrears, until released."""

    __tablename__ = "blacklist_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(10))  # person | employer
    subject_id: Mapped[int] = mapped_column(BigId)
    ground: Mapped[str] = mapped_column(String(20))  # refused_to_insure | malicious_arrears
    reason: Mapped[str] = mapped_column(String(200))
    listed_on: Mapped[date] = mapped_column(Date)
    listed_by: Mapped[str] = mapped_column(String(120))
    released_on: Mapped[date | None] = mapped_column(Date)
    released_by: Mapped[str | None] = mapped_column(String(120))
    release_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_blacklist_subject", "subject_kind", "subject_id"),)


class BankNotice(Base):
    """What a bank is told: every change of a card's financial function, in order, for it to poll."""

    __tablename__ = "bank_notices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bank_code: Mapped[str] = mapped_column(String(12), index=True)
    card_number: Mapped[str] = mapped_column(String(11))
    event: Mapped[str] = mapped_column(String(20))  # enabled | frozen | released | restricted | closed
    financial_function: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)


class ElectronicCard(Base):
    """The electronic card of a valid physical card, bound to one device at a time."""

    __tablename__ = "ecards"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    card_id: Mapped[int] = mapped_column(BigId, ForeignKey("cards.id"), index=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    device_tag: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class ProductionBatch(Base):
    """An agency's applications sent to the card factory together, with the manifest it made."""

    __tablename__ = "production_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(9))
    province: Mapped[str] = mapped_column(String(6))
    cards: Mapped[int] = mapped_column(Integer)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    submitted_by: Mapped[str] = mapped_column(String(120))
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    returned_at: Mapped[datetime | None] = mapped_column(DateTime)
