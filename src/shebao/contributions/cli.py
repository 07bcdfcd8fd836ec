"""`shebao contrib assess`, `shebao month-end`: assessing one case, and a province's month."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from shebao.clikit import (
    DbOpt,
    JsonOpt,
    ProvinceOpt,
    TodayOpt,
    calculate_case,
    command_group,
    emit,
    out,
    run_batch,
    today_from,
)
from shebao.core.clock import SystemClock
from shebao.core.money import fen_to_yuan

commands = typer.Typer()  # mounted by `shebao/cli.py`: `shebao contrib …` and `shebao month-end`
contrib_app = command_group("contrib", "Contribution assessment")
commands.add_typer(contrib_app)


@contrib_app.command("assess")
def contrib_assess(input_file: Annotated[Path, typer.Option("--input", help="CASE.json: region, period, category, declared_base_fen")],
                   as_json: JsonOpt = False, today: TodayOpt = None) -> None:
    """One month for one person: the base used and each party's amount per insurance, in fen."""
    from shebao.contributions.schemas import ContributionAssess
    from shebao.contributions.service import assess_case

    result = calculate_case(input_file, ContributionAssess, lambda case: assess_case(case=case, today=today_from(today)),
                            as_json)
    if as_json:
        emit(result, True, "")
    table = Table(title=f"{result['region']} · {result['period']} · {result['category']} · "
                        f"base {fen_to_yuan(result['used_base_fen'])} yuan "
                        f"(floor {fen_to_yuan(result['floor_fen'])}, ceiling {fen_to_yuan(result['ceiling_fen'])})")
    for column in ("insurance 险种", "employer 单位", "individual 个人", "personal account 个人账户"):
        table.add_column(column, justify="right")
    for item in result["items"]:
        table.add_row(item["insurance"], fen_to_yuan(item["employer_fen"]), fen_to_yuan(item["individual_fen"]),
                      fen_to_yuan(item["personal_account_fen"]))
    sums = [sum(item[key] for item in result["items"]) for key in ("employer_fen", "individual_fen", "personal_account_fen")]
    table.add_row("total 合计", *(fen_to_yuan(value) for value in sums))
    out.print(table)
    out.print(f"应缴合计 total due: {fen_to_yuan(result['total_fen'])} yuan")


@commands.command("month-end")
def month_end(period: str, province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False,
              person_chunk: Annotated[int | None, typer.Option(min=1, help="person ids assessed per transaction")] = None,
              bill_chunk: Annotated[int | None, typer.Option(min=1, help="bill ids posted per transaction")] = None) -> None:
    """Assess, bill and post a month for a whole province (set-based, resumable, idempotent)."""
    from shebao.contributions.batch import BILL_CHUNK, PERSON_CHUNK, run_month_end

    run_record = run_batch(db, as_json, lambda database, settings, report: run_month_end(
        database=database, province=province or settings.demo_province, period=period, now=SystemClock().now(),
        actor="system:cli", progress=report, person_chunk=person_chunk or PERSON_CHUNK, bill_chunk=bill_chunk or BILL_CHUNK))
    emit(run_record.model_dump(mode="json"), as_json,
         f"month-end {run_record.period} · {run_record.province}: {run_record.persons:,} persons, {run_record.bills:,} bills, "
         f"{fen_to_yuan(run_record.total_fen)} yuan billed ({run_record.duration_ms or 0} ms) · run {run_record.id}")
