"""`shebao exchange import KIND FILE [--format csv|parquet] [--hmac-key-file K] --json`: another department's
registry file loaded (the command and the columns each kind must have are kept exactly: other tools depend on them)."""

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
    progress_bars,
    refuse,
    run_use_case,
    settings_for,
)

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
