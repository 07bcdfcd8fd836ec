"""`shebao interest credit|recompute|calc`: a year's interest on a province's personal accounts, a year credited
under another rule recomputed as corrections, and one account's year explained. `shebao fund settle|statement`: the
national adjustment's yearly settlement between the provinces' pension pooling funds, and its statement."""

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
    in_transaction,
    run_batch,
    run_use_case,
)
from shebao.core.clock import SystemClock
from shebao.core.money import fen_to_yuan

commands = typer.Typer()  # mounted by `shebao/cli.py`
interest_app = command_group("interest", "Personal-account interest")
commands.add_typer(interest_app)
fund_app = command_group("fund", "The national adjustment of the pension pooling funds (全国统筹调剂)")
commands.add_typer(fund_app)
YearOpt = Annotated[int, typer.Option("--year", help="the year settled (YYYY), a year that is over")]


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


@fund_app.command("settle")
def fund_settle(year: YearOpt, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Settle a year of the national adjustment: each province remits a share of its assessed pension bases and
    receives its retirees' share of the pot, posted in the ledger (one transaction; a year already settled is shown
    as it was, nothing posted twice)."""
    from shebao.core.security import SYSTEM
    from shebao.ledger.national_fund import settle

    def job(database, _settings, report):  # noqa: ANN001, ANN202 - run_batch's arguments
        with database.transaction() as session:
            return settle(session=session, principal=SYSTEM, year=year, now=SystemClock().now(), progress=report)

    result = run_batch(db, as_json, job)
    done = "settled" if result.newly_settled else "already settled on " + f"{result.settled_at:%Y-%m-%d}"
    emit(result.model_dump(mode="json"), as_json, _fund_summary(result, done))


@fund_app.command("statement")
def fund_statement(year: YearOpt, province: Annotated[str | None, typer.Option(
        "--province", help="one province's statement (6-digit code); default: every province")] = None,
        db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A settled year's statement: the rule and its source, each province's base, remittance, retirees, receipt and
    net, and the national account's check (its movement for the year is zero)."""
    from shebao.ledger.national_fund import statement
    from shebao.ledger.schemas import NationalFundStatementRead

    result = NationalFundStatementRead.model_validate(
        run_use_case(db, as_json, None, {}, in_transaction(statement, year=year, province=province)))
    lines = [f"{line.province}  上解 remitted {fen_to_yuan(line.remitted_fen):>16}  拨付 received "
             f"{fen_to_yuan(line.received_fen):>16}  净额 net {fen_to_yuan(line.net_fen):>16}\n  {line.how_zh}\n  {line.how}"
             for line in result.lines]
    emit(result.model_dump(mode="json"), as_json, "\n".join([_fund_summary(result, "statement"), *lines]))


def _fund_summary(result, what: str) -> str:  # noqa: ANN001 - a NationalFundStatementRead
    check = "balanced 平衡" if result.balanced else "NOT BALANCED 不平衡"
    return (f"national fund {result.year} {what} · {result.provinces} provinces · rate {result.rate} · pot "
            f"{fen_to_yuan(result.remitted_fen)} yuan · {result.retirees:,} retirees ({result.per_retiree_yuan} yuan each) · "
            f"national account movement {fen_to_yuan(result.national_movement_fen)} · {check}")
