"""Batch runs: what a set-based job over a province did, for progress bars, the API and the cockpit."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shebao.core.db import Base, BigId

Fen = BigInteger


class BatchRun(Base):
    """A set-based batch over a province (month-end, collection, interest): progress and totals."""

    __tablename__ = "batch_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    province: Mapped[str] = mapped_column(String(6))
    period: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(10))  # running | done
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
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
