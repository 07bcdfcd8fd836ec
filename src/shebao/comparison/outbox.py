"""The outbox: every message that leaves the platform — a partner's callback (dci), an SMS, an app notice, a letter —
is first a row written in the transaction of the use case that decided to send it, and is delivered afterwards by
`deliver_due`, with every attempt recorded, retried with exponential backoff and given up as dead after the last
attempt. Nothing is sent fire-and-forget from inside a use case.

Delivery is at least once: a message is claimed for a lease, sent outside any transaction, and its result recorded;
a process that dies between sending and recording sends it again when the lease ends. Receivers deduplicate on the
idempotency key (a DCI message keeps its message_id across attempts).

    enqueue(session=…, channel="sms", recipient=…, subject_kind="case", subject_id=7, body_zh=…, body_en=…,
            idempotency_key="reminder:case:7:2025-03", now=…)         # the same key again: the same message
    deliver_due(database=…, senders={"sms": FileSender(dir)}, now=…)  # {"claimed": 1, "sent": 1, …}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.comparison.models import OutboxDelivery, OutboxMessage
from shebao.comparison.schemas import OutboxMessageRead
from shebao.core.clock import utc_naive
from shebao.core.db import Database, is_postgres
from shebao.core.errors import InvalidInput
from shebao.settings import Settings, get_settings

CHANNELS = {"dci": ("部门间交换消息", "exchange message"), "sms": ("短信", "SMS"), "app": ("应用内通知", "app notice"),
            "letter": ("信函", "letter")}
STATUSES = {"pending": ("待发送", "pending"), "sent": ("已发送", "sent"), "failed": ("发送失败，待重试", "failed, to retry"),
            "dead": ("已放弃", "given up")}
DUE = ("pending", "failed")
MAX_ERROR = 500


@dataclass(frozen=True)
class Outgoing:
    """What a sender is handed: a snapshot of the message (no database row), and which attempt this is."""

    id: int
    channel: str
    recipient: str
    subject_kind: str
    subject_id: int | None
    body_zh: str
    body_en: str
    payload: dict | None
    idempotency_key: str
    attempt: int


@dataclass(frozen=True)
class Delivered:
    """What came of one attempt. `permanent`: no later attempt can succeed (the message is given up at once)."""

    ok: bool
    detail: str = ""
    permanent: bool = False


class Sender(Protocol):
    def send(self, message: Outgoing) -> Delivered: ...


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff: timedelta
    cap: timedelta
    lease: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(max_attempts=settings.outbox_max_attempts, backoff=timedelta(seconds=settings.outbox_backoff_seconds),
                   cap=timedelta(seconds=settings.outbox_backoff_max_seconds),
                   lease=timedelta(seconds=settings.outbox_lease_seconds))

    def next_attempt(self, attempts: int, now: datetime) -> datetime:
        """After `attempts` failed attempts: backoff × 2^(attempts − 1), at most the cap."""
        return now + min(self.cap, self.backoff * 2 ** max(attempts - 1, 0))


# ------------------------------------------------------------------ writing


def enqueue(*, session: Session, channel: str, recipient: str, subject_kind: str, subject_id: int | None, body_zh: str,
            body_en: str, payload: dict | None = None, idempotency_key: str, now: datetime) -> OutboxMessage:
    """Adds a message to the outbox in the caller's transaction; a key enqueued before answers that message."""
    _check(channel, recipient, subject_kind, idempotency_key)
    existing = _by_key(session, idempotency_key)
    if existing is not None:
        return existing
    stamp = utc_naive(now)
    message = OutboxMessage(channel=channel, recipient=recipient, subject_kind=subject_kind, subject_id=subject_id,
                            body_zh=body_zh, body_en=body_en, payload=payload, idempotency_key=idempotency_key,
                            status="pending", attempts=0, next_attempt_at=stamp, created_at=stamp)
    try:
        with session.begin_nested():  # the same key enqueued at the same moment by another transaction
            session.add(message)
    except IntegrityError:
        return _by_key(session, idempotency_key)
    return message


def enqueue_many(*, session: Session, messages: list[dict], now: datetime, chunk: int = 5_000) -> int:
    """Adds many messages at once (a batch's reminders), set-based: each a dict of enqueue's fields. Keys already in
    the outbox are skipped, as enqueue answers them; returns how many were added."""
    stamp = utc_naive(now)
    keys = [m["idempotency_key"] for m in messages]
    known: set[str] = set()
    for start in range(0, len(keys), chunk):
        known |= set(session.scalars(select(OutboxMessage.idempotency_key)
                                     .where(OutboxMessage.idempotency_key.in_(keys[start:start + chunk]))))
    fresh = []
    for message in messages:
        _check(message["channel"], message["recipient"], message["subject_kind"], message["idempotency_key"])
        if message["idempotency_key"] not in known:
            known.add(message["idempotency_key"])
            fresh.append({"payload": None, **message, "status": "pending", "attempts": 0, "next_attempt_at": stamp,
                          "created_at": stamp})
    for start in range(0, len(fresh), chunk):
        session.execute(insert(OutboxMessage), fresh[start:start + chunk])
    return len(fresh)


def _check(channel: str, recipient: str, subject_kind: str, idempotency_key: str) -> None:
    if channel not in CHANNELS:
        raise InvalidInput("outbox.channel", f"发送渠道应为：{'、'.join(zh for zh, _ in CHANNELS.values())}",
                           f"the channel is one of {', '.join(CHANNELS)}")
    if not (0 < len(recipient) <= 200 and 0 < len(subject_kind) <= 30 and 0 < len(idempotency_key) <= 200):
        raise InvalidInput("outbox.fields", "收件人、事项类别和幂等键不能为空，且不超过长度上限",
                           "the recipient, subject kind and idempotency key are required and within their lengths")


def _by_key(session: Session, key: str) -> OutboxMessage | None:
    return session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))


# ------------------------------------------------------------------ delivering


def deliver_due(*, database: Database, senders: Mapping[str, Sender], now: datetime, limit: int = 100,
                retry: RetryPolicy | None = None) -> dict:
    """Delivers up to `limit` messages that are due, on the channels a sender is given for; each attempt recorded."""
    retry = retry or RetryPolicy.from_settings(get_settings())
    claimed = _claim(database, set(senders), now, limit, retry.lease)
    summary = {"claimed": len(claimed), "sent": 0, "failed": 0, "dead": 0}
    for outgoing in claimed:
        result = _attempt(senders[outgoing.channel], outgoing)
        summary[_record(database, outgoing, result, now, retry)] += 1
    return summary


def _claim(database: Database, channels: set[str], now: datetime, limit: int, lease: timedelta) -> list[Outgoing]:
    """The due messages, each leased so no other deliverer takes it meanwhile (PostgreSQL skips rows another holds)."""
    stamp = utc_naive(now)
    with database.transaction() as session:
        query = (select(OutboxMessage).where(OutboxMessage.status.in_(DUE), OutboxMessage.next_attempt_at <= stamp,
                                             OutboxMessage.channel.in_(sorted(channels)))
                 .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(max(1, min(limit, 10_000))))
        if is_postgres(session):
            query = query.with_for_update(skip_locked=True)
        rows = session.scalars(query).all()
        for row in rows:
            row.next_attempt_at = stamp + lease
        return [Outgoing(id=r.id, channel=r.channel, recipient=r.recipient, subject_kind=r.subject_kind,
                         subject_id=r.subject_id, body_zh=r.body_zh, body_en=r.body_en, payload=r.payload,
                         idempotency_key=r.idempotency_key, attempt=r.attempts + 1) for r in rows]


def _attempt(sender: Sender, outgoing: Outgoing) -> Delivered:
    try:
        return sender.send(outgoing)
    except Exception as exc:  # noqa: BLE001 - whatever a sender raises is this attempt's failure, never the loop's
        return Delivered(ok=False, detail=f"{type(exc).__name__}: {exc}")


def _record(database: Database, outgoing: Outgoing, result: Delivered, now: datetime, retry: RetryPolicy) -> str:
    """Records the attempt and moves the message on: sent, failed (retried later) or dead. Returns which."""
    stamp = utc_naive(now)
    with database.transaction() as session:
        message = session.get(OutboxMessage, outgoing.id)
        message.attempts = outgoing.attempt
        if result.ok:
            message.status, message.sent_at, message.last_error = "sent", stamp, None
        elif result.permanent or message.attempts >= retry.max_attempts:
            message.status, message.last_error = "dead", result.detail[:MAX_ERROR]
        else:
            message.status, message.last_error = "failed", result.detail[:MAX_ERROR]
            message.next_attempt_at = utc_naive(retry.next_attempt(message.attempts, now))
        session.add(OutboxDelivery(message_id=message.id, attempt=message.attempts, attempted_at=stamp,
                                   result=message.status, detail=(result.detail or message.status)[:MAX_ERROR]))
        return message.status


# ------------------------------------------------------------------ reading


def list_messages(*, session: Session, status: str | None = None, limit: int = 100) -> list[OutboxMessageRead]:
    if status is not None and status not in STATUSES:
        raise InvalidInput("outbox.status", f"状态应为：{'、'.join(zh for zh, _ in STATUSES.values())}",
                           f"the status is one of {', '.join(STATUSES)}")
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(max(1, min(limit, 1_000)))
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return [OutboxMessageRead.model_validate(row, from_attributes=True) for row in session.scalars(query)]


def messages_to_person(*, session: Session, person_id: int, limit: int = 50) -> list[OutboxMessageRead]:
    """The messages queued or sent to one person (an SMS or a letter addressed `person:<id>`), newest first: what
    the person reads as "the reminders sent to me"."""
    query = (select(OutboxMessage).where(OutboxMessage.recipient == f"person:{int(person_id)}")
             .order_by(OutboxMessage.id.desc()).limit(max(1, min(limit, 200))))
    return [OutboxMessageRead.model_validate(row, from_attributes=True) for row in session.scalars(query)]


def deliveries_of(*, session: Session, message_id: int) -> list[OutboxDelivery]:
    return list(session.scalars(select(OutboxDelivery).where(OutboxDelivery.message_id == message_id)
                                .order_by(OutboxDelivery.attempt)))


# ------------------------------------------------------------------ a sender for development and tests


class FileSender:
    """Writes each message as a JSON line to <directory>/<channel>.jsonl instead of sending it (development, demos)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def send(self, message: Outgoing) -> Delivered:
        self.directory.mkdir(parents=True, exist_ok=True)
        line = {"id": message.id, "attempt": message.attempt, "recipient": message.recipient,
                "subject": f"{message.subject_kind}:{message.subject_id}", "body_zh": message.body_zh,
                "body_en": message.body_en, "idempotency_key": message.idempotency_key}
        with (self.directory / f"{message.channel}.jsonl").open("a", encoding="utf-8") as file:
            file.write(json.dumps(line, ensure_ascii=False) + "\n")
        return Delivered(ok=True, detail=f"written to {message.channel}.jsonl")
