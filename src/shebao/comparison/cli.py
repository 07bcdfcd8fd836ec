"""`shebao exchange import KIND FILE [--format csv|parquet] [--hmac-key-file K] --json`: another department's
registry file loaded (the command and the columns each kind must have are kept exactly: other tools depend on them).
`shebao link run --province CODE`, `shebao link review [--region CODE]`, `shebao link decide ID --confirm|--reject
--reason TEXT`: fuzzy linkage of records whose numbers do not match, and its clerical review."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shebao.clikit import (
    DbOpt,
    JsonOpt,
    command_group,
    emit,
    fail,
    in_transaction,
    invalid_input,
    progress_bars,
    refuse,
    run_batch,
    run_use_case,
    settings_for,
)
from shebao.core.ids import MAX_BIGINT

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


# ---------------------------------------------------------------- fuzzy linkage: `shebao link run|review|decide`

link_app = command_group("link", "Fuzzy record linkage: one person, several numbers (一人多号)")
commands.add_typer(link_app)


@link_app.command("run")
def link_run(province: Annotated[str, typer.Option("--province", help="6-digit province code (…0000)")],
             db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Link the province's records whose numbers do not match (Splink); link above the threshold, queue the grey band."""
    from shebao.comparison.linkage import run_province
    from shebao.core.clock import SystemClock
    from shebao.core.security import FieldCipher

    result = run_batch(db, as_json, lambda database, settings, report: run_province(
        database=database, cipher=FieldCipher(settings.secret_key), province=province, actor="admin:system",
        now=SystemClock().now(), progress=None if as_json else report))
    emit(result, as_json, f"关联运行 link run {result['run_id']} · {result['province']} · 人员 persons {result['persons']} · "
                          f"户籍未匹配 unmatched register rows {result['external']} · 自动关联 linked {result['linked']} · "
                          f"待核查 review {result['review']} · 撤回 withdrawn {result['withdrawn']} · "
                          f"{'trained' if result['trained'] else 'prior m/u (too few records to train)'} · "
                          f"{result['seconds']} s")


@link_app.command("review")
def link_review(region: Annotated[str | None, typer.Option("--region", help="a region code: pairs of its persons")] = None,
                status: Annotated[str, typer.Option("--status", help="review | linked | confirmed | rejected | withdrawn")]
                = "review",
                limit: Annotated[int, typer.Option("--limit", min=1, max=200)] = 50,
                db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The pairs awaiting a clerk's decision (or of another status), most probable first."""
    from shebao.comparison.linkage import review_queue

    result = run_use_case(db, as_json, None, {}, in_transaction(review_queue, region_code=region, status=status,
                                                                limit=limit))
    lines = [f"待核查 pairs: {result['total']}"] + [
        f"  #{item['candidate_id']} {item['match_probability']:.3f} {item['status_zh']} · {item['left']['name']} "
        f"{item['left']['id_number_masked']} ↔ {item['right']['name']} {item['right']['id_number_masked'] or '(户籍 register)'} · "
        + "，".join(level["reason"] for level in item["levels"]) for item in result["items"]]
    emit(result, as_json, "\n".join(lines))


@link_app.command("decide")
def link_decide(candidate: Annotated[int, typer.Argument(help="the pair's id (shebao link review)", min=1, max=MAX_BIGINT)],
                confirm: Annotated[bool, typer.Option("--confirm", help="one person: the records are linked")] = False,
                reject: Annotated[bool, typer.Option("--reject", help="two people: no link")] = False,
                reason: Annotated[str, typer.Option("--reason", help="what was checked")] = "",
                db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Confirm a pair as one person or reject it, with the reason."""
    from shebao.comparison.linkage import decide
    from shebao.comparison.linkage_schemas import LinkDecide

    if confirm == reject:
        invalid_input("give --confirm or --reject (one of them)", as_json, "须给出 --confirm 或 --reject 之一")
    result = run_use_case(db, as_json, LinkDecide, {"decision": "confirm" if confirm else "reject", "reason": reason},
                          in_transaction(decide, candidate_id=candidate))
    emit(result, as_json, f"记录对 pair #{result['candidate_id']}: {result['status_zh']} {result['status']} · "
                          f"{result['decision_reason']}")
