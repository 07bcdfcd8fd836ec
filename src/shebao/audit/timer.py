"""Checkpoints without an operator: the served app signs one when it starts and every few minutes after,
whenever the chain has grown. Records appended since the newest checkpoint are the window in which a
database owner could still cut or rewrite the chain unseen; the timer keeps that window short."""

from __future__ import annotations

import threading

import structlog

from shebao.audit.checkpoints import Anchor, Checkpoint, checkpoint_if_grown
from shebao.core.clock import Clock
from shebao.core.db import Database
from shebao.core.errors import DomainError

log = structlog.get_logger("shebao.audit")


class CheckpointTimer:
    """A daemon thread: one checkpoint at start, then one every `minutes` if the chain grew."""

    def __init__(self, *, database: Database, anchor: Anchor, clock: Clock, minutes: float) -> None:
        self.database, self.anchor, self.clock = database, anchor, clock
        self.interval = minutes * 60
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-checkpoints", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)  # a first checkpoint over a long chain may still be walking; it is a daemon

    def tick(self) -> Checkpoint | None:
        """One checkpoint if the chain grew. Never raises: a refusal (a broken chain is not signed) is logged loudly."""
        try:
            checkpoint = checkpoint_if_grown(database=self.database, anchor=self.anchor, now=self.clock.now())
        except DomainError as exc:
            log.error("audit.checkpoint_refused", code=exc.code, reason=exc.reason, reason_en=exc.reason_en)
            return None
        except Exception:  # noqa: BLE001 - the database may be down for a while; the timer must outlive it
            log.exception("audit.checkpoint_failed")
            return None
        if checkpoint is not None:  # a log collector off the machine then holds a third copy of the anchor
            log.info("audit.checkpoint", number=checkpoint.number, seq=checkpoint.seq, hash=checkpoint.hash,
                     key_id=checkpoint.key_id)
        return checkpoint

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.tick()
            self._stopping.wait(self.interval)
