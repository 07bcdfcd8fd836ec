"""The clock is passed in: rules never read the time themselves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests and replays: it reads what it was told, and moves when told."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


def china_today(now: datetime) -> date:
    """The calendar date in China for an instant (business days are Beijing time)."""
    return now.astimezone(CHINA_TZ).date()


def utc_naive(at: datetime) -> datetime:
    """Instants are stored as naive UTC, so both databases hand back exactly what was written."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at
