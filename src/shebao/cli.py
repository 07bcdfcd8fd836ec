"""The `shebao` command. Each context adds its sub-commands here; `--json` is for machines."""

from __future__ import annotations

import csv
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from shebao.cards.ecard import SEEN_FILE_NAME
from shebao.core.clock import SystemClock, china_today
from shebao.core.db import Database
from shebao.core.errors import DATE_FORMAT_ZH, DomainError, InvalidInput, given_zh, validation_problem_zh
from shebao.core.money import fen_to_yuan
from shebao.settings import Settings, get_settings

app = typer.Typer(help="shebao 社保 — national social security information platform", no_args_is_help=True,
                  pretty_exceptions_enable=False)
id_app = typer.Typer(help="Citizen ID numbers (the social security number)", no_args_is_help=True)
uscc_app = typer.Typer(help="Unified social credit codes of employers", no_args_is_help=True)
policy_app = typer.Typer(help="Policy parameters in force", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log", no_args_is_help=True)
demo_app = typer.Typer(help="The synthetic demo province", no_args_is_help=True)
db_app = typer.Typer(help="Database schema and reference data", no_args_is_help=True)
regions_app = typer.Typer(help="Administrative regions", no_args_is_help=True)
contrib_app = typer.Typer(help="Contribution assessment", no_args_is_help=True)
interest_app = typer.Typer(help="Personal-account interest", no_args_is_help=True)
person_app = typer.Typer(help="A person's records", no_args_is_help=True)
keys_app = typer.Typer(help="The card key hierarchy: national root, ministry, provinces", no_args_is_help=True)
ecard_app = typer.Typer(help="The electronic card's QR codes", no_args_is_help=True)
retirement_app = typer.Typer(help="Statutory retirement ages under the 2025 reform", no_args_is_help=True)
pension_app = typer.Typer(help="Pension calculation", no_args_is_help=True)
GROUPS = {"id": id_app, "uscc": uscc_app, "policy": policy_app, "audit": audit_app, "demo": demo_app, "db": db_app,
          "regions": regions_app, "contrib": contrib_app, "interest": interest_app, "person": person_app, "keys": keys_app,
          "ecard": ecard_app, "retirement": retirement_app, "pension": pension_app}
for name, sub in GROUPS.items():
    app.add_typer(sub, name=name)

out = Console()
err = Console(stderr=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for machines")]
DbOpt = Annotated[str | None, typer.Option("--db", help="database URL (default: SHEBAO_DATABASE_URL)")]
TodayOpt = Annotated[str | None, typer.Option("--today", help="the date to judge against (default: today in China)")]


def main() -> None:
    app()


def _settings(db: str | None) -> Settings:
    settings = _safe_settings()  # the callbacks below checked already; this helper is also called from elsewhere
    return settings.model_copy(update={"database_url": db}) if db else settings


def _loaded_settings() -> Settings:
    """The SHEBAO_* settings, or exit 1 naming the variable that does not parse (never a traceback)."""
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        variable = "SHEBAO_" + "_".join(str(p) for p in first["loc"]).upper()
        _fail(f"环境变量 {variable} 的值无效 / {variable} is invalid: {first['msg']}")
        raise


# Commands that read neither the database nor the keys — pure rules, or a terminal's offline check —
# run whatever the settings. Every other command, including any added later, first refuses weak
# production secrets exactly as the server does when it starts.
OFFLINE_COMMANDS = {"id check", "uscc check", "policy show", "retirement date", "contrib assess", "pension calc",
                    "ecard verify"}
# Their groups check in a callback of their own, which knows the sub-command; the root checks the rest.
GROUPS_WITH_OFFLINE_COMMANDS = {command.split()[0] for command in OFFLINE_COMMANDS}


def _require_safe_settings(command: str | None) -> None:
    if command is not None and command not in OFFLINE_COMMANDS:
        _safe_settings()


def _safe_settings() -> Settings:
    """The settings, once they pass the production checks; or exit 1 with the reason (stderr, both languages)."""
    settings = _loaded_settings()
    try:
        settings.check_production_safety()
    except DomainError as exc:
        _refusal(exc, False)
    return settings


@app.callback()
def _guard_every_command(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand not in GROUPS_WITH_OFFLINE_COMMANDS:
        _require_safe_settings(ctx.invoked_subcommand)


def _group_guard(group: str):  # noqa: ANN202 - a Typer callback
    def guard(ctx: typer.Context) -> None:
        _require_safe_settings(f"{group} {ctx.invoked_subcommand}")
    return guard


for _name in GROUPS_WITH_OFFLINE_COMMANDS:
    GROUPS[_name].callback()(_group_guard(_name))


def _today(text: str | None) -> date:
    if text is None:
        return china_today(SystemClock().now())
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"「--today」{DATE_FORMAT_ZH}：{text} / --today is YYYY-MM-DD: {text}")
        raise


def _emit(payload: dict[str, Any], as_json: bool, human: str, *, code: int = 0) -> None:
    if as_json:
        print(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        (out if code == 0 else err).print(human)
    raise typer.Exit(code)


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]{escape(message)}[/red]")
    raise typer.Exit(code)


def _invalid_input(problem: str, as_json: bool, problem_zh: str | None = None) -> None:
    """A request the command could not read (wrong type, missing field): exit 1 with the problem."""
    zh = problem_zh or problem
    _emit({"error": {"code": "request.invalid", "reason": f"输入有误：{zh}", "reason_en": f"invalid input: {problem}"}},
          as_json, f"[red]输入有误：{escape(zh)}[/red]\ninvalid input: {escape(problem)}", code=1)


def _invalid_model(exc: Any, as_json: bool) -> None:  # noqa: ANN401 - a pydantic ValidationError
    """The first problem of a file or options that do not fit the model, in Chinese and English."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    zh = validation_problem_zh(first["type"])
    _invalid_input(f"{where}: {first['msg']}" if where else first["msg"], as_json,
                   f"「{where}」{zh}" if where else zh)


def _refusal(exc: DomainError, as_json: bool) -> None:
    human = f"[red]{escape(exc.reason)}[/red]\n{escape(exc.reason_en)} ({exc.code})"
    rejected = exc.details.get("rejected") if isinstance(exc.details.get("rejected"), list) else None
    if rejected and not as_json:
        err.print(_rejected_table(rejected))
    _emit({"error": exc.as_dict()}, as_json, human, code=1)


def _rejected_table(rejected: list[dict]) -> Table:
    """The rejected rows of an import, one line each: the row number, what was wrong, in both languages."""
    table = Table(title=f"被拒绝的行 rejected rows ({len(rejected)})")
    columns = ["row"] + [key for key in ("column", "code") if any(key in r for r in rejected)] + ["reason", "reason_en"]
    headings = {"row": "行 row", "column": "列 column", "code": "代码 code", "reason": "原因", "reason_en": "reason"}
    for column in columns:
        table.add_column(headings[column], overflow="fold")
    for row in rejected:
        reason = row.get("reason") or row.get("problem") or ""
        table.add_row(*(escape(str(reason if c == "reason" else row.get(c, ""))) for c in columns))
    return table


# ------------------------------------------------------------------ files a user hands in

MAX_CASE_BYTES = 1024 * 1024  # a case file describes one person: a megabyte is far more than any needs
MAX_IMPORT_BYTES = 512 * 1024 * 1024
MAX_IMPORT_ROWS = 5_000_000
UTF8_BOM = b"\xef\xbb\xbf"


def _read_case_file(path: Path) -> bytes:
    """A JSON case file's bytes, without a UTF-8 BOM (spreadsheets and Notepad add one); exit 1 when unreadable."""
    try:
        if path.stat().st_size > MAX_CASE_BYTES:
            _fail(f"输入文件超过 {MAX_CASE_BYTES // 1024} KB / the input is larger than {MAX_CASE_BYTES // 1024} KB: {path}")
        data = path.read_bytes()
    except OSError as exc:
        _fail(f"无法读取输入文件 / cannot read the input: {exc.strerror}: {path}")
        raise
    return data.removeprefix(UTF8_BOM)


def _import_rejected(rejected: list[dict], as_json: bool) -> None:
    _refusal(InvalidInput("import.rejected", f"{len(rejected)} 行有误，全部未导入",
                          f"{len(rejected)} rows were rejected; nothing was imported", rejected=rejected), as_json)


def read_import_csv(file: Path, columns: tuple[str, ...], as_json: bool,
                    checks: dict[str, Any] | None = None) -> list[dict[str, str]]:
    """The rows of a CSV a user imports, each a dict of `columns`; or exit 1, writing nothing.

    UTF-8 with or without a BOM; a header naming the columns; at least one row. A row the csv module
    cannot read (a field over its size limit, a stray quote) refuses the file naming the row; cells with
    control characters or a spreadsheet formula's first character, extra cells, and what `checks`
    (column -> function giving a (Chinese, English) problem or None) finds are listed row by row."""
    from shebao.registry.rules import unsafe_text_problem

    rows = _csv_rows(file, columns, as_json)
    rejected = []
    for number, row in enumerate(rows, start=1):
        if None in row:
            rejected.append({"row": number, "reason": "列数多于表头", "reason_en": "more cells than the header has columns"})
            continue
        for column in columns:
            value = row.get(column) or ""
            problem = unsafe_text_problem(value) or (checks or {}).get(column, lambda _: None)(value)
            if problem:
                rejected.append({"row": number, "column": column, "reason": problem[0], "reason_en": problem[1]})
    if rejected:
        _import_rejected(rejected, as_json)
    return [{column: row.get(column) or "" for column in columns} for row in rows]


def _csv_rows(file: Path, columns: tuple[str, ...], as_json: bool) -> list[dict]:
    rows: list[dict] = []
    header: list[str] | None = None
    try:
        if file.stat().st_size > MAX_IMPORT_BYTES:
            _fail(f"文件超过 {MAX_IMPORT_BYTES // 2**20} MB / the file is larger than {MAX_IMPORT_BYTES // 2**20} MB: {file}")
        with file.open(encoding="utf-8-sig", newline="") as handle:  # utf-8-sig: a BOM, if any, is not part of the header
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            if not header:
                _fail(f"文件是空的，未导入任何内容 / the file is empty; nothing was imported: {file}")
            if not set(columns) <= set(header):
                _fail(f"CSV 的表头须包含这些列：「{','.join(columns)}」 / the CSV header needs the columns {','.join(columns)}")
            reader.fieldnames = header
            for row in reader:
                rows.append(row)
                if len(rows) > MAX_IMPORT_ROWS:
                    _fail(f"文件超过 {MAX_IMPORT_ROWS} 行 / the file has more than {MAX_IMPORT_ROWS} rows")
    except csv.Error as exc:
        if header is None:
            _fail(f"表头无法解析 / the header cannot be read: {exc}")
        _import_rejected([{"row": len(rows) + 1, "reason": "此行无法解析（单元格过长或引号不配对）",
                           "reason_en": f"this row cannot be read: {exc}"}], as_json)
    except UnicodeDecodeError:
        _fail(f"文件不是 UTF-8 编码 / the file is not UTF-8: {file}")
    except OSError as exc:
        _fail(f"无法读取文件 / cannot read the file: {exc.strerror}: {file}")
    if not rows:
        _fail(f"文件没有数据行，未导入任何内容 / the file has no rows; nothing was imported: {file}")
    return rows


def iso_date_problem(text: str) -> tuple[str, str] | None:
    """A cell that must hold a date: exactly YYYY-MM-DD, a day that exists."""
    try:
        if len(text) == 10 and text[4] == text[7] == "-":
            date.fromisoformat(text)
            return None
    except ValueError:
        pass
    return DATE_FORMAT_ZH, "date is YYYY-MM-DD"


# ------------------------------------------------------------------ id / uscc


@id_app.command("check")
def id_check(number: str, as_json: JsonOpt = False, today: TodayOpt = None) -> None:
    """Validate a citizen ID number; 15-digit numbers come back upgraded to 18."""
    from shebao.registry.rules import parse_id_number

    try:
        parsed = parse_id_number(number, today=_today(today))
    except DomainError as exc:
        _emit({"valid": False, "reason": exc.reason_en, "reason_zh": exc.reason, "code": exc.code}, as_json,
              f"[red]无效 invalid[/red]: {exc.reason} / {exc.reason_en}", code=1)
        return
    payload = {"valid": True, "id_number": parsed.number, "birth_date": parsed.birth_date.isoformat(),
               "sex": parsed.sex.value, "region_code": parsed.address_code, "region_name": parsed.address_name}
    _emit(payload, as_json, f"[green]有效 valid[/green] {parsed.number} · {parsed.birth_date} · "
                            f"{'男 M' if parsed.sex == 'M' else '女 F'} · {parsed.address_code} {parsed.address_name}")


@uscc_app.command("check")
def uscc_check(code: str, as_json: JsonOpt = False) -> None:
    """Validate an 18-character unified social credit code."""
    from shebao.registry.divisions import full_name
    from shebao.registry.rules import parse_credit_code

    try:
        credit = parse_credit_code(code)
    except DomainError as exc:
        _emit({"valid": False, "reason": exc.reason_en, "reason_zh": exc.reason, "code": exc.code}, as_json,
              f"[red]无效 invalid[/red]: {exc.reason} / {exc.reason_en}", code=1)
        return
    payload = {"valid": True, "uscc": credit.code, "registration_authority": credit.registration_authority,
               "entity_type": credit.entity_type, "region_code": credit.region_code,
               "region_name": full_name(credit.region_code), "organization_code": credit.organization_code}
    _emit(payload, as_json, f"[green]有效 valid[/green] {credit.code} · {credit.registration_authority} · "
                            f"{credit.region_code} {payload['region_name']}")


# ------------------------------------------------------------------ policy


@policy_app.command("show")
def policy_show(region_code: str, day: str, as_json: JsonOpt = False) -> None:
    """Every parameter in force for a region on a day, with its source."""
    from shebao.policy.store import default_store

    try:
        when = date.fromisoformat(day)
    except ValueError:
        _fail(f"{DATE_FORMAT_ZH}：{day} / a date is YYYY-MM-DD: {day}")
        return
    try:
        snapshot = default_store().at(region_code, when)
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    rows = [p.as_dict() for p in snapshot.all()]
    if as_json:
        _emit({"region_code": region_code, "date": day, "parameters": rows}, True, "")
    table = Table(title=f"{region_code} · {day}", show_lines=False)
    for column in ("parameter", "value", "since", "from", "source"):
        table.add_column(column, overflow="fold")
    for row in rows:
        value = row["value"] if not isinstance(row["value"], dict) else ", ".join(f"{k}:{v}" for k, v in row["value"].items())
        table.add_row(row["path"], str(value), row["since"], row["jurisdiction"], row["source"])
    out.print(table)


# ------------------------------------------------------------------ contributions


@contrib_app.command("assess")
def contrib_assess(input_file: Annotated[Path, typer.Option("--input", help="CASE.json: region, period, category, declared_base_fen")],
                   as_json: JsonOpt = False, today: TodayOpt = None) -> None:
    """One month for one person: the base used and each party's amount per insurance, in fen."""
    from pydantic import ValidationError

    from shebao.contributions.schemas import AssessCase
    from shebao.contributions.service import assess_case

    data = _read_case_file(input_file)
    try:
        case = AssessCase.model_validate_json(data)
        result = assess_case(case=case, today=_today(today))
    except ValidationError as exc:
        _invalid_model(exc, as_json)
        return
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    if as_json:
        _emit(result, True, "")
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


ProvinceOpt = Annotated[str | None, typer.Option("--province", help="6-digit province code (default: the demo province)")]


def _run_batch(db: str | None, as_json: bool, job):  # noqa: ANN001, ANN202 - job(database, settings, progress)
    """Runs a set-based job with a progress bar; a refusal becomes a CLI message."""
    from shebao.audit.cli import checkpoint_after_batch

    settings = _settings(db)
    database = Database(settings.database_url)
    try:
        with _progress() as bar:
            report = _reporter(bar)

            result = job(database, settings, report)
        checkpoint_after_batch(settings, database)  # the run's audit records anchored as soon as it ends
        return result
    except DomainError as exc:
        _refusal(exc, as_json)
    finally:
        database.dispose()


@app.command("month-end")
def month_end(period: str, province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False,
              person_chunk: Annotated[int | None, typer.Option(min=1, help="person ids assessed per transaction")] = None,
              bill_chunk: Annotated[int | None, typer.Option(min=1, help="bill ids posted per transaction")] = None) -> None:
    """Assess, bill and post a month for a whole province (set-based, resumable, idempotent)."""
    from shebao.contributions.batch import BILL_CHUNK, PERSON_CHUNK, run_month_end

    run_record = _run_batch(db, as_json, lambda database, settings, report: run_month_end(
        database=database, province=province or settings.demo_province, period=period, now=SystemClock().now(),
        actor="system:cli", progress=report, person_chunk=person_chunk or PERSON_CHUNK, bill_chunk=bill_chunk or BILL_CHUNK))
    _emit(run_record.model_dump(mode="json"), as_json,
          f"month-end {run_record.period} · {run_record.province}: {run_record.persons:,} persons, {run_record.bills:,} bills, "
          f"{fen_to_yuan(run_record.total_fen)} yuan billed ({run_record.duration_ms or 0} ms) · run {run_record.id}")


@interest_app.command("credit")
def interest_credit(year: int, province: ProvinceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Credit a year's interest to every personal account of a province (set-based, idempotent)."""
    from shebao.ledger.batch import credit_interest

    run_record = _run_batch(db, as_json, lambda database, settings, report: credit_interest(
        database=database, province=province or settings.demo_province, year=year, now=SystemClock().now(),
        actor="system:cli", progress=report))
    _emit(run_record.model_dump(mode="json"), as_json,
          f"interest {year} · {run_record.province}: {run_record.persons:,} accounts, "
          f"{fen_to_yuan(run_record.total_fen)} yuan credited · run {run_record.id}")


@person_app.command("record")
def person_record(person: Annotated[str, typer.Argument(help="the person's id, or their citizen ID number")],
                  db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A person's electronic archive: contributions, months counted and interrupted, account statement."""
    from shebao.core.security import SYSTEM, FieldCipher
    from shebao.registry.service import person_by_id_number
    from shebao.services.archive import person_record as read_record

    settings = _settings(db)
    database = Database(settings.database_url)
    now = SystemClock().now()
    try:
        with database.transaction() as session:
            person_id = int(person) if person.isdigit() and len(person) < 15 else person_by_id_number(
                session=session, cipher=FieldCipher(settings.secret_key), id_number=person, today=china_today(now)).id
            record = read_record(session=session, principal=SYSTEM, person_id=person_id, now=now)
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    finally:
        database.dispose()
    if as_json:
        _emit(record.model_dump(mode="json"), True, "")
    _print_record(record)


def _print_record(record) -> None:  # noqa: ANN001 - a PersonRecord
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


# ------------------------------------------------------------------ keys and the electronic card


def _keystore():  # noqa: ANN202
    from shebao.cards.keys import KeyStore

    settings = _safe_settings()
    return KeyStore(settings.key_dir, settings.key_passphrase)


@keys_app.command("init")
def keys_init(as_json: JsonOpt = False) -> None:
    """Create the national root key and the ministry key it signs (once)."""
    try:
        trust = _keystore().init(now=SystemClock().now())
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    _emit({"root": trust.root_key_id, "ministry": list(trust.certificates)}, as_json,
          f"root {trust.root_key_id} · ministry {', '.join(trust.certificates)} · private keys encrypted in {get_settings().key_dir}")


@keys_app.command("rotate")
def keys_rotate(province: Annotated[str, typer.Option("--province", help="6-digit province code")],
                as_json: JsonOpt = False) -> None:
    """Give a province a new issuing key signed by the ministry; the old one lapses within minutes."""
    try:
        cert = _keystore().rotate_province(province=province, now=SystemClock().now())
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    _emit({"key_id": cert.key_id, "province": cert.province, "valid_to": cert.valid_to}, as_json,
          f"{cert.province}: new issuing key {cert.key_id}, valid to {cert.valid_to}")


@keys_app.command("revoke")
def keys_revoke(key_id: str, as_json: JsonOpt = False) -> None:
    """Publish a key as revoked in the signed revocation list."""
    try:
        _keystore().revoke(key_id=key_id, now=SystemClock().now())
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    _emit({"revoked": key_id}, as_json, f"revoked {key_id}: export the trust file to the terminals")


@keys_app.command("export-trust")
def keys_export_trust(output: Annotated[Path | None, typer.Option("--output", help="file to write (default: print)")] = None) -> None:
    """The public chain terminals hold: root key, certificates and the signed revocation list."""
    try:
        text = _keystore().trust().as_json()
    except DomainError as exc:
        _refusal(exc, False)
        return
    if output is None:
        print(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"无法写入信任文件 / cannot write the trust file: {exc.strerror}: {output}")
    out.print(f"trust file written to {escape(str(output))}")


@ecard_app.command("issue")
def ecard_issue(card: Annotated[str, typer.Option("--card", help="the number of an active card in the database")],
                province: Annotated[str | None, typer.Option("--province", help="the card's province (checked when given)")] = None,
                device: Annotated[str, typer.Option("--device", help="the device the code is bound to")] = "counter",
                db: DbOpt = None) -> None:
    """Sign a QR payload for an active card in the database, with its province's key.

    For terminal testing (the portal issues codes to card holders): a card number nobody holds, or a
    frozen, cancelled or not yet activated card, gets none."""
    from shebao.cards.ecard import issue_code_for_card

    keys = _keystore()
    database = Database(_settings(db).database_url)
    try:
        with database.unit_of_work() as uow:
            print(issue_code_for_card(session=uow.session, keys=keys, card_number=card, device_id=device[:128],
                                      province=province, now=SystemClock().now()))
    except DomainError as exc:
        _refusal(exc, False)
    finally:
        database.dispose()


MAX_TRUST_FILE_BYTES = 4 * 1024 * 1024


@ecard_app.command("verify")
def ecard_verify(payload: str, trust: Annotated[Path, typer.Option("--trust", help="the exported trust file")],
                 seen: Annotated[Path | None, typer.Option(
                     "--seen", help=f"the replay store: codes already accepted (default: {SEEN_FILE_NAME} beside the trust file)")] = None,
                 as_json: JsonOpt = False) -> None:
    """A terminal's offline check of a QR payload; exit 0 when valid, 1 with the reason when refused.

    Every accepted code is remembered in the replay store, so showing it again is refused."""
    from shebao.cards.ecard import REASONS_ZH, SeenCodes, verify_code

    trust_file = _read_trust_file(trust, as_json)
    store = SeenCodes(seen) if seen is not None else SeenCodes.beside(trust)
    try:
        with store.open() as guard:
            verdict = verify_code(trust=trust_file, code=payload, now=SystemClock().now(), replay=guard)
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    store_path = os.path.abspath(store.path)
    body = {**verdict.as_dict(), "reason_zh": REASONS_ZH.get(verdict.reason, "拒绝"), "replay_store": store_path}
    human = (f"[green]有效 valid[/green] card {verdict.card_number} · {verdict.province} · expires {verdict.expires_at}"
             if verdict.valid else f"[red]拒绝 refused[/red]: {body['reason_zh']} ({verdict.reason})")
    _emit(body, as_json, f"{human}\n重放记录 replay store: {escape(store_path)}", code=0 if verdict.valid else 1)


def _read_trust_file(path: Path, as_json: bool):  # noqa: ANN202 - a TrustFile
    """The trust file a terminal holds (UTF-8, a BOM allowed); exit 1 when it cannot be read or is malformed."""
    from shebao.cards.keys import TrustFile

    try:
        if path.stat().st_size > MAX_TRUST_FILE_BYTES:
            _fail(f"信任文件过大 / the trust file is too large: {path}")
        return TrustFile.from_json(path.read_bytes().removeprefix(UTF8_BOM).decode("utf-8"))
    except OSError as exc:
        _fail(f"无法读取信任文件 / cannot read the trust file: {exc.strerror}: {path}")
    except UnicodeDecodeError:
        _fail(f"信任文件不是 UTF-8 编码 / the trust file is not UTF-8: {path}")
    except DomainError as exc:
        _refusal(exc, as_json)
    raise AssertionError("unreachable")


# ------------------------------------------------------------------ retirement and pension


@retirement_app.command("date")
def retirement_date(birth_date: Annotated[str, typer.Option("--birth-date", help="YYYY-MM-DD")],
                    sex: Annotated[str, typer.Option("--sex", help="M or F")],
                    category: Annotated[str, typer.Option("--category", help="male | female_cadre | female_worker")],
                    region: Annotated[str, typer.Option("--region", help="region code")] = "000000",
                    as_json: JsonOpt = False) -> None:
    """The statutory retirement date and age."""
    from shebao.benefits.rules import GROUP_NAMES, Group
    from shebao.benefits.service import retirement_date as compute

    if iso_date_problem(birth_date) or not "1880" <= birth_date[:4] <= "2100":
        _invalid_input(f"--birth-date is YYYY-MM-DD between 1880 and 2100: {birth_date}", as_json,
                       f"出生日期应为 1880 至 2100 年间的日期（年-月-日）{given_zh(birth_date)}")
    if category not in {group.value for group in Group}:
        _invalid_input(f"--category is one of {', '.join(g.value for g in Group)}", as_json,
                       "人员类别应为" + "、".join(f"「{g.value}」（{zh}）" for g, (zh, _) in GROUP_NAMES.items()) + "之一")
    try:
        result = compute(birth_date=date.fromisoformat(birth_date), sex=sex, group=Group(category), region=region)
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    _emit(result, as_json, f"法定退休日期 statutory date {result['statutory_date']} · "
                           f"age {result['age']['years']}y{result['age']['months']}m")


@pension_app.command("calc")
def pension_calc(input_file: Annotated[Path, typer.Option("--input", help="CASE.json")], as_json: JsonOpt = False) -> None:
    """One pension case, explained step by step; an ineligible case gives its reasons."""
    from pydantic import ValidationError

    from shebao.benefits.service import PensionCaseIn, pension_case

    data = _read_case_file(input_file)
    try:
        result = pension_case(case=PensionCaseIn.model_validate_json(data))
    except ValidationError as exc:
        _invalid_model(exc, as_json)
        return
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    human = (f"eligible · total {fen_to_yuan(result['total_fen'])} yuan/month (basic {fen_to_yuan(result['basic_pension_fen'])}, "
             f"account {fen_to_yuan(result['personal_account_pension_fen'])})" if result["eligible"]
             else "不符合按月领取养老金的条件：" + "；".join(result["reasons_zh"]) + "\nnot eligible: " + "; ".join(result["reasons"]))
    _emit(result, as_json, human)


# ------------------------------------------------------------------ database, regions


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None) -> None:
    """Migrate the schema to the newest revision and load the division codes."""
    settings = _settings(db)
    loaded = prepare_database(settings)
    out.print(f"schema up to date; {loaded} region codes loaded · {settings.database_url}")


def prepare_database(settings: Settings) -> int:
    from shebao.core.migrate import upgrade
    from shebao.registry.service import load_divisions

    upgrade(settings.database_url)
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            return load_divisions(session=session)
    finally:
        database.dispose()


@regions_app.command("import")
def regions_import(file: Path, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Import streets/townships from a CSV with columns code,name — all rows or none."""
    from shebao.registry.rules import normalise_street_name
    from shebao.registry.service import add_streets

    rows = read_import_csv(file, ("code", "name"), as_json, checks={"name": _street_name_problem})
    streets = [(row["code"].strip(), normalise_street_name(row["name"])) for row in rows]
    database = Database(_settings(db).database_url)
    try:
        with database.transaction() as session:
            count = add_streets(session=session, streets=streets, origin="import", actor="system:cli",
                                now=SystemClock().now())
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    finally:
        database.dispose()
    _emit({"imported": count}, as_json, f"imported {count} streets")


def _street_name_problem(name: str) -> tuple[str, str] | None:
    from shebao.registry.rules import normalise_street_name

    try:
        normalise_street_name(name)
    except DomainError as exc:
        return exc.reason, exc.reason_en
    return None


# ------------------------------------------------------------------ demo


@demo_app.command("seed")
def demo_seed(persons: Annotated[int, typer.Option(help="how many persons")] = 10_000,
              province: Annotated[str, typer.Option(help="6-digit province code")] = "110000",
              seed: Annotated[int, typer.Option(help="random seed (same seed, same province)")] = 20240701,
              history_months: Annotated[int, typer.Option(help="months of contribution history to run (0: none)")] = 36,
              db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Seed a believable synthetic province (Faker zh_CN), with a few years of contribution history."""
    settings = _settings(db)
    prepare_database(settings)
    try:
        report = _seed(settings, persons=persons, province=province, seed=seed, history_months=history_months)
    except DomainError as exc:
        _refusal(exc, as_json)
        return
    _emit(report.as_dict(), as_json, f"seeded {report.persons:,} persons ({report.migrants:,} migrants), "
                                     f"{report.employers:,} employers, {report.streets} streets in {province}")


def _seed(settings: Settings, *, persons: int, province: str, seed: int, history_months: int = 36):  # noqa: ANN202
    from shebao.cards.keys import KeyStore
    from shebao.core.periods import Period
    from shebao.core.security import FieldCipher
    from shebao.demo.cards import prepare_demo_cards
    from shebao.demo.history import run_history
    from shebao.demo.retirees import prepare_demo_retirees
    from shebao.demo.seed import seed_demo
    from shebao.demo.unemployed import prepare_demo_unemployed

    if not 0 <= history_months <= 120:
        raise typer.BadParameter("history months are 0 to 120")
    database = Database(settings.database_url)
    now = SystemClock().now()
    start = Period.of(china_today(now)).plus_months(-history_months) if history_months else None
    try:
        with _progress() as bar:
            report = _reporter(bar)

            with database.transaction() as session:
                result = seed_demo(session=session, cipher=FieldCipher(settings.secret_key), province=province,
                                   persons=persons, now=now, random_seed=seed, progress=report, history_start=start)
            if start is not None:
                run_history(database=database, province=province, start=start, now=now, progress=report)
            prepare_demo_cards(database=database, cipher=FieldCipher(settings.secret_key),
                               keys=KeyStore(settings.key_dir, settings.key_passphrase), province=province, now=now)
            prepare_demo_retirees(database=database, cipher=FieldCipher(settings.secret_key), province=province, now=now,
                                  random_seed=seed, progress=report)
            if start is not None:
                prepare_demo_unemployed(database=database, province=province, now=now)
            return result
    finally:
        database.dispose()


def _reporter(bar: Progress):  # noqa: ANN202 - a progress callback (stage, done, total)
    """A callback for batch jobs: one bar per stage, created on the stage's first report."""
    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done)

    return report


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=False)


# ------------------------------------------------------------------ serve, run


@app.command()
def serve(host: Annotated[str | None, typer.Option(help="address to bind")] = None,
          port: Annotated[int | None, typer.Option(help="port")] = None, db: DbOpt = None) -> None:
    """Serve the API and the web pages."""
    import uvicorn

    from shebao.app import create_app

    settings = _settings(db)
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port, log_level="warning")


@app.command()
def run(host: Annotated[str | None, typer.Option(help="address to bind")] = None,
        port: Annotated[int | None, typer.Option(help="port")] = None, db: DbOpt = None,
        persons: Annotated[int | None, typer.Option(help="persons to seed into an empty database")] = None,
        province: Annotated[str | None, typer.Option(help="province to seed")] = None) -> None:
    """Migrate, seed the demo province when the database is empty, and serve."""
    from shebao.demo.accounts import DEMO_ACCOUNTS
    from shebao.registry.service import holdings

    settings = _settings(db)
    if province:
        settings = settings.model_copy(update={"demo_province": province})
    prepare_database(settings)
    database = Database(settings.database_url)
    with database.unit_of_work() as uow:
        empty = holdings(session=uow.session)["persons"] == 0
    database.dispose()
    if empty:
        _seed(settings, persons=persons or settings.demo_persons, province=settings.demo_province, seed=20240701)
    address = f"http://{host or settings.host}:{port or settings.port}"
    table = Table(title=f"shebao 社保 · {address}  (API docs: {address}/docs)")
    for column in ("role 角色", "username 用户名", "password 密码"):
        table.add_column(column)
    for account in DEMO_ACCOUNTS:
        table.add_row(f"{account.label_zh} {account.label_en}", account.username, account.password)
    out.print(table)
    out.print(f"[bold]Open {address}[/bold] — Ctrl-C stops the server.")
    sys.stdout.flush()
    serve(host=host, port=port, db=db)


if __name__ == "__main__":
    main()


from shebao.accounts import cli as _account_commands  # noqa: E402, F401 - registers `shebao user …` on `app`
from shebao.audit import cli as _audit_commands  # noqa: E402, F401 - registers its commands on `audit_app`
from shebao.benefits import cli as _benefit_commands  # noqa: E402, F401 - registers its commands on `app`
from shebao.services import cli as _service_commands  # noqa: E402, F401 - registers `shebao permissions` on `app`
