"""A comparison run (全民参保登记比对): the province's lists computed as of a date, kept, and turned into cases.

One use case: the snapshot is read (snapshot.take), the lists run on the chosen engine (engine.run), and then in
one transaction the run, its rows, and the cases are written — a finding not yet a case opens one for the staff of
its region, a finding seen again keeps its case, and an open case no longer listed is closed as "unlisted". New cases
asking a person or employer to act queue a reminder for them in the outbox (case_rules.REMINDED_LISTS), delivered
afterwards by `shebao outbox deliver` with every attempt recorded. Everything set-based: bulk inserts and updates
keyed on the case's open key, never a query per finding.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from shebao.comparison import case_rules, engine, lists, outbox, snapshot
from shebao.comparison.models import CompareCase, CompareCaseEvent, CompareFinding, CompareRun
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database
from shebao.core.errors import InvalidInput
from shebao.core.regions import is_province
from shebao.core.security import Principal
from shebao.policy.store import ParameterStore
from shebao.registry.models import Person

NATIONAL = "000000"
CHUNK = 5_000
EARLIEST_AS_OF = date(2000, 1, 1)

Progress = Callable[[str, int, int], None]


def question_for(*, store: ParameterStore, province: str, as_of: date, today: date,
                 national: bool = False) -> engine.Question:
    """The run's question, refused when the province (or, for the national job, the country) or the date cannot be
    compared."""
    if not (is_province(province) or (national and province == engine.NATIONAL)):
        raise InvalidInput("compare.province", f"「{province}」不是省级行政区划代码（如 110000）",
                           f"{province!r} is not a province code (such as 110000)")
    if not EARLIEST_AS_OF <= as_of <= today:
        raise InvalidInput("compare.as_of", f"比对日期应在 {EARLIEST_AS_OF} 至今天之间",
                           f"the as-of date must lie between {EARLIEST_AS_OF} and today")
    params = store.at(NATIONAL, as_of)
    return engine.Question(province=province, as_of=as_of,
                           minimum_age_years=params.value("comparison.minimum_age_years"),
                           interrupted_after_months=params.value("comparison.interrupted_after_months"))


def compare(*, database: Database, store: ParameterStore, principal: Principal, province: str, as_of: date | None,
            engine_name: str, now: datetime, progress: Progress | None = None) -> dict:
    """Runs every list for the province as of the date, keeps the rows, opens and closes cases; returns the counts."""
    tell = progress or (lambda stage, done, total: None)
    started = utc_naive(now)
    question = question_for(store=store, province=province, as_of=as_of or china_today(now), today=china_today(now))
    tell("snapshot", 0, 3)
    with database.unit_of_work() as uow:
        tables = snapshot.take(session=uow.session, store=store, as_of=question.as_of)
    tell("lists", 1, 3)
    results = engine.run(engine=engine_name, inputs=tables, question=question)
    tell("cases", 2, 3)
    with database.transaction() as session:
        run = _record_run(session, question, engine_name, tables, results, principal.actor, started, now)
        _write_findings(session, run.id, results)
        quiet_months = store.at(NATIONAL, question.as_of).value("comparison.closed_case_quiet_months")
        opened, closed = _reconcile_cases(session, run, results, principal.actor, now, quiet_months)
        run.cases_opened, run.cases_closed = opened, closed
        reminded = _queue_reminders(session, run.id, now)
        audit.append(session, actor=principal.actor, action="compare.run", subject=f"compare_run:{run.id}", now=now,
                     province=province, as_of=question.as_of.isoformat(), engine=engine_name,
                     counts=json.loads(run.counts), cases_opened=opened, cases_closed=closed, reminders=reminded)
        summary = run_summary(run) | {"reminders_queued": reminded}
    tell("done", 3, 3)
    return summary


def take_snapshot(*, database: Database, store: ParameterStore, as_of: date, folder: Path, now: datetime) -> dict:
    """The nightly extract: the registry as of the date and the imported registries, as Parquet for the national job."""
    if not EARLIEST_AS_OF <= as_of <= china_today(now):
        raise InvalidInput("compare.as_of", f"比对日期应在 {EARLIEST_AS_OF} 至今天之间",
                           f"the as-of date must lie between {EARLIEST_AS_OF} and today")
    with database.unit_of_work() as uow:
        tables = snapshot.take(session=uow.session, store=store, as_of=as_of)
    snapshot.write_parquet(tables, folder)
    return {"as_of": as_of.isoformat(), "folder": str(folder), "inputs_digest": snapshot.fingerprint(tables),
            "rows": {name: table.num_rows for name, table in tables.items()}}


def compare_files(*, store: ParameterStore, inputs: Path | str, province: str, as_of: date, engine_name: str,
                  output: Path | None, now: datetime) -> dict:
    """The national job: the lists over a snapshot in files, for a province or the whole country (000000) in one
    pass, written per list and province when an output folder is given; nothing is read from or written to a database."""
    question = question_for(store=store, province=province, as_of=as_of, today=china_today(now), national=True)
    results = engine.run(engine=engine_name, inputs=inputs, question=question)
    written = engine.write_lists(results, output) if output is not None else None
    return {"province": province, "as_of": as_of.isoformat(), "engine": engine_name, "inputs": str(inputs),
            "counts": {kind: table.num_rows for kind, table in results.items()},
            "lists_digest": snapshot.fingerprint(results), "output": str(output) if output else None,
            "written": written}


def run_summary(run: CompareRun) -> dict:
    counts = json.loads(run.counts)
    return {"run_id": run.id, "province": run.province, "as_of": run.as_of.isoformat(), "engine": run.engine,
            "counts": counts, "lists": [{"kind": kind, "name": lists.LIST_KINDS[kind].zh,
                                         "name_en": lists.LIST_KINDS[kind].en, "count": counts[kind]}
                                        for kind in lists.LIST_KINDS],
            "cases_opened": run.cases_opened, "cases_closed": run.cases_closed,
            "inputs_digest": run.inputs_digest, "lists_digest": run.lists_digest,
            "started_at": run.started_at.isoformat(), "finished_at": run.finished_at.isoformat()}


def _record_run(session: Session, question: engine.Question, engine_name: str, tables: dict[str, pa.Table],
                results: dict[str, pa.Table], actor: str, started: datetime, now: datetime) -> CompareRun:
    run = CompareRun(province=question.province, as_of=question.as_of, engine=engine_name,
                     inputs_digest=snapshot.fingerprint(tables), lists_digest=snapshot.fingerprint(results),
                     counts=json.dumps({kind: results[kind].num_rows for kind in lists.LIST_KINDS}),
                     cases_opened=0, cases_closed=0, actor=actor, started_at=started, finished_at=utc_naive(now))
    session.add(run)
    session.flush()
    return run


def _finding_rows(run_id: int, province: str, table: pa.Table):
    for row in table.to_pylist():
        month = row.pop("month")
        yield row | {"run_id": run_id, "region_code": row["region_code"] or province, "reason": row["reason"] or "",
                     "period": None if month is None else snapshot.index_period(month)}


def _write_findings(session: Session, run_id: int, results: dict[str, pa.Table]) -> None:
    province = session.get(CompareRun, run_id).province
    for table in results.values():
        if table.num_rows:
            _insert_chunked(session, CompareFinding, _finding_rows(run_id, province, table))


def _insert_chunked(session: Session, model, rows) -> None:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            session.execute(insert(model), chunk)
            chunk = []
    if chunk:
        session.execute(insert(model), chunk)


def _recently_closed(session: Session, province: str, since: datetime) -> set[str]:
    """Findings whose case a clerk closed since the date (not those closed as no longer listed): kept quiet."""
    rows = session.execute(select(CompareCase.list_kind, CompareCase.finding_key).where(
        CompareCase.province == province, CompareCase.status == "closed", CompareCase.outcome != "unlisted",
        CompareCase.closed_at >= since))
    return {f"{kind}:{key}" for kind, key in rows}


def _reconcile_cases(session: Session, run: CompareRun, results: dict[str, pa.Table], actor: str,
                     now: datetime, quiet_months: int) -> tuple[int, int]:
    """Opens a case per new finding (not one a clerk closed within the quiet months), marks the ones seen again,
    closes the open ones no longer listed."""
    at = utc_naive(now)
    already_open = set(session.scalars(select(CompareCase.open_key).where(
        CompareCase.province == run.province, CompareCase.open_key.is_not(None))))
    quiet = _recently_closed(session, run.province, at - timedelta(days=round(quiet_months * 365.25 / 12)))
    listed = {f"{row['list_kind']}:{row['finding_key']}": row
              for table in results.values() for row in table.select(_CASE_COLUMNS).to_pylist()}
    new_rows = [_new_case(run, key, row, at) for key, row in listed.items()
                if key not in already_open and key not in quiet]
    _insert_chunked(session, CompareCase, new_rows)
    seen = [key for key in listed if key in already_open]
    for start in range(0, len(seen), CHUNK):
        session.execute(update(CompareCase).where(CompareCase.open_key.in_(seen[start:start + CHUNK]))
                        .values(last_seen_run_id=run.id))
    _add_events(session, select(CompareCase.id, literal("opened"), literal(None), literal("比对发现 found by the comparison"),
                                literal(run.id), literal(actor), literal(at))
                .where(CompareCase.opened_run_id == run.id))
    unlisted = (CompareCase.province == run.province) & CompareCase.open_key.is_not(None) \
        & (CompareCase.last_seen_run_id != run.id)
    closed = session.scalar(select(func.count()).select_from(CompareCase).where(unlisted))
    _add_events(session, select(CompareCase.id, literal("unlisted"), literal("unlisted"),
                                literal("复核比对已不在名单中 no longer listed by a later comparison"), literal(run.id),
                                literal(actor), literal(at)).where(unlisted))
    session.execute(update(CompareCase).where(unlisted).values(status="closed", outcome="unlisted", open_key=None,
                                                               closed_at=at))
    return len(new_rows), closed


_CASE_COLUMNS = ["list_kind", "finding_key", "region_code", "person_id", "employer_id", "uscc", "name", "amount_fen"]


def _new_case(run: CompareRun, key: str, row: dict, at: datetime) -> dict:
    return {"province": run.province, "list_kind": row["list_kind"], "finding_key": row["finding_key"], "open_key": key,
            "region_code": row["region_code"] or run.province, "person_id": row["person_id"],
            "employer_id": row["employer_id"], "uscc": row["uscc"], "name": row["name"],
            "amount_fen": row["amount_fen"] or 0, "status": "open", "outcome": None, "opened_run_id": run.id,
            "last_seen_run_id": run.id, "opened_at": at}


def _add_events(session: Session, rows) -> None:
    columns = [CompareCaseEvent.case_id, CompareCaseEvent.action, CompareCaseEvent.outcome, CompareCaseEvent.note,
               CompareCaseEvent.run_id, CompareCaseEvent.actor, CompareCaseEvent.at]
    session.execute(insert(CompareCaseEvent).from_select([c.key for c in columns], rows))


def _queue_reminders(session: Session, run_id: int, now: datetime) -> int:
    """A reminder to the person or employer of each new case that asks them to act, through the outbox: an SMS to a
    person we hold a phone for, else a letter to where the register says they live; an app notice to a registered
    employer, else a letter to the enterprise's registered region. Returns how many were queued."""
    rows = session.execute(
        select(CompareCase.id, CompareCase.list_kind, CompareCase.name, CompareCase.region_code, CompareCase.person_id,
               CompareCase.employer_id, CompareCase.uscc, CompareCase.finding_key, Person.phone_enc.is_not(None))
        .outerjoin(Person, Person.id == CompareCase.person_id)
        .where(CompareCase.opened_run_id == run_id, CompareCase.list_kind.in_(case_rules.REMINDED_LISTS))).all()
    messages = []
    for case_id, kind, name, region, person_id, employer_id, uscc, key, has_phone in rows:
        channel, recipient = _addressee(kind, region, person_id, employer_id, uscc, key, has_phone)
        body_zh, body_en = case_rules.reminder(kind, name)
        messages.append({"channel": channel, "recipient": recipient, "subject_kind": "compare_case",
                         "subject_id": case_id, "body_zh": body_zh, "body_en": body_en,
                         "idempotency_key": f"compare_case:{case_id}:reminder"})
    return outbox.enqueue_many(session=session, messages=messages, now=now)


def _addressee(kind: str, region: str, person_id: int | None, employer_id: int | None, uscc: str | None, key: str,
               has_phone: bool | None) -> tuple[str, str]:
    if lists.LIST_KINDS[kind].subject == "employer":
        return ("app", f"employer:{employer_id}") if employer_id else ("letter", f"enterprise:{uscc}@{region}")
    if person_id is not None:
        return ("sms" if has_phone else "letter"), f"person:{person_id}"
    return "letter", f"resident:{key[:40]}@{region}"
