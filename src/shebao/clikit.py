"""What every `shebao` command shares, in one place: the common options (`--json`, `--db`, `--today`,
`--province`, `--person`), the production-secrets check, output for people and for machines, the one
refusal message, reading the files a user hands in (a case file, a CSV import), progress bars and the
batch runner, and one use case run as the system.

Each context's commands live in its own `cli.py` and use only the public names here; `shebao/cli.py`
mounts them. Nothing here imports a context's `cli.py`.
"""

from __future__ import annotations

import csv
import inspect
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
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

from shebao.audit.checkpoints import Anchor, checkpoint_if_grown
from shebao.core.clock import SystemClock, china_today
from shebao.core.db import Database
from shebao.core.errors import DATE_FORMAT_ZH, Conflict, DomainError, InvalidInput, validation_problem_zh
from shebao.core.security import SYSTEM, FieldCipher
from shebao.registry.rules import unsafe_text_problem
from shebao.settings import Settings, get_settings

out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for machines")]
DbOpt = Annotated[str | None, typer.Option("--db", help="database URL (default: SHEBAO_DATABASE_URL)")]
TodayOpt = Annotated[str | None, typer.Option("--today", help="the date to judge against (default: today in China)")]
ProvinceOpt = Annotated[str | None, typer.Option("--province", help="6-digit province code (default: the demo province)")]
PersonOpt = Annotated[int, typer.Option("--person", help="the person's id")]

T = TypeVar("T")
ModelT = TypeVar("ModelT", bound=BaseModel)


# ------------------------------------------------------------------ settings, and the production-secrets check

# Commands that read neither the database nor the keys — pure rules, or a terminal's offline check —
# run whatever the settings. Every other command, including any added later, first refuses weak
# production secrets exactly as the server does when it starts.
OFFLINE_COMMANDS = frozenset({"id check", "uscc check", "policy show", "policy expired", "retirement date", "contrib assess",
                              "pension calc", "interest calc", "ecard verify", "risk rules"})
# Their groups check in a callback of their own, which knows the sub-command; the root checks the rest.
GROUPS_WITH_OFFLINE_COMMANDS = frozenset(command.split()[0] for command in OFFLINE_COMMANDS)


def loaded_settings() -> Settings:
    """The SHEBAO_* settings, or exit 1 naming the variable that does not parse (never a traceback)."""
    try:
        return get_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        variable = "SHEBAO_" + "_".join(str(p) for p in first["loc"]).upper()
        fail(f"环境变量 {variable} 的值无效 / {variable} is invalid: {first['msg']}")


def safe_settings() -> Settings:
    """The settings, once they pass the production checks; or exit 1 with the reason (stderr, both languages)."""
    settings = loaded_settings()
    try:
        settings.check_production_safety()
    except DomainError as exc:
        refuse(exc, False)
    return settings


def settings_for(db: str | None) -> Settings:
    """The safe settings, with the database a command's `--db` names instead of SHEBAO_DATABASE_URL."""
    settings = safe_settings()  # the guards below checked already; commands call this for the settings themselves
    settings = settings.model_copy(update={"database_url": db}) if db else settings
    _databases_used.append(settings.database_url)
    return settings


_databases_used: list[str] = []  # for the one message when a database fails under a command (database_failure)


def database_failure(exc: Exception, as_json: bool) -> NoReturn:
    """A database a command could not use — never migrated, migrated by older code, or unreachable — refused with
    what to do, never a traceback. The failing transaction was rolled back; a batch keeps the chunks it finished."""
    from sqlalchemy.exc import SQLAlchemyError

    from shebao.core.migrate import head_revision, schema_revision

    url = _databases_used[-1] if _databases_used else get_settings().database_url
    try:
        head, current = head_revision(), schema_revision(url)
    except SQLAlchemyError:
        refuse(Conflict("database.unreachable", "无法连接数据库，未执行任何操作；请检查数据库地址或联系运维人员",
                        "the database cannot be reached; nothing was done: check the database address or call operations"),
               as_json)
    if current != head:
        shown = current or "无"
        refuse(Conflict("database.schema",
                        f"数据库结构版本为「{shown}」，本程序需要「{head}」：请先运行「shebao db upgrade」",
                        f"the database schema is at {current or 'nothing'}, this code needs {head}: "
                        "run shebao db upgrade first", current=current, head=head), as_json)
    refuse(Conflict("database.failed", "数据库操作失败，本次操作未写入；请稍后重试或联系运维人员",
                    f"the database failed ({type(exc).__name__}); this step wrote nothing: try again or call operations"),
           as_json)


def require_safe_settings(command: str | None) -> None:
    """Refuses weak production secrets before `command` (its words: "keys init") runs, unless it is offline."""
    if command is not None and command not in OFFLINE_COMMANDS:
        safe_settings()


def guard_every_command(ctx: typer.Context) -> None:
    """The root's callback: checks the settings before every command outside the groups that guard themselves."""
    if ctx.invoked_subcommand not in GROUPS_WITH_OFFLINE_COMMANDS:
        require_safe_settings(ctx.invoked_subcommand)


def _guard_group(ctx: typer.Context) -> None:
    """A group holding an offline command checks the settings itself, knowing the sub-command."""
    require_safe_settings(f"{ctx.info_name} {ctx.invoked_subcommand}")


def command_group(name: str, help: str) -> typer.Typer:  # noqa: A002 - Typer's own word for it
    """A group of sub-commands (`shebao NAME …`); one that holds an offline command guards its sub-commands."""
    group = typer.Typer(name=name, help=help, no_args_is_help=True)
    if name in GROUPS_WITH_OFFLINE_COMMANDS:
        group.callback()(_guard_group)
    return group


def today_from(text: str | None) -> date:
    """The day a `--today` option gives, or today in China; exit 1 when it is not YYYY-MM-DD."""
    if text is None:
        return china_today(SystemClock().now())
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"「--today」{DATE_FORMAT_ZH}：{text} / --today is YYYY-MM-DD: {text}")


# ------------------------------------------------------------------ output, refusals


def emit(payload: dict[str, Any], as_json: bool, human: str, *, code: int = 0) -> NoReturn:
    """The command's answer and exit: JSON for machines, or the human line (stdout, stderr when `code` is not 0)."""
    if as_json:
        print(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        (out if code == 0 else err).print(human)
    raise typer.Exit(code)


def fail(message: str, code: int = 1) -> NoReturn:
    """A message on stderr, in red, and exit (1 unless told)."""
    err.print(f"[red]{escape(message)}[/red]")
    raise typer.Exit(code)


def refuse(exc: DomainError, as_json: bool) -> NoReturn:
    """The one refusal message: the reason in Chinese and English and its code (an import's rejected rows
    as a table), or `{"error": …}` for machines; exit 1."""
    human = f"[red]{escape(exc.reason)}[/red]\n{escape(exc.reason_en)} ({exc.code})"
    rejected = exc.details.get("rejected") if isinstance(exc.details.get("rejected"), list) else None
    if rejected and not as_json:
        err.print(_rejected_table(rejected))
    emit({"error": exc.as_dict()}, as_json, human, code=1)


def invalid_input(problem: str, as_json: bool, problem_zh: str | None = None) -> NoReturn:
    """A request the command could not read (wrong type, missing field): exit 1 with the problem."""
    zh = problem_zh or problem
    emit({"error": {"code": "request.invalid", "reason": f"输入有误：{zh}", "reason_en": f"invalid input: {problem}"}},
         as_json, f"[red]输入有误：{escape(zh)}[/red]\ninvalid input: {escape(problem)}", code=1)


def invalid_model(exc: ValidationError, as_json: bool) -> NoReturn:
    """The first problem of a file or options that do not fit the model, in Chinese and English."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    zh = validation_problem_zh(first["type"])
    invalid_input(f"{where}: {first['msg']}" if where else first["msg"], as_json,
                  f"「{where}」{zh}" if where else zh)


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


def read_case_file(path: Path) -> bytes:
    """A JSON case file's bytes, without a UTF-8 BOM (spreadsheets and Notepad add one); exit 1 when unreadable."""
    try:
        if path.stat().st_size > MAX_CASE_BYTES:
            fail(f"输入文件超过 {MAX_CASE_BYTES // 1024} KB / the input is larger than {MAX_CASE_BYTES // 1024} KB: {path}")
        data = path.read_bytes()
    except OSError as exc:
        fail(f"无法读取输入文件 / cannot read the input: {exc.strerror}: {path}")
    return data.removeprefix(UTF8_BOM)


def calculate_case(path: Path, model: type[ModelT], calculate: Callable[[ModelT], T], as_json: bool) -> T:
    """A calculator command's one path: the case file read, validated against its request model and calculated;
    a bad file, field or case exits 1 with the reason in Chinese and English, as the API would answer."""
    data = read_case_file(path)
    try:
        return calculate(model.model_validate_json(data))
    except ValidationError as exc:
        invalid_model(exc, as_json)
    except DomainError as exc:
        refuse(exc, as_json)


def _import_rejected(rejected: list[dict], as_json: bool) -> NoReturn:
    refuse(InvalidInput("import.rejected", f"{len(rejected)} 行有误，全部未导入",
                        f"{len(rejected)} rows were rejected; nothing was imported", rejected=rejected), as_json)


def read_import_csv(file: Path, columns: tuple[str, ...], as_json: bool,
                    checks: dict[str, Any] | None = None) -> list[dict[str, str]]:
    """The rows of a CSV a user imports, each a dict of `columns`; or exit 1, writing nothing.

    UTF-8 with or without a BOM; a header naming the columns; at least one row. A row the csv module
    cannot read (a field over its size limit, a stray quote) refuses the file naming the row; cells with
    control characters or a spreadsheet formula's first character, extra cells, and what `checks`
    (column -> function giving a (Chinese, English) problem or None) finds are listed row by row."""
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
            fail(f"文件超过 {MAX_IMPORT_BYTES // 2**20} MB / the file is larger than {MAX_IMPORT_BYTES // 2**20} MB: {file}")
        with file.open(encoding="utf-8-sig", newline="") as handle:  # utf-8-sig: a BOM, if any, is not part of the header
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            if not header:
                fail(f"文件是空的，未导入任何内容 / the file is empty; nothing was imported: {file}")
            if not set(columns) <= set(header):
                fail(f"CSV 的表头须包含这些列：「{','.join(columns)}」 / the CSV header needs the columns {','.join(columns)}")
            reader.fieldnames = header
            for row in reader:
                rows.append(row)
                if len(rows) > MAX_IMPORT_ROWS:
                    fail(f"文件超过 {MAX_IMPORT_ROWS} 行 / the file has more than {MAX_IMPORT_ROWS} rows")
    except csv.Error as exc:
        if header is None:
            fail(f"表头无法解析 / the header cannot be read: {exc}")
        _import_rejected([{"row": len(rows) + 1, "reason": "此行无法解析（单元格过长或引号不配对）",
                           "reason_en": f"this row cannot be read: {exc}"}], as_json)
    except UnicodeDecodeError:
        fail(f"文件不是 UTF-8 编码 / the file is not UTF-8: {file}")
    except OSError as exc:
        fail(f"无法读取文件 / cannot read the file: {exc.strerror}: {file}")
    if not rows:
        fail(f"文件没有数据行，未导入任何内容 / the file has no rows; nothing was imported: {file}")
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


# ------------------------------------------------------------------ progress and batch runs

ProgressReport = Callable[[str, int, int], None]


@contextmanager
def progress_bars() -> Iterator[ProgressReport]:
    """Rich progress bars on stderr while a job runs; yields the job's callback (stage, done, total),
    which opens one bar per stage on the stage's first report."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        yield report


def run_batch(db: str | None, as_json: bool, job: Callable[[Database, Settings, ProgressReport], T]) -> T:
    """Runs a set-based job with a progress bar and anchors the audit records it appended; a refusal
    becomes the refusal message."""
    settings = settings_for(db)
    database = Database(settings.database_url)
    try:
        with progress_bars() as report:
            result = job(database, settings, report)
        checkpoint_after_batch(settings, database)  # the run's audit records anchored as soon as it ends
        return result
    except DomainError as exc:
        refuse(exc, as_json)
    finally:
        database.dispose()


def checkpoint_after_batch(settings: Settings, database: Database) -> None:
    """Anchors what a batch run just appended, as soon as it ends. A checkpoint that cannot be signed never
    undoes the run: the reason goes to stderr, and `shebao audit verify` says more."""
    try:
        checkpoint = checkpoint_if_grown(database=database, anchor=Anchor.for_settings(settings, database.url),
                                         now=SystemClock().now())
    except DomainError as exc:
        err.print(f"[yellow]未签署审计检查点：{escape(exc.reason)}\nno audit checkpoint signed: {escape(exc.reason_en)}[/yellow]")
    except OSError as exc:
        err.print(f"[yellow]未签署审计检查点 no audit checkpoint signed: {escape(str(exc.strerror))}[/yellow]")
    else:
        if checkpoint is not None:
            err.print(f"审计检查点 audit checkpoint #{checkpoint.number}: record {checkpoint.seq} {checkpoint.hash[:16]}…")


# ------------------------------------------------------------------ one use case, run as the system


def run_use_case(db: str | None, as_json: bool, model: type[BaseModel] | None, fields: dict[str, Any],
                 call: Callable[..., dict | BaseModel]) -> dict:
    """Validates the input, runs one use case in one transaction as the system, and turns refusals into messages.

    `call(database=, cipher=, command=, now=)` runs it; `in_transaction` makes one from a service function. A read
    model it returns comes back as its JSON form, the same the API answers."""
    try:
        command = model.model_validate(fields) if model else None
    except ValidationError as exc:
        invalid_model(exc, as_json)
    except DomainError as exc:  # a field's own parser refused it (a decimal, an amount)
        refuse(exc, as_json)
    settings = settings_for(db)
    database = Database(settings.database_url)
    try:
        result = call(database=database, cipher=FieldCipher(settings.secret_key), command=command, now=SystemClock().now())
        return result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    except DomainError as exc:
        refuse(exc, as_json)
    finally:
        database.dispose()


def in_transaction(function: Callable[..., dict | BaseModel], **extra: Any) -> Callable[..., dict | BaseModel]:  # noqa: ANN401
    """A `run_use_case` call of a service function taking `session=` and `principal=` (and `now=`, `command=`
    when it has them), in one transaction; `extra` are further keyword arguments."""
    def call(*, database: Database, cipher: FieldCipher, command: Any, now: Any) -> dict | BaseModel:  # noqa: ANN401
        with database.transaction() as session:
            arguments = {"session": session, "principal": SYSTEM} | extra
            if "now" in inspect.signature(function).parameters:
                arguments["now"] = now
            return function(**arguments, **({"command": command} if command is not None else {}))
    return call
