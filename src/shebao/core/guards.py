"""Check points for the in-process risk rules (issue #15): a use case asks here, at its start and before it writes,
whether any rule blocks it; the risk context registers its rules' checkers at the points when it is imported.

The contexts that run the guarded use cases (benefits, transfers, the payroll…) lie below `risk` in the layers and
cannot import it: they name a check point and what they act on, and risk answers. `shebao.app` and `shebao.cli`
import `shebao.risk.guards`, which registers every checker and the recorder, so that no entry point forgets them;
a check made before that is refused loudly (`GuardsNotInstalled`), never passed silently.

A block raises `RiskBlocked` (HTTP 409: the request is well formed and the role may make it, but the records as they
stand forbid it — asked again unchanged it is refused again). The attempt is recorded first, in its own short
transaction: the blocked use case's transaction is rolled back (the guard runs before it writes, so nothing of it
is lost; on SQLite its BEGIN IMMEDIATE holds the write lock the record needs), then the recorder writes the
attempt and its audit record and commits, and only then is the refusal raised — so the record survives whatever
the caller does with its own transaction.

A batch (the payroll) is not stopped by a rule: the line is held and the attempt is recorded inside the batch's
own transaction, set-based (`record_held`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from shebao.core.errors import Conflict
from shebao.core.security import Principal


class Point(StrEnum):
    """Where a use case asks the in-process rules."""

    PENSION_AWARD = "pension.award"  # benefits.service.apply_for_retirement
    TRANSFER_APPLY = "transfer.apply"  # transfers.service.apply
    UNEMPLOYMENT_CLAIM = "unemployment.claim"  # benefits.claims.apply_unemployment
    PAYROLL_HOLD = "payroll.hold"  # benefits.payroll.pay: the lines a rule holds (set-based, the batch goes on)
    STAFF_WRITE = "staff.write"  # services.authorization: any staff write on a subject that belongs to a person


@dataclass(frozen=True)
class Subject:
    """What the use case acts on, as stored: the person, their region, and what the checker needs besides."""

    kind: str  # person | transfer | …
    id: int
    person_id: int | None = None
    region_code: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class Block:
    """A rule's refusal: its id, why in Chinese and English, and the facts it rests on."""

    rule_id: str
    reason_zh: str
    reason_en: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Attempt:
    """A blocked attempt to record: the block, the point, who, on what."""

    block: Block
    point: Point
    use_case: str
    actor: str
    subject: Subject
    now: datetime


class RiskBlocked(Conflict):
    """An in-process risk rule refused the use case; the attempt is recorded (`details.attempt_id`)."""

    def __init__(self, block: Block, attempt_id: int | None) -> None:
        super().__init__("risk.blocked", block.reason_zh, block.reason_en, rule_id=block.rule_id,
                         attempt_id=attempt_id, **{k: v for k, v in block.details.items() if k not in ("rule_id", "attempt_id")})
        self.block = block
        self.attempt_id = attempt_id


class GuardsNotInstalled(RuntimeError):
    """A guarded use case ran before `shebao.risk.guards` registered the rules: an entry point forgot to import it."""


Checker = Callable[[Session, Principal, Subject], Block | None]
Recorder = Callable[[Session, Attempt], int]
# Given the session and a SELECT of the lines about to be held (columns: line_id, person_id, region_code,
# hold_reason, previous_reason) writes the attempts the rules own; returns how many.
HeldRecorder = Callable[[Session, Select, str, datetime], int]

_checkers: dict[Point, list[tuple[str, Checker]]] = {}
_held_recorders: list[tuple[tuple[str, ...], HeldRecorder]] = []
_recorder: Recorder | None = None


def register(point: Point, rule_id: str, checker: Checker) -> None:
    """Adds a rule's checker at a point (once: registering the same rule at the same point again replaces it)."""
    entries = _checkers.setdefault(point, [])
    entries[:] = [(rid, c) for rid, c in entries if rid != rule_id] + [(rule_id, checker)]


def register_held(rule_ids: tuple[str, ...], recorder: HeldRecorder) -> None:
    _held_recorders[:] = [(ids, r) for ids, r in _held_recorders if ids != rule_ids] + [(rule_ids, recorder)]


def install_recorder(recorder: Recorder) -> None:
    global _recorder  # noqa: PLW0603 - the one recorder, set once at import of shebao.risk.guards
    _recorder = recorder


def registered() -> dict[str, tuple[str, ...]]:
    """Each point's rules, in the order they are asked; the payroll's holds under `payroll.hold`."""
    points = {str(point): tuple(rid for rid, _ in entries) for point, entries in _checkers.items()}
    held = tuple(rid for ids, _ in _held_recorders for rid in ids)
    if held:
        points[str(Point.PAYROLL_HOLD)] = held
    return points


def _require_installed() -> Recorder:
    if _recorder is None:
        raise GuardsNotInstalled("the in-process risk rules are not registered: import shebao.risk.guards at start-up")
    return _recorder


def check(point: Point, *, session: Session, actor: Principal, subject: Subject, now: datetime, use_case: str) -> None:
    """Asks every rule registered at the point, in order; the first that blocks is recorded apart and raised."""
    recorder = _require_installed()
    for _rule_id, checker in _checkers.get(point, ()):
        block = checker(session, actor, subject)
        if block is not None:
            attempt = Attempt(block=block, point=point, use_case=use_case, actor=actor.actor, subject=subject, now=now)
            raise RiskBlocked(block, _record_apart(session, recorder, attempt))


def _record_apart(session: Session, recorder: Recorder, attempt: Attempt) -> int:
    """Ends the blocked use case's transaction (it wrote nothing: the guard runs first) and records the attempt in a
    transaction of its own on the same database."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    session.rollback()
    with Session(bind=engine, expire_on_commit=False) as own:
        attempt_id = recorder(own, attempt)
        own.commit()
    return attempt_id


def record_held(*, session: Session, lines: Select, actor: str, now: datetime) -> int:
    """A batch's lines about to be held: the rules that own a hold reason record the attempt, in the batch's
    transaction (the batch goes on; the line stays owed)."""
    _require_installed()
    return sum(recorder(session, lines, actor, now) for _ids, recorder in _held_recorders)
