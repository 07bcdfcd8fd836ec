"""The comparison's lists and cases as the staff of a region see and work them.

A list is read from the province's latest run, for a county, street or community (the rows whose region lies within
it); a case is worked by recording an outcome with a note (case_rules), a final outcome closing it. Staff see and work
only the cases of their own region, judged on the case as stored; outside it the answer is the same "not found"
whether the case exists or not. Every recorded outcome is audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from shebao.comparison import case_rules, lists
from shebao.comparison.models import CompareCase, CompareCaseEvent, CompareFinding, CompareRun
from shebao.core import audit
from shebao.core.clock import utc_naive
from shebao.core.errors import Forbidden, InvalidInput, NotFound
from shebao.core.regions import level_of, province_of, region_prefix
from shebao.core.security import Principal
from shebao.registry.divisions import all_divisions

MAX_ROWS = 10_000
LEVELS = {"province": 1, "city": 2, "county": 3, "street": 4}


def check_region(region: str) -> str:
    region = (region or "").strip()
    if not (region.isdigit() and len(region) in (6, 9) and region in all_divisions() and region != "000000"):
        raise InvalidInput("compare.region", f"「{region}」不是有效的省、市、区县或街道代码",
                           f"{region!r} is not a province, city, county or street code")
    return region


def _check_kind(kind: str) -> lists.ListKind:
    if kind not in lists.LIST_KINDS:
        raise InvalidInput("compare.list", f"没有这份名单：「{kind}」", f"no such list: {kind!r}",
                           allowed=list(lists.LIST_KINDS))
    return lists.LIST_KINDS[kind]


def _refuse_outside(principal: Principal, region: str) -> None:
    if not principal.can_see_region(region):
        raise NotFound("scope.not_found", "未找到，或不在您的管辖范围内", "not found, or outside your region")


def latest_run(*, session: Session, province: str) -> CompareRun | None:
    return session.scalars(select(CompareRun).where(CompareRun.province == province)
                           .order_by(CompareRun.id.desc()).limit(1)).first()


def list_rows(*, session: Session, principal: Principal, kind: str, region: str, limit: int = MAX_ROWS) -> dict:
    """One list's rows within a region, from the latest run of its province."""
    listing = _check_kind(kind)
    region = check_region(region)
    _refuse_outside(principal, region)
    run = latest_run(session=session, province=province_of(region))
    header = {"kind": kind, "name": listing.zh, "name_en": listing.en, "region": region}
    if run is None:
        return header | {"run_id": None, "as_of": None, "count": 0, "rows": []}
    within = CompareFinding.region_code.startswith(region_prefix(region), autoescape=True)
    where = (CompareFinding.run_id == run.id, CompareFinding.list_kind == kind, within)
    count = session.scalar(select(func.count()).where(*where))
    findings = session.scalars(select(CompareFinding).where(*where).order_by(CompareFinding.region_code,
                                                                             CompareFinding.finding_key).limit(limit))
    return header | {"run_id": run.id, "as_of": run.as_of.isoformat(), "count": count,
                     "rows": [_finding_row(f) for f in findings]}


def _finding_row(f: CompareFinding) -> dict:
    reason_zh, reason_en = lists.DUPLICATE_REASONS.get(f.reason, (f.reason, f.reason))
    return {"finding_key": f.finding_key, "region_code": f.region_code, "person_id": f.person_id, "name": f.name,
            "uscc": f.uscc, "employer_id": f.employer_id, "period": f.period, "amount_fen": f.amount_fen,
            "months": f.months, "people_reported": f.people_reported, "people_insured": f.people_insured,
            "reason": reason_zh, "reason_en": reason_en, "reason_code": f.reason}


def list_cases(*, session: Session, principal: Principal, region: str, kind: str | None = None,
               status: str | None = None, limit: int = 500) -> list[dict]:
    """The cases of a region, the oldest open first."""
    region = check_region(region)
    _refuse_outside(principal, region)
    if kind is not None:
        _check_kind(kind)
    if status is not None and status not in case_rules.STATUS_NAMES:
        raise InvalidInput("compare.status", "状态应为待处理、处理中或已办结", "the status is open, working or closed")
    query = select(CompareCase).where(CompareCase.region_code.startswith(region_prefix(region), autoescape=True))
    if kind is not None:
        query = query.where(CompareCase.list_kind == kind)
    if status is not None:
        query = query.where(CompareCase.status == status)
    order = case((CompareCase.status == "closed", 1), else_=0)
    return [case_view(c) for c in session.scalars(query.order_by(order, CompareCase.id).limit(limit))]


def case_view(c: CompareCase, events: list[CompareCaseEvent] | None = None) -> dict:
    listing = lists.LIST_KINDS[c.list_kind]
    status_zh, status_en = case_rules.STATUS_NAMES[c.status]
    outcome = case_rules.OUTCOMES.get(c.outcome) if c.outcome else None
    view = {"id": c.id, "list_kind": c.list_kind, "list_name": listing.zh, "list_name_en": listing.en,
            "finding_key": c.finding_key, "region_code": c.region_code, "person_id": c.person_id,
            "employer_id": c.employer_id, "uscc": c.uscc, "name": c.name, "amount_fen": c.amount_fen,
            "status": c.status, "status_zh": status_zh, "status_en": status_en, "outcome": c.outcome,
            "outcome_zh": outcome.zh if outcome else None, "outcome_en": outcome.en if outcome else None,
            "allowed_outcomes": [] if c.status == "closed" else list(case_rules.OUTCOMES_BY_LIST[c.list_kind]),
            "opened_at": c.opened_at.isoformat(), "worked_by": c.worked_by,
            "closed_at": c.closed_at.isoformat() if c.closed_at else None}
    if events is not None:
        view["events"] = [{"action": e.action, "outcome": e.outcome, "note": e.note, "actor": e.actor,
                           "at": e.at.isoformat(), "run_id": e.run_id} for e in events]
    return view


def _case_in_scope(session: Session, principal: Principal, case_id: int) -> CompareCase:
    found = session.get(CompareCase, case_id)
    if found is None or not principal.can_see_region(found.region_code):
        raise NotFound("scope.not_found", "未找到，或不在您的管辖范围内", "not found, or outside your region")
    return found


def show_case(*, session: Session, principal: Principal, case_id: int) -> dict:
    found = _case_in_scope(session, principal, case_id)
    events = list(session.scalars(select(CompareCaseEvent).where(CompareCaseEvent.case_id == case_id)
                                  .order_by(CompareCaseEvent.id)))
    return case_view(found, events)


def work_case(*, session: Session, principal: Principal, case_id: int, outcome: str, note: str,
              now: datetime) -> dict:
    """Records what the clerk found; a final outcome closes the case."""
    found = _case_in_scope(session, principal, case_id)
    if principal.person_id is not None and principal.person_id == found.person_id:
        raise Forbidden("compare.own_record", "不能办理与本人有关的核查任务", "no one works a case about their own record")
    chosen = case_rules.check_outcome(list_kind=found.list_kind, status=found.status, outcome=outcome, note=note)
    at = utc_naive(now)
    found.outcome, found.worked_by, found.worked_at = chosen.name, principal.actor, at
    found.status = "closed" if chosen.closes else "working"
    if chosen.closes:
        found.open_key, found.closed_at = None, at
    session.add(CompareCaseEvent(case_id=found.id, action="outcome", outcome=chosen.name, note=note.strip(),
                                 run_id=None, actor=principal.actor, at=at))
    session.flush()
    audit.append(session, actor=principal.actor, action="compare.case_outcome", subject=f"compare_case:{found.id}",
                 now=now, outcome=chosen.name, list_kind=found.list_kind, region=found.region_code)
    return show_case(session=session, principal=principal, case_id=found.id)


def progress(*, session: Session, principal: Principal, region: str, level: str = "street") -> dict:
    """Cases by region one level down (or at `level`): how many opened, being worked, closed, and by list."""
    region = check_region(region)
    _refuse_outside(principal, region)
    if level not in LEVELS or LEVELS[level] < level_of(region):
        raise InvalidInput("compare.level", "汇总层级应为本区域或其下级（省、市、区县、街道）",
                           "the level is the region's own or below it (province, city, county, street)")
    width = {1: 2, 2: 4, 3: 6, 4: 9}[LEVELS[level]]
    group = func.substr(CompareCase.region_code, 1, width)
    is_ = lambda status: func.sum(case((CompareCase.status == status, 1), else_=0))  # noqa: E731
    rows = session.execute(
        select(group, CompareCase.list_kind, func.count(), is_("open"), is_("working"), is_("closed"))
        .where(CompareCase.region_code.startswith(region_prefix(region), autoescape=True))
        .group_by(group, CompareCase.list_kind).order_by(group, CompareCase.list_kind)).all()
    regions: dict[str, dict] = {}
    for prefix, kind, total, open_, working, closed in rows:
        code = prefix.ljust(6, "0")  # 11 → 110000, 1101 → 110100: a region's own code
        entry = regions.setdefault(code, {"region": code, "total": 0, "open": 0, "working": 0, "closed": 0,
                                          "by_list": {}})
        entry["by_list"][kind] = {"total": total, "open": open_, "working": working, "closed": closed}
        for name, value in (("total", total), ("open", open_), ("working", working), ("closed", closed)):
            entry[name] += value
    for entry in regions.values():
        entry["done_share"] = round(entry["closed"] / entry["total"], 4) if entry["total"] else 0.0
    return {"region": region, "level": level, "regions": list(regions.values())}
