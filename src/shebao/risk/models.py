"""Risk control's tables: each screening of a province, the cases its findings open (one per finding, ever), and
what was done on each case, the evidence filed, the overpayments being recovered and every step of their recovery,
and the attempts the in-process rules blocked."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from shebao.comparison.models import ExtTaxEmployment
from shebao.core.db import Base, BigId


class RiskScreeningRun(Base):
    """One screening of a province through every after-the-fact rule, as of a date: its counts and time per rule."""

    __tablename__ = "risk_screening_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    counts: Mapped[str] = mapped_column(Text)  # JSON: {rule_id: findings}
    timings_ms: Mapped[str] = mapped_column(Text)  # JSON: {rule_id: milliseconds}
    findings: Mapped[int] = mapped_column(Integer)
    cases_opened: Mapped[int] = mapped_column(Integer)  # findings never seen before
    actor: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)


class RiskCase(Base):
    """A finding of one rule about one subject, worked from open to a conclusion. One case per (rule, finding) ever:
    screening the same province again updates what is at stake on an open case and opens nothing twice."""

    __tablename__ = "risk_cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(48))
    finding_key: Mapped[str] = mapped_column(String(160))  # stable per rule: e.g. the person id, or person:period
    province: Mapped[str] = mapped_column(String(6))
    region_code: Mapped[str] = mapped_column(String(9))  # whose staff work it: the subject's region as stored
    subject_kind: Mapped[str] = mapped_column(String(10))  # rules.RuleSubject: person | employer | staff | region
    person_id: Mapped[int | None] = mapped_column(BigId)
    employer_id: Mapped[int | None] = mapped_column(Integer)
    staff_actor: Mapped[str | None] = mapped_column(String(120))  # the staff member a staff rule concerns
    severity: Mapped[str] = mapped_column(String(10))  # rules.finding_severity: the rule's, raised by the money
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # the money at stake as last screened (0 when none)
    period_from: Mapped[str | None] = mapped_column(String(6))
    period_to: Mapped[str | None] = mapped_column(String(6))
    details: Mapped[str] = mapped_column(Text)  # JSON: the rule's own columns, what a clerk needs to start
    status: Mapped[str] = mapped_column(String(14))  # open | assigned | investigating | confirmed | cleared
    assigned_to: Mapped[str | None] = mapped_column(String(120))
    conclusion_reason: Mapped[str | None] = mapped_column(String(500))
    overpaid_fen: Mapped[int | None] = mapped_column(BigInteger)  # confirmed: what was paid wrongly, to recover
    opened_run_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("risk_screening_runs.id"))
    last_seen_run_id: Mapped[int | None] = mapped_column(BigId)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    concluded_by: Mapped[str | None] = mapped_column(String(120))
    concluded_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("rule_id", "finding_key"),
                      Index("ix_risk_cases_province_status_region", "province", "status", "region_code"),
                      Index("ix_risk_cases_person_id", "person_id"))


class RiskCaseEvent(Base):
    """What happened to a case, in order: opened, seen again, assigned, a note, evidence, concluded, recovery steps."""

    __tablename__ = "risk_case_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("risk_cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(2000))
    run_id: Mapped[int | None] = mapped_column(BigId)
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime)


class RiskEvidence(Base):
    """A file filed on a case while it is investigated (a letter, a scan, a registry extract), kept with its digest."""

    __tablename__ = "risk_evidence"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("risk_cases.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime)


class RiskRecovery(Base):
    """A confirmed overpayment owed back by the person or their estate: a receivable in the ledger, reduced by
    repayments, by offsets against later payments where the rules allow, and by write-offs."""

    __tablename__ = "risk_recoveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("risk_cases.id"), unique=True)
    person_id: Mapped[int | None] = mapped_column(BigId, index=True)
    region_code: Mapped[str] = mapped_column(String(9))
    debtor: Mapped[str] = mapped_column(String(8))  # person | estate
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # the overpayment confirmed
    recovered_fen: Mapped[int] = mapped_column(BigInteger)  # repaid + offset so far
    written_off_fen: Mapped[int] = mapped_column(BigInteger)
    offset_allowed: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(12))  # open | settled (nothing left owed)
    opened_by: Mapped[str] = mapped_column(String(120))
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class RiskRecoveryMovement(Base):
    """One step of a recovery — a repayment, an offset against a payment, a write-off — each posted through the
    ledger under its idempotency key."""

    __tablename__ = "risk_recovery_movements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recovery_id: Mapped[int] = mapped_column(BigId, ForeignKey("risk_recoveries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # repayment | offset | write_off
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    period: Mapped[str | None] = mapped_column(String(6))  # the payment month an offset was taken from
    reference: Mapped[str | None] = mapped_column(String(120))  # a bank reference, a payroll line
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    note: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime)


class RiskBlockedAttempt(Base):
    """A use case an in-process rule blocked before it wrote anything: who tried what, on whom, and why. Recorded in
    its own transaction, so it stays when the blocked one rolls back."""

    __tablename__ = "risk_blocked_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(48))
    use_case: Mapped[str] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(120))
    region_code: Mapped[str | None] = mapped_column(String(9))  # the subject's region as stored
    person_id: Mapped[int | None] = mapped_column(BigId)
    subject: Mapped[str] = mapped_column(String(120))  # kind:id of what the use case acted on
    reason_zh: Mapped[str] = mapped_column(String(500))
    reason_en: Mapped[str] = mapped_column(String(500))
    details: Mapped[str] = mapped_column(Text)  # JSON
    at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_risk_blocked_attempts_region_at", "region_code", "at"),)


class CockpitRegionFigure(Base):
    """The cockpit's summary table: one count of one figure (split by insurance, severity, movement, or '') for one
    region at every level — street, county, city, province and the country — as of a day. Rebuilt set-based by
    `risk.cockpit.refresh`, read by the cockpit's pages in an indexed lookup."""

    __tablename__ = "cockpit_region_figures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    province: Mapped[str] = mapped_column(String(6))  # the region's province; 000000 for the country's own rows
    region_code: Mapped[str] = mapped_column(String(9))
    parent_code: Mapped[str | None] = mapped_column(String(9))  # the region one level up; None for the country
    level: Mapped[int] = mapped_column(Integer)  # 0 country, 1 province, 2 city, 3 county, 4 street
    figure: Mapped[str] = mapped_column(String(24))  # cockpit_rules.FIGURES
    key: Mapped[str] = mapped_column(String(24))  # the insurance, severity or movement; '' for one number
    value: Mapped[int] = mapped_column(BigInteger)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("region_code", "as_of", "figure", "key"),
                      Index("ix_cockpit_region_figures_as_of_parent", "as_of", "parent_code"),
                      Index("ix_cockpit_region_figures_province_level_as_of", "province", "level", "as_of"))


class CockpitFundMonth(Base):
    """The cockpit's summary of a province's pooling fund of one insurance in one month: income (credits),
    spending (debits) and the closing balance, from the ledger's report, as of a day."""

    __tablename__ = "cockpit_fund_months"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    province: Mapped[str] = mapped_column(String(6))
    insurance: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(6))
    income_fen: Mapped[int] = mapped_column(BigInteger)
    spending_fen: Mapped[int] = mapped_column(BigInteger)
    balance_fen: Mapped[int] = mapped_column(BigInteger)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("province", "as_of", "insurance", "period"),)
class RiskAccountDigest(Base):
    """A keyed hash of the bank account behind a card, kept by the screening so that one query can group benefits by
    the account they are paid into (R16): the account itself is stored only encrypted with a fresh nonce. Refreshed
    for the cards changed since (`card_updated_at`) before each screening that reads it."""

    __tablename__ = "risk_account_digests"

    card_id: Mapped[int] = mapped_column(BigId, ForeignKey("cards.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, index=True)
    account_digest: Mapped[str] = mapped_column(String(64), index=True)  # FieldCipher.lookup_hash("bank_account:" + …)
    card_updated_at: Mapped[datetime] = mapped_column(DateTime)  # the card as it was when hashed


# R14 finds the tax wages of a person drawing unemployment benefit by their keyed hash and month: an index on the
# comparison's tax rows that only the screening needs (as the comparison indexes the registry's persons).
Index("ix_ext_tax_employment_id_hash_period", ExtTaxEmployment.__table__.c.id_hash, ExtTaxEmployment.__table__.c.period)
