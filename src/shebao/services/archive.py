"""The electronic archive (电子档案): a person's whole contribution history across every employer,
place and period, the months counted and interrupted, and the personal account statement year by
year — read from the same rows the ledger and the bills hold."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.contributions.collection import paid_principal
from shebao.contributions.corrections import CAUSES
from shebao.contributions.models import Assessment, Bill, Correction
from shebao.core import audit
from shebao.core.clock import china_today
from shebao.core.periods import Period
from shebao.core.security import Principal, Role
from shebao.enrollment.schemas import ParticipationRead
from shebao.enrollment.service import participations_of
from shebao.ledger import service as ledger
from shebao.registry import service as registry
from shebao.services.schemas import CorrectionNoteRead, MonthRecordRead, PersonRecordRead, YearStatementRead

EMPLOYER_PARTS = ("pension_employer_fen", "medical_employer_fen", "unemployment_employer_fen",
                  "work_injury_employer_fen", "maternity_employer_fen")
INDIVIDUAL_PARTS = ("pension_individual_fen", "medical_individual_fen", "unemployment_individual_fen")


def person_record(*, session: Session, principal: Principal, person_id: int, now: datetime) -> PersonRecordRead:
    """The whole record of one person, for the person themself or staff of their region (audited)."""
    person = registry.person_by_id(session=session, person_id=person_id)
    participations = participations_of(session=session, principal=principal, person_id=person_id, now=now)
    if principal.role != Role.INSURED:
        audit.append(session, actor=principal.actor, action="person.record_viewed", subject=f"person:{person_id}", now=now)
    today = china_today(now)
    months = _months(session, person_id)
    paid = sorted({m.period for m in months if m.paid})
    interrupted = _interrupted(participations, paid, Period.of(today).plus_months(-1))
    return PersonRecordRead(
        person_id=person.id, name=person.name, id_number_masked=person.id_number_masked, as_of=today,
        participations=participations, months=months, paid_months=len(paid),
        years_counted={"years": len(paid) // 12, "months": len(paid) % 12},
        interrupted_months=interrupted, interrupted_spans=_spans(interrupted),
        statement=_statement(session, person_id), corrections=_corrections(session, person_id),
    )


def _months(session: Session, person_id: int) -> list[MonthRecordRead]:
    employer = sum((getattr(Assessment, c) for c in EMPLOYER_PARTS[1:]), start=getattr(Assessment, EMPLOYER_PARTS[0]))
    individual = sum((getattr(Assessment, c) for c in INDIVIDUAL_PARTS[1:]), start=getattr(Assessment, INDIVIDUAL_PARTS[0]))
    rows = session.execute(
        select(Assessment, employer, individual,
               ((paid_principal(Bill.id) >= Bill.amount_fen) & (Assessment.total_fen > 0)).label("paid"))
        .join(Bill, (Bill.period == Assessment.period) & (Bill.payer_kind == Assessment.payer_kind)
              & (Bill.payer_id == Assessment.payer_id) & (Bill.reference == Assessment.bill_reference))
        .where(Assessment.person_id == person_id, Assessment.superseded_by.is_(None))  # the months as corrected
        .order_by(Assessment.period)
    ).all()
    names = {}
    for assessment, *_ in rows:
        key = (assessment.payer_kind, assessment.payer_id)
        if key not in names:
            names[key] = (registry.employer_by_id(session=session, employer_id=assessment.payer_id).name
                          if assessment.payer_kind == "employer" else "灵活就业 flexible")
    return [MonthRecordRead(period=a.period, payer_kind=a.payer_kind, payer_id=a.payer_id,
                        payer_name=names[(a.payer_kind, a.payer_id)], region_code=a.region_code,
                        used_base_fen=a.used_base_fen, employer_fen=int(e), individual_fen=int(i),
                        personal_account_fen=a.pension_account_fen, paid=bool(p), version=a.version,
                        correction_id=a.correction_id) for a, e, i, p in rows]


def _corrections(session: Session, person_id: int) -> list[CorrectionNoteRead]:
    """Every retroactive correction of the person's months: its reason and date, and the difference it made."""
    mine = (Assessment.correction_id == Correction.id) | (Assessment.superseded_by == Correction.id)
    corrections = session.scalars(select(Correction).where(
        select(Assessment.id).where(Assessment.person_id == person_id, mine).exists()).order_by(Correction.id)).all()
    notes = []
    for correction in corrections:
        new = session.scalars(select(Assessment).where(Assessment.person_id == person_id,
                                                       Assessment.correction_id == correction.id)).all()
        old = session.scalars(select(Assessment).where(Assessment.person_id == person_id,
                                                       Assessment.superseded_by == correction.id)).all()
        cause_zh, cause_en = CAUSES.get(correction.cause, (correction.cause, correction.cause))
        notes.append(CorrectionNoteRead(
            correction_id=correction.id, made_on=china_today(correction.created_at.replace(tzinfo=UTC)),
            cause=correction.cause, cause_zh=cause_zh, cause_en=cause_en, reason=correction.reason,
            periods=sorted({a.period for a in new}), months_before=sum(1 for a in old if a.pension_account_fen > 0),
            months_after=sum(1 for a in new if a.pension_account_fen > 0),
            personal_account_change_fen=sum(a.pension_account_fen for a in new) - sum(a.pension_account_fen for a in old),
            total_change_fen=sum(a.total_fen for a in new) - sum(a.total_fen for a in old)))
    return notes


def _interrupted(participations: list[ParticipationRead], paid: list[str], last: Period) -> list[str]:
    """Months since the first pension participation began with no paid contribution (断缴)."""
    starts = [p.start_date for p in participations if p.scheme == "employee_pension"]
    if not starts:
        return []
    month, paid_set, gaps = Period.of(min(starts)), set(paid), []
    while month <= last:
        if str(month) not in paid_set:
            gaps.append(str(month))
        month = month.plus_months(1)
    return gaps


def _spans(periods: list[str]) -> list[str]:
    """Consecutive months as ranges: ['202301', '202302', '202305'] -> ['202301-202302', '202305']."""
    spans: list[list[Period]] = []
    for text in periods:
        month = Period.parse(text)
        if spans and spans[-1][1].plus_months(1) == month:
            spans[-1][1] = month
        else:
            spans.append([month, month])
    return [f"{a}-{b}" if a != b else str(a) for a, b in spans]


def _statement(session: Session, person_id: int) -> list[YearStatementRead]:
    """The personal account by year, from its journal lines (credits shown as positive balances)."""
    rows = ledger.personal_account_by_year(session=session, person_id=person_id)
    statement, balance = [], 0
    for y, contributions, interest in rows:
        closing = balance + contributions + interest
        statement.append(YearStatementRead(year=y, opening_fen=balance, contributions_fen=contributions,
                                       interest_fen=interest, closing_fen=closing))
        balance = closing
    return statement
