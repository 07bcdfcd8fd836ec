"""`shebao interest credit|recompute|calc`: a year's interest on a province's personal accounts, a year credited
under another rule recomputed as corrections, and one account's year explained."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from shebao.clikit import (
    DbOpt,
    JsonOpt,
    ProvinceOpt,
    calculate_case,
    command_group,
    emit,
    run_batch,
)
from shebao.core.clock import SystemClock
from shebao.core.money import fen_to_yuan

commands = typer.Typer()  # mounted by `shebao/cli.py`
interest_app = command_group("interest", "Personal-account interest")
commands.add_typer(interest_app)


@interest_app.command("credit")
def interest_credit(year: int, province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Credit a year's interest to every personal account of a province (set-based, idempotent). A year already
    credited is left as it was: `interest recompute` corrects it under the rule in force now."""
    from shebao.ledger.batch import credit_interest

    run_record = run_batch(db, as_json, lambda database, settings, report: credit_interest(
        database=database, province=province or settings.demo_province, year=year, now=SystemClock().now(),
        actor="system:cli", progress=report))
    emit(run_record.model_dump(mode="json"), as_json,
         f"interest {year} · {run_record.province}: {run_record.persons:,} accounts, "
         f"{fen_to_yuan(run_record.total_fen)} yuan credited · run {run_record.id}")


@interest_app.command("recompute")
def interest_recompute(year: int, province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Recompute a year already credited under the rule in force now, and post each account's difference as a
    correction in the current month (set-based, idempotent: a rerun posts nothing). Recompute later years after."""
    from shebao.ledger.batch import recompute_interest

    run_record = run_batch(db, as_json, lambda database, settings, report: recompute_interest(
        database=database, province=province or settings.demo_province, year=year, now=SystemClock().now(),
        actor="system:cli", progress=report))
    detail = json.loads(run_record.detail)
    emit(run_record.model_dump(mode="json"), as_json,
         f"interest {year} recomputed · {run_record.province} ({detail['rule']}): {run_record.persons:,} accounts corrected "
         f"({detail['raised']:,} up, {detail['lowered']:,} down), {fen_to_yuan(run_record.total_fen)} yuan net, "
         f"posted in {detail['posted_in']} · run {run_record.id}")


@interest_app.command("calc")
def interest_calc(input_file: Annotated[Path, typer.Option("--input", help="CASE.json")], as_json: JsonOpt = False) -> None:
    """One account's year of interest, explained step by step (the rule the year-end batch credits):
    {"opening_fen", "credits": [{"month", "fen"}], "rate": "0.0262", "method": "monthly" | "yearly"}."""
    from shebao.ledger.schemas import InterestCalculate
    from shebao.ledger.service import interest_case

    result = calculate_case(input_file, InterestCalculate, lambda case: interest_case(case=case), as_json).model_dump(mode="json")
    lines = [f"{step['how_zh']}\n  {step['how']}" for step in result["steps"]]
    emit(result, as_json, "\n".join(lines) + f"\n利息 interest {result['interest_yuan']} 元 · 年末余额 closing "
                                              f"{result['closing_yuan']} 元")
