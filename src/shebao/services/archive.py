"""The electronic archive (电子档案): a person's whole contribution history across every employer,
place and period, the months counted and interrupted, and the personal account statement year by
year — read from the same rows the ledger and the bills hold.

`person_record` is the platform's own months, as billed; `person_archive` is the record nationwide, counted as the
pension award counts it (benefits/record.py: one definition of a month that counts), with transfers, temporary
accounts, benefits and the months that look omitted, and the figures a printed statement of rights carries with its
verification code (`verify_statement` checks one against the ledger now)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, date, datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from shebao.benefits import record as counted
from shebao.benefits.models import InjuryClaim, MaternityClaim, PensionAward, UnemploymentClaim
from shebao.benefits.rules import Group
from shebao.benefits.service import retirement_date
from shebao.contributions.collection import paid_principal
from shebao.contributions.corrections import CAUSES
from shebao.contributions.models import Assessment, Bill, Correction
from shebao.core import audit
from shebao.core.arithmetic import divide_half_up
from shebao.core.clock import china_today
from shebao.core.errors import DomainError, InvalidInput
from shebao.core.periods import Period
from shebao.core.security import Principal, Role, purpose_key
from shebao.enrollment.schemas import ParticipationRead
from shebao.enrollment.service import participations_of
from shebao.ledger import service as ledger
from shebao.policy.store import ParameterStore, default_store
from shebao.registry import service as registry
from shebao.registry.models import Person
from shebao.registry.rules import masked_name
from shebao.services.schemas import (
    ArchiveYearRead,
    BenefitClaimRead,
    CorrectionNoteRead,
    InsuranceSpanRead,
    MonthRecordRead,
    OmittedSpanRead,
    PensionSummaryRead,
    PersonalAccountRead,
    PersonArchiveRead,
    PersonRecordRead,
    ProvinceMonthsRead,
    StatementVerifyRead,
    YearStatementRead,
)
from shebao.transfers import service as transfers

EMPLOYER_PARTS = ("pension_employer_fen", "medical_employer_fen", "unemployment_employer_fen",
                  "work_injury_employer_fen", "maternity_employer_fen")
INDIVIDUAL_PARTS = ("pension_individual_fen", "medical_individual_fen", "unemployment_individual_fen")


def person_record(*, session: Session, principal: Principal, person_id: int, now: datetime) -> PersonRecordRead:
    """The whole record of one person, for the person themself or staff of their region (audited)."""
    person, participations = _opened(session, principal, person_id, now, "person.record_viewed")
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


def _opened(session: Session, principal: Principal, person_id: int, now: datetime,
            action: str) -> tuple[Person, list[ParticipationRead]]:
    """The person and their participations, if the principal may read them (the insured themself, staff whose region
    serves the person as stored, auditors); a staff view audited."""
    person = registry.person_by_id(session=session, person_id=person_id)
    participations = participations_of(session=session, principal=principal, person_id=person_id, now=now)
    if principal.role != Role.INSURED:
        audit.append(session, actor=principal.actor, action=action, subject=f"person:{person_id}", now=now)
    return person, participations


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


# --- The archive, nationwide ---------------------------------------------------------------------------------------

PENSION = "employee_pension"


def person_archive(*, session: Session, principal: Principal, person_id: int, now: datetime, secret: str | None = None,
                   store: ParameterStore | None = None) -> PersonArchiveRead:
    """The whole history of one person in every province, for the person themself or staff whose region serves them
    (judged on the person as stored; auditors read; every staff view audited). With the settings secret, the
    statement's verification code is filled in."""
    store = store or default_store()
    person, participations = _opened(session, principal, person_id, now, "person.archive_viewed")
    today = china_today(now)
    figures = _Figures(session, person_id)
    names = _ProvinceNames(session)
    employers = _EmployerNames(session)
    paid = {period: province for period, province in session.execute(counted.counted_periods(person_id))}
    archived = _archived_years(figures.years)
    award = figures.award
    statutory = _statutory_date(person, store)
    digest = figures.digest()
    return PersonArchiveRead(
        person_id=person.id, name=person.name, id_number_masked=person.id_number_masked, as_of=today,
        retired=award is not None, contribution_months=figures.months, deemed_months=figures.deemed,
        years_counted={"years": figures.months // 12, "months": figures.months % 12}, paid_months=len(paid),
        base_sum_fen=figures.base_sum, statutory_retirement_date=statutory,
        provinces=[ProvinceMonthsRead(province=code, province_name=names(code), months=m, deemed_months=d, base_sum_fen=b)
                   for code, (m, d, b) in sorted(figures.provinces.items())],
        years=[ArchiveYearRead(year=int(y.year), province=y.province, province_name=names(y.province), kind=y.kind,
                               months=int(y.months), base_sum_fen=int(y.base_sum or 0),
                               average_wage_fen=int(y.wage) if y.kind == "archive" and y.wage else None,
                               employers=_employers_in(participations, y.province, int(y.year), employers))
               for y in figures.years],
        insurances=[InsuranceSpanRead(scheme=p.scheme, mode=p.mode, province=_province(p.region_code),
                                      region_code=p.region_code, employer_id=p.employer_id,
                                      employer_name=employers(p.employer_id), start_date=p.start_date,
                                      end_date=p.end_date, status=p.status) for p in participations],
        personal_account=_account(session, person_id, figures.balance, award),
        benefit_place=_benefit_place(session, person, award, statutory or today, store),
        transfers=transfers.history_of(session=session, person_id=person_id),
        temporary_accounts=transfers.temporary_accounts_of(session=session, person_id=person_id),
        pension=None if award is None else PensionSummaryRead(
            province=award.province, province_name=names(award.province), retire_date=award.retire_date,
            first_period=award.first_period, contribution_months=award.contribution_months,
            deemed_months=award.deemed_months, monthly_fen=award.monthly_fen, status=award.status),
        claims=_claims(session, person_id),
        omitted=_omitted(participations, paid, archived, _last_month(today, statutory, award), names),
        verification_code=statement_code(secret=secret, person_id=person.id, issued=today, digest=digest) if secret else "",
        figures_digest=digest,
    )


def _benefit_place(session: Session, person: Person, award: PensionAward | None, day: date,
                   store: ParameterStore) -> dict:
    """Where the pension is (or will be) paid: the awarding province for a retiree; otherwise the four rules over the
    whole history on the statutory date, with what other provinces still hold (to be gathered before the award)."""
    if award is not None:
        return {"province": award.province, "rule": None, "reason": "已在此领取养老金", "reason_en": "the pension is paid here",
                "months_by_province": {}, "relationship_province": award.province, "to_gather": []}
    place = transfers.benefit_place_of(session=session, person=person, day=day, store=store)
    return place.as_dict() | {"to_gather": transfers.ungathered(session=session, person_id=person.id,
                                                                place=place.province, store=store)}


class _Figures:
    """The figures a statement of rights prints and its code vouches for: the months that count and the deemed
    months (a retiree's: the award's), by province, the bases, the personal account as the ledger holds it now, and
    the pension paid each month. Computed the same way when the statement is issued and when it is verified."""

    def __init__(self, session: Session, person_id: int) -> None:
        self.person_id = person_id
        self.years = session.execute(_YEARLY, {"archive_person_id": person_id}).all()
        self.provinces: dict[str, tuple[int, int, int]] = {}
        for y in self.years:
            months, deemed, bases = self.provinces.get(y.province, (0, 0, 0))
            if y.kind == "deemed":
                deemed += int(y.months)
            else:
                months, bases = months + int(y.months), bases + int(y.base_sum or 0)
            self.provinces[y.province] = (months, deemed, bases)
        self.award = session.scalar(select(PensionAward).where(PensionAward.person_id == person_id))
        recorded = sum(m for m, _d, _b in self.provinces.values()), sum(d for _m, d, _b in self.provinces.values())
        # A retiree's working years are those the award used (what was gathered to the place of benefit).
        self.months, self.deemed = ((self.award.contribution_months, self.award.deemed_months) if self.award
                                    else recorded)
        self.base_sum = sum(b for _m, _d, b in self.provinces.values())
        self.balance = ledger.personal_account_balance(session=session, person_id=person_id)

    def canonical(self) -> str:
        return json.dumps({"person": self.person_id, "months": self.months, "deemed": self.deemed,
                           "provinces": {code: list(v) for code, v in sorted(self.provinces.items())},
                           "bases": self.base_sum, "account": self.balance,
                           "pension": self.award.monthly_fen if self.award else 0},
                          sort_keys=True, separators=(",", ":"))

    def digest(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()


# benefits.record.yearly_record for any person (a bound parameter), months and bases only, built once.
_YEARLY = counted.yearly_record(None, bindparam("archive_person_id"))


class _ProvinceNames:
    def __init__(self, session: Session) -> None:
        self.session, self.names = session, {}

    def __call__(self, code: str) -> str:
        if code not in self.names:
            self.names[code] = registry.region_full_name(session=self.session, code=code)
        return self.names[code]


class _EmployerNames:
    def __init__(self, session: Session) -> None:
        self.session, self.names = session, {}

    def __call__(self, employer_id: int | None) -> str | None:
        if employer_id is None:
            return None
        if employer_id not in self.names:
            self.names[employer_id] = registry.employer_by_id(session=self.session, employer_id=employer_id).name
        return self.names[employer_id]


def _province(region_code: str) -> str:
    return region_code[:2] + "0000"


def _employers_in(participations: list[ParticipationRead], province: str, year: int, names: _EmployerNames) -> list[str]:
    """Who insured the person for the pension in a province during a year (灵活就业 for their own account)."""
    found = []
    for p in participations:
        if (p.scheme == PENSION and _province(p.region_code) == province and p.start_date.year <= year
                and (p.end_date is None or p.end_date.year >= year)):
            name = names(p.employer_id) if p.employer_id else "灵活就业 flexible"
            if name not in found:
                found.append(name)
    return found


def _account(session: Session, person_id: int, balance: int, award: PensionAward | None) -> PersonalAccountRead:
    """The account by year from the ledger. A year's movements other than interest are credits, less what the
    pension drew that year (shown apart, so a retiree never reads a negative "balance")."""
    years, running = [], 0
    for y, movements, interest in ledger.personal_account_by_year(session=session, person_id=person_id):
        closing = running + movements + interest
        years.append(YearStatementRead(year=y, opening_fen=running, contributions_fen=max(movements, 0),
                                       interest_fen=interest, drawn_fen=max(-movements, 0), closing_fen=closing))
        running = closing
    if award is None:
        return PersonalAccountRead(balance_fen=balance, remaining_fen=max(balance, 0), years=years)
    drawn = award.personal_account_fen - award.account_remaining_fen
    return PersonalAccountRead(balance_fen=balance, at_retirement_fen=award.personal_account_fen, drawn_by_pension_fen=drawn,
                               remaining_fen=max(award.account_remaining_fen, 0), years=years)


def _claims(session: Session, person_id: int) -> list[BenefitClaimRead]:
    claims = [BenefitClaimRead(kind="unemployment", province=c.province, on=c.separation_date, amount_fen=c.monthly_fen,
                               status=c.status, detail=f"{c.entitled_months} 个月 months, 起 from {c.start_period}")
              for c in session.scalars(select(UnemploymentClaim).where(UnemploymentClaim.person_id == person_id)
                                       .order_by(UnemploymentClaim.separation_date))]
    claims += [BenefitClaimRead(kind="work_injury", province=c.province, on=c.injury_date,
                                amount_fen=c.one_off_fen + c.funeral_fen, status=c.kind,
                                detail=f"伤残等级 grade {c.grade}" if c.grade else c.kind)
               for c in session.scalars(select(InjuryClaim).where(InjuryClaim.person_id == person_id)
                                        .order_by(InjuryClaim.injury_date))]
    claims += [BenefitClaimRead(kind="maternity", province=c.province, on=c.birth_date, amount_fen=c.allowance_fen,
                                status="paid", detail=f"产假 {c.leave_days} 天 days of leave")
               for c in session.scalars(select(MaternityClaim).where(MaternityClaim.person_id == person_id)
                                        .order_by(MaternityClaim.birth_date))]
    return claims


def _statutory_date(person: Person, store: ParameterStore) -> date | None:
    """The statutory retirement date (a woman's as a worker: the earliest); None when it cannot be judged."""
    try:
        group = Group.MALE if person.sex == "M" else Group.FEMALE_WORKER
        return retirement_date(birth_date=person.birth_date, sex=person.sex, group=group,
                               region=_province(person.hukou_region_code), store=store).statutory_date
    except DomainError:
        return None


def _last_month(today: date, statutory: date | None, award: PensionAward | None) -> Period:
    """The last month that should have been paid: last month, or the month before retirement if earlier."""
    last = Period.of(today).plus_months(-1)
    if award is not None:
        last = min(last, Period.parse(award.first_period).plus_months(-1))
    if statutory is not None:
        last = min(last, Period.of(statutory).plus_months(-1))
    return last


def _archived_years(years: list) -> set[int]:  # noqa: ANN001 - rows of yearly_record
    """Years the taken-over archive covers in full (its months are not recorded one by one)."""
    months: dict[int, int] = {}
    for y in years:
        if y.kind != "assessed":
            months[int(y.year)] = months.get(int(y.year), 0) + int(y.months)
    return {year for year, n in months.items() if n >= 12}


def _omitted(participations: list[ParticipationRead], paid: dict[str, str], archived: set[int], last: Period,
             names: _ProvinceNames) -> list[OmittedSpanRead]:
    """Months that look omitted anywhere in the country: inside a pension participation with no month that counts
    (in any province), and gaps between pension participations, up to `last`."""
    spans = sorted((p for p in participations if p.scheme == PENSION), key=lambda p: p.start_date)
    missing: list[tuple[str, str, str]] = []  # (kind, province, period)

    def look(kind: str, province: str, first: Period, until: Period) -> None:
        month = first
        while month <= until and month <= last:
            if str(month) not in paid and month.year not in archived:
                missing.append((kind, province, str(month)))
            month = month.plus_months(1)

    covered_until: Period | None = None
    previous = ""  # the province of the participation that covered the months so far
    for p in spans:
        start = Period.of(p.start_date)
        end = Period.of(p.end_date) if p.end_date else last
        province = _province(p.region_code)
        if covered_until is not None and start > covered_until.plus_months(1):
            look("gap", previous, covered_until.plus_months(1), start.plus_months(-1))
        look("unpaid", province, max(start, covered_until.plus_months(1)) if covered_until else start, end)
        if covered_until is None or end > covered_until:
            covered_until, previous = end, province
    return _omitted_spans(missing, names)


OMITTED_REASONS = {
    "unpaid": ("参保期间未缴费，可申请补缴", "insured but no contribution paid: a make-up payment may be offered"),
    "gap": ("两段参保之间的中断，请核实是否漏缴", "a gap between two participations: check whether it was omitted"),
}


def _omitted_spans(missing: list[tuple[str, str, str]], names: _ProvinceNames) -> list[OmittedSpanRead]:
    spans: list[list] = []
    for kind, province, period in sorted(missing, key=lambda m: m[2]):
        month = Period.parse(period)
        if spans and spans[-1][0] == kind and spans[-1][1] == province and spans[-1][3].plus_months(1) == month:
            spans[-1][3] = month
        else:
            spans.append([kind, province, month, month])
    return [OmittedSpanRead(province=province, province_name=names(province), first_period=str(first),
                            last_period=str(end), months=first.months_until(end) + 1, kind=kind,
                            reason=OMITTED_REASONS[kind][0], reason_en=OMITTED_REASONS[kind][1])
            for kind, province, first, end in spans]


# --- The statement's verification code ------------------------------------------------------------------------------

STATEMENT_PURPOSE = "statement-verification"
_CODE = re.compile(r"^(\d{1,12})-(\d{8})-([0-9a-f]{12})-([A-Z2-7]{16})$")


def statement_code(*, secret: str, person_id: int, issued: date, digest: str) -> str:
    """person id - issue date - the figures' digest (first 12 hex) - an HMAC over them (80 bits, base32) under a key
    derived from the settings secret for this purpose alone. Nothing secret is in the code: it only vouches that the
    platform printed these figures for this person on that day."""
    head = f"{person_id}-{issued:%Y%m%d}-{digest[:12]}"
    return f"{head}-{_mac(secret, head)}"


def _mac(secret: str, head: str) -> str:
    mac = hmac.new(purpose_key(secret, STATEMENT_PURPOSE), head.encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode()[:16]


def verify_statement(*, session: Session, secret: str, code: str) -> StatementVerifyRead:
    """Whether a printed statement is genuine (its code verifies: checked before anything is read, so a forged code
    costs one HMAC and reads nothing) and whether its figures equal what the ledger and the record hold now. Reveals
    only the masked name, the issue date and the totals — never the ID number."""
    match = _CODE.match(code.strip().replace(" ", "")) if isinstance(code, str) else None
    if match is None:
        raise InvalidInput("statement.code_malformed", "验证码格式不正确（应为“编号-日期-摘要-校验码”，见记录单底部）",
                           "the code is malformed (id-date-digest-check, as printed at the foot of the statement)")
    person_id, issued_text, digest, mac = match.groups()
    head = f"{person_id}-{issued_text}-{digest}"
    if not hmac.compare_digest(_mac(secret, head), mac):
        return StatementVerifyRead(genuine=False, reason="验证码不符：此记录单不是本平台出具的，或已被改动",
                                   reason_en="the code does not verify: this statement was not issued by the platform, "
                                             "or it was altered")
    person = session.get(Person, int(person_id))
    if person is None:
        return StatementVerifyRead(genuine=False, reason="记录单所载人员已不在本平台", reason_en="the person is no longer on record")
    figures = _Figures(session, person.id)
    match_now = figures.digest()[:12] == digest
    issued = date(int(issued_text[:4]), int(issued_text[4:6]), int(issued_text[6:]))
    return StatementVerifyRead(
        genuine=True, figures_match=match_now, name_masked=masked_name(person.name), issued_on=issued,
        contribution_months=figures.months, deemed_months=figures.deemed, personal_account_fen=figures.balance,
        reason="真实有效，所载数据与账本一致" if match_now else "为本平台出具，但此后数据已有变化，请以最新记录单为准",
        reason_en="genuine; its figures equal the ledger's" if match_now
        else "issued by the platform, but the figures have changed since: ask for a new statement")


# --- The record's yearly bases, for a chart -------------------------------------------------------------------------

WAGE = "wages.average_monthly_fen"


class YearBase(NamedTuple):
    """One year of the record: the months that count (deemed months carry no base), their average monthly base, and
    the average monthly wage over the same months (None: not known for every one of them)."""

    year: int
    months: int
    average_base_fen: int
    average_wage_fen: int | None


def yearly_bases(read: PersonArchiveRead, *, store: ParameterStore | None = None) -> list[YearBase]:
    """The archive's years as one row a year, oldest first: what a chart of yearly bases beside the wage draws.
    A year taken over brings its own average wage; a platform year's is the one each month had in force in its
    province (the contribution year runs July to June); a year in several provinces weighs each by its months."""
    store = store or default_store()
    months: dict[int, int] = {}
    bases: dict[int, int] = {}
    wages: dict[int, int | None] = {}  # the year's wage × months, summed; None once a month's wage is unknown
    changes: dict[str, list[tuple[date, int]]] = {}
    for y in read.years:
        if y.kind == "deemed" or y.months <= 0:
            continue
        months[y.year] = months.get(y.year, 0) + y.months
        bases[y.year] = bases.get(y.year, 0) + y.base_sum_fen
        if y.average_wage_fen:
            row = y.average_wage_fen * y.months
        else:
            if y.province not in changes:
                changes[y.province] = store.changes(y.province, WAGE)
            in_force = [_in_force(changes[y.province], date(y.year, month, 1)) for month in range(1, 13)]
            row = None if None in in_force else divide_half_up(sum(in_force) * y.months, 12)
        wages[y.year] = None if row is None or wages.get(y.year, 0) is None else wages.get(y.year, 0) + row
    return [YearBase(year, months[year], divide_half_up(bases[year], months[year]),
                     None if wages[year] is None else divide_half_up(wages[year], months[year])) for year in sorted(months)]


def _in_force(changes: list[tuple[date, int]], day: date) -> int | None:
    value = None
    for since, amount in changes:
        if since > day:
            break
        value = amount
    return value
