"""`shebao policy show`: the parameters in force for a region on a day; `shebao policy expired`: the values in
force on a day past the last day they are known for (refused when read, or served provisionally); `shebao policy
stale`: those not checked against their source for a year; `shebao policy coverage`: how far each province's rule
pack reaches, year by year."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shebao.clikit import JsonOpt, command_group, emit, out, refuse, today_from
from shebao.core.errors import DATE_FORMAT_ZH, DomainError, InvalidInput, given_zh
from shebao.policy.store import ParameterSnapshot, ParameterValue

commands = typer.Typer()  # mounted by `shebao/cli.py`
policy_app = command_group("policy", "Policy parameters in force")
commands.add_typer(policy_app)

# How each state of a value reads for people (the JSON says it with `expired`, `provisional` and `past_validity`).
STATE_NAMES = {"valid": ("有效", "valid"), "provisional": ("暂按", "provisional"), "refused": ("拒绝使用", "refused")}


def _day(text: str, as_json: bool) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        refuse(InvalidInput("policy.date", f"{DATE_FORMAT_ZH}{given_zh(text)}", f"a date is YYYY-MM-DD: {text[:40]!r}"),
               as_json)


def _state(row: dict) -> str:
    key = "provisional" if row["provisional"] else "refused" if row["expired"] else "valid"
    return " ".join(STATE_NAMES[key])


def _value_text(value: object) -> str:
    return ", ".join(f"{k}:{v}" for k, v in value.items()) if isinstance(value, dict) else str(value)


@policy_app.command("show")
def policy_show(region_code: str, day: str, as_json: JsonOpt = False) -> None:
    """Every parameter in force for a region on a day, with its source and the last day it is known for."""
    from shebao.policy.store import default_store

    when = _day(day, as_json)
    try:
        snapshot = default_store().at(region_code, when)
    except DomainError as exc:
        refuse(exc, as_json)
    rows = [p.as_dict() for p in snapshot.all()]
    if as_json:
        emit({"region_code": region_code, "date": day, "parameters": rows}, True, "")
    table = Table(title=f"{escape(region_code)} · {day}", show_lines=False)
    for column in ("parameter", "value", "since", "until", "state", "from", "source"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["path"], escape(_value_text(row["value"])), row["since"], row["valid_until"] or "—",
                      _state(row), row["jurisdiction"], escape(row["source"]))
    out.print(table)


OnOpt = Annotated[str | None, typer.Option("--on", help="the day to judge (default: today in China)")]
RegionOpt = Annotated[str | None, typer.Option("--region", help="a region code (default: national and every province with parameters)")]


def _listed_values(on: str | None, region: str | None, as_json: bool,
                   pick: Callable[[ParameterSnapshot], list[ParameterValue]]) -> tuple[date, list[str], list[dict]]:
    """The values `pick` chooses from each region's snapshot on the day, as rows; a value inherited from the national
    layer is listed once, under the national code, unless one region was asked for."""
    from shebao.policy.store import default_store

    when = _day(on, as_json) if on is not None else today_from(None)
    store = default_store()
    regions = [region] if region is not None else store.jurisdictions()
    rows = []
    try:
        for code in regions:
            rows += [{"region_code": code} | value.as_dict() for value in pick(store.at(code, when))
                     if region is not None or code == value.jurisdiction]
    except DomainError as exc:
        refuse(exc, as_json)
    return when, regions, rows


@policy_app.command("expired")
def policy_expired(on: OnOpt = None, region: RegionOpt = None, as_json: JsonOpt = False) -> None:
    """Values in force on a day past the last day they are known for: refused when read, or served provisionally."""
    when, regions, rows = _listed_values(on, region, as_json, lambda snapshot: snapshot.expired())
    if as_json:
        emit({"date": when.isoformat(), "regions": regions, "expired": rows}, True, "")
    if not rows:
        emit({}, False, f"{when} 没有超出有效期的政策参数 / no parameter is past its validity on {when}")
    table = Table(title=f"超出有效期的政策参数 past their validity · {when}")
    for column in ("region", "parameter", "value", "known until", "state", "from", "source"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["region_code"], row["path"], escape(_value_text(row["value"])), row["valid_until"], _state(row),
                      row["jurisdiction"], escape(row["source"]))
    out.print(table)


@policy_app.command("stale")
def policy_stale(on: OnOpt = None, region: RegionOpt = None, as_json: JsonOpt = False) -> None:
    """Values in force on a day whose source was last checked more than a year before it, or never recorded as checked."""
    from shebao.policy.store import STALE_AFTER_DAYS

    when, regions, rows = _listed_values(on, region, as_json, lambda snapshot: snapshot.stale())
    if as_json:
        emit({"date": when.isoformat(), "regions": regions, "after_days": STALE_AFTER_DAYS, "stale": rows}, True, "")
    if not rows:
        emit({}, False, f"{when} 所有生效参数一年内都核对过来源 / every value in force was checked against its source within a year")
    table = Table(title=f"超过一年未核对来源的政策参数 not checked for a year · {when}")
    for column in ("region", "parameter", "value", "since", "last checked", "source"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["region_code"], row["path"], escape(_value_text(row["value"])), row["since"],
                      row["checked"] or "从未 never", escape(row["source"]))
    out.print(table)


@policy_app.command("coverage")
def policy_coverage(on: OnOpt = None, region: RegionOpt = None, as_json: JsonOpt = False) -> None:
    """Per province and pack parameter: the years its own figures cover (and which of them are restated, awaiting
    the official text), the years the national value stands in, and the years nothing covers."""
    from shebao.core.regions import province_names
    from shebao.policy.coverage import coverage, year_ranges
    from shebao.policy.store import default_store

    when = _day(on, as_json) if on is not None else today_from(None)
    store = default_store()
    if region is not None and region not in province_names() and region not in store.cities:
        refuse(InvalidInput("policy.coverage_region", f"应为省级代码或有本市规则包的城市代码{given_zh(region)}",
                            f"a province code, or a city with a pack of its own ({', '.join(sorted(store.cities))}), "
                            f"is asked for: {region[:40]!r}"), as_json)
    report = coverage(store, when, region)
    if as_json:
        emit(report, True, "")
    table = Table(title=f"省级规则包覆盖 rule pack coverage · {when}")
    for column in ("province", "parameter", "own 本省", "restated 转载", "provisional 暂按", "national 全国值", "missing 缺失"):
        table.add_column(column, overflow="fold")
    for row in report["provinces"]:
        for path, years in row["parameters"].items():
            table.add_row(f"{row['code']} {row['name']}", path, *(year_ranges(years[status]) for status in
                                                                 ("sourced", "restated", "provisional", "fallback", "missing")))
    out.print(table)
    shares = ", ".join(f"{row['name']} {row['sourced_share']:.0%}" for row in report["provinces"])
    out.print(f"本省数值覆盖的年份 share of years with the province's own figures: {shares}")
