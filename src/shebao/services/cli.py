"""`shebao permissions`, `shebao person register`, `shebao person record`, `shebao person archive`, `shebao death record`, `shebao bank import-returns`, `shebao bank
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
from shebao.core.errors import DomainError, InvalidInput
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


@person_app.command("register")
def person_register(id_number: Annotated[str, typer.Option("--id-number", help="18-character citizen ID number "
                                                                               "(15-digit legacy numbers are upgraded)")],
                    name: Annotated[str, typer.Option("--name")],
                    hukou: Annotated[str, typer.Option("--hukou", help="household registration region (county or street)")],
                    residence: Annotated[str, typer.Option("--residence", help="where the person lives (county or street)")],
                    phone: Annotated[str | None, typer.Option("--phone")] = None,
                    db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Register a person (one person, one number); warns of a likely existing record under another number."""
    from shebao.registry.schemas import PersonCreate
    from shebao.services.registration import register_person

    def call(*, database, cipher, command, now):  # noqa: ANN001, ANN202 - run_use_case's callback
        with database.transaction() as session:
            return register_person(session=session, cipher=cipher, principal=_system(), command=command, now=now)

    result = run_use_case(db, as_json, PersonCreate, {"id_number": id_number, "name": name, "hukou_region_code": hukou,
                                                      "residence_region_code": residence, "phone": phone}, call)
    warnings = "".join(f"\n[yellow]提示 warning: {w['reason']}\n  {w['reason_en']} (pair #{w['link_candidate_id']}, "
                       f"shebao link review)[/yellow]" for w in result["warnings"])
    emit(result, as_json, f"已登记 registered person {result['id']} · {result['name']} {result['id_number_masked']}{warnings}")


PersonArg = Annotated[str, typer.Argument(help="the person's id, or their citizen ID number")]


@person_app.command("hash-phones")
def person_hash_phones(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Fill the keyed hash of stored phone numbers that have none (records from before it existed), so that risk
    screening finds one phone shared by many claimants; safe to run again."""
    from shebao.core.security import FieldCipher
    from shebao.registry.service import hash_phones

    settings = settings_for(db)
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            filled = hash_phones(session=session, cipher=FieldCipher(settings.secret_key), actor=_system().actor,
                                 now=SystemClock().now())
    except DomainError as exc:
        refuse(exc, as_json)
    finally:
        database.dispose()
    emit({"filled": filled}, as_json, f"已补齐 {filled} 个电话号码的检索哈希 · filled the lookup hash of {filled} phones")


@person_app.command("record")
def person_record(person: PersonArg, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A person's electronic archive: contributions, months counted and interrupted, account statement."""
    from shebao.services.archive import person_record as read_record

    record = _read_person(db, as_json, person, lambda session, _settings, person_id, now: read_record(
        session=session, principal=_system(), person_id=person_id, now=now))
    if as_json:
        emit(record.model_dump(mode="json"), True, "")
    _print_record(record)


@person_app.command("archive")
def person_archive(person: PersonArg, pdf: Annotated[Path | None, typer.Option(
                       "--pdf", help="write the statement of rights (个人权益记录单) as a PDF to this file")] = None,
                   db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The archive nationwide: months and bases by province and year, employers, insurances, the personal account,
    transfers, temporary accounts, benefits and the months that look omitted; --pdf writes the statement of rights."""
    from shebao.core.pdf import find_font
    from shebao.registry.rules import masked_name
    from shebao.services.archive import person_archive as read_archive
    from shebao.services.statement_pdf import statement_pdf

    font = None
    if pdf is not None:
        try:
            font = find_font(settings_for(db).letter_font)
        except DomainError as exc:
            refuse(exc, as_json)
    read = _read_person(db, as_json, person, lambda session, settings, person_id, now: read_archive(
        session=session, principal=_system(), person_id=person_id, now=now, secret=settings.secret_key))
    written = ""
    if pdf is not None:
        try:
            pdf.write_bytes(statement_pdf(read, holder=masked_name(read.name), issued=read.as_of, font=font))
        except OSError as exc:
            refuse(InvalidInput("statement.write_failed", f"无法写入文件：{pdf}", f"cannot write the file: {exc.strerror}: {pdf}"),
                   as_json)
        written = f"\n已写入记录单 statement written: {pdf}"
    if as_json:
        emit(read.model_dump(mode="json") | ({"pdf": str(pdf)} if pdf else {}), True, "")
    _print_archive(read)
    if written:
        out.print(written.strip())


def _system():  # noqa: ANN202 - the operator's principal
    from shebao.core.security import SYSTEM

    return SYSTEM


def _read_person(db: str | None, as_json: bool, person: str, read):  # noqa: ANN001, ANN202 - a use case's answer
    """Runs a read of one person named by id or citizen ID number, in one transaction; refusals printed plainly."""
    from shebao.core.security import FieldCipher
    from shebao.registry.service import person_by_id_number

    settings = settings_for(db)
    database = Database(settings.database_url)
    now = SystemClock().now()
    try:
        with database.transaction() as session:
            person_id = int(person) if person.isdigit() and len(person) < 15 else person_by_id_number(
                session=session, cipher=FieldCipher(settings.secret_key), id_number=person, today=china_today(now)).id
            return read(session, settings, person_id, now)
    except DomainError as exc:
        refuse(exc, as_json)
    finally:
        database.dispose()


def _print_archive(read) -> None:  # noqa: ANN001 - a PersonArchiveRead
    counted, account = read.years_counted, read.personal_account
    out.print(f"[bold]{read.name}[/bold] {read.id_number_masked} · as of {read.as_of} · 累计缴费 counted "
              f"{read.contribution_months} months ({counted['years']} years {counted['months']} months) · 视同 deemed "
              f"{read.deemed_months} months")
    if account.at_retirement_fen is not None:
        out.print(f"个人账户 personal account at retirement {fen_to_yuan(account.at_retirement_fen)} · drawn by the pension "
                  f"{fen_to_yuan(account.drawn_by_pension_fen)} · remaining {fen_to_yuan(account.remaining_fen)} yuan")
    else:
        out.print(f"个人账户 personal account {fen_to_yuan(account.balance_fen)} yuan")
    if read.pension:
        out.print(f"养老金 pension {fen_to_yuan(read.pension.monthly_fen)} yuan a month since {read.pension.retire_date} "
                  f"({read.pension.province_name})")
    provinces = Table(title="各省 by province")
    for column in ("province", "months", "deemed", "bases (yuan)"):
        provinces.add_column(column)
    for p in read.provinces:
        provinces.add_row(f"{p.province_name} {p.province}", str(p.months), str(p.deemed_months), fen_to_yuan(p.base_sum_fen))
    out.print(provinces)
    for t in read.transfers:
        out.print(f"转移 transfer {t['from_province']} → {t['to_province']} · {t['step_zh']} {t['step_en']} · {t['applied_on']}")
    for a in read.temporary_accounts:
        out.print(f"临时账户 temporary account {a['province']} (relationship in {a['relationship_province']}) · "
                  f"{'open' if a['open'] else 'gathered'}")
    for o in read.omitted:
        out.print(f"疑似漏缴 looks omitted: {o.province_name} {o.first_period}-{o.last_period} ({o.months}) · {o.reason_en}")
    out.print(f"验证码 verification code {read.verification_code}")


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
