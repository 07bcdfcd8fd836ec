"""`shebao exchange import KIND FILE [--format csv|parquet] [--hmac-key-file K] --json`: another department's
registry file loaded (the command and the columns each kind must have are kept exactly: other tools depend on them).
`shebao link run --province CODE`, `shebao link review [--region CODE]`, `shebao link decide ID --confirm|--reject
--reason TEXT`: fuzzy linkage of records whose numbers do not match, and its clerical review. `shebao compare …`: the
comparison's lists and the cases worked from them; `shebao exchange partner …` and `shebao outbox …`: the exchange by
message."""

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
                    file: Annotated[Path, typer.Argument(help="the file: CSV or Parquet, plain, .gz or a one-file .zip")],
                    file_format: Annotated[str, typer.Option("--format", help="csv | parquet")] = "csv",
                    hmac_key_file: Annotated[Path | None, typer.Option(
                        "--hmac-key-file", help="the id_number column holds hex HMAC-SHA256 of the number under this key")] = None,
                    sha256: Annotated[str | None, typer.Option(
                        "--sha256", help="the SHA-256 the sender declared for the file (a FILE.sha256 beside it is read too)")] = None,
                    db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Check every row against the kind's columns; load the good rows, report the bad ones; record the import."""
    from shebao.comparison.service import import_file, read_key_file
    from shebao.core.clock import SystemClock
    from shebao.core.db import Database
    from shebao.core.errors import DomainError
    from shebao.core.security import FieldCipher

    settings = settings_for(db)
    database = Database(settings.database_url)
    try:
        key = read_key_file(hmac_key_file) if hmac_key_file is not None else None
        with progress_bars() as report:
            result = import_file(database=database, cipher=FieldCipher(settings.secret_key), kind=kind, path=file,
                                 file_format=file_format, hmac_key=key, sha256=sha256, actor="admin:system",
                                 now=SystemClock().now(), progress=None if as_json else report)
    except DomainError as exc:
        refuse(exc, as_json)
    finally:
        database.dispose()
    emit(result, as_json, f"导入 import {result['import_id']} · {result['kind_zh']} {result['kind']} · 读取 read "
                          f"{result['rows_read']} · 导入 loaded {result['rows_loaded']} · 拒绝 rejected "
                          f"{result['rows_rejected']} · 相符 matched {result['rows_matched']} ({result['match_rate']}) · "
                          f"{result['encoding']}" + (f" · {result['container']}" if result["container"] != "plain" else "")
                          + "".join(f"\n  row {r['row']}: {r['reason']} / {r['reason_en']}" for r in result["rejected"][:20]))


# ------------------------------------------------------------------ the comparison's lists and cases

compare_app = typer.Typer(name="compare", invoke_without_command=True, no_args_is_help=False,
                          help="The comparison of registries (全民参保登记): the lists and the cases worked from them")
commands.add_typer(compare_app)
RegionOpt = Annotated[str, typer.Option("--region", help="a province, city, county or street code")]


@compare_app.callback()
def compare(ctx: typer.Context,
            province: Annotated[str | None, typer.Option("--province", help="the province code, such as 110000")] = None,
            as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: today)")] = None,
            engine: Annotated[str | None, typer.Option("--engine", help="duckdb | spark (default: the setting)")] = None,
            snapshot_in: Annotated[str | None, typer.Option(
                "--snapshot", help="the national job: compare a snapshot in files (a folder or hdfs:// URL), no database; "
                                   "--province 000000 asks for the whole country in one pass")] = None,
            output: Annotated[Path | None, typer.Option("--output", help="with --snapshot: write each list as "
                                                                         "Parquet, one file per province")] = None,
            db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Compute every list for the province, set-based, keep its rows and open or close the cases; print the counts."""
    if ctx.invoked_subcommand is not None:
        return
    if province is None:
        fail("请用 --province 指定省份代码（如 110000）/ say which province with --province (such as 110000)")
    if snapshot_in is not None:
        _compare_files(snapshot_in, province, as_of, engine, output, db, as_json)
    if output is not None:
        fail("「--output」只与「--snapshot」一起使用 / --output goes with --snapshot")
    from shebao.clikit import run_batch
    from shebao.comparison.runs import compare as run_compare
    from shebao.core.clock import SystemClock
    from shebao.core.security import SYSTEM
    from shebao.policy.store import default_store

    day = _as_of_day(as_of)
    result = run_batch(db, as_json, lambda database, settings, report: run_compare(
        database=database, store=default_store(), principal=SYSTEM, province=province, as_of=day,
        engine_name=engine or settings.comparison_engine, now=SystemClock().now(), progress=None if as_json else report))
    lines = [f"比对 run {result['run_id']} · {result['province']} · 截至 as of {result['as_of']} · {result['engine']}"]
    lines += [f"  {entry['name']} {entry['kind']}: {entry['count']}" for entry in result["lists"]]
    lines.append(f"新建核查任务 cases opened {result['cases_opened']} · 已不在名单而办结 closed as unlisted "
                 f"{result['cases_closed']}")
    emit(result, as_json, "\n".join(lines))


def _compare_files(inputs: str, province: str, as_of: str | None, engine: str | None, output: Path | None,
                   db: str | None, as_json: bool) -> None:
    from shebao.clikit import settings_for
    from shebao.comparison.runs import compare_files
    from shebao.core.clock import SystemClock, china_today
    from shebao.core.errors import DomainError
    from shebao.policy.store import default_store

    now = SystemClock().now()
    location = inputs if "://" in inputs else Path(inputs)
    try:
        result = compare_files(store=default_store(), inputs=location, province=province,
                               as_of=_as_of_day(as_of) or china_today(now),
                               engine_name=engine or settings_for(db).comparison_engine, output=output, now=now)
    except DomainError as exc:
        refuse(exc, as_json)
    emit(result, as_json, "\n".join([f"{result['province']} · 截至 as of {result['as_of']} · {result['engine']} · "
                                     f"{result['inputs']}"] + [f"  {kind}: {count}" for kind, count in
                                                                result["counts"].items()]))


def _as_of_day(text: str | None):
    from datetime import date

    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        fail(f"「--as-of」应为 年-月-日（如 2026-11-30）：{text} / --as-of is YYYY-MM-DD: {text}")


@compare_app.command("snapshot")
def compare_snapshot(output: Annotated[Path, typer.Option("--output", help="the folder to write the Parquet tables to")],
                     as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: today)")] = None,
                     db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The nightly extract for the national job: the registry as of the date and the imported registries, as Parquet
    (one directory per table)."""
    from shebao.clikit import run_batch
    from shebao.comparison.runs import take_snapshot
    from shebao.core.clock import SystemClock, china_today
    from shebao.policy.store import default_store

    now = SystemClock().now()
    day = _as_of_day(as_of) or china_today(now)
    result = run_batch(db, as_json, lambda database, settings, report: take_snapshot(
        database=database, store=default_store(), as_of=day, folder=output, now=now))
    emit(result, as_json, f"快照 snapshot {result['as_of']} → {result['folder']}\n" + "\n".join(
        f"  {name}: {rows}" for name, rows in result["rows"].items()))


@compare_app.command("list")
def compare_list(kind: Annotated[str, typer.Argument(help="uninsured | interrupted | deceased_paid | prisoner_paid | "
                                                         "duplicates | employers_unregistered | employers_under_declared")],
                 region: RegionOpt, as_csv: Annotated[bool, typer.Option("--csv", help="print CSV")] = False,
                 db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The rows of one list for a county, street or community, from the province's latest comparison."""
    from shebao.comparison.cases import list_rows

    result = run_use_case(db, as_json, None, {}, in_transaction(list_rows, kind=kind, region=region))
    if as_csv:
        _print_csv(result["rows"])
        raise typer.Exit(0)
    lines = [f"{result['name']} {result['kind']} · {result['region']} · 比对 run {result['run_id']} "
             f"({result['as_of']}) · {result['count']} 行 rows"]
    lines += [f"  {r['region_code']} {r['name'] or r['uscc'] or ''} {r['reason'] or ''} {_amount(r)}".rstrip()
              for r in result["rows"][:50]]
    emit(result, as_json, "\n".join(lines))


def _amount(row: dict) -> str:
    from shebao.core.money import fen_to_yuan

    return f"{fen_to_yuan(row['amount_fen'])} 元" if row["amount_fen"] else ""


def _print_csv(rows: list[dict]) -> None:
    import csv
    import sys

    columns = ["region_code", "finding_key", "person_id", "name", "uscc", "employer_id", "period", "amount_fen",
               "months", "people_reported", "people_insured", "reason_code", "reason", "reason_en"]
    writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


@compare_app.command("cases")
def compare_cases(region: RegionOpt,
                  kind: Annotated[str | None, typer.Option("--list", help="one list's cases only")] = None,
                  status: Annotated[str | None, typer.Option("--status", help="open | working | closed")] = None,
                  db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The cases of a region, the open ones first."""
    from shebao.comparison.cases import list_cases

    result = run_use_case(db, as_json, None, {}, in_transaction(list_cases, region=region, kind=kind, status=status))
    emit({"cases": result}, as_json, "\n".join(
        f"{c['id']} · {c['region_code']} · {c['list_name']} {c['list_kind']} · {c['name'] or c['uscc'] or ''} · "
        f"{c['status_zh']} {c['status']}" + (f" · {c['outcome_zh']}" if c["outcome"] else "") for c in result)
        or "没有核查任务 / no cases")


@compare_app.command("case")
def compare_case(case_id: Annotated[int, typer.Argument(help="the case")], db: DbOpt = None,
                 as_json: JsonOpt = False) -> None:
    """One case with its history."""
    from shebao.comparison.cases import show_case

    c = run_use_case(db, as_json, None, {}, in_transaction(show_case, case_id=case_id))
    emit(c, as_json, f"{c['id']} · {c['region_code']} · {c['list_name']} {c['list_kind']} · {c['name'] or c['uscc'] or ''}"
                     f" · {c['status_zh']} {c['status']}\n" + "\n".join(
                         f"  {e['at']} {e['action']} {e['outcome'] or ''} {e['note']} ({e['actor']})" for e in c["events"]))


@compare_app.command("work")
def compare_work(case_id: Annotated[int, typer.Argument(help="the case")],
                 outcome: Annotated[str, typer.Option("--outcome", help="visited | insured | not_required | moved | "
                                                                        "deceased | stopped | recovered | merged | "
                                                                        "registered | declared")],
                 note: Annotated[str, typer.Option("--note", help="what was found")],
                 db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Record what was found on a case; a final outcome closes it."""
    from shebao.comparison.cases import work_case

    result = run_use_case(db, as_json, None, {}, in_transaction(work_case, case_id=case_id, outcome=outcome, note=note))
    emit(result, as_json, f"核查任务 case {result['id']} · {result['status_zh']} {result['status']} · "
                          f"{result['outcome_zh']} {result['outcome']}")


@compare_app.command("progress")
def compare_progress(region: RegionOpt,
                     level: Annotated[str, typer.Option("--level", help="province | city | county | street")] = "street",
                     db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """How far the cases of a region are worked, by region one level down."""
    from shebao.comparison.cases import progress

    result = run_use_case(db, as_json, None, {}, in_transaction(progress, region=region, level=level))
    emit(result, as_json, "\n".join(
        f"{r['region']} · 共 total {r['total']} · 待处理 open {r['open']} · 处理中 working {r['working']} · "
        f"已办结 closed {r['closed']} ({r['done_share']:.0%})" for r in result["regions"]) or "没有核查任务 / no cases")
# ------------------------------------------------------------------ exchange by message: partners, keys, the outbox
# shebao exchange partner add|list|deactivate · shebao exchange public-key · shebao exchange announce ·
# shebao outbox deliver · shebao outbox list

partner_app = command_group("partner", "Departments that exchange messages with us (交换伙伴)")
exchange_app.add_typer(partner_app)
outbox_app = command_group("outbox", "Messages waiting to leave the platform (发件箱)")
commands.add_typer(outbox_app)


@partner_app.command("add")
def partner_add(code: Annotated[str, typer.Argument(help="its DCI sender_id, e.g. mca.beijing.gov.cn")],
                name_zh: Annotated[str, typer.Option("--name-zh", help="中文名称")],
                name_en: Annotated[str, typer.Option("--name-en", help="English name")],
                department: Annotated[str, typer.Option("--department", help="civil_affairs | health | public_security | "
                                                                             "court | market_regulation | tax | education")],
                public_key: Annotated[str | None, typer.Option("--public-key", help="Ed25519 public key, base64")] = None,
                public_key_file: Annotated[Path | None, typer.Option("--public-key-file", help="… or a PEM file")] = None,
                key_id: Annotated[str, typer.Option("--key-id", help="the key's name in the signature's kidId")] = "k1",
                callback: Annotated[str | None, typer.Option("--callback", help="base URL of its /registry/… callbacks")] = None,
                allow: Annotated[list[str] | None, typer.Option("--allow", help="a capability (repeat); default: the "
                                                                                "department's")] = None,
                region: Annotated[str, typer.Option("--region", help="whose persons it may ask about")] = "000000",
                db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Registers another department: its key, its callback address and its agreement."""
    from shebao.comparison.registry_exchange import register_partner
    from shebao.comparison.schemas import PartnerCreate

    fields = {"code": code, "name_zh": name_zh, "name_en": name_en, "department": department,
              "public_key": _key_text(public_key, public_key_file), "key_id": key_id, "callback_url": callback,
              "allowed": allow, "region_code": region}
    partner = run_use_case(db, as_json, PartnerCreate, fields, in_transaction(register_partner))
    emit(partner, as_json, f"已登记交换伙伴 partner registered: {partner['code']} · {partner['name_zh']} · "
                           f"{', '.join(partner['agreement']) or '-'}")


@partner_app.command("list")
def partner_list(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The registered partners and their agreements."""
    from shebao.comparison.registry_exchange import list_partners

    listed = in_transaction(list_partners)
    answer = run_use_case(db, as_json, None, {}, lambda **given: {
        "partners": [p.model_dump(mode="json") for p in listed(**given)]})
    emit(answer, as_json, "\n".join(f"{p['code']} · {p['name_zh']} · {p['department']} · "
                                    f"{'active' if p['active'] else 'inactive'} · {', '.join(p['agreement']) or '-'} · "
                                    f"{p['region_code']}" for p in answer["partners"]) or "没有交换伙伴 no partners")


@partner_app.command("deactivate")
def partner_deactivate(code: Annotated[str, typer.Argument(help="its sender_id")], db: DbOpt = None,
                       as_json: JsonOpt = False) -> None:
    """Stops trusting a partner's key: its messages are refused from now on."""
    from shebao.comparison.registry_exchange import deactivate_partner

    partner = run_use_case(db, as_json, None, {}, in_transaction(deactivate_partner, code=code))
    emit(partner, as_json, f"已停用 deactivated: {partner['code']}")


@exchange_app.command("public-key")
def exchange_public_key(as_json: JsonOpt = False) -> None:
    """The platform's public signing key, for partners to check our envelopes (made on first use)."""
    from shebao.comparison.exchange_platform import Platform
    from shebao.core.clock import SystemClock
    from shebao.core.errors import DomainError
    from shebao.core.security import FieldCipher

    settings = settings_for(None)
    platform = Platform.for_settings(settings, FieldCipher(settings.secret_key))
    try:
        platform.keyring.signer(now=SystemClock().now())
    except DomainError as exc:
        refuse(exc, as_json)
    keys = platform.public_keys()
    emit(keys, as_json, "\n".join(f"{keys['sender_id']} · {key['kid']} · {key['x']}" for key in keys["keys"]))


@exchange_app.command("announce")
def exchange_announce(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Puts the changes each subscriber has not yet been told of (deaths, pension starts) into the outbox."""
    from shebao.comparison.subscriptions import announce_changes
    from shebao.core.clock import SystemClock
    from shebao.core.db import Database
    from shebao.core.security import FieldCipher

    settings = settings_for(db)
    database = Database(settings.database_url)
    try:
        summary = announce_changes(database=database, cipher=FieldCipher(settings.secret_key), now=SystemClock().now())
    finally:
        database.dispose()
    emit(summary, as_json, f"订阅 subscriptions {summary['subscriptions']} · 通知事件 events {summary['events']}")


@outbox_app.command("deliver")
def outbox_deliver(limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="at most this many")] = 100,
                   db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Delivers the messages that are due; each attempt recorded, failures retried later, dead after the last."""
    from shebao.comparison.exchange_platform import DciCallbackSender, Platform
    from shebao.comparison.outbox import FileSender, RetryPolicy, deliver_due
    from shebao.core.clock import SystemClock
    from shebao.core.db import Database
    from shebao.core.security import FieldCipher

    settings = settings_for(db)
    database = Database(settings.database_url)
    platform = Platform.for_settings(settings, FieldCipher(settings.secret_key))
    files = FileSender(settings.outbox_dir)
    senders = {"dci": DciCallbackSender(database=database, platform=platform,
                                        timeout=settings.exchange_http_timeout_seconds),
               "sms": files, "app": files, "letter": files}
    try:
        summary = deliver_due(database=database, senders=senders, now=SystemClock().now(), limit=limit,
                              retry=RetryPolicy.from_settings(settings))
    finally:
        database.dispose()
    emit(summary, as_json, f"取出 claimed {summary['claimed']} · 已发送 sent {summary['sent']} · 失败待重试 failed "
                           f"{summary['failed']} · 放弃 dead {summary['dead']}")


@outbox_app.command("list")
def outbox_list(status: Annotated[str | None, typer.Option("--status", help="pending | sent | failed | dead")] = None,
                limit: Annotated[int, typer.Option("--limit", min=1, max=1_000)] = 100,
                db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The newest outbox messages, optionally of one status."""
    from shebao.comparison.outbox import list_messages

    def listed(*, database, cipher, command, now) -> dict:  # noqa: ANN001 - run_use_case's call
        with database.transaction() as session:
            return {"messages": [r.model_dump(mode="json") for r in list_messages(session=session, status=status, limit=limit)]}

    answer = run_use_case(db, as_json, None, {}, listed)
    emit(answer, as_json, "\n".join(f"{r['id']} · {r['channel']} → {r['recipient']} · {r['status']} · {r['attempts']} · "
                                    f"{r['body_zh']}" for r in answer["messages"]) or "发件箱为空 the outbox is empty")


def _key_text(public_key: str | None, public_key_file: Path | None) -> str:
    if (public_key is None) == (public_key_file is None):
        fail("请给出「--public-key」或「--public-key-file」之一 / give one of --public-key or --public-key-file")
    if public_key is not None:
        return public_key
    try:
        return public_key_file.read_text(encoding="utf-8")[:4_000]
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"无法读取公钥文件 / cannot read the key file: {getattr(exc, 'strerror', None) or exc}: {public_key_file}")
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
