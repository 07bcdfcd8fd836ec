"""`shebao keys init|rotate|revoke|export-trust`, `shebao ecard issue|verify`: the card key hierarchy and the
electronic card's QR codes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from shebao.cards.ecard import SEEN_FILE_NAME
from shebao.clikit import (
    UTF8_BOM,
    DbOpt,
    JsonOpt,
    command_group,
    emit,
    fail,
    out,
    refuse,
    safe_settings,
    settings_for,
)
from shebao.core.clock import SystemClock
from shebao.core.db import Database
from shebao.core.errors import DomainError
from shebao.settings import get_settings

commands = typer.Typer()  # mounted by `shebao/cli.py`; its groups become `shebao keys`, `shebao ecard`
keys_app = command_group("keys", "The card key hierarchy: national root, ministry, provinces")
ecard_app = command_group("ecard", "The electronic card's QR codes")
for group in (keys_app, ecard_app):
    commands.add_typer(group)

MAX_TRUST_FILE_BYTES = 4 * 1024 * 1024


def _keystore():  # noqa: ANN202
    from shebao.cards.keys import KeyStore

    settings = safe_settings()
    return KeyStore(settings.key_dir, settings.key_passphrase)


@keys_app.command("init")
def keys_init(as_json: JsonOpt = False) -> None:
    """Create the national root key and the ministry key it signs (once)."""
    try:
        trust = _keystore().init(now=SystemClock().now())
    except DomainError as exc:
        refuse(exc, as_json)
    emit({"root": trust.root_key_id, "ministry": list(trust.certificates)}, as_json,
         f"root {trust.root_key_id} · ministry {', '.join(trust.certificates)} · private keys encrypted in {get_settings().key_dir}")


@keys_app.command("rotate")
def keys_rotate(province: Annotated[str, typer.Option("--province", help="6-digit province code")],
                as_json: JsonOpt = False) -> None:
    """Give a province a new issuing key signed by the ministry; the old one lapses within minutes."""
    try:
        cert = _keystore().rotate_province(province=province, now=SystemClock().now())
    except DomainError as exc:
        refuse(exc, as_json)
    emit({"key_id": cert.key_id, "province": cert.province, "valid_to": cert.valid_to}, as_json,
         f"{cert.province}: new issuing key {cert.key_id}, valid to {cert.valid_to}")


@keys_app.command("revoke")
def keys_revoke(key_id: str, as_json: JsonOpt = False) -> None:
    """Publish a key as revoked in the signed revocation list."""
    try:
        _keystore().revoke(key_id=key_id, now=SystemClock().now())
    except DomainError as exc:
        refuse(exc, as_json)
    emit({"revoked": key_id}, as_json, f"revoked {key_id}: export the trust file to the terminals")


@keys_app.command("export-trust")
def keys_export_trust(output: Annotated[Path | None, typer.Option("--output", help="file to write (default: print)")] = None) -> None:
    """The public chain terminals hold: root key, certificates and the signed revocation list."""
    try:
        text = _keystore().trust().as_json()
    except DomainError as exc:
        refuse(exc, False)
    if output is None:
        print(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"无法写入信任文件 / cannot write the trust file: {exc.strerror}: {output}")
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
    database = Database(settings_for(db).database_url)
    try:
        with database.unit_of_work() as uow:
            print(issue_code_for_card(session=uow.session, keys=keys, card_number=card, device_id=device[:128],
                                      province=province, now=SystemClock().now()))
    except DomainError as exc:
        refuse(exc, False)
    finally:
        database.dispose()


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
        refuse(exc, as_json)
    store_path = os.path.abspath(store.path)
    body = {**verdict.as_dict(), "reason_zh": REASONS_ZH.get(verdict.reason, "拒绝"), "replay_store": store_path}
    human = (f"[green]有效 valid[/green] card {verdict.card_number} · {verdict.province} · expires {verdict.expires_at}"
             if verdict.valid else f"[red]拒绝 refused[/red]: {body['reason_zh']} ({verdict.reason})")
    emit(body, as_json, f"{human}\n重放记录 replay store: {escape(store_path)}", code=0 if verdict.valid else 1)


def _read_trust_file(path: Path, as_json: bool):  # noqa: ANN202 - a TrustFile
    """The trust file a terminal holds (UTF-8, a BOM allowed); exit 1 when it cannot be read or is malformed."""
    from shebao.cards.keys import TrustFile

    try:
        if path.stat().st_size > MAX_TRUST_FILE_BYTES:
            fail(f"信任文件过大 / the trust file is too large: {path}")
        return TrustFile.from_json(path.read_bytes().removeprefix(UTF8_BOM).decode("utf-8"))
    except OSError as exc:
        fail(f"无法读取信任文件 / cannot read the trust file: {exc.strerror}: {path}")
    except UnicodeDecodeError:
        fail(f"信任文件不是 UTF-8 编码 / the trust file is not UTF-8: {path}")
    except DomainError as exc:
        refuse(exc, as_json)
