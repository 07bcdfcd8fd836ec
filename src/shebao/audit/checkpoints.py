"""Signed checkpoints of the audit chain, kept outside the database.

A checkpoint states "on this day the chain had N records and record N's hash was H", signed with the audit
key (shebao.audit.signing), which the database owner does not hold. Someone who owns the database can
rewrite the chain whole — drop the append-only trigger, recompute every later hash, move the head — or cut
its newest records and rewind the head, and the chain alone still walks clean. A checkpoint then no longer
matches: the record at its sequence number has another hash, or is gone.

The checkpoints of one database are an append-only JSON-lines file, one checkpoint a line, each carrying
the digest of the one before it, so that a line edited, removed from the middle or forged shows. A copy of
each goes to the `audit_checkpoints` table: cutting the file's newest lines shows against the copy, and
erasing the anchor takes both the file and the database. The file is the original; the table is a mirror.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from shebao.audit.signing import AuditKeyring, sign, signature_valid
from shebao.core import audit
from shebao.core.audit import AuditCheckpoint
from shebao.core.clock import utc_naive
from shebao.core.db import Database
from shebao.core.errors import Conflict
from shebao.settings import Settings

# The standard logger, not structlog: the CLI leaves structlog unconfigured, printing to stdout under --json.
log = logging.getLogger("shebao.audit")

FIRST_PREV = "0" * 64  # what the first checkpoint follows
_HEX64 = re.compile(r"[0-9a-f]{64}")
TAIL_BYTES = 64 * 1024  # the newest checkpoint is read from the file's end, not by parsing every line


@dataclass(frozen=True)
class Checkpoint:
    number: int  # 1, 2, 3 … in the order written
    seq: int  # the chain's newest record when signed
    hash: str  # that record's hash
    records: int  # how many records the chain had (records are numbered from 1, so equal to seq)
    at: str  # when, ISO 8601 with its timezone
    key_id: str
    prev: str  # the digest of the checkpoint before (FIRST_PREV for the first)
    signature: str = ""

    def body(self) -> bytes:
        """What the signature covers: every field but the signature, in one canonical form."""
        fields = asdict(self)
        fields.pop("signature")
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def digest(self) -> str:
        return hashlib.sha256(self.body()).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def parse(cls, data: object) -> Checkpoint:
        """A checkpoint from a decoded JSON line; ValueError names what is wrong."""
        if not isinstance(data, dict) or set(data) != {f for f in cls.__dataclass_fields__}:
            raise ValueError("wrong fields")
        for name in ("number", "seq", "records"):
            if type(data[name]) is not int or not 0 < data[name] < 2**63:
                raise ValueError(f"{name} is not a positive whole number")
        for name in ("hash", "prev"):
            if not isinstance(data[name], str) or not _HEX64.fullmatch(data[name]):
                raise ValueError(f"{name} is not a SHA-256 digest")
        for name, longest in (("at", 40), ("key_id", 80), ("signature", 120)):
            if not isinstance(data[name], str) or not 0 < len(data[name]) <= longest:
                raise ValueError(f"{name} is missing or too long")
        datetime.fromisoformat(data["at"])
        if data["records"] != data["seq"]:
            raise ValueError("records and seq differ")
        return cls(**data)

    @classmethod
    def of_row(cls, row: AuditCheckpoint) -> Checkpoint:
        return cls(row.number, row.seq, row.hash, row.records, row.at.replace(tzinfo=UTC).isoformat(), row.key_id,
                   row.prev, row.signature)


@dataclass(frozen=True)
class Problem:
    """The first thing found wrong, in Chinese and English, with the record or checkpoint it concerns."""

    code: str
    zh: str
    en: str
    seq: int | None = None
    checkpoint: int | None = None


# ------------------------------------------------------------------ the file


def database_label(url: str) -> str:
    """The database a chain lives in, without credentials: one checkpoint file per database."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        name = parsed.database or ":memory:"
        return "sqlite:" + (name if name == ":memory:" else str(Path(name).resolve()))
    return f"{backend}://{parsed.host or ''}:{parsed.port or ''}/{parsed.database or ''}"


class CheckpointFile:
    """One database's checkpoints: appended, flushed to disk, never rewritten."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @classmethod
    def for_database(cls, directory: str | Path, database_url: str) -> CheckpointFile:
        digest = hashlib.sha256(database_label(database_url).encode()).hexdigest()[:16]
        return cls(Path(directory) / f"chain-{digest}.jsonl")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One writer at a time on this machine (the served app's timer, a batch, an operator)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, checkpoint: Checkpoint) -> None:
        line = json.dumps(checkpoint.as_dict(), sort_keys=True, separators=(",", ":")) + "\n"
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(line)
            out.flush()
            os.fsync(out.fileno())

    def read(self) -> tuple[list[Checkpoint], list[Problem]]:
        """Every checkpoint in the file, and a problem for each line that is not one."""
        try:
            content = self.path.read_bytes() if self.path.exists() else b""
        except OSError as exc:
            return [], [Problem("checkpoint.file_unreadable", "检查点文件无法读取（请检查文件是否存在及读取权限）",
                                f"the checkpoint file cannot be read ({exc.strerror})")]
        checkpoints, problems = [], []
        for number, line in enumerate(content.split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                checkpoints.append(Checkpoint.parse(json.loads(line.decode("utf-8"))))
            except (ValueError, RecursionError) as exc:  # JSON and UTF-8 errors are ValueErrors; "[[[[…" recurses
                problems.append(Problem("checkpoint.unreadable", f"检查点文件第 {number} 行不是有效的检查点",
                                        f"line {number} of the checkpoint file is not a checkpoint ({_short(exc)})"))
        return checkpoints, problems

    def newest(self) -> Checkpoint | None:
        """The last line, read from the end of the file; Conflict when it is not a checkpoint."""
        if not self.path.exists():
            return None
        try:
            with open(self.path, "rb") as source:
                source.seek(0, os.SEEK_END)
                source.seek(max(0, source.tell() - TAIL_BYTES))
                tail = source.read().rstrip(b"\n")
        except OSError as exc:
            raise Conflict("audit.checkpoint_file", "检查点文件无法读取（请检查文件是否存在及读取权限）",
                           f"the checkpoint file cannot be read ({exc.strerror})") from exc
        if not tail:
            return None
        try:
            return Checkpoint.parse(json.loads(tail.rsplit(b"\n", 1)[-1].decode("utf-8")))
        except (ValueError, RecursionError) as exc:
            raise Conflict("audit.checkpoint_unreadable", "检查点文件的最后一行无法读取，请先运行「shebao audit verify」",
                           "the checkpoint file's last line is not a checkpoint: run shebao audit verify first") from exc


def _short(exc: Exception) -> str:
    return str(exc)[:80]


# ------------------------------------------------------------------ the anchor


@dataclass
class Anchor:
    """Where one database's chain is anchored: its checkpoint file and the audit keys that sign it.

    `trusted` pins the public keys a checkpoint may be signed with (an auditor's own copy); by default
    they are the keyring's."""

    file: CheckpointFile
    keyring: AuditKeyring
    trusted: dict[str, str] | None = field(default=None)

    @classmethod
    def for_settings(cls, settings: Settings, database_url: str | None = None) -> Anchor:
        key_dir = Path(settings.audit_key_dir or Path(settings.key_dir) / "audit")
        checkpoint_dir = Path(settings.audit_checkpoint_dir or key_dir / "checkpoints")
        return cls(CheckpointFile.for_database(checkpoint_dir, database_url or settings.database_url),
                   AuditKeyring(key_dir, settings.key_passphrase))

    def public_keys(self) -> dict[str, str]:
        return self.trusted if self.trusted is not None else self.keyring.public_keys()


# ------------------------------------------------------------------ writing


def write_checkpoint(*, database: Database, anchor: Anchor, now: datetime) -> Checkpoint:
    """Signs the chain as it stands, after checking that it still extends the newest checkpoint;
    refuses (Conflict) to sign a chain that was cut or broken, so that no tampering is ever signed over."""
    with anchor.file.locked():
        newest = anchor.file.newest()
        if newest is not None and not signed_by_trusted(newest, anchor.public_keys()):
            raise Conflict("audit.checkpoint_forged", f"最新的检查点 {newest.number} 签名无效，请先运行「shebao audit verify」",
                           f"the newest checkpoint {newest.number} fails its signature: run shebao audit verify first")
        with database.unit_of_work() as uow:
            head_seq, head_hash = _checked_head(uow.session, newest)
        key_id, key = anchor.keyring.signer(now=now)
        unsigned = Checkpoint(number=newest.number + 1 if newest else 1, seq=head_seq, hash=head_hash, records=head_seq,
                              at=now.astimezone(UTC).isoformat(timespec="seconds"), key_id=key_id,
                              prev=newest.digest() if newest else FIRST_PREV)
        checkpoint = replace(unsigned, signature=sign(key, unsigned.body()))
        anchor.file.append(checkpoint)
    _mirror(database, checkpoint)
    return checkpoint


def checkpoint_if_grown(*, database: Database, anchor: Anchor, now: datetime) -> Checkpoint | None:
    """A checkpoint when the chain has records the newest checkpoint does not cover; None otherwise."""
    newest = anchor.file.newest()
    with database.unit_of_work() as uow:
        head_seq, _ = audit.head(uow.session)
    if head_seq == 0 or (newest is not None and newest.seq == head_seq):
        return None
    return write_checkpoint(database=database, anchor=anchor, now=now)


def _checked_head(session: Session, newest: Checkpoint | None) -> tuple[int, str]:
    """The head, once the records since the newest checkpoint (all of them, the first time) walk clean."""
    head_seq, head_hash = audit.head(session)
    if head_seq == 0:
        raise Conflict("audit.chain_empty", "审计链为空，无需检查点", "the audit chain is empty: there is nothing to sign")
    if newest is not None:
        if head_seq < newest.seq:
            raise Conflict("audit.chain_cut", f"审计链只有 {head_seq} 条，短于检查点 {newest.number} 的 {newest.seq} 条：不予签署",
                           f"the chain has {head_seq} records, fewer than checkpoint {newest.number}'s {newest.seq}: not signed")
        if audit.hashes_at(session, [newest.seq]).get(newest.seq) != newest.hash:
            raise Conflict("audit.chain_rewritten", f"第 {newest.seq} 条记录与检查点 {newest.number} 不符：不予签署",
                           f"record {newest.seq} differs from checkpoint {newest.number}: not signed")
    start = (newest.seq, newest.hash) if newest else (0, audit.GENESIS_HASH)
    report = audit.walk(session, after_seq=start[0], after_hash=start[1], upto=head_seq)
    if not report.ok or report.last_hash != head_hash:
        problem_zh = report.problem_zh or "链头与最后一条记录不符"
        problem_en = report.problem or "the head differs from the last record"
        raise Conflict("audit.chain_broken", f"审计链已损坏（{problem_zh}）：不予签署，请运行「shebao audit verify」",
                       f"the audit chain is broken ({problem_en}): not signed; run shebao audit verify")
    return head_seq, head_hash


def _mirror(database: Database, checkpoint: Checkpoint) -> None:
    """The database's copy; the file is already written, so a failure here is logged, not raised."""
    try:
        with database.transaction() as session:
            session.add(AuditCheckpoint(number=checkpoint.number, seq=checkpoint.seq, hash=checkpoint.hash,
                                        records=checkpoint.records, at=utc_naive(datetime.fromisoformat(checkpoint.at)),
                                        key_id=checkpoint.key_id, prev=checkpoint.prev, signature=checkpoint.signature))
    except SQLAlchemyError as exc:
        log.warning("audit checkpoint %s not copied to the database: %s", checkpoint.number, type(exc).__name__)


def signed_by_trusted(checkpoint: Checkpoint, public_keys: dict[str, str]) -> bool:
    public_key = public_keys.get(checkpoint.key_id)
    return public_key is not None and signature_valid(public_key, checkpoint.signature, checkpoint.body())
