"""The append-only, hash-chained audit log.

Every write and every staff view of personal data appends a record carrying the hash of the
previous one. A single head row (locked FOR UPDATE on PostgreSQL, by BEGIN IMMEDIATE on SQLite)
serialises appends, so the chain never forks; it also lets verify notice a deleted tail.
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
    ok: bool
    records: int
    first_broken_seq: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "records": self.records, "first_broken_seq": self.first_broken_seq, "problem": self.problem}


def verify(session: Session, *, batch_size: int = 5000) -> ChainReport:
    """Walk the chain from the start; name the first record that was altered, removed or inserted."""
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    last_seq = 0
    while True:
        rows = session.execute(
            select(AuditRecord).where(AuditRecord.seq > last_seq).order_by(AuditRecord.seq).limit(batch_size)
        ).scalars().all()
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq:
                return ChainReport(False, count, expected_seq, f"record {expected_seq} is missing (next is {row.seq})")
            if row.prev_hash != expected_prev:
                return ChainReport(False, count, row.seq, "previous-hash link broken")
            digest = record_hash(seq=row.seq, at=utc_naive(row.at), actor=row.actor, action=row.action,
                                 subject=row.subject, detail=row.detail, prev_hash=row.prev_hash)
            if digest != row.hash:
                return ChainReport(False, count, row.seq, "record content does not match its hash")
            expected_prev, expected_seq, count = row.hash, expected_seq + 1, count + 1
            last_seq = row.seq
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != count or head.hash != expected_prev):
        return ChainReport(False, count, count + 1, f"chain ends at {count} but the head says {head.seq}: records removed")
    return ChainReport(True, count)


def recent(session: Session, *, limit: int = 50, before_seq: int | None = None) -> list[AuditRecord]:
    """The newest records, newest first, optionally before a sequence number (for paging back)."""
    query = select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit)
    if before_seq is not None:
        query = query.where(AuditRecord.seq < before_seq)
    return list(session.scalars(query))
