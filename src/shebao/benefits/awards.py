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
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Integer, Select, String, and_, case, cast, func, literal, select, union_all, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from shebao.benefits import rules
from shebao.benefits.models import PayrollLine, PensionAward, PensionRecalculation, RetirementApplication
from shebao.benefits.payroll import post_payable
from shebao.benefits.record import record_columns
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database, analyze
from shebao.core.errors import InvalidInput
from shebao.core.periods import Period
from shebao.core.runs import BatchRun, BatchRunRead, record_provisional, start_run
from shebao.core.sql import insert_ignoring_duplicates
from shebao.policy.store import ParameterStore, default_store
from shebao.registry.rules import region_level

Progress = Callable[[str, int, int], None]
AWARD_CHUNK = 50_000


def _bands(columns) -> list:  # noqa: ANN001 - the local rise's band columns of a CTE, in order
    return [getattr(columns, f"b_{kind}{k}") for kind in "swr" for k in range(3)] + [columns.b_min]


def _extra_bands(columns) -> rules.ExtraBands:  # noqa: ANN001 - the bands as the rules take them, from a CTE's columns
    def three(kind: str) -> tuple:
        return tuple(getattr(columns, f"b_{kind}{k}") for k in range(3))

    return rules.ExtraBands(starts=three("s"), widths=three("w"), rates=three("r"), min_actual_months=columns.b_min)


def _weights(columns) -> list:  # noqa: ANN001 - the transitional base's six weights of a CTE, in order
    return [getattr(columns, f"t_{kind}{k}") for kind in "da" for k in range(3)]


def pack_of(store: ParameterStore, province: str, region_code: ColumnElement) -> ColumnElement:
    """Whose rule pack applies to an application taken in a region: its city's where the city has rules of its own
    (深圳), else the province's — as one CASE over the province's cities with packs."""
    cities = sorted(code for code in store.cities if code[:2] == province[:2])
    if not cities:
        return literal(province)
    return case(*((func.substr(region_code, 1, 4) == code[:4], literal(code)) for code in cities), else_=literal(province))


def _application_region() -> ColumnElement:
    """An award's application's region (the agency that took it), for the awards recomputed."""
    return (select(RetirementApplication.region_code).where(RetirementApplication.id == PensionAward.application_id)
            .scalar_subquery())


@dataclass(frozen=True)
class Features:
    """Which of the formula's provincial features the chunk's constants use at all: a feature no row uses is left out
    of the SQL (its part is 0 for every row), so a province without it pays nothing for its columns."""

    bands: bool
    actual_years: bool


def _constants(session: Session, store: ParameterStore, province: str, applications: ColumnElement[bool],
               table: type = RetirementApplication) -> tuple[Select, Features]:
    """A small table of what the parameters give each (rule pack, retirement date, age) met in the chunk (of
    applications, or of awards when recomputed), and the features it uses."""
    region = table.region_code if table is RetirementApplication else _application_region()
    triples = session.execute(select(pack_of(store, province, region), table.retire_date, table.age_months)
                              .where(applications).distinct()).all()
    rows, bands_used, actual_used = [], False, False
    for pack, retire_date, age_months in triples:
        params = store.at(pack, retire_date)
        c = rules.formula_constants(params, rules.RetirementAge(age_months), params.value("pension.calculation_wage_fen"))
        bands_used = bands_used or c.extra_bands is not rules.NO_EXTRA_BANDS
        actual_used = actual_used or rules.counts_actual_years(params) == 1
        base = c.transitional_base
        rows.append(select(*(literal(value, type_).label(name) for name, value, type_ in (
            ("pack", pack, None), ("retire_date", retire_date, None), ("age_months", age_months, None),
            ("wage", c.wage_fen, BigInteger), ("accrual", c.accrual, BigInteger), ("coef", c.coefficient, BigInteger),
            ("per_year", c.per_year, BigInteger), ("per_month", c.per_month, BigInteger),
            ("amount_unit", c.amount_unit, BigInteger), ("divisor_units", c.divisor_units, BigInteger),
            ("local_wage", c.local_wage_fen, BigInteger), ("b_min", c.extra_bands.min_actual_months, BigInteger),
            ("t_per_year", c.per_year if c.transitional_per_year is None else c.transitional_per_year, BigInteger),
            ("t_per_month", c.per_month if c.transitional_per_month is None else c.transitional_per_month, BigInteger),
            ("notional_divisor", c.notional_divisor, BigInteger),
            *((f"b_{kind}{k}", value, BigInteger) for kind, values in (("s", c.extra_bands.starts), ("w", c.extra_bands.widths),
                                                                       ("r", c.extra_bands.rates))
              for k, value in enumerate(values)),
            *((f"t_{kind}{k}", weight, BigInteger) for kind, triple in (("d", base.deemed), ("a", base.actual))
              for k, weight in enumerate(triple)),
            ("t_halves", base.halves, BigInteger), ("pre_account", rules.counts_actual_years(params), BigInteger),
            ("minimum", params.value("pension.minimum_contribution_months"), Integer),
            ("first_period", str(Period.of(rules.add_months(retire_date, 1))), None)))))
    features = Features(bands=bands_used, actual_years=actual_used)
    return (union_all(*rows) if len(rows) > 1 else rows[0]), features


def _provisional_wage_months(store: ParameterStore, province: str, applications: ColumnElement[bool],
                            session: Session) -> list[str]:
    """The retirement months of the chunk awarded on a calculation wage served provisionally (not yet published)."""
    pairs = session.execute(select(pack_of(store, province, RetirementApplication.region_code),
                                   RetirementApplication.retire_date).where(applications).distinct()).all()
    months = set()
    for pack, day in pairs:
        params = store.at(pack, day)
        params.value("pension.calculation_wage_fen")
        if "pension.calculation_wage_fen" in params.provisional_paths():
            months.add(str(Period.of(day)))
    return sorted(months)


def award(*, session: Session, store: ParameterStore, province: str, applications: ColumnElement[bool], actor: str,
          now: datetime) -> int:
    """Awards every pending application the clause names whose record meets the minimum; returns how many."""
    applications = and_(applications, RetirementApplication.status == "pending", RetirementApplication.province == province)
    if session.scalar(select(func.count()).where(applications)) == 0:
        return 0
    for month in _provisional_wage_months(store, province, applications, session):
        record_provisional(session, kind="pension_award", province=province, period=month,
                           paths=["pension.calculation_wage_fen"], now=now)
    table, features = _constants(session, store, province, applications)
    constants = table.cte("constants")
    # BIGINT throughout: the rules' products outgrow 32 bits, and on PostgreSQL a constant is bound as its column's type.
    columns = record_columns(store, RetirementApplication.person_id)
    if not features.actual_years:  # no province in the chunk counts them: no lookup of them either
        columns["pre_account_months"] = literal(0)
    recorded = [cast(column, BigInteger).label(name) for name, column in columns.items()]
    k = constants.c
    raw = (select(RetirementApplication.id.label("application_id"), RetirementApplication.person_id,
                  RetirementApplication.retire_date, RetirementApplication.age_months,
                  RetirementApplication.transitional_index_ten_thousandths.label("second_index"),
                  cast(func.coalesce(RetirementApplication.notional_account_fen, 0), BigInteger).label("notional"), *recorded,
                  k.wage, k.coef, k.accrual, k.per_year, k.per_month, k.amount_unit, k.divisor_units, *_weights(k), k.t_halves,
                  k.local_wage, *_bands(k), k.t_per_year, k.t_per_month, k.notional_divisor,
                  k.pre_account, k.first_period, k.minimum)
           .join(constants, and_(k.retire_date == RetirementApplication.retire_date,
                                 k.age_months == RetirementApplication.age_months,
                                 k.pack == pack_of(store, province, RetirementApplication.region_code)))
           .where(applications).cte("raw").prefix_with("MATERIALIZED"))
    r = raw.c
    idx = cast(rules.index_ten_thousandths(r.index_sum, r.months), BigInteger)
    figures = (select(r.application_id, r.person_id, r.retire_date, r.age_months, r.months, r.deemed, r.pre_account_months,
                      idx.label("idx"), cast(func.coalesce(r.second_index, idx), BigInteger).label("t_idx"),
                      r.balance, r.wage, r.coef, r.accrual, r.per_year, r.per_month, r.amount_unit, r.divisor_units,
                      *_weights(r), r.local_wage, *_bands(r), r.t_per_year, r.t_per_month, r.notional_divisor, r.notional,
                      r.t_halves, r.pre_account, r.first_period)
               .where(rules.meets_minimum(rules.counted_months(r.months, r.deemed), r.minimum))
               .cte("figures").prefix_with("MATERIALIZED"))
    f = figures.c
    # The columns stand where the calculator passes integers: the same steps, applied to every row at once.
    constants_of_row = rules.FormulaConstants(
        wage_fen=f.wage, accrual=f.accrual, coefficient=f.coef, per_year=f.per_year, divisor_units=f.divisor_units,
        transitional_base=rules.TransitionalBase((f.t_d0, f.t_d1, f.t_d2), (f.t_a0, f.t_a1, f.t_a2), f.t_halves),
        per_month=f.per_month, amount_unit=f.amount_unit, local_wage_fen=f.local_wage,
        extra_bands=_extra_bands(f) if features.bands else rules.NO_EXTRA_BANDS,
        transitional_per_year=f.t_per_year, transitional_per_month=f.t_per_month, notional_divisor=f.notional_divisor)
    parts = rules.pension_parts(constants=constants_of_row, index=f.idx, transitional_index=f.t_idx,
                                contribution_months=f.months, deemed_months=f.deemed,
                                actual_transitional_months=f.pre_account * f.pre_account_months, balance_fen=f.balance,
                                notional_account_fen=f.notional)
    # Each part computed once into its own column (SQLite would evaluate a part's whole expression again in the sum).
    computed = (select(f.person_id, f.application_id, f.retire_date, f.first_period, f.age_months, f.months, f.deemed,
                       f.pre_account_months, f.idx, f.t_idx, f.notional, f.balance, f.wage, f.divisor_units,
                       cast(parts.basic_fen, BigInteger).label("basic"), cast(parts.account_fen, BigInteger).label("account"),
                       cast(parts.transitional_fen, BigInteger).label("transitional"),
                       cast(parts.extra_fen, BigInteger).label("extra"))
                .cte("parts").prefix_with("MATERIALIZED"))
    p = computed.c
    rows = select(p.person_id, p.application_id, literal(province), p.retire_date, p.first_period, p.age_months, p.months,
                  p.deemed, p.pre_account_months, p.idx, p.t_idx, p.notional, p.balance, p.wage, p.divisor_units, p.basic,
                  p.account, p.transitional, p.extra, p.basic + p.account + p.transitional + p.extra, p.balance,
                  literal("paying"), literal(""), p.retire_date, literal(actor), literal(utc_naive(now)))
    names = ["person_id", "application_id", "province", "retire_date", "first_period", "age_months", "contribution_months",
             "deemed_months", "pre_account_months", "index_ten_thousandths", "transitional_index_ten_thousandths",
             "notional_account_fen", "personal_account_fen", "calculation_wage_fen", "divisor_units",
             "basic_fen", "account_fen", "transitional_fen", "local_extras_fen", "monthly_fen", "account_remaining_fen", "status",
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



def recompute_provisional_wage(*, database: Database, province: str, months: list[str], now: datetime, actor: str,
                               store: ParameterStore | None = None) -> dict:
    """Awards made on a calculation wage served provisionally (the year's W not yet published), recomputed in one batch
    once it is: the basic and transitional pension on the published W (the personal-account part does not depend on
    it), the monthly amount moved by the difference, each recomputation recorded before and after, and for every
    month already paid the difference as an arrears line the next payroll pays (set-based, like the yearly rise).
    A lower W is applied from now on; what was paid above it is not reclaimed (recorded in the recalculation)."""
    store = store or default_store()
    with database.transaction() as session:
        awards = and_(PensionAward.province == province, PensionAward.status != "stopped",
                      func.substr(cast(PensionAward.retire_date, String), 1, 7).in_([f"{m[:4]}-{m[4:]}" for m in months]))
        if session.scalar(select(func.count()).where(awards)) == 0:
            return {"province": province, "months": months, "recomputed": 0, "arrears_fen": 0}
        table, features = _constants(session, store, province, awards, table=PensionAward)
        k = table.cte("constants")
        joined = and_(k.c.retire_date == PensionAward.retire_date, k.c.age_months == PensionAward.age_months,
                      k.c.pack == pack_of(store, province, _application_region()))
        a = PensionAward
        row_constants = rules.FormulaConstants(
            wage_fen=k.c.wage, accrual=k.c.accrual, coefficient=k.c.coef, per_year=k.c.per_year,
            divisor_units=k.c.divisor_units,
            transitional_base=rules.TransitionalBase((k.c.t_d0, k.c.t_d1, k.c.t_d2), (k.c.t_a0, k.c.t_a1, k.c.t_a2), k.c.t_halves),
            per_month=k.c.per_month, amount_unit=k.c.amount_unit, local_wage_fen=k.c.local_wage,
            extra_bands=_extra_bands(k.c) if features.bands else rules.NO_EXTRA_BANDS,
            transitional_per_year=k.c.t_per_year, transitional_per_month=k.c.t_per_month, notional_divisor=k.c.notional_divisor)
        parts = rules.pension_parts(constants=row_constants, index=a.index_ten_thousandths,
                                    transitional_index=a.transitional_index_ten_thousandths, contribution_months=a.contribution_months,
                                    deemed_months=a.deemed_months,
                                    actual_transitional_months=k.c.pre_account * a.pre_account_months,
                                    balance_fen=a.personal_account_fen, notional_account_fen=a.notional_account_fen)
        cause = literal("wage:") + func.substr(cast(a.retire_date, String), 1, 4)
        before = a.basic_fen + a.account_fen + a.transitional_fen + a.local_extras_fen
        changed = select(a.id, literal(province), cause, a.calculation_wage_fen, k.c.wage, before,
                         cast(parts.basic_fen + a.account_fen + parts.transitional_fen + parts.extra_fen, BigInteger),
                         literal(utc_naive(now))).join(k, joined).where(awards, a.calculation_wage_fen != k.c.wage)
        session.execute(insert_ignoring_duplicates(session, PensionRecalculation.__table__).from_select(
            ["award_id", "province", "cause", "wage_before_fen", "wage_after_fen", "awarded_before_fen", "awarded_after_fen",
             "recalculated_at"], changed))
        mine = and_(PensionRecalculation.award_id == a.id, PensionRecalculation.recalculated_at == utc_naive(now))
        after = select(PensionRecalculation.awarded_after_fen).where(mine).scalar_subquery()
        done_before = select(PensionRecalculation.awarded_before_fen).where(mine).scalar_subquery()
        session.execute(update(a).where(awards, a.id.in_(select(PensionRecalculation.award_id).where(mine)))
                        .values(basic_fen=select(parts.basic_fen).select_from(k).where(joined).scalar_subquery(),
                                transitional_fen=select(parts.transitional_fen).select_from(k).where(joined).scalar_subquery(),
                                local_extras_fen=select(parts.extra_fen).select_from(k).where(joined).scalar_subquery(),
                                calculation_wage_fen=select(k.c.wage).where(joined).scalar_subquery(),
                                monthly_fen=a.monthly_fen + after - done_before)
                        .execution_options(synchronize_session=False))
        difference = PensionRecalculation.awarded_after_fen - PensionRecalculation.awarded_before_fen
        arrears = (select(PayrollLine.award_id, PayrollLine.person_id, PayrollLine.province, PayrollLine.for_period,
                          literal("recompute"), difference, literal(0), literal("new"), literal(""))
                   .join(PensionRecalculation, PensionRecalculation.award_id == PayrollLine.award_id)
                   .where(PensionRecalculation.recalculated_at == utc_naive(now), PensionRecalculation.province == province,
                          PayrollLine.kind == "monthly", PayrollLine.status != "cancelled", difference > 0))
        session.execute(insert_ignoring_duplicates(session, PayrollLine.__table__).from_select(
            ["award_id", "person_id", "province", "for_period", "kind", "amount_fen", "account_part_fen", "status",
             "hold_reason"], arrears))
        fresh = and_(PayrollLine.status == "new", PayrollLine.kind == "recompute", PayrollLine.province == province)
        total = int(session.scalar(select(func.coalesce(func.sum(PayrollLine.amount_fen), 0)).where(fresh)))
        if total:
            post_payable(session, province=province, month=Period.of(china_today(now)), lines=fresh,
                         key_prefix=f"payable:{province}:recompute:{now:%Y%m%d%H%M%S}:", actor=actor, now=now)
        session.execute(update(PayrollLine).where(fresh).values(status="due"))
        recomputed = session.scalar(select(func.count()).select_from(PensionRecalculation).where(
            PensionRecalculation.recalculated_at == utc_naive(now), PensionRecalculation.province == province))
        audit.append(session, actor=actor, action="pension.recomputed_on_published_wage", subject=f"province:{province}",
                     now=now, months=months, awards=recomputed, arrears_fen=total)
    return {"province": province, "months": months, "recomputed": int(recomputed), "arrears_fen": total}
