"""Results computed provisionally, corrected in one batch once the values arrive.

A parameter read past the last day it is known for, and declared `past_validity: provisional` (a base floor
before the new contribution year's is published, a wage not yet announced), is served with its last value and
the batch that used it records so (core.runs.ProvisionalResult). When the new value is loaded, `reconcile`
finds every result whose values are now known and corrects them together: the billed months of each province
in one retroactive correction (contributions.corrections: the persons billed in those months, from the earliest
of them), a year's interest by recomputing it (ledger.batch.recompute_interest), pension awards made on a calculation
wage not yet published by recomputing them on the published one, the months already paid made good by the next
payroll (benefits.awards.recompute_provisional_wage). A result whose values are still provisional is left for a
later run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import select, update

from shebao.benefits.awards import recompute_provisional_wage
from shebao.contributions import corrections
from shebao.contributions.models import Assessment
from shebao.core.clock import utc_naive
from shebao.core.db import Database
from shebao.core.periods import Period
from shebao.core.runs import ProvisionalResult
from shebao.ledger.batch import recompute_interest
from shebao.policy.store import ParameterStore, default_store


def reconcile(*, database: Database, now: datetime, actor: str, province: str | None = None,
              store: ParameterStore | None = None) -> dict:
    """Corrects every provisional result whose values are now loaded; says what it corrected and what still waits."""
    store = store or default_store()
    with database.unit_of_work() as uow:
        query = select(ProvisionalResult).where(ProvisionalResult.corrected_at.is_(None))
        if province:
            query = query.where(ProvisionalResult.province == province)
        waiting = uow.session.scalars(query.order_by(ProvisionalResult.province, ProvisionalResult.period)).all()
        uow.session.expunge_all()
    ready = [r for r in waiting if not _still_provisional(store, r)]
    months: dict[str, list[ProvisionalResult]] = defaultdict(list)
    for result in ready:
        if result.kind == "month_end":
            months[result.province].append(result)
    corrected = []
    for where, results in months.items():
        corrected.append(_correct_months(database, where, results, now, actor, store))
    awarded: dict[str, list[ProvisionalResult]] = defaultdict(list)
    for result in (r for r in ready if r.kind == "pension_award"):
        awarded[result.province].append(result)
    for where, results in awarded.items():
        done = recompute_provisional_wage(database=database, province=where, months=[r.period for r in results], now=now,
                                          actor=actor, store=store)
        _mark(database, results, f"pension_recompute:{done['recomputed']}", now)
        corrected.append({"kind": "pension_award"} | done)
    for result in (r for r in ready if r.kind == "interest"):
        run = recompute_interest(database=database, province=result.province, year=int(result.period[:4]), now=now,
                                 actor=actor, store=store)
        _mark(database, [result], f"interest_recompute:{run.id}", now)
        corrected.append({"kind": "interest", "province": result.province, "year": int(result.period[:4]),
                          "run_id": run.id, "total_fen": run.total_fen})
    still = [{"kind": r.kind, "province": r.province, "period": r.period, "paths": json.loads(r.paths)}
             for r in waiting if r not in ready]
    return {"corrected": corrected, "still_provisional": still}


def _day(result: ProvisionalResult) -> date:
    return date(int(result.period[:4]), 12, 31) if result.kind == "interest" else Period.parse(result.period).first_day()


def _still_provisional(store: ParameterStore, result: ProvisionalResult) -> bool:
    snapshot = store.at(result.province, _day(result))
    for path in json.loads(result.paths):
        snapshot.value(path)
    return bool(snapshot.provisional_paths())


def _correct_months(database: Database, province: str, results: list[ProvisionalResult], now: datetime, actor: str,
                    store: ParameterStore) -> dict:
    """The province's provisional months in one correction: everyone billed in them, from the earliest on."""
    periods = [r.period for r in results]
    paths = sorted({p for r in results for p in json.loads(r.paths)})
    with database.transaction() as session:
        billed = select(Assessment.person_id).where(Assessment.province == province, Assessment.period.in_(periods),
                                                    Assessment.superseded_by.is_(None)).distinct()
        done = corrections.correct(session=session, province=province, persons=billed, since=Period.parse(min(periods)),
                                   cause="parameter", actor=actor, now=now, may_reopen=True, store=store,
                                   reason=f"参数已公布 values loaded: {', '.join(paths)}"[:200])
        marker = f"correction:{done.id}" if done is not None else "unchanged"
        session.execute(update(ProvisionalResult).where(ProvisionalResult.id.in_([r.id for r in results]))
                        .values(corrected_at=utc_naive(now), corrected_by=marker))
    return {"kind": "month_end", "province": province, "periods": periods, "paths": paths,
            "correction": None if done is None else done.model_dump(mode="json")}


def _mark(database: Database, results: list[ProvisionalResult], marker: str, now: datetime) -> None:
    with database.transaction() as session:
        session.execute(update(ProvisionalResult).where(ProvisionalResult.id.in_([r.id for r in results]))
                        .values(corrected_at=utc_naive(now), corrected_by=marker))
