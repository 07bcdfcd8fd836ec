"""The append-only, hash-chained audit log.

Every write and every staff view of personal data appends a record carrying the hash of the
previous one. A single head row (locked FOR UPDATE on PostgreSQL, by BEGIN IMMEDIATE on SQLite)
serialises appends, so the chain never forks; it also lets verify notice a deleted tail.

The chain alone cannot stop someone who owns the database from rewriting it whole (drop the trigger,
recompute every later hash, move the head). Signed checkpoints kept outside the database
(shebao.audit.checkpoints) anchor it; `audit_checkpoints` below is only their mirror.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shebao.core.clock import utc_naive
from shebao.core.db import Base

GENESIS_HASH = "0" * 64


class AuditRecord(Base):
    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80), index=True)
    subject: Mapped[str] = mapped_column(String(120), index=True)
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A copy of a signed checkpoint of the chain. The original is a line in the checkpoint file outside the
    database; this copy means that erasing the anchor takes both the file and the database."""

    __tablename__ = "audit_checkpoints"

    number: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    records: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime)
    key_id: Mapped[str] = mapped_column(String(80))
    prev: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(120))


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def record_hash(*, seq: int, at: datetime, actor: str, action: str, subject: str, detail: str, prev_hash: str) -> str:
    payload = _canonical(
        {"seq": seq, "at": at.isoformat(), "actor": actor, "action": action, "subject": subject, "detail": detail, "prev": prev_hash}
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def append(session: Session, *, actor: str, action: str, subject: str, now: datetime, **detail: Any) -> AuditRecord:
    """Append one record to the chain, inside the caller's transaction."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    at = utc_naive(now)
    detail_text = _canonical(detail)
    seq = head.seq + 1
    digest = record_hash(seq=seq, at=at, actor=actor, action=action, subject=subject, detail=detail_text, prev_hash=head.hash)
    record = AuditRecord(seq=seq, at=at, actor=actor, action=action, subject=subject, detail=detail_text, prev_hash=head.hash, hash=digest)
    session.add(record)
    head.seq, head.hash = seq, digest
    session.flush()
    return record


@dataclass(frozen=True)
class ChainReport:
    """What a walk of the chain found: the records that hold, and the first that does not (in both languages)."""

    ok: bool
    records: int
    first_broken_seq: int | None = None
    problem: str | None = None  # English
    problem_zh: str | None = None
    code: str | None = None
    last_hash: str = GENESIS_HASH  # the hash of the last record that held

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "records": self.records, "first_broken_seq": self.first_broken_seq,
                "problem": self.problem, "problem_zh": self.problem_zh, "code": self.code}


def _broken(count: int, seq: int, code: str, zh: str, en: str, last_hash: str) -> ChainReport:
    return ChainReport(False, count, seq, en, zh, code, last_hash)


def walk(session: Session, *, after_seq: int = 0, after_hash: str = GENESIS_HASH, upto: int | None = None,
         batch_size: int = 5000) -> ChainReport:
    """Walk the chain from the record after `after_seq` (whose hash is `after_hash`) up to `upto` or the end;
    name the first record that was altered, removed or inserted. `records` counts from the start of the chain."""
    expected_prev, expected_seq, last_seq = after_hash, after_seq + 1, after_seq
    while upto is None or last_seq < upto:
        query = select(AuditRecord).where(AuditRecord.seq > last_seq).order_by(AuditRecord.seq).limit(batch_size)
        rows = session.execute(query if upto is None else query.where(AuditRecord.seq <= upto)).scalars().all()
        if not rows:
            break
        for row in rows:
            count = expected_seq - 1
            if row.seq != expected_seq:
                return _broken(count, expected_seq, "audit.record_missing",
                               f"第 {expected_seq} 条记录缺失（其后是第 {row.seq} 条）",
                               f"record {expected_seq} is missing (next is {row.seq})", expected_prev)
            if row.prev_hash != expected_prev:
                return _broken(count, row.seq, "audit.link_broken", f"第 {row.seq} 条记录与上一条的哈希链接断开",
                               "previous-hash link broken", expected_prev)
            digest = record_hash(seq=row.seq, at=utc_naive(row.at), actor=row.actor, action=row.action,
                                 subject=row.subject, detail=row.detail, prev_hash=row.prev_hash)
            if digest != row.hash:
                return _broken(count, row.seq, "audit.record_altered", f"第 {row.seq} 条记录的内容与其哈希不符",
                               "record content does not match its hash", expected_prev)
            expected_prev, expected_seq, last_seq = row.hash, expected_seq + 1, row.seq
        session.expunge_all()
    count = expected_seq - 1
    if upto is not None and count < upto:
        return _broken(count, count + 1, "audit.record_missing", f"第 {count + 1} 条记录缺失",
                       f"record {count + 1} is missing", expected_prev)
    return ChainReport(True, count, last_hash=expected_prev)


def verify(session: Session, *, batch_size: int = 5000) -> ChainReport:
    """Walk the whole chain from the start, then hold its end against the head (a deleted tail)."""
    report = walk(session, batch_size=batch_size)
    if not report.ok:
        return report
    head = session.get(AuditHead, 1)
    if head is None or (head.seq == report.records and head.hash == report.last_hash):
        return report
    count = report.records
    if head.seq > count:
        zh, en = (f"链止于第 {count} 条，链头却记为第 {head.seq} 条：末尾记录被删除",
                  f"chain ends at {count} but the head says {head.seq}: records removed")
    elif head.seq < count:
        zh, en = (f"链有 {count} 条记录，链头却记为第 {head.seq} 条：记录绕过链头被加入",
                  f"chain ends at {count} but the head says {head.seq}: records added around the head")
    else:
        zh, en = (f"链头的哈希与第 {count} 条记录不符", f"the head's hash differs from record {count}'s")
    return _broken(count, min(count, head.seq) + 1, "audit.head_mismatch", zh, en, report.last_hash)


def head(session: Session) -> tuple[int, str]:
    """The chain's head as the database states it: the newest sequence number and its hash."""
    row = session.get(AuditHead, 1)
    return (row.seq, row.hash) if row is not None else (0, GENESIS_HASH)


def hashes_at(session: Session, seqs: list[int], *, batch_size: int = 1000) -> dict[int, str]:
    """The stored hash of each of these records (absent ones are left out), in batches."""
    found: dict[int, str] = {}
    ordered = sorted(set(seqs))
    for start in range(0, len(ordered), batch_size):
        chunk = ordered[start:start + batch_size]
        found.update((seq, digest) for seq, digest in session.execute(
            select(AuditRecord.seq, AuditRecord.hash).where(AuditRecord.seq.in_(chunk))))
    return found


def recent(session: Session, *, limit: int = 50, before_seq: int | None = None) -> list[AuditRecord]:
    """The newest records, newest first, optionally before a sequence number (for paging back)."""
    query = select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit)
    if before_seq is not None:
        query = query.where(AuditRecord.seq < before_seq)
    return list(session.scalars(query))
