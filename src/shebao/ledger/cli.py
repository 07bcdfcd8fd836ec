"""`shebao interest credit`: a year's interest on a province's personal accounts."""

from __future__ import annotations

import typer

from shebao.clikit import DbOpt, JsonOpt, ProvinceOpt, command_group, emit, run_batch
from shebao.core.clock import SystemClock
from shebao.core.money import fen_to_yuan

commands = typer.Typer()  # mounted by `shebao/cli.py`
interest_app = command_group("interest", "Personal-account interest")
commands.add_typer(interest_app)


@interest_app.command("credit")
def interest_credit(year: int, province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Credit a year's interest to every personal account of a province (set-based, idempotent)."""
    from shebao.ledger.batch import credit_interest

    run_record = run_batch(db, as_json, lambda database, settings, report: credit_interest(
        database=database, province=province or settings.demo_province, year=year, now=SystemClock().now(),
        actor="system:cli", progress=report))
    emit(run_record.model_dump(mode="json"), as_json,
         f"interest {year} · {run_record.province}: {run_record.persons:,} accounts, "
         f"{fen_to_yuan(run_record.total_fen)} yuan credited · run {run_record.id}")
