"""`shebao cockpit figures --region CODE [--level L] [--as-of DAY] [--json]` and `shebao cockpit refresh [--province
CODE] [--as-of DAY]`: the cockpit's figures of a region and its children, and the refresh of the summary tables the
figures are read from (risk/cockpit.py). `shebao/cli.py` mounts `commands` here like any context's."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shebao.clikit import DbOpt, JsonOpt, command_group, emit, out, run_use_case
from shebao.core.money import fen_to_yuan_grouped

commands = typer.Typer()  # mounted by `shebao/cli.py`
cockpit_app = command_group("cockpit", "The cockpit (驾驶舱): figures for managers at every level, drilled down")
commands.add_typer(cockpit_app)

AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="the day, YYYY-MM-DD (default: the latest refresh / today)")]


def _day(text: str | None):  # noqa: ANN202 - a date or None
    from shebao.risk.catalogue import parse_day

    return None if text is None else parse_day(text)


@cockpit_app.command("figures")
def cockpit_figures(
        region: Annotated[str, typer.Option("--region", help="000000 the country, a province, city, county or street")],
        level: Annotated[str | None, typer.Option("--level", help="drill down to: province | city | county | street "
                                                                  "(default: one level down)")] = None,
        as_of: AsOfOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A region's figures — coverage, card and e-card holders, insured by insurance, the funds month by month and
    the months their balance covers, interrupted payers, open risk cases, money recovered — and its children's."""
    from shebao.core.security import SYSTEM
    from shebao.risk.cockpit import figures

    def call(*, database, cipher, command, now) -> dict:  # noqa: ANN001, ARG001 - run_use_case's
        with database.unit_of_work() as uow:
            return figures(session=uow.session, principal=SYSTEM, region=region, level=level, as_of=_day(as_of))

    result = run_use_case(db, as_json, None, {}, call)
    if as_json:
        emit(result, True, "")
    out.print(_table(result))
    if result.get("note"):
        out.print(f"{escape(result['note'])}\n{escape(result['note_en'])}")
    for insurance, fund in (result["fund"] or {}).get("by_insurance", {}).items():
        out.print(f"{escape(insurance)}: 余额 balance {fen_to_yuan_grouped(fund['balance_fen'])} 元 · 可支付月数 months "
                  f"covered {fund['months_covered'] or '—'}")


def _row(code: str, name: str | None, figures: dict) -> list[str]:
    coverage = figures["coverage"]
    return [code, escape(name or ""), f"{coverage['insured']:,}/{coverage['should_be_insured']:,}",
            coverage["rate"] or "—", f"{figures['card_holders']:,}", f"{figures['ecard_holders']:,}",
            f"{figures['interrupted']:,}", f"{figures['open_cases']['total']:,}",
            fen_to_yuan_grouped(figures["recovered_fen"]["total"])]


def _table(result: dict) -> Table:
    table = Table(title=f"驾驶舱 cockpit · {result['region']} {escape(result['name'] or '')} · as of {result['as_of']}")
    for heading in ("区划\nregion", "名称\nname", "参保/应保\ninsured/should", "参保率\ncoverage", "持卡\ncards",
                    "电子卡\ne-cards", "断缴\ninterrupted", "在办案件\nopen cases", "追回(元)\nrecovered"):
        table.add_column(heading, justify="right")
    table.add_row(*_row(result["region"], result["name"], result["figures"]), end_section=True)
    for child in result["children"]:
        table.add_row(*_row(child["region"], child["name"], child["figures"]))
    return table


@cockpit_app.command("refresh")
def cockpit_refresh(
        province: Annotated[str | None, typer.Option("--province", help="one province (default: every province)")] = None,
        as_of: AsOfOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Rebuild the cockpit's summary tables as of a day, set-based, in one transaction (the batch jobs call it)."""
    from shebao.risk.cockpit import refresh

    def call(*, database, cipher, command, now) -> dict:  # noqa: ANN001, ARG001 - run_use_case's
        with database.transaction() as session:
            return refresh(session=session, province=province, as_of=_day(as_of), now=now)

    result = run_use_case(db, as_json, None, {}, call)
    emit(result, as_json, f"驾驶舱已刷新 cockpit refreshed · {result['province']} as of {result['as_of']}: "
                          f"{result['region_rows']:,} region rows, {result['fund_rows']:,} fund rows, "
                          f"{result['elapsed_ms']} ms")
