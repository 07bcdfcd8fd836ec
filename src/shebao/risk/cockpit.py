"""The cockpit (驾驶舱): figures for managers at every level, from summary tables the batch jobs refresh.

`refresh` rebuilds the summary tables for a province (or every province) as of a day, set-based and in the caller's
one transaction: each source is read by one GROUP BY at the level it is recorded (a street, mostly), and one
INSERT … SELECT rolls those counts up to the street, county, city and province by joining them to the four levels;
the country's rows are then summed from the provinces'. Refreshing again for the same day replaces what was there:
the same sources give the same rows. The pooling funds come from the ledger's own report (`ledger.reports`).

`figures` reads one region's rows and its children's (one level down, or the level asked) for drill-down — indexed
lookups, no scan of the base tables. Who may read: staff of the region or above, administrators, auditors; outside
one's region the answer is one "not found".

Where each figure comes from (`cockpit_rules.FIGURES`):

- insured — participations in force on the day (started by it, not ended before it), distinct persons per insurance,
  in the region where the person lives; `pension_insured` the same over both pension schemes;
- uninsured, interrupted — the rows of those lists in each province's latest comparison run as of the day (as
  `compare list` reads them; the national pass's runs, province 000000, are not read);
- card holders — persons holding an issued card (issued, active or frozen) issued by the day; e-card holders —
  persons with an electronic card open on the day;
- open risk cases — cases opened by the day and still being worked (open, assigned, investigating), by severity,
  with the money at stake, in the case's region as stored;
- money recovered — repayments and offsets made by the day, in the recovery's region as stored;
- funds — each province's pooling fund of each insurance month by month: income (credits), spending (debits), the
  balance, and the months of spending the balance covers (`risk.cockpit.months_covered_window`).
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

from sqlalchemy import Date, DateTime, Integer, String, and_, case, delete, func, insert, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from shebao.cards.models import Card, ElectronicCard
from shebao.cards.rules import CardState
from shebao.comparison.models import CompareFinding, CompareRun
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import InvalidInput, NotFound
from shebao.core.regions import NATIONAL_REGION, is_province, level_of, province_of, region_prefix
from shebao.core.security import Principal
from shebao.enrollment.models import Participation
from shebao.ledger.reports import pooling_fund_months
from shebao.policy.store import ParameterStore, default_store
from shebao.registry.divisions import all_divisions
from shebao.registry.models import Person, Region
from shebao.risk import cockpit_rules as rules
from shebao.risk.models import CockpitFundMonth, CockpitRegionFigure, RiskCase, RiskRecovery, RiskRecoveryMovement

HELD_CARD_STATES = (CardState.ISSUED.value, CardState.ACTIVE.value, CardState.FROZEN.value)
WINDOW = "risk.cockpit.months_covered_window"
CHART = "/api/v1/fund/projection.svg?province={province}"


# ---------------------------------------------------------------- refresh


def refresh(*, session: Session, province: str | None, as_of: date | None = None, now: datetime) -> dict:
    """Rebuilds the cockpit's summary tables for one province (or every province, None) as of a day (default today
    in China), then the country's rows from the provinces'. Idempotent; in the caller's transaction."""
    if province is not None and not is_province(province):
        raise InvalidInput("cockpit.province", f"「{province[:20]}」不是省级区划代码", f"{province[:20]!r} is not a province code")
    as_of = as_of or china_today(now)
    if as_of > china_today(now):
        raise InvalidInput("cockpit.as_of", f"统计日期 {as_of} 晚于今天", f"the as-of day {as_of} is after today")
    started, at = time.perf_counter(), utc_naive(now)
    table = CockpitRegionFigure
    stale = [table.as_of == as_of, table.level > 0]
    if province is not None:
        stale.append(table.province == province)
    session.execute(delete(table).where(*stale))
    rollup = _rollup(_bases(as_of, province), as_of, at)
    session.execute(insert(table).from_select(_INSERT_COLUMNS, rollup))
    session.execute(delete(table).where(table.as_of == as_of, table.level == 0))
    session.execute(insert(table).from_select(_INSERT_COLUMNS, _country(as_of, at)))
    written = session.scalar(select(func.count()).where(*stale[:1], table.refreshed_at == at,
                                                        *([or_(table.province == province, table.level == 0)]
                                                          if province else [])))
    fund_rows = _refresh_funds(session, province, as_of, at)
    return {"province": province or NATIONAL_REGION, "as_of": as_of.isoformat(), "region_rows": written,
            "fund_rows": fund_rows, "elapsed_ms": round((time.perf_counter() - started) * 1000, 1)}


def _country(as_of: date, at: datetime):  # noqa: ANN202 - a Select
    """The country's rows: each province's rows from its latest refresh by the day, summed."""
    table, other = CockpitRegionFigure, aliased(CockpitRegionFigure)
    latest = (select(func.max(other.as_of)).where(other.province == table.province, other.level == 1,
                                                  other.as_of <= as_of).scalar_subquery())
    return (select(literal(as_of, Date), literal(NATIONAL_REGION, String), literal(NATIONAL_REGION, String),
                   literal(None, String), literal(0, Integer), table.figure, table.key, func.sum(table.value),
                   literal(at, DateTime))
            .where(table.level == 1, table.as_of == latest).group_by(table.figure, table.key))


_INSERT_COLUMNS = ["as_of", "province", "region_code", "parent_code", "level", "figure", "key", "value",
                   "refreshed_at"]


def _within(column, province: str | None):  # noqa: ANN001, ANN202 - a column; an SQL condition
    return column.startswith(province[:2], autoescape=True) if province else literal(True)


def _bases(as_of: date, province: str | None) -> list:
    """One GROUP BY per source, each yielding (code, figure, key, value) at the region the source records."""
    next_day = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    where = Person.residence_region_code
    in_force = and_(Participation.start_date <= as_of,
                    or_(Participation.end_date.is_(None), Participation.end_date >= as_of))
    insured = (select(where.label("code"), literal("insured", String).label("figure"),
                      Participation.scheme.label("key"), func.count(func.distinct(Participation.person_id)).label("value"))
               .join(Person, Person.id == Participation.person_id)
               .where(in_force, _within(where, province)).group_by(where, Participation.scheme))
    pension = (select(where, literal("pension_insured", String), literal("", String),
                      func.count(func.distinct(Participation.person_id)))
               .join(Person, Person.id == Participation.person_id)
               .where(in_force, Participation.exclusion_group == rules.PENSION_GROUP, _within(where, province))
               .group_by(where))
    latest_runs = (select(func.max(CompareRun.id)).where(CompareRun.as_of <= as_of,
                                                         CompareRun.province != NATIONAL_REGION)
                   .group_by(CompareRun.province))
    listed = (select(CompareFinding.region_code, CompareFinding.list_kind, literal("", String), func.count())
              .where(CompareFinding.run_id.in_(latest_runs), CompareFinding.list_kind.in_(("uninsured", "interrupted")),
                     _within(CompareFinding.region_code, province))
              .group_by(CompareFinding.region_code, CompareFinding.list_kind))
    cards = (select(where, literal("card_holders", String), literal("", String), func.count(func.distinct(Card.person_id)))
             .join(Person, Person.id == Card.person_id)
             .where(Card.state.in_(HELD_CARD_STATES), Card.issue_date <= as_of, _within(where, province))
             .group_by(where))
    ecards = (select(where, literal("ecard_holders", String), literal("", String),
                     func.count(func.distinct(ElectronicCard.person_id)))
              .join(Person, Person.id == ElectronicCard.person_id)
              .where(ElectronicCard.opened_at < next_day,
                     or_(ElectronicCard.closed_at.is_(None), ElectronicCard.closed_at >= next_day),
                     _within(where, province))
              .group_by(where))
    open_case = and_(RiskCase.status.in_(rules.OPEN_CASE_STATUSES), RiskCase.opened_at < next_day,
                     _within(RiskCase.region_code, province))
    cases = (select(RiskCase.region_code, literal("open_cases", String), RiskCase.severity, func.count())
             .where(open_case).group_by(RiskCase.region_code, RiskCase.severity))
    at_stake = (select(RiskCase.region_code, literal("open_cases_fen", String), RiskCase.severity,
                       func.sum(RiskCase.amount_fen))
                .where(open_case).group_by(RiskCase.region_code, RiskCase.severity))
    recovered = (select(RiskRecovery.region_code, literal("recovered_fen", String), RiskRecoveryMovement.kind,
                        func.sum(RiskRecoveryMovement.amount_fen))
                 .join(RiskRecovery, RiskRecovery.id == RiskRecoveryMovement.recovery_id)
                 .where(RiskRecoveryMovement.kind.in_(rules.RECOVERING_MOVEMENTS), RiskRecoveryMovement.at < next_day,
                        _within(RiskRecovery.region_code, province))
                 .group_by(RiskRecovery.region_code, RiskRecoveryMovement.kind))
    return [insured, pension, listed, cards, ecards, cases, at_stake, recovered]


def _rollup(bases: list, as_of: date, at: datetime):  # noqa: ANN202 - a Select
    """The base counts summed at every level from the street to the province: each base row joined to the levels
    its code reaches (a street's to all four, a county's to three …), then grouped by the ancestor at that level."""
    base = union_all(*bases).subquery("base")
    code = base.c.code
    levels = union_all(*(select(literal(n, Integer).label("n")) for n in (1, 2, 3, 4))).subquery("levels")
    own_level = case((func.length(code) == 9, 4), (func.substr(code, 3, 4) == "0000", 1),
                     (func.substr(code, 5, 2) == "00", 2), else_=3)
    n = levels.c.n

    def up_to(digits: int, pad: str):  # noqa: ANN202 - the code's ancestor whose code keeps `digits` digits
        return func.substr(code, 1, digits, type_=String) + literal(pad, String)

    ancestor = case((n == 4, code), (n == 3, func.substr(code, 1, 6, type_=String)), (n == 2, up_to(4, "00")),
                    else_=up_to(2, "0000"))
    parent = case((n == 4, func.substr(code, 1, 6, type_=String)), (n == 3, up_to(4, "00")),
                  (n == 2, up_to(2, "0000")), else_=literal(NATIONAL_REGION, String))
    joined = (select(ancestor.label("region_code"), parent.label("parent_code"), n.label("level"),
                     up_to(2, "0000").label("province"), base.c.figure, base.c.key, base.c.value)
              .select_from(base.join(levels, own_level >= n))
              .where(func.length(code).in_((6, 9)), code != NATIONAL_REGION).subquery("placed"))
    return (select(literal(as_of, Date), joined.c.province, joined.c.region_code, joined.c.parent_code,
                   joined.c.level, joined.c.figure, func.coalesce(joined.c.key, ""), func.sum(joined.c.value),
                   literal(at, DateTime))
            .group_by(joined.c.province, joined.c.region_code, joined.c.parent_code, joined.c.level, joined.c.figure,
                      joined.c.key))


def _refresh_funds(session: Session, province: str | None, as_of: date, at: datetime) -> int:
    """Each province's pooling funds month by month through the day's month, every month from the fund's first
    movement (a quiet month carries the balance), from the ledger's one GROUP BY."""
    stale = [CockpitFundMonth.as_of == as_of]
    if province is not None:
        stale.append(CockpitFundMonth.province == province)
    session.execute(delete(CockpitFundMonth).where(*stale))
    through = rules.month_of(as_of)
    by_province: dict[str, list[tuple[str, str, int, int]]] = {}
    for owner, insurance, period, debits, credits in pooling_fund_months(session=session, through_period=through,
                                                                         province=province):
        by_province.setdefault(owner, []).append((insurance, period, debits, credits))
    rows = []
    for owner, movements in by_province.items():
        for insurance, months in rules.fund_months(_every_month(movements, through), {}).items():
            rows += [{"as_of": as_of, "province": owner, "insurance": insurance, "refreshed_at": at, **month}
                     for month in months]
    if rows:
        session.execute(insert(CockpitFundMonth), rows)
    return len(rows)


def _every_month(movements: list[tuple[str, str, int, int]], through: str) -> list[tuple[str, str, int, int]]:
    """The movements with a zero row for every month between an insurance's first movement and `through`."""
    seen = {(insurance, period) for insurance, period, _, _ in movements}
    filled = list(movements)
    for insurance in {row[0] for row in movements}:
        period = min(p for i, p, _, _ in movements if i == insurance)
        while period <= through:
            if (insurance, period) not in seen:
                filled.append((insurance, period, 0, 0))
            year, month = int(period[:4]), int(period[4:])
            period = f"{year + month // 12:04d}{month % 12 + 1:02d}"
    return filled


# ---------------------------------------------------------------- figures


def figures(*, session: Session, principal: Principal, region: str, level: str | None = None,
            as_of: date | None = None, store: ParameterStore | None = None) -> dict:
    """A region's figures and its children's, from the latest refresh as of the day (default: the latest)."""
    region = rules.check_region_code(region)
    if region != NATIONAL_REGION and region[:6] not in all_divisions():
        raise InvalidInput("cockpit.region", f"没有这个区划：「{region}」", f"no such region: {region}")
    if not principal.can_see_region(region):
        raise NotFound("scope.not_found", "未找到，或不在您的管辖范围内", "not found, or outside your region")
    own = level_of(region)
    drill = rules.check_level(region, level)
    table = CockpitRegionFigure
    owner = NATIONAL_REGION if own == 0 else province_of(region)
    latest = select(func.max(table.as_of)).where(table.province == owner, table.level == min(own, 1))
    if as_of is not None:
        latest = latest.where(table.as_of <= as_of)
    day = session.scalar(latest)
    result = {"region": region, "name": _names(session, [region]).get(region), "level": own,
              "level_name": rules.LEVEL_NAMES[own][0], "level_name_en": rules.LEVEL_NAMES[own][1],
              "as_of": day.isoformat() if day else None, "asked_as_of": as_of.isoformat() if as_of else None,
              "drill_level": rules.LEVEL_NAMES[drill][1] if drill in rules.LEVEL_NAMES else None}
    if day is None:
        result["note"], result["note_en"] = "尚未生成驾驶舱数据：请运行 shebao cockpit refresh", \
            "no cockpit figures yet: run shebao cockpit refresh"
    mine = session.execute(select(table.figure, table.key, table.value)
                           .where(table.region_code == region, table.as_of == day)).all() if day else []
    result["figures"] = rules.counts_view({(f, k): int(v) for f, k, v in mine})
    result["fund"] = _fund(session, region, own, day, store) if day else None
    result["projection_chart"] = CHART.format(province=region) if own == 1 else None
    result["children"] = _children(session, region, own, drill, day) if day else []
    result["definitions"] = rules.definitions()
    return result


def _children(session: Session, region: str, own: int, drill: int, day: date) -> list[dict]:
    if drill not in rules.LEVEL_NAMES:
        return []
    table = CockpitRegionFigure
    query = select(table.region_code, table.figure, table.key, table.value).where(table.as_of == day)
    if drill == own + 1:
        query = query.where(table.parent_code == region)
    else:
        query = query.where(table.level == drill, table.region_code.startswith(region_prefix(region), autoescape=True))
        if own >= 1:
            query = query.where(table.province == province_of(region))
    counts: dict[str, dict[tuple[str, str], int]] = {}
    for code, figure, key, value in session.execute(query):
        counts.setdefault(code, {})[(figure, key)] = int(value)
    names = _names(session, list(counts))
    return [{"region": code, "name": names.get(code), "figures": rules.counts_view(counts[code])}
            for code in sorted(counts)]


def _names(session: Session, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    found = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())
    if NATIONAL_REGION in codes:
        found.setdefault(NATIONAL_REGION, rules.LEVEL_NAMES[0][0])
    return found


def _fund(session: Session, region: str, own: int, day: date, store: ParameterStore | None) -> dict:
    """The pooling funds: a province's own, the country's summed; below a province there is no fund of its own."""
    if own > 1:
        return {"pooled_by": province_of(region), "note": "基金按省统筹，区划以下不单列",
                "note_en": "the funds are pooled by province and not split below it", "by_insurance": {}}
    m = CockpitFundMonth
    query = (select(m.insurance, m.period, func.sum(m.income_fen), func.sum(m.spending_fen), func.sum(m.balance_fen))
             .group_by(m.insurance, m.period).order_by(m.insurance, m.period))
    if own == 1:
        query = query.where(m.province == region, m.as_of == day)
    else:  # each province's latest refresh by the day
        latest = (select(m.province, func.max(m.as_of).label("as_of")).where(m.as_of <= day)
                  .group_by(m.province).subquery("latest"))
        query = query.join(latest, and_(latest.c.province == m.province, latest.c.as_of == m.as_of))
    window = int((store or default_store()).at(NATIONAL_REGION if own == 0 else region, day).value(WINDOW))
    series: dict[str, list[dict]] = {}
    for insurance, period, income, spending, balance in session.execute(query):
        series.setdefault(insurance, []).append({"period": period, "income_fen": int(income),
                                                 "spending_fen": int(spending), "balance_fen": int(balance)})
    by_insurance = {}
    for insurance, months in series.items():
        balance = months[-1]["balance_fen"]
        by_insurance[insurance] = {
            "balance_fen": balance, "months": months[-window:],
            "months_covered": rules.months_covered(balance, [row["spending_fen"] for row in months], window)}
    return {"pooled_by": region, "window_months": window, "by_insurance": by_insurance}
