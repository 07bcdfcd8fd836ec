"""The after-the-fact screening (事后筛查): a province's data run through every rule's set-based query as of a date,
in one transaction — each finding never seen before opens a case (one per rule and finding, ever), a finding of a case
still being worked updates what is at stake on it, a concluded case is never reopened; the run is kept with its counts
and time per rule, and audited.

The queries are the rules' own (risk/screen_payments.py, risk/screen_records.py; the contract is risk/screen_kit.py).
A rule of the catalogue run after the fact that has no query, or whose parameters are not in force, is reported as
not screened with its reason on every run — never left out silently.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import InvalidInput, given_zh
from shebao.core.regions import is_province
from shebao.core.security import FieldCipher
from shebao.policy.store import ParameterStore, default_store
from shebao.registry.models import Region
from shebao.risk import rules as catalogue
from shebao.risk.models import RiskCase, RiskCaseEvent, RiskScreeningRun
from shebao.risk.screen_kit import FINDING_COLUMNS, ScreenContext, ScreenQuery

# The modules holding the rules' queries, each exporting SCREENS (and, optionally, NOT_SCREENED: rule id ->
# (Chinese, English) reason). A module not there yet is skipped: its rules are reported as not screened.
SCREEN_MODULES = ("shebao.risk.screen_payments", "shebao.risk.screen_records")
WORKED = ("open", "assigned", "investigating")  # a case still being worked: screening updates it
NO_QUERY = ("这条规则尚无筛查查询", "no screening query is written for this rule yet")
NO_KEY = ("这条规则须先读取加密字段，未提供字段密钥", "this rule must read encrypted fields first and was given no field key")
RUN_LIMIT = 100


def screens() -> tuple[dict[str, ScreenQuery], dict[str, tuple[str, str]], dict[str, Callable[..., Any]]]:
    """Every rule's query from the screening modules present, the reasons of the rules they cannot screen, and the
    steps some rules need first with the field key (PREPARE: rule id -> step(session=, cipher=, ctx=))."""
    queries: dict[str, ScreenQuery] = {}
    reasons: dict[str, tuple[str, str]] = {}
    steps: dict[str, Callable[..., Any]] = {}
    for name in SCREEN_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        queries.update(getattr(module, "SCREENS", {}))
        reasons.update(getattr(module, "NOT_SCREENED", {}))
        steps.update(getattr(module, "PREPARE", {}))
    return queries, reasons, steps


def screen_province(*, session: Session, province: str, as_of: date, actor: str, now: datetime,
                    rules: Iterable[str] | None = None, store: ParameterStore | None = None,
                    cipher: FieldCipher | None = None) -> dict[str, Any]:
    """Screens the province as of the date through the rules asked for (default: every after-the-fact rule); opens
    and updates cases; returns the run's summary. Bad input is refused before anything is written. A rule that must
    read encrypted fields first (R16: bank accounts) needs the field `cipher`; without it it is not screened."""
    store = store or default_store()
    chosen = _chosen_rules(rules)
    _check_place_and_day(session, province, as_of, now)
    queries, reasons, steps = screens()
    snapshot = store.at(province, as_of)
    params = {path: snapshot.value(path) for path in catalogue.parameter_paths(chosen) if snapshot.has(path)}
    missing_common = [path for path in catalogue.COMMON_PARAMETERS if path not in params]
    if missing_common:
        raise InvalidInput("risk.screen.as_of", f"风险参数在筛查日期（{as_of.isoformat()}）尚未生效",
                           f"the risk parameters are not in force on {as_of.isoformat()}", missing=missing_common)
    ctx = ScreenContext(province=province, as_of=as_of, params=params)

    run = RiskScreeningRun(province=province, as_of=as_of, counts="{}", timings_ms="{}", findings=0, cases_opened=0,
                           actor=actor, started_at=utc_naive(now), finished_at=utc_naive(now))
    session.add(run)
    session.flush()

    counts: dict[str, int] = {}
    timings: dict[str, int] = {}
    not_screened: dict[str, dict[str, str]] = {}
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for rule in chosen:
        query, step = queries.get(rule.id), steps.get(rule.id)
        why_not = _why_not(rule, query is not None, step is not None, cipher is not None, params, reasons)
        if why_not is not None:
            not_screened[rule.id] = {"reason": why_not[0], "reason_en": why_not[1]}
            continue
        started = time.perf_counter()
        if step is not None:
            step(session=session, cipher=cipher, ctx=ctx)
        rows = session.execute(query(session, ctx)).mappings().all()
        timings[rule.id] = round((time.perf_counter() - started) * 1000)
        counts[rule.id] = len(rows)
        for row in rows:
            found[(rule.id, str(row["finding_key"]))] = {column: row[column] for column in FINDING_COLUMNS}

    opened, updated = _reconcile(session, run, chosen, found, params, actor, now)
    run.counts, run.timings_ms = json.dumps(counts, sort_keys=True), json.dumps(timings, sort_keys=True)
    run.findings, run.cases_opened = len(found), opened
    audit.append(session, actor=actor, action="risk.screen", subject=f"risk_screening_run:{run.id}", now=now,
                 province=province, as_of=as_of.isoformat(), counts=counts, cases_opened=opened, cases_updated=updated,
                 not_screened=sorted(not_screened))
    return run_summary(run) | {"cases_updated": updated, "not_screened": not_screened}


def list_runs(*, session: Session, province: str, limit: int = RUN_LIMIT) -> list[dict[str, Any]]:
    """A province's screenings, the latest first."""
    if not is_province(province):
        raise _bad_province(province)
    runs = session.scalars(select(RiskScreeningRun).where(RiskScreeningRun.province == province)
                           .order_by(RiskScreeningRun.id.desc()).limit(limit))
    return [run_summary(run) for run in runs]


def run_summary(run: RiskScreeningRun) -> dict[str, Any]:
    return {"run_id": run.id, "province": run.province, "as_of": run.as_of.isoformat(), "counts": json.loads(run.counts),
            "timings_ms": json.loads(run.timings_ms), "cases_opened": run.cases_opened, "findings": run.findings,
            "actor": run.actor, "started_at": run.started_at.isoformat(), "finished_at": run.finished_at.isoformat()}


def _why_not(rule: catalogue.Rule, has_query: bool, needs_key: bool, has_key: bool, params: Mapping[str, Any],
             reasons: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
    """Why a rule cannot be screened now (Chinese, English), or None when it can."""
    if not has_query:
        return reasons.get(rule.id, NO_QUERY)
    unset = [path for path in rule.parameters if path not in params]
    if unset:
        return f"参数「{'、'.join(unset)}」在筛查日期未生效", f"parameters not in force on the day: {', '.join(unset)}"
    return NO_KEY if needs_key and not has_key else None


def _chosen_rules(rule_ids: Iterable[str] | None) -> tuple[catalogue.Rule, ...]:
    if rule_ids is None:
        return catalogue.after_the_fact_rules()
    chosen: dict[str, catalogue.Rule] = {}
    for rule_id in rule_ids:
        rule = catalogue.RULES.get(rule_id) if isinstance(rule_id, str) else None
        if rule is None or not rule.after_the_fact:
            raise InvalidInput("risk.screen.rule", f"没有可事后筛查的风险规则{given_zh(rule_id)}",
                               f"no risk rule screened after the fact is called {str(rule_id)[:60]!r}",
                               rule_id=str(rule_id)[:60])
        chosen[rule.id] = rule
    if not chosen:
        raise InvalidInput("risk.screen.rule", "至少指定一条规则", "name at least one rule")
    return tuple(chosen.values())


def _bad_province(province: object) -> InvalidInput:
    return InvalidInput("risk.screen.province", f"不是已知的省级行政区划代码（如 110000）{given_zh(province)}",
                        f"{str(province)[:20]!r} is not a known province code (such as 110000)")


def _check_place_and_day(session: Session, province: str, as_of: date, now: datetime) -> None:
    if not isinstance(province, str) or not is_province(province) or session.get(Region, province) is None:
        raise _bad_province(province)
    today = china_today(now)
    if not isinstance(as_of, date) or as_of > today:
        raise InvalidInput("risk.screen.as_of", f"筛查日期不能晚于今天（{today.isoformat()}）",
                           f"the screening date cannot be later than today ({today.isoformat()})")


def _reconcile(session: Session, run: RiskScreeningRun, chosen: tuple[catalogue.Rule, ...],
               found: Mapping[tuple[str, str], dict[str, Any]], params: Mapping[str, Any], actor: str,
               now: datetime) -> tuple[int, int]:
    """Opens a case for each finding never seen, updates the worked ones; returns (opened, updated)."""
    at = utc_naive(now)
    existing = {(rule_id, key): (case_id, status) for case_id, rule_id, key, status in session.execute(
        select(RiskCase.id, RiskCase.rule_id, RiskCase.finding_key, RiskCase.status)
        .where(RiskCase.rule_id.in_([rule.id for rule in chosen])))}
    thresholds = {"high_amount_fen": params["risk.severity.high_amount_fen"],
                  "critical_amount_fen": params["risk.severity.critical_amount_fen"]}
    new_rows, changes = [], []
    for (rule_id, key), row in found.items():
        rule = catalogue.RULES[rule_id]
        amount = int(row["amount_fen"] or 0)
        severity = catalogue.finding_severity(rule, amount, **thresholds).value
        seen = {"amount_fen": amount, "period_from": row["period_from"], "period_to": row["period_to"],
                "details": row["details"] or "{}", "severity": severity, "last_seen_run_id": run.id,
                "updated_at": at}
        if (rule_id, key) not in existing:
            new_rows.append(seen | {
                "rule_id": rule_id, "finding_key": key, "province": run.province,
                "region_code": row["region_code"] or run.province, "subject_kind": rule.subject.value,
                "person_id": row["person_id"], "employer_id": row["employer_id"], "staff_actor": row["staff_actor"],
                "status": "open", "opened_run_id": run.id, "opened_at": at})
        elif existing[(rule_id, key)][1] in WORKED:
            changes.append(seen | {"id": existing[(rule_id, key)][0]})
    if new_rows:
        session.execute(insert(RiskCase), new_rows)
        opened_ids = session.scalars(select(RiskCase.id).where(RiskCase.opened_run_id == run.id))
        session.execute(insert(RiskCaseEvent), [
            {"case_id": case_id, "action": "opened", "note": f"screening run {run.id}", "run_id": run.id,
             "actor": actor, "at": at} for case_id in opened_ids])
    if changes:
        session.execute(update(RiskCase), changes)
    session.flush()
    return len(new_rows), len(changes)

