"""`shebao audit verify`, `shebao audit checkpoint`, `shebao audit public-keys`: the hash-chained audit log and
its signed checkpoints. (The checkpoint the CLI signs when a batch run ends is `clikit.checkpoint_after_batch`.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from shebao.audit.checkpoints import Anchor, write_checkpoint
from shebao.audit.verification import AnchoredReport, verify_anchored
from shebao.clikit import DbOpt, JsonOpt, command_group, emit, fail, refuse, settings_for
from shebao.core.clock import SystemClock
from shebao.core.db import Database
from shebao.core.errors import DomainError

commands = typer.Typer()  # mounted by `shebao/cli.py`
audit_app = command_group("audit", "The hash-chained audit log")
commands.add_typer(audit_app)

TrustedKeysOpt = Annotated[Path | None, typer.Option(
    "--trusted-keys", help="the audit public keys to trust, from `shebao audit public-keys --output` (default: the key directory's)")]


@audit_app.command("verify")
def audit_verify(db: DbOpt = None, trusted_keys: TrustedKeysOpt = None, as_json: JsonOpt = False) -> None:
    """Walk the hash chain and hold it against every signed checkpoint; name the first problem."""
    settings = settings_for(db)
    anchor = Anchor.for_settings(settings)
    if trusted_keys is not None:
        anchor.trusted = _read_trusted_keys(trusted_keys)
    database = Database(settings.database_url)
    try:
        with database.unit_of_work() as uow:
            report = verify_anchored(session=uow.session, anchor=anchor)
    except DomainError as exc:
        refuse(exc, as_json)
        return
    finally:
        database.dispose()
    payload = report.as_dict()
    payload["anchor"]["file"] = str(anchor.file.path)
    emit(payload, as_json, _verdict(report), code=0 if report.ok else 1)


def _verdict(report: AnchoredReport) -> str:
    if not report.ok:
        problem = report.problem
        return f"[red]审计链被破坏 chain broken[/red]: {escape(problem.zh)}\n{escape(problem.en)} ({problem.code})"
    line = f"[green]审计链完整 chain intact[/green]: {report.chain.records} records"
    if report.newest is None:
        return line + "\n[yellow]尚无检查点，审计链未锚定 no checkpoint yet: the chain is not anchored[/yellow]"
    newest = report.newest
    return (f"{line} · checkpoints {report.checkpoints}, the newest (#{newest.number}, {newest.at}) at record {newest.seq}"
            f" · {report.chain.records - newest.seq} records since")


@audit_app.command("checkpoint")
def audit_checkpoint(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Sign the chain as it stands (its head hash and length) with the audit key, into the checkpoint file."""
    settings = settings_for(db)
    anchor = Anchor.for_settings(settings)
    database = Database(settings.database_url)
    try:
        checkpoint = write_checkpoint(database=database, anchor=anchor, now=SystemClock().now())
    except DomainError as exc:
        refuse(exc, as_json)
        return
    except OSError as exc:
        fail(f"无法写入检查点文件 / cannot write the checkpoint file: {exc.strerror}: {anchor.file.path}")
        return
    finally:
        database.dispose()
    emit({**checkpoint.as_dict(), "file": str(anchor.file.path)}, as_json,
          f"[green]检查点已签署 checkpoint signed[/green] #{checkpoint.number}: record {checkpoint.seq} "
          f"{checkpoint.hash[:16]}… by {checkpoint.key_id} → {anchor.file.path}")


@audit_app.command("public-keys")
def audit_public_keys(output: Annotated[Path | None, typer.Option("--output", help="write them to this file")] = None,
                      db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The audit keys' public halves, for an auditor to keep apart and pass to `audit verify --trusted-keys`."""
    try:
        keys = Anchor.for_settings(settings_for(db)).keyring.public_keys()
    except DomainError as exc:
        refuse(exc, as_json)
        return
    text = json.dumps({"keys": keys}, indent=2)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"无法写入 / cannot write: {exc.strerror}: {output}")
    emit({"keys": keys}, as_json, text)


def _read_trusted_keys(path: Path) -> dict[str, str]:
    try:
        keys = json.loads(path.read_text(encoding="utf-8"))["keys"]
        if isinstance(keys, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in keys.items()):
            return keys
    except OSError as exc:
        fail(f"无法读取受信任的公钥文件 / cannot read the trusted keys: {exc.strerror}: {path}")
    except (ValueError, KeyError, TypeError, RecursionError):
        pass
    fail(f"受信任的公钥文件格式错误 / the trusted keys file is malformed: {path}")
    return {}
