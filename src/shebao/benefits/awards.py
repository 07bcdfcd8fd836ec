"""Pension awards from the record, set-based: one INSERT … SELECT per chunk of applications.

The single application and the batch use the same SQL, so an award made at a counter and one made
for a million people in a batch agree to the fen. The SQL holds no formula of its own: it applies
the award's steps from rules.py (index, counted months, minimum, the three parts) to its columns,
the same functions the explained calculator applies to one person's integers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import BigInteger, Integer, Select, and_, cast, func, literal, select, union_all, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from shebao.benefits import rules
from shebao.benefits.models import PensionAward, RetirementApplication
from shebao.benefits.record import record_columns
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database, analyze
from shebao.core.errors import InvalidInput
from shebao.core.periods import Period
from shebao.core.runs import BatchRun, BatchRunRead, start_run
from shebao.policy.store import ParameterStore, default_store
from shebao.registry.rules import region_level

Progress = Callable[[str, int, int], None]
AWARD_CHUNK = 50_000


def _constants(session: Session, store: ParameterStore, province: str, applications: ColumnElement[bool]) -> Select:
    """A small table of what the parameters give each (retirement date, age) met in the chunk."""
    pairs = session.execute(select(RetirementApplication.retire_date, RetirementApplication.age_months)
                            .where(applications).distinct()).all()
    rows = []
    for retire_date, age_months in pairs:
        params = store.at(province, retire_date)
        divisor_12, _ = rules.divisor_twelfths(params, rules.RetirementAge(age_months))
        rows.append(select(literal(retire_date).label("retire_date"), literal(age_months).label("age_months"),
                           literal(params.value("pension.calculation_wage_fen"), BigInteger).label("wage"),
                           literal(rules.millionths(params.value("pension.transitional_coefficient")), BigInteger).label("coef"),
                           literal(rules.millionths(params.value("pension.basic_accrual_rate")), BigInteger).label("accrual"),
                           literal(divisor_12, BigInteger).label("divisor_12"),
                           literal(params.value("pension.minimum_contribution_months"), Integer).label("minimum"),
                           literal(str(Period.of(rules.add_months(retire_date, 1)))).label("first_period")))
    return union_all(*rows) if len(rows) > 1 else rows[0]


def award(*, session: Session, store: ParameterStore, province: str, applications: ColumnElement[bool], actor: str,
          now: datetime) -> int:
    """Awards every pending application the clause names whose record meets the minimum; returns how many."""
    applications = and_(applications, RetirementApplication.status == "pending", RetirementApplication.province == province)
    if session.scalar(select(func.count()).where(applications)) == 0:
        return 0
    constants = _constants(session, store, province, applications).cte("constants")
    # BIGINT throughout: the rules' products outgrow 32 bits, and on PostgreSQL a constant is bound as its column's type.
    recorded = [cast(column, BigInteger).label(name)
                for name, column in record_columns(store, RetirementApplication.person_id).items()]
    raw = (select(RetirementApplication.id.label("application_id"), RetirementApplication.person_id,
                  RetirementApplication.retire_date, RetirementApplication.age_months, *recorded,
                  constants.c.wage, constants.c.coef, constants.c.accrual, constants.c.divisor_12, constants.c.first_period,
                  constants.c.minimum)
           .join(constants, and_(constants.c.retire_date == RetirementApplication.retire_date,
                                 constants.c.age_months == RetirementApplication.age_months))
           .where(applications).cte("raw").prefix_with("MATERIALIZED"))
    r = raw.c
    figures = (select(r.application_id, r.person_id, r.retire_date, r.age_months, r.months, r.deemed,
                      cast(rules.index_ten_thousandths(r.index_sum, r.months), BigInteger).label("idx"),
                      r.balance, r.wage, r.coef, r.accrual, r.divisor_12, r.first_period)
               .where(rules.meets_minimum(rules.counted_months(r.months, r.deemed), r.minimum))
               .cte("figures").prefix_with("MATERIALIZED"))
    f = figures.c
    parts = rules.pension_parts(wage_fen=f.wage, index=f.idx, contribution_months=f.months, deemed_months=f.deemed,
                                balance_fen=f.balance, divisor_twelfths=f.divisor_12, coefficient_millionths=f.coef,
                                accrual_millionths=f.accrual)
    rows = select(f.person_id, f.application_id, literal(province), f.retire_date, f.first_period, f.age_months, f.months,
                  f.deemed, f.idx, f.balance, f.wage, f.divisor_12, parts.basic_fen, parts.account_fen, parts.transitional_fen,
                  parts.total_fen, f.balance, literal("paying"), literal(""), f.retire_date,
                  literal(actor), literal(utc_naive(now)))
    names = ["person_id", "application_id", "province", "retire_date", "first_period", "age_months", "contribution_months",
             "deemed_months", "index_ten_thousandths", "personal_account_fen", "calculation_wage_fen", "divisor_twelfths",
             "basic_fen", "account_fen", "transitional_fen", "monthly_fen", "account_remaining_fen", "status",
             "status_reason", "certified_on", "awarded_by", "awarded_at"]
    session.execute(PensionAward.__table__.insert().from_select(names, rows))
    awarded = select(PensionAward.application_id)
    # SQLite reports no row count for an INSERT … SELECT with a CTE; the applications marked say how many.
    return session.execute(update(RetirementApplication).where(applications, RetirementApplication.id.in_(awarded))
                           .values(status="awarded")).rowcount


def award_pending(*, database: Database, province: str, now: datetime, actor: str, store: ParameterStore | None = None,
                  progress: Progress | None = None, chunk: int = AWARD_CHUNK) -> BatchRunRead:
    """Awards every pending retirement application of a province, chunk by chunk; safe to run again."""
    if region_level(province) != 1:
        raise InvalidInput("award.province", f"「{province}」不是省级区划代码", f"{province} is not a province code")
    store = store or default_store()
    progress = progress or (lambda _stage, _done, _total: None)
    period = str(Period.of(china_today(now)))
    started = time.perf_counter()
    run_id = start_run(database, "pension_award", province, period, now)
    with database.unit_of_work() as uow:
        low, high = uow.session.execute(select(func.min(RetirementApplication.id), func.max(RetirementApplication.id))
                                        .where(RetirementApplication.province == province,
                                               RetirementApplication.status == "pending")).one()
    chunks = range(low, high + 1, chunk) if low is not None else range(0)
    total = 0
    for done, start in enumerate(chunks, start=1):
        with database.batch_transaction() as session:
            total += award(session=session, store=store, province=province, now=now, actor=actor,
                           applications=RetirementApplication.id.between(start, start + chunk - 1))
            session.execute(update(BatchRun).where(BatchRun.id == run_id).values(chunks_done=done, chunks_total=len(chunks)))
        progress("award", done, len(chunks))
    analyze(database, PensionAward.__tablename__, RetirementApplication.__tablename__)  # the payroll reads them next
    with database.transaction() as session:
        waiting = session.scalar(select(func.count()).where(RetirementApplication.province == province,
                                                            RetirementApplication.status == "pending"))
        run = session.get(BatchRun, run_id)
        run.status, run.persons, run.finished_at = "done", total, utc_naive(now)
        run.duration_ms = int((time.perf_counter() - started) * 1000)
        run.detail = json.dumps({"awarded": total, "still_pending_short_of_minimum": waiting})
        audit.append(session, actor=actor, action="pension.awarded_in_batch", subject=f"run:{run_id}", now=now,
                     province=province, awarded=total, still_pending=waiting)
        session.flush()
        return BatchRunRead.model_validate(run, from_attributes=True)

