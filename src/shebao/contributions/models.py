"""Contribution tables: base declarations, monthly assessments, bills, payments, and batch runs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from shebao.core.db import Base
from shebao.registry.models import BigId

Fen = BigInteger


class BaseDeclaration(Base):
    """A declared contribution base, in force from a period until the next declaration (缴费基数申报).

    A declaration is corrected, before its month is billed, by a new version for the same person, payer
    and period; the old version stays, marked superseded with who corrected it and when. Month-end and
    make-up bills use the highest version."""

    __tablename__ = "base_declarations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    payer_kind: Mapped[str] = mapped_column(String(10))  # employer | flexible
    payer_id: Mapped[int] = mapped_column(BigId)  # employer id, or the flexible worker's person id
    effective_period: Mapped[str] = mapped_column(String(6))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    declared_base_fen: Mapped[int] = mapped_column(Fen)
    declared_by: Mapped[str] = mapped_column(String(120))
    declared_at: Mapped[datetime] = mapped_column(DateTime)
    superseded_by: Mapped[str | None] = mapped_column(String(120))
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("person_id", "payer_kind", "payer_id", "effective_period", "version",
                                       name="uq_base_declarations_version"),)


class Assessment(Base):
    """One person's contributions for one month through one payer, per insurance and party, in fen.

    Once billed a row is never edited: a fact that arrives late (an end, a start, a base, a death, a suspension
    dated back) writes a new version of the person's month through a correction, with the amounts the month owes
    now (zero where it owes nothing), and marks the old version superseded by that correction. The current
    version of a person's month through a payer is the one not superseded."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    period: Mapped[str] = mapped_column(String(6))
    province: Mapped[str] = mapped_column(String(6))
    person_id: Mapped[int] = mapped_column(BigId)
    payer_kind: Mapped[str] = mapped_column(String(10))
    payer_id: Mapped[int] = mapped_column(BigId)
    region_code: Mapped[str] = mapped_column(String(9))
    declared_base_fen: Mapped[int | None] = mapped_column(Fen)
    used_base_fen: Mapped[int] = mapped_column(Fen)
    pension_employer_fen: Mapped[int] = mapped_column(Fen)
    pension_individual_fen: Mapped[int] = mapped_column(Fen)
    pension_account_fen: Mapped[int] = mapped_column(Fen)
    medical_employer_fen: Mapped[int] = mapped_column(Fen)
    medical_individual_fen: Mapped[int] = mapped_column(Fen)
    unemployment_employer_fen: Mapped[int] = mapped_column(Fen)
    unemployment_individual_fen: Mapped[int] = mapped_column(Fen)
    work_injury_employer_fen: Mapped[int] = mapped_column(Fen)
    maternity_employer_fen: Mapped[int] = mapped_column(Fen)
    total_fen: Mapped[int] = mapped_column(Fen)
    run_id: Mapped[int | None] = mapped_column(BigId)
    bill_reference: Mapped[str] = mapped_column(String(40), default="", server_default="")  # "" = the monthly bill
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    correction_id: Mapped[int | None] = mapped_column(BigId)  # the correction that wrote this version
    superseded_by: Mapped[int | None] = mapped_column(BigId)  # the correction that replaced it; None: current

    __table_args__ = (
        # Leads with the payer: it serves both "one row per person, payer, month and version" and a bill's rows.
        UniqueConstraint("period", "payer_kind", "payer_id", "person_id", "version"),
        Index("ix_assessments_person", "person_id", "period"),
    )


class Bill(Base):
    """What one payer owes for one month: the sum of its assessments."""

    __tablename__ = "bills"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    period: Mapped[str] = mapped_column(String(6))
    province: Mapped[str] = mapped_column(String(6))
    payer_kind: Mapped[str] = mapped_column(String(10))
    payer_id: Mapped[int] = mapped_column(BigId)
    amount_fen: Mapped[int] = mapped_column(Fen)
    persons: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10), default="monthly")  # monthly | makeup | advance (makeup.py)
    reference: Mapped[str] = mapped_column(String(40), default="", server_default="")  # "" monthly; "p42" a make-up
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # The ledger entry that moved the paid bill out of clearing into the accounts and funds: set in the same
    # transaction that posts it. A month counts in the pension record once its bill has one. NOTHING_MOVED (0):
    # distributed, but its lines were all zero (a bill of nothing, a correction that moved no fen).
    distribution_entry_id: Mapped[int | None] = mapped_column(BigId)
    correction_id: Mapped[int | None] = mapped_column(BigId)  # a correction's bill (kind "correction"): the difference

    __table_args__ = (
        UniqueConstraint("period", "payer_kind", "payer_id", "kind", "reference"),
        Index("ix_bills_payer", "payer_kind", "payer_id", "period"),
        Index("ix_bills_province_period", "province", "period"),
        Index("ix_bills_correction", "correction_id"),
    )


NOTHING_MOVED = 0


class Payment(Base):
    """Money a payer paid (method "bank"), or a credit a correction gave it (method "credit": what it was billed
    and no longer owes). What is not allocated to bills is the payer's to offset or have refunded."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    payer_kind: Mapped[str] = mapped_column(String(10))
    payer_id: Mapped[int] = mapped_column(BigId)
    province: Mapped[str] = mapped_column(String(6))
    amount_fen: Mapped[int] = mapped_column(Fen)
    received_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    method: Mapped[str] = mapped_column(String(10), default="bank", server_default="bank")  # bank | credit

    __table_args__ = (Index("ix_payments_payer", "payer_kind", "payer_id"),)


class PaymentAllocation(Base):
    """How a payment was spread over bills, oldest first, and the late fee each part carried."""

    __tablename__ = "payment_allocations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    payment_id: Mapped[int] = mapped_column(BigId, ForeignKey("payments.id"), index=True)
    bill_id: Mapped[int] = mapped_column(BigId, ForeignKey("bills.id"), index=True)
    principal_fen: Mapped[int] = mapped_column(Fen)
    late_fee_fen: Mapped[int] = mapped_column(Fen)
    days_late: Mapped[int] = mapped_column(Integer)


class Correction(Base):
    """A retroactive correction (追溯更正): the months a late fact touches recomputed for the persons it concerns,
    the differences written as new assessment versions and correction bills and posted in the open period."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    province: Mapped[str] = mapped_column(String(6))
    cause: Mapped[str] = mapped_column(String(20))  # end | start | base | death | suspension | parameter | review
    reason: Mapped[str] = mapped_column(String(200))
    first_period: Mapped[str] = mapped_column(String(6))  # the months recomputed
    last_period: Mapped[str] = mapped_column(String(6))
    posted_period: Mapped[str] = mapped_column(String(6))  # the open period the differences were posted in
    persons: Mapped[int] = mapped_column(Integer, default=0)
    months: Mapped[int] = mapped_column(Integer, default=0)  # person-months whose amounts changed
    difference_fen: Mapped[int] = mapped_column(Fen, default=0)  # what the payers owe more (+) or less (−)
    reverses: Mapped[int | None] = mapped_column(BigId)  # a correction that undoes an earlier one
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_corrections_province", "province", "created_at"),)


class Refund(Base):
    """A refund of what a payer paid and no longer owes (退费): a correction's credit, a payment above the debt, a
    second payment of the same bill. Requested by the payer or a clerk, decided by a clerk in scope who did not
    request it; then paid through the bank (approved → paid) or offset against the payer's bills (offset, at
    once or when the next bill is issued)."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    province: Mapped[str] = mapped_column(String(6))
    payer_kind: Mapped[str] = mapped_column(String(10))
    payer_id: Mapped[int] = mapped_column(BigId)
    amount_fen: Mapped[int] = mapped_column(Fen)
    method: Mapped[str] = mapped_column(String(10))  # bank | offset
    status: Mapped[str] = mapped_column(String(10))  # requested | approved | rejected | offset | paid
    reason: Mapped[str] = mapped_column(String(200))
    bank_code: Mapped[str | None] = mapped_column(String(10))
    bank_account_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    offset_fen: Mapped[int] = mapped_column(Fen, default=0)  # of an offset: how much has paid bills so far
    requested_by: Mapped[str] = mapped_column(String(120))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    entry_id: Mapped[int | None] = mapped_column(BigId)  # the approval's entry: receivable → refund payable

    __table_args__ = (Index("ix_refunds_payer", "payer_kind", "payer_id"),
                      Index("ix_refunds_province_status", "province", "status"))
