"""Benefits: the yearly contribution record, pension awards, payroll, certification, and the other claims."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shebao.core.db import Base, BigId

Fen = BigInteger


class ContributionYear(Base):
    """One person's pension record for a year in a province: months paid, the sum of the monthly indexes.

    Rows come from the year-end summary of assessments ("assessed") or from the archive of the years
    before the platform ("archive"); deemed years before personal accounts are "deemed" (months only)."""

    __tablename__ = "contribution_years"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    province: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))  # assessed | archive | deemed
    months: Mapped[int] = mapped_column(Integer)
    base_sum_fen: Mapped[int] = mapped_column(Fen)
    average_wage_fen: Mapped[int] = mapped_column(Fen)  # the province's monthly average the bases are measured against
    index_sum_millionths: Mapped[int] = mapped_column(Fen)  # sum over months of base / average wage, in millionths

    __table_args__ = (UniqueConstraint("person_id", "year", "province", "kind"),)


class RetirementApplication(Base):
    """A checked application to retire: awaits its award (one by one, or by the award batch)."""

    __tablename__ = "retirement_applications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    province: Mapped[str] = mapped_column(String(6))
    region_code: Mapped[str] = mapped_column(String(9))
    category: Mapped[str] = mapped_column(String(16))
    retire_date: Mapped[date] = mapped_column(Date)
    age_months: Mapped[int] = mapped_column(Integer)
    ground: Mapped[str] = mapped_column(String(20))  # statutory | early_voluntary | delayed | special_work
    # The special-work ground: the kind of work and the months of it the file records (None on other grounds).
    special_work_kind: Mapped[str | None] = mapped_column(String(30))  # high_altitude_heavy | underground_high_temperature | other_harmful
    special_work_months: Mapped[int | None] = mapped_column(Integer)
    # The second (transitional) index as the archive records it, where the province uses one (天津, 辽宁); else None.
    transitional_index_ten_thousandths: Mapped[int | None] = mapped_column(Integer)
    notional_account_fen: Mapped[int | None] = mapped_column(Fen)  # 上海's 1993–1997 虚账实记, as the archive records it
    status: Mapped[str] = mapped_column(String(10))  # pending | awarded
    applied_by: Mapped[str] = mapped_column(String(120))
    applied_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("person_id"), Index("ix_retirement_applications_province_status", "province", "status"))


class PensionAward(Base):
    """The pension a person draws, with every figure it was computed from. One person, one pension."""

    __tablename__ = "pension_awards"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), unique=True)
    application_id: Mapped[int] = mapped_column(BigId, ForeignKey("retirement_applications.id"), unique=True)
    province: Mapped[str] = mapped_column(String(6))
    retire_date: Mapped[date] = mapped_column(Date)
    first_period: Mapped[str] = mapped_column(String(6))
    age_months: Mapped[int] = mapped_column(Integer)
    contribution_months: Mapped[int] = mapped_column(Integer)
    deemed_months: Mapped[int] = mapped_column(Integer)
    pre_account_months: Mapped[int] = mapped_column(Integer, server_default="0")  # paid before the account opened
    index_ten_thousandths: Mapped[int] = mapped_column(Integer)
    transitional_index_ten_thousandths: Mapped[int] = mapped_column(Integer, server_default="0")  # I_t as used
    notional_account_fen: Mapped[int] = mapped_column(Fen, server_default="0")  # 上海's 虚账实记 as used
    personal_account_fen: Mapped[int] = mapped_column(Fen)
    calculation_wage_fen: Mapped[int] = mapped_column(Fen)
    divisor_units: Mapped[int] = mapped_column(Integer)  # the divisor in 600ths of a month (rules.DIVISOR_SCALE)
    basic_fen: Mapped[int] = mapped_column(Fen)
    account_fen: Mapped[int] = mapped_column(Fen)
    transitional_fen: Mapped[int] = mapped_column(Fen)
    local_extras_fen: Mapped[int] = mapped_column(Fen, server_default="0")  # a local rise the rules pay (吉林's 增发)
    monthly_fen: Mapped[int] = mapped_column(Fen)  # what is paid now: the award, its local rise and the yearly adjustments
    account_remaining_fen: Mapped[int] = mapped_column(Fen)  # personal account not yet drawn by payroll
    status: Mapped[str] = mapped_column(String(10))  # paying | suspended | stopped
    status_reason: Mapped[str] = mapped_column(String(200), default="")
    stop_period: Mapped[str | None] = mapped_column(String(6))  # first month not payable (after death)
    certified_on: Mapped[date] = mapped_column(Date)  # last proof of life (the award itself counts as one)
    awarded_by: Mapped[str] = mapped_column(String(120))
    awarded_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_pension_awards_province_status", "province", "status"),)


class PensionRecalculation(Base):
    """An award recomputed once the figure it was provisionally made on is published: before and after."""

    __tablename__ = "pension_recalculations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    award_id: Mapped[int] = mapped_column(BigId, ForeignKey("pension_awards.id"))
    province: Mapped[str] = mapped_column(String(6))
    cause: Mapped[str] = mapped_column(String(60))  # e.g. "wage:2026": the calculation wage of 2026 published
    wage_before_fen: Mapped[int] = mapped_column(Fen)
    wage_after_fen: Mapped[int] = mapped_column(Fen)
    awarded_before_fen: Mapped[int] = mapped_column(Fen)
    awarded_after_fen: Mapped[int] = mapped_column(Fen)
    recalculated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("award_id", "cause"),)


class PensionAdjustment(Base):
    """A yearly adjustment applied to one award: before, after and the parts."""

    __tablename__ = "pension_adjustments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    award_id: Mapped[int] = mapped_column(BigId, ForeignKey("pension_awards.id"))
    province: Mapped[str] = mapped_column(String(6))
    since_period: Mapped[str] = mapped_column(String(6))
    before_fen: Mapped[int] = mapped_column(Fen)
    increase_fen: Mapped[int] = mapped_column(Fen)

    __table_args__ = (UniqueConstraint("award_id", "since_period"),)


class PayrollLine(Base):
    """What one receiver is owed for one month, and whether it was paid, held (and why) or cancelled."""

    __tablename__ = "payroll_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    award_id: Mapped[int] = mapped_column(BigId, ForeignKey("pension_awards.id"))
    person_id: Mapped[int] = mapped_column(BigId)
    province: Mapped[str] = mapped_column(String(6))
    for_period: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(10))  # monthly | adjustment (arrears of a back-dated rise)
    amount_fen: Mapped[int] = mapped_column(Fen)
    account_part_fen: Mapped[int] = mapped_column(Fen)  # drawn from the personal account; the rest from the pool
    status: Mapped[str] = mapped_column(String(10))  # new | due | held | paid | cancelled
    hold_reason: Mapped[str] = mapped_column(String(20), default="")
    paid_period: Mapped[str | None] = mapped_column(String(6))
    card_id: Mapped[int | None] = mapped_column(BigId)
    entry_id: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (
        UniqueConstraint("award_id", "for_period", "kind"),
        Index("ix_payroll_lines_province_status", "province", "status", "award_id"),
        Index("ix_payroll_lines_province_paid", "province", "paid_period", "award_id"),
    )


class Certification(Base):
    """A proof that a receiver is alive: online face check, staff visit, or another department's record."""

    __tablename__ = "certifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    certified_on: Mapped[date] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("person_id", "method", "certified_on", "evidence"),)


class VisitRequest(Base):
    """A receiver asks for a staff home visit to prove they are alive (they cannot do the face check): it waits in
    the queue of the staff of the region where the person lives or holds hukou, as stored, until it is handled."""

    __tablename__ = "visit_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12))  # requested | visited | cancelled
    handled_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class CertificationReminder(Base):
    __tablename__ = "certification_reminders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    award_id: Mapped[int] = mapped_column(BigId, ForeignKey("pension_awards.id"))
    cycle_start: Mapped[date] = mapped_column(Date)
    sent_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("award_id", "cycle_start"),)


class BenefitRecovery(Base):
    """Money paid after a death, to be recovered: posted as a receivable, never deleted."""

    __tablename__ = "benefit_recoveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    award_id: Mapped[int] = mapped_column(BigId, ForeignKey("pension_awards.id"), unique=True)
    person_id: Mapped[int] = mapped_column(BigId)
    amount_fen: Mapped[int] = mapped_column(Fen)
    months: Mapped[int] = mapped_column(Integer)
    from_period: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(10))  # open | recovered
    entry_id: Mapped[int] = mapped_column(BigId)
    opened_at: Mapped[datetime] = mapped_column(DateTime)


class BenefitFlag(Base):
    """Something a fund manager must look at: a second pension applied for in another province, …"""

    __tablename__ = "benefit_flags"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    province: Mapped[str] = mapped_column(String(6))
    detail: Mapped[str] = mapped_column(Text)
    raised_by: Mapped[str] = mapped_column(String(120))
    raised_at: Mapped[datetime] = mapped_column(DateTime)


class UnemploymentClaim(Base):
    __tablename__ = "unemployment_claims"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    province: Mapped[str] = mapped_column(String(6))
    region_code: Mapped[str] = mapped_column(String(9))  # the agency that registered it
    separation_date: Mapped[date] = mapped_column(Date)
    separation_reason: Mapped[str] = mapped_column(String(30))
    contribution_months: Mapped[int] = mapped_column(Integer)
    entitled_months: Mapped[int] = mapped_column(Integer)
    carried_months: Mapped[int] = mapped_column(Integer)
    monthly_fen: Mapped[int] = mapped_column(Fen)
    start_period: Mapped[str] = mapped_column(String(6))
    medical_paid_by_fund: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(12))  # drawing | stopped
    stopped_on: Mapped[date | None] = mapped_column(Date)
    stop_reason: Mapped[str] = mapped_column(String(30), default="")
    months_used: Mapped[int | None] = mapped_column(Integer)
    months_left: Mapped[int | None] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class UnemploymentPayment(Base):
    """One month of unemployment benefit, and the medical contributions the fund paid for the person."""

    __tablename__ = "unemployment_payments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(BigId, ForeignKey("unemployment_claims.id"))
    person_id: Mapped[int] = mapped_column(BigId)
    province: Mapped[str] = mapped_column(String(6))
    period: Mapped[str] = mapped_column(String(6))
    benefit_fen: Mapped[int] = mapped_column(Fen)
    medical_fen: Mapped[int] = mapped_column(Fen)
    entry_id: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (UniqueConstraint("claim_id", "period"), Index("ix_unemployment_payments_province_period", "province", "period"))


class InjuryClaim(Base):
    __tablename__ = "injury_claims"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"))
    province: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(12))  # disability | death
    injury_date: Mapped[date] = mapped_column(Date)
    grade: Mapped[int | None] = mapped_column(Integer)
    wage_fen: Mapped[int] = mapped_column(Fen)
    one_off_fen: Mapped[int] = mapped_column(Fen)
    monthly_allowance_fen: Mapped[int] = mapped_column(Fen)
    funeral_fen: Mapped[int] = mapped_column(Fen)
    explanation: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("person_id", "injury_date", "kind"),)


class MaternityClaim(Base):
    __tablename__ = "maternity_claims"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"))
    province: Mapped[str] = mapped_column(String(6))
    birth_date: Mapped[date] = mapped_column(Date)
    leave_days: Mapped[int] = mapped_column(Integer)
    employer_average_base_fen: Mapped[int] = mapped_column(Fen)
    allowance_fen: Mapped[int] = mapped_column(Fen)
    explanation: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("person_id", "birth_date"),)


class SurvivorBenefit(Base):
    """What the family of an insured person who died may claim: the funeral grant, the one-off survivor
    relief and the inheritable personal-account balance; offered when the death is recorded."""

    __tablename__ = "survivor_benefits"
    __table_args__ = (UniqueConstraint("person_id", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # funeral_grant | survivor_relief | account_inheritance
    province: Mapped[str] = mapped_column(String(6))
    amount_fen: Mapped[int] = mapped_column(Fen)
    explanation: Mapped[str] = mapped_column(Text)  # the steps, the parameters and their sources (JSON)
    status: Mapped[str] = mapped_column(String(10))  # offered | claimed | paid
    offered_at: Mapped[datetime] = mapped_column(DateTime)


class BenefitDeduction(Base):
    """A debt the payroll takes back from a person's later pension payments, a share of each at most: registered by
    whoever is owed (risk control's recovery of an overpayment) and kept at what is still owed by it."""

    __tablename__ = "benefit_deductions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    province: Mapped[str] = mapped_column(String(6))
    source: Mapped[str] = mapped_column(String(30))  # who is owed: risk_recovery
    source_id: Mapped[int] = mapped_column(BigId)
    owed_fen: Mapped[int] = mapped_column(Fen)  # still to deduct
    share: Mapped[str] = mapped_column(String(12))  # the largest share of one payment deducted, a decimal "0.5"
    status: Mapped[str] = mapped_column(String(8))  # open | closed (nothing owed, or stopped by the source)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("source", "source_id"),)


class BenefitDeductionTake(Base):
    """One deduction from one paid payroll line: the receiver was paid the line's amount less this."""

    __tablename__ = "benefit_deduction_takes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    deduction_id: Mapped[int] = mapped_column(BigId, ForeignKey("benefit_deductions.id"), index=True)
    payroll_line_id: Mapped[int] = mapped_column(BigId, ForeignKey("payroll_lines.id"), index=True)
    period: Mapped[str] = mapped_column(String(6))  # the month the payment was for
    amount_fen: Mapped[int] = mapped_column(Fen)
    entry_id: Mapped[int] = mapped_column(BigId)  # the ledger entry that moved it from the payable to the receivable
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("deduction_id", "payroll_line_id"),)
