"""Participation in each insurance, and every event in its life."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from shebao.core.db import Base
from shebao.registry.models import BigId


class Participation(Base):
    __tablename__ = "participations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"))
    scheme: Mapped[str] = mapped_column(String(20))
    exclusion_group: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(10))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(9), ForeignKey("regions.code"))
    province: Mapped[str] = mapped_column(String(6))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_participations_person_group", "person_id", "exclusion_group"),
        Index("ix_participations_province_status", "province", "status"),
    )


class ParticipationEvent(Base):
    __tablename__ = "participation_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    participation_id: Mapped[int] = mapped_column(BigId, ForeignKey("participations.id"), index=True)
    event: Mapped[str] = mapped_column(String(10))  # started | suspended | resumed | ended
    on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
