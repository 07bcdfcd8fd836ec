"""`shebao permissions`, `shebao person record`, `shebao death record`: the permission table, and the use
cases that span contexts — a person's electronic archive, and a death every context reacts to."""

from __future__ import annotations

import json
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
