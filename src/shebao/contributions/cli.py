"""`shebao contrib assess`, `shebao month-end`: assessing one case, and a province's month."""

from __future__ import annotations

import functools
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
    in_transaction,
    out,
    run_batch,
    run_use_case,
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


@contrib_app.command("correct")
def contrib_correct(since: Annotated[str, typer.Option("--since", help="first month to recompute, YYYYMM")],
                    reason: Annotated[str, typer.Option("--reason", help="why: the fact that was fixed")],
                    person: Annotated[int | None, typer.Option("--person", help="one person's id")] = None,
                    employer: Annotated[int | None, typer.Option("--employer", help="everyone an employer insured")] = None,
                    db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Recompute billed months after the facts were fixed (追溯更正): the differences are billed or credited."""
    from shebao.contributions.corrections import request_correction
    from shebao.contributions.schemas import CorrectionRequest

    fields = {"person_id": person, "employer_id": employer, "since": since, "reason": reason}
    done = run_use_case(db, as_json, CorrectionRequest, fields, in_transaction(_listed(request_correction)))
    emit(done, as_json, "\n".join(_correction_line(c) for c in done["corrections"]))


@contrib_app.command("reverse-correction")
def contrib_reverse_correction(correction: int, reason: Annotated[str, typer.Option("--reason")],
                               db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Undo a correction made in error (only the latest correction of its months)."""
    from shebao.contributions.corrections import reverse_correction
    from shebao.contributions.schemas import CorrectionReverse

    done = run_use_case(db, as_json, CorrectionReverse, {"reason": reason},
                        in_transaction(reverse_correction, correction_id=correction))
    emit(done, as_json, _correction_line(done))


def _listed(function):  # noqa: ANN001, ANN202 - a use case returning a list, wrapped for the JSON object emit prints
    @functools.wraps(function)  # keeps its signature, which in_transaction reads
    def call(**arguments):  # noqa: ANN003, ANN202
        return {"corrections": [c.model_dump(mode="json") for c in function(**arguments)]}
    return call


def _correction_line(c: dict) -> str:
    return (f"更正 correction {c['id']} · {c['cause_zh']} {c['cause_en']} · {c['first_period']}–{c['last_period']} · "
            f"{c['persons']} person(s), {c['months']} month(s) · {fen_to_yuan(c['difference_fen'])} yuan "
            f"(posted in {c['posted_period']})")
