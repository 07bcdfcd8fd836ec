"""SQL helpers that batches share across SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

# Pure arithmetic lives in core.arithmetic (the rules use it without SQL); batches still import it from here.
from shebao.core.arithmetic import RATE_DENOMINATOR, rate_numerator  # noqa: F401


def insert_ignoring_duplicates(session: Session, table: Table):  # noqa: ANN201 - a dialect Insert
    """INSERT ... ON CONFLICT DO NOTHING in the session's dialect: a rerun adds only what is missing."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()
