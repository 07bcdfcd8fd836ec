"""Month-end: assess, bill and post a month for a whole province, set-based, chunked and resumable.

Each phase is INSERT ... SELECT in the database, never a Python loop per person. Every chunk is one
transaction and every row it writes has a natural unique key (assessment: period, person, payer;
bill: period, payer; entry: its idempotency key), inserted with ON CONFLICT DO NOTHING: a run killed
halfway and started again writes only what is missing, so each fen is posted exactly once.
"""

from __future__ import annotations

import json
import time
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from shebao.contributions import rules
from shebao.contributions.collection import apply_offsets
from shebao.contributions.models import Assessment, BaseDeclaration, Bill
from shebao.core import audit
from shebao.core.clock import utc_naive
from shebao.core.db import Database, analyze
from shebao.core.periods import Period
from shebao.core.runs import BatchRun, BatchRunRead, finished_run, open_run, record_provisional
from shebao.core.sql import insert_ignoring_duplicates, rate_numerator
from shebao.enrollment.models import Participation, ParticipationEvent
from shebao.ledger import chart, posting
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind
from shebao.policy.store import ParameterSnapshot, ParameterStore, default_store
from shebao.registry.models import Employer, Person

Progress = Callable[[str, int, int], None]
PERSON_CHUNK = 100_000
BILL_CHUNK = 50_000


@dataclass(frozen=True)
class MonthRates:
    """The month's parameters, as integer numerators over 1,000,000 for set-based SQL."""

    floor_fen: int
    ceiling_fen: int
    pension_employer: int
    pension_individual: int
    pension_account: int
    medical_employer: int
    medical_individual: int
    medical_fixed_fen: int
    unemployment_employer: int
    unemployment_individual: int
    maternity_employer: int
    flexible_pension: int
    flexible_account: int
    flexible_medical: int
    work_injury_by_section: dict[str, int]
    due_day: int

    @classmethod
    def of(cls, params: ParameterSnapshot) -> "MonthRates":
        rules.check_month_rules(params)  # the SQL below bills a month covered on any day, rounding half up
        limits = rules.base_limits(params)
        classes = params.value("contribution.work_injury.class_rates")
        sections = params.value("contribution.work_injury.class_by_industry_section")
        r = lambda path: rate_numerator(params.value(path))  # noqa: E731
        return cls(
            limits.floor_fen, limits.ceiling_fen, r("contribution.pension.employer_rate"),
            r("contribution.pension.individual_rate"), r("contribution.pension.personal_account_rate"),
            r("contribution.medical.employer_rate"), r("contribution.medical.individual_rate"),
            params.value("contribution.medical.serious_illness_individual_fen"),
            r("contribution.unemployment.employer_rate"), r("contribution.unemployment.individual_rate"),
            r("contribution.maternity.employer_rate"), r("contribution.flexible.pension_rate"),
            r("contribution.flexible.pension_personal_account_rate"), r("contribution.flexible.medical_rate"),
            {section: rate_numerator(classes[risk]) for section, risk in sections.items()},
            params.value("contribution.payment_due_day"),
        )


def due_date(period: Period, due_day: int) -> date:
    following = period.plus_months(1)
    return date(following.year, following.month, min(due_day, monthrange(following.year, following.month)[1]))


def run_month_end(*, database: Database, province: str, period: str, now: datetime, actor: str,
                  store: ParameterStore | None = None, progress: Progress | None = None,
                  person_chunk: int = PERSON_CHUNK, bill_chunk: int = BILL_CHUNK) -> BatchRunRead:
    """Assess, bill and post one month for a province; safe to run again after any interruption."""
    month = check_open_month(database=database, province=province, period=period, now=now)
    params = (store or default_store()).at(province, month.first_day())
    rates = MonthRates.of(params)
    progress = progress or (lambda _stage, _done, _total: None)
    started = time.perf_counter()
    run_id = open_run(database, "month_end", province, str(month), now)
    if run_id is None:
        return finished_run(database, "month_end", province, str(month))

    low, high = _person_range(database, province, month)
    chunks = range(low, high + 1, person_chunk) if high >= low else range(0)
    if _billed(database, province, month):  # resumed after billing: what arrived since is a correction's to bill
        chunks = range(0)
    for done, start in enumerate(chunks, start=1):
        with database.batch_transaction() as session:
            written = _assess_chunk(session, province, month, rates, start, start + person_chunk - 1, run_id)
            session.execute(update(BatchRun).where(BatchRun.id == run_id).values(
                chunks_done=done, chunks_total=len(chunks), persons=BatchRun.persons + written))
        progress("assess", done, len(chunks))

    analyze(database, Assessment.__tablename__)  # a month's worth of new rows, read next by the billing
    with database.batch_transaction() as session:
        _bill(session, province, month, rates, now)
    analyze(database, Bill.__tablename__)  # read next chunk by chunk, and the payers' accounts opened from them
    bill_low, bill_high = _bill_range(database, province, month)
    bill_chunks = range(bill_low, bill_high + 1, bill_chunk) if bill_high >= bill_low else range(0)
    for done, start in enumerate(bill_chunks, start=1):
        with database.batch_transaction() as session:
            posted = _post_bills(session, province, month, start, start + bill_chunk - 1, actor, now)
            session.execute(update(BatchRun).where(BatchRun.id == run_id).values(entries=BatchRun.entries + posted))
        progress("post", done, len(bill_chunks))
    return _close_run(database, run_id, province, month, actor, now, started, due_date(month, rates.due_day), store,
                      params.provisional_paths())


def _billed(database: Database, province: str, month: Period) -> bool:
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(Bill.id).where(Bill.period == str(month), Bill.province == province,
                                                        Bill.kind == "monthly").limit(1)) is not None


def check_open_month(*, database: Database, province: str, period: str, now: datetime) -> Period:
    """The month a month-end may run for (a province's month begun and not closed), or the refusal in words."""
    return ledger.require_open_month(database, province=province, period=period, now=now, job="month_end",
                                     future_code="period.future", future_zh="缴费期 {month} 尚未到来",
                                     future_en="the period {month} has not begun")


# The insurances a month-end bills, each from its own participation (the resident scheme is paid differently).
BILLED_SCHEMES = {"employee_pension": "pension", "medical": "medical", "unemployment": "unemployment",
                  "work_injury": "work_injury", "maternity": "maternity"}


def _last_day(month: Period) -> date:
    return date(month.year, month.month, monthrange(month.year, month.month)[1])


def _suspended_all_month(month: Period) -> ColumnElement[bool]:
    """Whether the participation was suspended for every day of the month, from its events (a suspension dated
    back reaches the months it covers): suspended as the month began, and not resumed within it. Only a flexible
    worker's participation can be suspended, so an employee's is never looked up."""
    first, last = month.first_day(), _last_day(month)
    latest = (select(ParticipationEvent.event)
              .where(ParticipationEvent.participation_id == Participation.id,
                     ParticipationEvent.event.in_(("suspended", "resumed")), ParticipationEvent.on <= first)
              .order_by(ParticipationEvent.on.desc(), ParticipationEvent.id.desc()).limit(1).scalar_subquery())
    resumed = (select(ParticipationEvent.id)
               .where(ParticipationEvent.participation_id == Participation.id, ParticipationEvent.event == "resumed",
                      ParticipationEvent.on > first, ParticipationEvent.on <= last).exists())
    return case((Participation.mode == "employer", false()), else_=and_(func.coalesce(latest, "") == "suspended", ~resumed))


def covering(province: str, month: Period, persons: ColumnElement[bool] | None = None):  # noqa: ANN201 - a Select
    """The participations that owe this month, one row each: an insurance month-end bills, begun by the month's
    last day, not ended before its first, not suspended all month, the person alive on its first day. A month
    covered on any day is billed in full (contribution.month_coverage_rule, any_day)."""
    first, last = month.first_day(), _last_day(month)
    query = (
        select(Participation.person_id, Participation.mode, Participation.employer_id, Participation.region_code,
               Participation.scheme)
        .join(Person, Person.id == Participation.person_id)
        .where(Participation.province == province, Participation.scheme.in_(BILLED_SCHEMES),
               Participation.start_date <= last, or_(Participation.end_date.is_(None), Participation.end_date >= first),
               ~_suspended_all_month(month), or_(Person.death_date.is_(None), Person.death_date >= first))
    )
    return query if persons is None else query.where(persons)


def _person_range(database: Database, province: str, month: Period) -> tuple[int, int]:
    billable = covering(province, month).subquery()
    with database.unit_of_work() as uow:
        low, high = uow.session.execute(select(func.min(billable.c.person_id), func.max(billable.c.person_id))).one()
    return (low or 0, high if high is not None else -1)


ASSESSMENT_COLUMNS = ["period", "province", "person_id", "payer_kind", "payer_id", "region_code", "declared_base_fen",
                      "used_base_fen", "pension_employer_fen", "pension_individual_fen", "pension_account_fen",
                      "medical_employer_fen", "medical_individual_fen", "unemployment_employer_fen",
                      "unemployment_individual_fen", "work_injury_employer_fen", "maternity_employer_fen", "total_fen"]


def assessed_rows(province: str, month: Period, rates: MonthRates, persons: ColumnElement[bool]):  # noqa: ANN201
    """What the month owes for the chosen persons, one row per person and payer in ASSESSMENT_COLUMNS' order: each
    insurance from the person's own participation in it, through that payer. Month-end writes these rows;
    a retroactive correction compares them with what was billed."""
    base = covering(province, month, persons).subquery()
    flexible = base.c.mode != "employer"
    payer_kind = case((flexible, literal("flexible")), else_=literal("employer"))
    payer_id = func.coalesce(base.c.employer_id, base.c.person_id)
    by_payer = (select(base.c.person_id, func.max(base.c.region_code).label("region_code"),
                       func.max(case((flexible, 1), else_=0)).label("flexible"), payer_kind.label("payer_kind"),
                       payer_id.label("payer_id"), func.max(base.c.employer_id).label("employer_id"),
                       *(func.max(case((base.c.scheme == scheme, 1), else_=0)).label(f"in_{insurance}")
                         for scheme, insurance in BILLED_SCHEMES.items()))
                .group_by(base.c.person_id, payer_kind, payer_id).subquery())
    declared = (
        select(BaseDeclaration.declared_base_fen)
        .where(BaseDeclaration.person_id == by_payer.c.person_id, BaseDeclaration.payer_kind == by_payer.c.payer_kind,
               BaseDeclaration.payer_id == by_payer.c.payer_id, BaseDeclaration.effective_period <= str(month))
        .order_by(BaseDeclaration.effective_period.desc(), BaseDeclaration.version.desc())  # the latest version
        .limit(1).scalar_subquery()
    )
    section = select(func.substr(Employer.industry_code, 1, 1)).where(Employer.id == by_payer.c.employer_id).scalar_subquery()
    facts = (select(by_payer, declared.label("declared"), section.label("section"))
             .cte("facts").prefix_with("MATERIALIZED"))
    injury = case(*((facts.c.section == s, n) for s, n in rates.work_injury_by_section.items()),
                  else_=rates.work_injury_by_section["A"])
    used = rules.used_base_fen(facts.c.declared, rates.floor_fen, rates.ceiling_fen)
    # `facts` is materialised on both databases: its look-ups would otherwise run once for every column that reads
    # them. The next two are pure arithmetic over its columns: PostgreSQL computes them inline faster than it
    # writes and reads them back as temporary files (measured: a quarter of the SELECT's time), so they are
    # materialised on SQLite only, whose plans were measured with them.
    sized = (select(facts, used.label("used"), injury.label("injury")).cte("sized")
             .prefix_with("MATERIALIZED", dialect="sqlite"))
    is_flexible, used = sized.c.flexible == 1, sized.c.used

    at = rules.contribution_fen

    def part(insurance: str, employee, flexible_part=0):  # noqa: ANN001, ANN202 - SQL amounts
        """The amount when the person is in this insurance through this payer, else nothing."""
        return case((sized.c[f"in_{insurance}"] == 0, 0), (is_flexible, flexible_part), else_=employee)

    columns = {
        "pension_employer_fen": part("pension", at(used, rates.pension_employer)),
        "pension_individual_fen": part("pension", at(used, rates.pension_individual), at(used, rates.flexible_pension)),
        "pension_account_fen": part("pension", at(used, rates.pension_account), at(used, rates.flexible_account)),
        "medical_employer_fen": part("medical", at(used, rates.medical_employer)),
        "medical_individual_fen": part("medical", rules.medical_individual_fen(
            used, rates.medical_individual, rates.medical_fixed_fen), at(used, rates.flexible_medical)),
        "unemployment_employer_fen": part("unemployment", at(used, rates.unemployment_employer)),
        "unemployment_individual_fen": part("unemployment", at(used, rates.unemployment_individual)),
        "work_injury_employer_fen": part("work_injury", at(used, sized.c.injury)),
        "maternity_employer_fen": part("maternity", at(used, rates.maternity_employer)),
    }
    amounts = (select(sized.c.person_id, sized.c.payer_kind, sized.c.payer_id, sized.c.region_code, sized.c.declared,
                      used.label("used"), *(expr.label(name) for name, expr in columns.items()))
               .cte("amounts").prefix_with("MATERIALIZED", dialect="sqlite"))
    parts = [amounts.c[name] for name in columns if name != "pension_account_fen"]
    return select(literal(str(month)).label("period"), literal(province).label("province"), amounts.c.person_id,
                  amounts.c.payer_kind, amounts.c.payer_id, amounts.c.region_code,
                  amounts.c.declared.label("declared_base_fen"), amounts.c.used.label("used_base_fen"),
                  *(amounts.c[name] for name in columns), sum(parts[1:], start=parts[0]).label("total_fen"))


def _assess_chunk(session: Session, province: str, month: Period, rates: MonthRates, low: int, high: int,
                  run_id: int) -> int:
    # The range on both sides of the join: PostgreSQL does not carry it from participations to persons, and read
    # every person for every chunk (a hash join over the whole table) instead of the chunk's range.
    chunk = and_(Participation.person_id.between(low, high), Person.id.between(low, high))
    rows = (assessed_rows(province, month, rates, chunk).add_columns(literal(run_id).label("run_id"))
            .where(true()))  # SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT
    result = session.execute(insert_ignoring_duplicates(session, Assessment.__table__)
                             .from_select([*ASSESSMENT_COLUMNS, "run_id"], rows))
    return max(result.rowcount or 0, 0)


def _bill(session: Session, province: str, month: Period, rates: MonthRates, now: datetime) -> None:
    """One bill per payer for the month: the sum of its assessments."""
    rows = (select(Assessment.period, Assessment.province, Assessment.payer_kind, Assessment.payer_id,
                   func.sum(Assessment.total_fen), func.count(), literal(due_date(month, rates.due_day)),
                   literal("monthly"), literal(utc_naive(now)))
            .where(Assessment.period == str(month), Assessment.province == province, Assessment.bill_reference == "")
            .group_by(Assessment.period, Assessment.province, Assessment.payer_kind, Assessment.payer_id))
    names = ["period", "province", "payer_kind", "payer_id", "amount_fen", "persons", "due_date", "kind", "created_at"]
    session.execute(insert_ignoring_duplicates(session, Bill.__table__).from_select(names, rows))


def _bill_range(database: Database, province: str, month: Period) -> tuple[int, int]:
    with database.unit_of_work() as uow:
        low, high = uow.session.execute(select(func.min(Bill.id), func.max(Bill.id))
                                        .where(Bill.period == str(month), Bill.province == province,
                                               Bill.kind == "monthly")).one()
    return (low or 0, high if high is not None else -1)


def bill_entry_key(bill_id):  # noqa: ANN001, ANN201
    return literal("bill:") + cast(bill_id, String)


def _post_bills(session: Session, province: str, month: Period, low: int, high: int, actor: str, now: datetime) -> int:
    """Each bill's entry: debit the payer's receivable, credit contributions billed (clearing)."""
    bills = select(Bill.id).where(Bill.period == str(month), Bill.province == province, Bill.kind == "monthly",
                                  Bill.id.between(low, high), Bill.amount_fen != 0)  # nothing owed, nothing to post
    key = bill_entry_key(Bill.id)
    memo = literal("应缴 billed ") + Bill.payer_kind + literal(" ") + cast(Bill.payer_id, String)
    receivable = chart.payer_receivable(Bill.payer_kind, Bill.payer_id, province=province)
    clearing = chart.province_account(AccountKind.CLEARING, province=province)
    return posting.post_entries(session=session, province=province, period=str(month), kind="bill", actor=actor, now=now,
                                entries=bills.with_only_columns(key, memo),
                                lines=[posting.Lines(bills, key, receivable, Bill.amount_fen),
                                       posting.Lines(bills, key, clearing, -Bill.amount_fen)])


def _close_run(database: Database, run_id: int, province: str, month: Period, actor: str, now: datetime,
               started: float, due: date, store: ParameterStore | None, provisional: list[str]) -> BatchRunRead:
    with database.transaction() as session:
        bills, total = session.execute(select(func.count(), func.coalesce(func.sum(Bill.amount_fen), 0))
                                       .where(Bill.period == str(month), Bill.province == province,
                                              Bill.kind == "monthly")).one()
        persons = session.scalar(select(func.count()).select_from(Assessment)
                                 .where(Assessment.period == str(month), Assessment.province == province,
                                        Assessment.bill_reference == ""))
        run = session.get(BatchRun, run_id)
        run.status, run.bills, run.total_fen, run.persons = "done", bills, int(total), persons
        run.finished_at = utc_naive(now)
        run.duration_ms = int((time.perf_counter() - started) * 1000)
        run.detail = json.dumps({"due_date": due.isoformat()})
        audit.append(session, actor=actor, action="month_end.completed", subject=f"run:{run_id}", now=now,
                     province=province, period=str(month), persons=persons, bills=bills, total_fen=int(total))
        apply_offsets(session=session, province=province, now=now, actor=actor, store=store)  # refunds taken as offsets
        record_provisional(session, kind="month_end", province=province, period=str(month), paths=provisional, now=now)
        session.flush()
        return BatchRunRead.model_validate(run, from_attributes=True)
