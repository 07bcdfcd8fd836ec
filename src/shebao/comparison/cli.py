"""`shebao exchange import KIND FILE [--format csv|parquet] [--hmac-key-file K] --json`: another department's
registry file loaded (the command and the columns each kind must have are kept exactly: other tools depend on them)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shebao.clikit import DbOpt, JsonOpt, command_group, emit, fail, progress_bars, refuse, settings_for

commands = typer.Typer()  # mounted by `shebao/cli.py`
exchange_app = command_group("exchange", "Registries of other departments (数据比对)")
commands.add_typer(exchange_app)


@exchange_app.command("import")
def exchange_import(kind: Annotated[str, typer.Argument(help="population | deaths | prisoners | enterprises | "
                                                             "tax_employment | students")],
                    file: Annotated[Path, typer.Argument(help="the file")],
                    file_format: Annotated[str, typer.Option("--format", help="csv | parquet")] = "csv",
                    hmac_key_file: Annotated[Path | None, typer.Option(
                        "--hmac-key-file", help="the id_number column holds hex HMAC-SHA256 of the number under this key")] = None,
                    db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Check every row against the kind's columns; load the good rows, report the bad ones; record the import."""
    from shebao.comparison.service import import_file
    from shebao.core.clock import SystemClock
    from shebao.core.db import Database
    from shebao.core.errors import DomainError
    from shebao.core.security import FieldCipher

    key = None
    if hmac_key_file is not None:
        try:
            key = hmac_key_file.read_bytes().strip()
        except OSError as exc:
            fail(f"无法读取密钥文件 / cannot read the key file: {exc.strerror}: {hmac_key_file}")
        if len(key) < 16:
            fail("密钥过短（至少 16 字节）/ the key is too short (16 bytes at least)")
    settings = settings_for(db)
    database = Database(settings.database_url)
    try:
        with progress_bars() as report:
            result = import_file(database=database, cipher=FieldCipher(settings.secret_key), kind=kind, path=file,
                                 file_format=file_format, hmac_key=key, actor="admin:system", now=SystemClock().now(),
                                 progress=None if as_json else report)
    except DomainError as exc:
        refuse(exc, as_json)
    finally:
        database.dispose()
    emit(result, as_json, f"导入 import {result['import_id']} · {result['kind_zh']} {result['kind']} · 读取 read "
                          f"{result['rows_read']} · 导入 loaded {result['rows_loaded']} · 拒绝 rejected "
                          f"{result['rows_rejected']} · {result['encoding']}"
                          + "".join(f"\n  row {r['row']}: {r['reason']} / {r['reason_en']}" for r in result["rejected"][:20]))
