"""Batch runs: what a set-based job over a province did, for progress bars, the API and the cockpit."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from shebao.core.clock import UtcDateTime, utc_naive
from shebao.core.db import Base, BigId, Database

Fen = BigInteger


class BatchRun(Base):
    """A set-based batch over a province (month-end, collection, interest): progress and totals."""

    __tablename__ = "batch_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    province: Mapped[str] = mapped_column(String(6))
    period: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(10))  # running | done | failed (stopped by an error; resumable)
    chunks_total: Mapped[int] = mapped_column(Integer, default=0)
    chunks_done: Mapped[int] = mapped_column(Integer, default=0)
    persons: Mapped[int] = mapped_column(Integer, default=0)
    bills: Mapped[int] = mapped_column(Integer, default=0)
    entries: Mapped[int] = mapped_column(Integer, default=0)
    total_fen: Mapped[int] = mapped_column(Fen, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[str] = mapped_column(Text, default="{}")

    __table_args__ = (Index("ix_batch_runs_kind_province_period", "kind", "province", "period"),)


class ProvisionalResult(Base):
    """A batch result computed with a parameter read past its stated validity and served provisionally (a base
    floor not yet published for the new contribution year): recorded so that, once the value is loaded, the
    result is corrected in one batch (services.provisional)."""

    __tablename__ = "provisional_results"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # month_end | interest
    province: Mapped[str] = mapped_column(String(6))
    period: Mapped[str] = mapped_column(String(6))  # the month billed, or December of the year credited
    paths: Mapped[str] = mapped_column(Text)  # JSON list of the parameters served provisionally
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    corrected_at: Mapped[datetime | None] = mapped_column(DateTime)
    corrected_by: Mapped[str | None] = mapped_column(String(60))  # "correction:12", "interest_recompute:2026"

    __table_args__ = (Index("ix_provisional_results_open", "province", "corrected_at"),)


def record_provisional(session, *, kind: str, province: str, period: str, paths: list[str],  # noqa: ANN001
                       now: datetime) -> None:
    """Remembers that a result used provisional values (nothing when it used none, or was recorded already)."""
    if not paths or session.scalar(select(ProvisionalResult.id).where(
            ProvisionalResult.kind == kind, ProvisionalResult.province == province, ProvisionalResult.period == period,
            ProvisionalResult.corrected_at.is_(None))) is not None:
        return
    session.add(ProvisionalResult(kind=kind, province=province, period=period, paths=json.dumps(sorted(paths)),
                                  recorded_at=utc_naive(now)))
    session.flush()


class BatchRunRead(BaseModel):
    id: int
    kind: str
    province: str
    period: str
    status: str
    chunks_done: int
    chunks_total: int
    persons: int
    bills: int
    entries: int
    total_fen: int
    started_at: UtcDateTime
    finished_at: UtcDateTime | None
    duration_ms: int | None
    detail: str = "{}"


def start_run(database: Database, kind: str, province: str, period: str, now: datetime) -> int:
    """A new run, for jobs that may rightly run many times in a period (awards of new applications)."""
    with database.transaction() as session:
        run = BatchRun(kind=kind, province=province, period=period, status="running", chunks_total=0, chunks_done=0,
                       persons=0, bills=0, entries=0, total_fen=0, started_at=utc_naive(now), detail="{}")
        session.add(run)
        session.flush()
        return run.id


def open_run(database: Database, kind: str, province: str, period: str, now: datetime) -> int | None:
    """The run to continue (an unfinished one), a new one, or None when the month is already done."""
    with database.transaction() as session:
        runs = session.scalars(select(BatchRun).where(BatchRun.kind == kind, BatchRun.province == province,
                                                      BatchRun.period == period).order_by(BatchRun.id.desc())).all()
        if any(r.status == "done" for r in runs):
            return None
        if runs:  # resumed: a run stopped by a failure runs again
            detail = json.loads(runs[0].detail or "{}")
            runs[0].status = "running"
            runs[0].detail = json.dumps({k: v for k, v in detail.items() if k not in ("error", "error_en")},
                                        ensure_ascii=False)
            return runs[0].id
        run = BatchRun(kind=kind, province=province, period=period, status="running", chunks_total=0, chunks_done=0,
                       persons=0, bills=0, entries=0, total_fen=0, started_at=utc_naive(now), detail="{}")
        session.add(run)
        session.flush()
        return run.id


def fail_run(database: Database, run_id: int, reason: str, reason_en: str) -> None:
    """A run stopped by an error: marked failed with the reason in words (its detail), to be run again (it resumes)."""
    with database.transaction() as session:
        run = session.get(BatchRun, run_id)
        if run is not None and run.status != "done":
            detail = json.loads(run.detail or "{}")
            run.status, run.detail = "failed", json.dumps(detail | {"error": reason, "error_en": reason_en},
                                                          ensure_ascii=False)


def finished_run(database: Database, kind: str, province: str, period: str) -> BatchRunRead:
    with database.unit_of_work() as uow:
        run = uow.session.scalars(select(BatchRun).where(BatchRun.kind == kind, BatchRun.province == province,
                                                         BatchRun.period == period, BatchRun.status == "done")).first()
        return BatchRunRead.model_validate(run, from_attributes=True)
