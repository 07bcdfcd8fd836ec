"""`shebao transfer amount|plan|apply|step|status|list|gather|convert` and `shebao benefit-place`: the calculators
for what must be decided before anything moves, and a transfer's steps from the operator's console."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from shebao.clikit import DbOpt, JsonOpt, PersonOpt, calculate_case, command_group, emit, in_transaction, run_use_case
from shebao.core.money import fen_to_yuan

commands = typer.Typer()  # mounted by `shebao/cli.py`
transfer_app = command_group("transfer", "Transfer and continuation between provinces (转移接续)")
commands.add_typer(transfer_app)
InputOpt = Annotated[Path, typer.Option("--input", help="CASE.json")]
DayOpt = Annotated[str | None, typer.Option("--on", help="YYYY-MM-DD (default: today)")]


def _day(text: str | None) -> str:
    from shebao.clikit import today_from

    return today_from(text).isoformat()


def _steps(result: dict) -> str:
    return "\n".join(f"{s['explanation']}\n  {s['explanation_en']}" for s in result.get("steps", []))


def _summary(t: dict) -> str:
    due = f" · 下一步期限 due {t['due_on']}" if t.get("due_on") else ""
    return (f"转移 transfer {t['id']} · {t['kind_zh']} {t['kind']} · {t['from_province']}→{t['to_province']} · "
            f"{t['step_zh']} {t['step']}{due} · 统筹 pooled {fen_to_yuan(t['pooled_fen'])} + 个人账户 account "
            f"{fen_to_yuan(t['personal_account_fen'])} 元")


@transfer_app.command("amount")
def transfer_amount(input_file: InputOpt, as_json: JsonOpt = False) -> None:
    """What the old province sends: {"months": [{"period": "YYYYMM", "base_fen"}], "personal_account_fen"} →
    pooled_fen (12% of the bases from 1998-01), personal_account_fen, total_fen, months_counted, steps."""
    from shebao.transfers.schemas import TransferAmountCase
    from shebao.transfers.service import amount_case

    result = calculate_case(input_file, TransferAmountCase, lambda case: amount_case(case=case), as_json)
    emit(result, as_json, _steps(result) + f"\n合计 total {result['total_yuan']} 元")


@commands.command("benefit-place")
def benefit_place(input_file: InputOpt, as_json: JsonOpt = False) -> None:
    """Which province pays the pension: {"hukou_province", "sex", "birth_date", "history": [{"region", "from": "YYYY-MM",
    "to": "YYYY-MM", "temporary"}]} → province, rule 1–4, reason, reason_en, months_by_province."""
    from shebao.transfers.schemas import BenefitPlaceCase
    from shebao.transfers.service import benefit_place_case

    result = calculate_case(input_file, BenefitPlaceCase, lambda case: benefit_place_case(case=case), as_json)
    months = ", ".join(f"{p}: {m}" for p, m in sorted(result["months_by_province"].items()))
    emit(result, as_json, f"{result['province']} · 第 {result['rule']} 条 rule {result['rule']}\n{result['reason']}\n"
                          f"{result['reason_en']}\nmonths by province: {months}")


@transfer_app.command("plan")
def transfer_plan(person: PersonOpt, to: Annotated[str, typer.Option("--to", help="the new county or street code")],
                  on: DayOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """What a transfer would move, before anything moves."""
    from shebao.transfers.service import plan

    result = run_use_case(db, as_json, None, {}, in_transaction(plan, person_id=person, to_region=to,
                                                                on=date.fromisoformat(_day(on))))
    emit(result, as_json, f"{result['kind_zh']} {result['kind']} · {result['from_province']}→{result['to_province']}\n"
                          f"{result['reason']}\n{result['reason_en']}\n" + _steps(result["amount"]))


@transfer_app.command("apply")
def transfer_apply(person: PersonOpt, to: Annotated[str, typer.Option("--to", help="the new county or street code")],
                   starts_on: Annotated[str, typer.Option("--starts-on", help="first day insured there, YYYY-MM-DD")],
                   channel: Annotated[str, typer.Option("--channel", help="online | counter")] = "counter",
                   db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The person's application in the new province."""
    from shebao.core.security import SYSTEM
    from shebao.transfers.schemas import TransferApply
    from shebao.transfers.service import apply

    def call(*, database: Any, cipher: Any, command: TransferApply, now: Any) -> dict:  # noqa: ANN401
        with database.transaction() as session:
            return apply(session=session, principal=SYSTEM, cipher=cipher, command=command, now=now)

    result = run_use_case(db, as_json, TransferApply, {"person_id": person, "to_region": to, "starts_on": starts_on,
                                                       "channel": channel}, call)
    emit(result, as_json, _summary(result) + f"\n{result['reason']}\n{result['reason_en']}")


@transfer_app.command("step")
def transfer_step(transfer: Annotated[int, typer.Argument(help="the transfer's id")],
                  step: Annotated[str, typer.Argument(help="letter_sent | checked | funds_sent | received | completed | refused")],
                  on: DayOpt = None, note: Annotated[str, typer.Option("--note", help="a refusal's reason")] = "",
                  pooled_fen: Annotated[int | None, typer.Option("--pooled-fen")] = None,
                  personal_account_fen: Annotated[int | None, typer.Option("--personal-account-fen")] = None,
                  amount_fen: Annotated[int | None, typer.Option("--amount-fen", help="received")] = None,
                  db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """One step of a transfer, by the province whose step it is."""
    from shebao.transfers.schemas import TransferStepTake
    from shebao.transfers.service import take_step

    fields = {"step": step, "on": _day(on), "note": note, "pooled_fen": pooled_fen,
              "personal_account_fen": personal_account_fen, "amount_fen": amount_fen}
    result = run_use_case(db, as_json, TransferStepTake, fields, in_transaction(take_step, transfer_id=transfer))
    emit(result, as_json, _summary(result))


@transfer_app.command("status")
def transfer_status(transfer: Annotated[int, typer.Argument(help="the transfer's id")], db: DbOpt = None,
                    as_json: JsonOpt = False) -> None:
    """One transfer: its steps with their deadlines, what each insurance carries, what the person was told."""
    from shebao.transfers.service import status

    result = run_use_case(db, as_json, None, {}, in_transaction(status, transfer_id=transfer))
    lines = [f"  {s['on']} {s['step_zh']} {s['step']} ({s['province']})" + (" 逾期 late" if s["late"] else "")
             for s in result["steps"]]
    emit(result, as_json, _summary(result) + "\n" + "\n".join(lines))


@transfer_app.command("list")
def transfer_list(province: Annotated[str | None, typer.Option("--province", help="either side's province")] = None,
                  overdue: Annotated[bool, typer.Option("--overdue", help="open transfers past their deadline")] = False,
                  db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Transfers, newest first; `--overdue`: the open ones past their working-day deadline."""
    from shebao.transfers.service import list_transfers

    rows = run_use_case(db, as_json, None, {}, lambda **kw: {"transfers": in_transaction(
        list_transfers, province=province, overdue=overdue)(**kw)})
    emit(rows, as_json, "\n".join(_summary(t) for t in rows["transfers"]) or "没有转移 no transfers")


@transfer_app.command("gather")
def transfer_gather(person: PersonOpt, on: DayOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Before the award: gather every temporary account (and, under rule 4, the relationship) to the place of benefit."""
    from shebao.transfers.schemas import GatherRequest
    from shebao.transfers.service import gather

    result = run_use_case(db, as_json, GatherRequest, {"person_id": person, "on": _day(on)}, in_transaction(gather))
    place = result["benefit_place"]
    emit(result, as_json, f"待遇领取地 place of benefit {place['province']} (rule {place['rule']}): {place['reason']}\n"
                          + ("\n".join(_summary(t) for t in result["started"]) or "无需归集 nothing to gather"))


@transfer_app.command("convert")
def transfer_convert(person: PersonOpt, direction: Annotated[str, typer.Option("--direction", help="to_employee | to_resident")],
                     region: Annotated[str, typer.Option("--region", help="the agency's county or street code")],
                     on: DayOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Employee ↔ residents' pension (人社部发〔2014〕17号), through the steps like a transfer."""
    from shebao.transfers.schemas import ConversionRequest
    from shebao.transfers.service import convert

    result = run_use_case(db, as_json, ConversionRequest, {"person_id": person, "direction": direction, "on": _day(on),
                                                           "region_code": region}, in_transaction(convert))
    emit(result, as_json, _summary(result) + f"\n{result['reason']}\n{result['reason_en']}")
