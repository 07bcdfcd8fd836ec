"""`shebao bank batches|show|prepare|approve|file|returned|reconcile`: the payment batches to the banks, their
maker-checker release, the bank file, the payments the bank returned and each bank's month reconciled against the
ledger. (`shebao bank import-returns` and `shebao bank account-fixed`, which other contexts react to, are added to
this group by `services/cli.py`.)

Preparing and approving name the person acting with `--as USERNAME`: the account's stored role and region are
judged as the API judges a logged-in user's, so that the maker and the checker are two people here too."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.table import Table
from sqlalchemy.orm import Session

from shebao.clikit import DbOpt, JsonOpt, ProvinceOpt, command_group, emit, fail, out, refuse, settings_for
from shebao.core.clock import SystemClock
from shebao.core.db import Database
from shebao.core.errors import DomainError
from shebao.core.money import fen_to_yuan
from shebao.core.security import SYSTEM, FieldCipher, Principal

commands = typer.Typer()  # mounted by `shebao/cli.py`
bank_app = command_group("bank", "Payment batches to the banks: maker-checker release, bank files, returns, reconciliation")
commands.add_typer(bank_app)

BatchArg = Annotated[int, typer.Argument(min=1, help="the batch's id (shebao bank batches)")]
AsOpt = Annotated[str, typer.Option("--as", help="the username of the person acting (maker or checker)")]


def in_session(db: str | None, as_json: bool, call: Callable[[Session, FieldCipher, Principal], Any], *,
               acting: str | None = None) -> Any:  # noqa: ANN401 - the use case's answer
    """One use case in one transaction; `acting` names the account it runs as (else the operator, SYSTEM)."""
    from shebao.accounts.service import principal_named

    settings = settings_for(db)
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            principal = principal_named(session=session, username=acting) if acting is not None else SYSTEM
            return call(session, FieldCipher(settings.secret_key), principal)
    except DomainError as exc:
        refuse(exc, as_json)
    finally:
        database.dispose()


def _json(result: BaseModel | list) -> Any:  # noqa: ANN401
    if isinstance(result, list):
        return [item.model_dump(mode="json") for item in result]
    return result.model_dump(mode="json")


def _batch_line(batch: dict) -> str:
    maker = f" · maker {batch['prepared_by']}" if batch["prepared_by"] else ""
    checker = f" · checker {batch['approved_by']}" if batch["approved_by"] else ""
    return (f"batch {batch['id']} · {batch['province']} {batch['period']} {batch['bank_code']} {batch['source']} #{batch['seq']} · "
            f"{batch['status_name']} {batch['status']} · {batch['lines']} lines {fen_to_yuan(batch['total_fen'])} yuan"
            + (f" · returned {batch['returned_lines']}" if batch["returned_lines"] else "") + maker + checker)


@bank_app.command("batches")
def list_batches(province: ProvinceOpt = None, period: Annotated[str | None, typer.Option("--period", help="YYYYMM")] = None,
                 status: Annotated[str | None, typer.Option("--status", help="open | prepared | released")] = None,
                 db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A province's payment batches, newest month first."""
    from shebao.payouts.service import batches

    found = _json(in_session(db, as_json, lambda session, _cipher, who: batches(
        session=session, principal=who, province=province or settings_for(db).demo_province, period=period, status=status)))
    emit(found, as_json, "\n".join(_batch_line(batch) for batch in found) or "no batches")


@bank_app.command("show")
def show(batch: BatchArg, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """One batch: its lines and total, its maker and checker."""
    from shebao.payouts.service import batch_of

    found = _json(in_session(db, as_json, lambda session, _cipher, who: batch_of(session=session, principal=who, batch_id=batch)))
    emit(found, as_json, _batch_line(found))


@bank_app.command("prepare")
def prepare(batch: BatchArg, acting: AsOpt, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The maker closes an open batch for approval; a second person approves it."""
    from shebao.payouts.service import prepare_batch

    found = _json(in_session(db, as_json, lambda session, _cipher, who: prepare_batch(
        session=session, principal=who, batch_id=batch, now=SystemClock().now()), acting=acting))
    emit(found, as_json, _batch_line(found))


@bank_app.command("approve")
def approve(batch: BatchArg, acting: AsOpt, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A second person approves a prepared batch: it is released to the bank (cash is paid out)."""
    from shebao.payouts.service import approve_batch

    found = _json(in_session(db, as_json, lambda session, _cipher, who: approve_batch(
        session=session, principal=who, batch_id=batch, now=SystemClock().now()), acting=acting))
    emit(found, as_json, _batch_line(found))


@bank_app.command("file")
def bank_file(batch: BatchArg, output: Annotated[Path | None, typer.Option("--output", help="file to write (default: print)")] = None,
              db: DbOpt = None) -> None:
    """A released batch's payment instructions for its bank (CSV: reference,bank_account,account_name,amount_fen,card_number,memo)."""
    from shebao.payouts.service import bank_file as produce

    text = in_session(db, False, lambda session, cipher, who: produce(
        session=session, cipher=cipher, principal=who, batch_id=batch, now=SystemClock().now()))
    if output is None:
        print(text, end="")
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"无法写入文件 / cannot write the file: {exc.strerror}: {output}")


@bank_app.command("returned")
def returned(province: ProvinceOpt = None,
             status: Annotated[str | None, typer.Option("--status", help="returned | fixed | resent (default: returned and fixed)")] = None,
             limit: Annotated[int, typer.Option(min=1, max=100_000)] = 200, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Payments the bank returned, with the reason: by default those still to be paid again."""
    from shebao.payouts.service import returned_lines

    found = _json(in_session(db, as_json, lambda session, _cipher, who: returned_lines(
        session=session, principal=who, province=province or settings_for(db).demo_province, status=status, limit=limit)))
    if as_json:
        emit(found, True, "")
    table = Table(title=f"银行退回 returned payments ({len(found)})")
    for column in ("line", "reference", "batch", "receiver", "amount", "memo", "reason", "status"):
        table.add_column(column)
    for line in found:
        table.add_row(str(line["line_id"]), line["reference"], str(line["batch_id"]), line["receiver_name"],
                      fen_to_yuan(line["amount_fen"]), line["memo"], f"{line['reason_zh']} {line['reason']}", line["status"])
    out.print(table)


@bank_app.command("reconcile")
def reconcile(period: Annotated[str, typer.Option("--period", help="YYYYMM")], province: ProvinceOpt = None,
              bank: Annotated[str | None, typer.Option("--bank", help="one bank's code (default: every bank)")] = None,
              db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Each bank's month: sent, paid, returned and awaiting release, against the ledger; exits 1 when they differ."""
    from shebao.payouts.service import reconcile as run

    found = _json(in_session(db, as_json, lambda session, _cipher, who: run(
        session=session, principal=who, province=province or settings_for(db).demo_province, period=period, bank_code=bank)))
    lines = [f"{found['province']} {found['period']} · "
             + ("对账平衡 balanced" if found["balanced"] else "对账不平 NOT balanced")
             + f" · transit {fen_to_yuan(found['transit_balance_fen'])} / awaiting release {fen_to_yuan(found['unreleased_fen'])} yuan"]
    for bank_figures in found["banks"]:
        lines.append(f"  {bank_figures['bank_code']}: sent {bank_figures['sent']['lines']} "
                     f"({fen_to_yuan(bank_figures['sent']['fen'])}) · paid {bank_figures['paid']['lines']} "
                     f"({fen_to_yuan(bank_figures['paid']['fen'])}) · returned {bank_figures['returned']['lines']} "
                     f"({fen_to_yuan(bank_figures['returned']['fen'])}) · awaiting release {bank_figures['unreleased']['lines']} "
                     f"({fen_to_yuan(bank_figures['unreleased']['fen'])})")
        lines += [f"    {difference['reason']} / {difference['reason_en']}" for difference in bank_figures["differences"]]
    emit(found, as_json, "\n".join(lines), code=0 if found["balanced"] else 1)
