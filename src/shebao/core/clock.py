"""The clock is passed in: rules never read the time themselves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Protocol

from pydantic import AfterValidator

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


def as_utc(at: datetime) -> datetime:
    """An instant read back from the database (naive UTC) made explicit, so it is written with its zone."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def iso_utc(at: datetime | None) -> str | None:
    """An instant as ISO 8601 with its timezone (what an API answer carries), or None."""
    return as_utc(at).isoformat() if at is not None else None


# A timestamp in an API answer: stored naive in UTC, answered with its zone ("…+00:00"/"…Z").
UtcDateTime = Annotated[datetime, AfterValidator(as_utc)]
