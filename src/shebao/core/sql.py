"""SQL helpers that batches share across SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, Table, cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

RATE_DENOMINATOR = 1_000_000  # every rate in the parameters is exact in millionths


def insert_ignoring_duplicates(session: Session, table: Table):  # noqa: ANN201 - a dialect Insert
    """INSERT ... ON CONFLICT DO NOTHING in the session's dialect: a rerun adds only what is missing."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def rate_numerator(rate: Decimal) -> int:
    """A rate as whole millionths, refusing one that is not exact at that precision."""
    scaled = rate * RATE_DENOMINATOR
    if scaled != scaled.to_integral_value():
        raise ValueError(f"rate {rate} is finer than a millionth")
    return int(scaled)


def half_up(amount: ColumnElement, numerator: int | ColumnElement) -> ColumnElement:
    """amount x numerator / 1,000,000 rounded half up, in integer SQL (amounts are never negative here)."""
    # The cast keeps // an integer division on PostgreSQL even when the amount is a numeric sum.
    return cast(amount * numerator * 2 + RATE_DENOMINATOR, BigInteger) // (2 * RATE_DENOMINATOR)
