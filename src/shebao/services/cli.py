"""`shebao permissions`, `shebao person record`, `shebao death record`, `shebao bank import-returns`, `shebao bank
account-fixed`: the permission table, and the use cases that span contexts — a person's electronic archive, a death
every context reacts to, the bank's returns that payouts and the payroll both react to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from shebao.clikit import (
    DbOpt,
    JsonOpt,
    PersonOpt,
    command_group,
    emit,
    in_transaction,
    out,
    refuse,
    run_use_case,
    settings_for,
)
from shebao.core.clock import SystemClock, china_today
from shebao.core.db import Database
from shebao.core.errors import DomainError
from shebao.core.money import fen_to_yuan
from shebao.payouts.cli import bank_app, in_session
from shebao.services.permissions import as_rows

commands = typer.Typer()  # mounted by `shebao/cli.py`: `shebao permissions`, `shebao person …`, `shebao death …`
person_app = command_group("person", "A person's records")
death_app = command_group("death", "Death records from civil affairs")
provisional_app = command_group("provisional", "Results computed with values served past their validity")
for group in (person_app, death_app, provisional_app):
    commands.add_typer(group)


@commands.command("permissions")
def permissions(as_json: JsonOpt = False) -> None:
    """Every endpoint, page and command: who may call it, and on what (the scope rule)."""
    rows = as_rows()
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title="权限表 permission table", show_lines=False)
    for column in ("method", "path", "roles", "scope", "subject", "where", "writes"):
        table.add_column(column, overflow="fold")
    for row in rows:
        roles = "all" if len(row["roles"]) == 6 else ", ".join(row["roles"])
        table.add_row(row["method"], row["path"], roles, row["scope"], row["subject"] or "", row["where"] or "",
                      "write" if row["writes"] else "read")
    out.print(table)


@person_app.command("record")
def person_record(person: Annotated[str, typer.Argument(help="the person's id, or their citizen ID number")],
                  db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A person's electronic archive: contributions, months counted and interrupted, account statement."""
    from shebao.core.security import SYSTEM, FieldCipher
    from shebao.registry.service import person_by_id_number
    from shebao.services.archive import person_record as read_record

    settings = settings_for(db)
    database = Database(settings.database_url)
    now = SystemClock().now()
    try:
        with database.transaction() as session:
            person_id = int(person) if person.isdigit() and len(person) < 15 else person_by_id_number(
                session=session, cipher=FieldCipher(settings.secret_key), id_number=person, today=china_today(now)).id
            record = read_record(session=session, principal=SYSTEM, person_id=person_id, now=now)
    except DomainError as exc:
        refuse(exc, as_json)
    finally:
        database.dispose()
    if as_json:
        emit(record.model_dump(mode="json"), True, "")
    _print_record(record)


def _print_record(record) -> None:  # noqa: ANN001 - a PersonRecordRead
    out.print(f"[bold]{record.name}[/bold] {record.id_number_masked} · as of {record.as_of} · "
              f"counted {record.years_counted['years']} years {record.years_counted['months']} months "
              f"({record.paid_months} paid months)")
    if record.interrupted_spans:
        out.print(f"断缴 interrupted: {', '.join(record.interrupted_spans)}")
    table = Table(title="个人账户 personal account (yuan)")
    for column in ("year", "opening", "contributions", "interest", "closing"):
        table.add_column(column, justify="right")
    for y in record.statement:
        table.add_row(str(y.year), fen_to_yuan(y.opening_fen), fen_to_yuan(y.contributions_fen),
                      fen_to_yuan(y.interest_fen), fen_to_yuan(y.closing_fen))
    out.print(table)
    months = Table(title="缴费记录 contributions")
    for column in ("period", "payer", "region", "base", "employer", "individual", "to account", "paid"):
        months.add_column(column)
    for m in record.months[-24:]:
        months.add_row(m.period, m.payer_name, m.region_code, fen_to_yuan(m.used_base_fen), fen_to_yuan(m.employer_fen),
                       fen_to_yuan(m.individual_fen), fen_to_yuan(m.personal_account_fen), "✓" if m.paid else "✗")
    out.print(months)


@death_app.command("record")
def death_record(person: PersonOpt, on: Annotated[str, typer.Option("--date", help="date of death YYYY-MM-DD")],
                 source: Annotated[str, typer.Option("--source", help="the civil-affairs record")],
                 db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A death record: payment stops from the month after; anything paid after it is recovered."""
    from shebao.benefits.schemas import DeathReport
    from shebao.services.deaths import record_death

    result = run_use_case(db, as_json, DeathReport, {"person_id": person, "death_date": on, "source": source},
                          in_transaction(record_death))
    if result["status"] == "review":
        emit(result, as_json, f"死亡信息待核查 held for review (review {result['review_id']}): {result['conflict']}")
    recovery = result["recovery"]
    emit(result, as_json, f"已登记死亡 recorded death on {result['death_date']} · "
                          f"{len(result['cards_cancelled'])} card(s) cancelled · {result['participations_ended']} "
                          f"participation(s) ended · {result['logins_disabled']} login(s) disabled"
                          + (f" · recovery of {fen_to_yuan(recovery['amount_fen'])} yuan opened" if recovery else ""))


@provisional_app.command("reconcile")
def provisional_reconcile(province: Annotated[str | None, typer.Option("--province", help="6-digit province code")] = None,
                          db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Correct, in one batch, every result computed with provisional values whose values are now loaded."""
    from shebao.services.provisional import reconcile

    settings = settings_for(db)
    database = Database(settings.database_url)
    try:
        result = reconcile(database=database, now=SystemClock().now(), actor="system:cli", province=province)
    except DomainError as exc:
        refuse(exc, as_json)
    finally:
        database.dispose()
    lines = [f"已更正 corrected {c['kind']} {c['province']} {c.get('periods') or c.get('year')}" for c in result["corrected"]]
    lines += [f"仍为暂按 still provisional {w['kind']} {w['province']} {w['period']}: {', '.join(w['paths'])}"
              for w in result["still_provisional"]]
    emit(result, as_json, "\n".join(lines) or "没有暂按结果 nothing provisional")


@bank_app.command("import-returns")
def import_returns(file: Annotated[Path, typer.Argument(help="the bank's return file (CSV: reference,reason_code,amount_fen)")],
                   province: Annotated[str | None, typer.Option("--province", help="6-digit province code (default: the demo province)")] = None,
                   db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The bank's return file: each line back into cash and its payable, each payroll month held with the bank's
    reason until its account is fixed. All rows or none; the same file twice changes nothing."""
    from shebao.clikit import fail
    from shebao.services.bank_returns import import_bank_returns

    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        fail(f"文件不是 UTF-8 编码 / the file is not UTF-8: {file}")
    except OSError as exc:
        fail(f"无法读取文件 / cannot read the file: {exc.strerror}: {file}")
    result = in_session(db, as_json, lambda session, _cipher, who: import_bank_returns(
        session=session, principal=who, province=province or settings_for(db).demo_province, file_name=file.name,
        csv_text=text, now=SystemClock().now())).model_dump(mode="json")
    seen = " · 此文件已导入过，未作任何改动 already imported: nothing changed" if result["already_imported"] else ""
    emit(result, as_json, f"return file {result['file_id']} · {result['lines']} lines {fen_to_yuan(result['total_fen'])} yuan · "
                          f"{result['by_reason']} · payroll months held {result['held_payroll_lines']}{seen}")


@bank_app.command("account-fixed")
def account_fixed(line: Annotated[int, typer.Argument(min=1, help="the returned payment's line id (shebao bank returned)")],
                  note: Annotated[str, typer.Option("--note", help="what was checked or changed")],
                  db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A returned payment's account is fixed: a payroll month is paid again at once into this month's batch."""
    from pydantic import ValidationError

    from shebao.clikit import invalid_model
    from shebao.payouts.schemas import AccountFix
    from shebao.services.bank_returns import fix_returned_account

    try:
        command = AccountFix(note=note)
    except ValidationError as exc:
        invalid_model(exc, as_json)
    result = in_session(db, as_json, lambda session, cipher, who: fix_returned_account(
        session=session, cipher=cipher, principal=who, line_id=line, command=command,
        now=SystemClock().now())).model_dump(mode="json")
    emit(result, as_json, f"line {result['line']['line_id']} · {result['line']['status']} · paid again "
                          f"{result['paid_again_lines']} ({fen_to_yuan(result['paid_again_fen'])} yuan)")
