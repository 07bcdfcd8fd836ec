"""Health: the process answers and the database takes a query."""

from __future__ import annotations

from sqlalchemy import text

from shebao import __version__
from shebao.core.db import Database


def check(database: Database) -> dict:
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        status, db = "ok", {"reachable": True, "dialect": database.engine.dialect.name, "schema_revision": revision}
    except Exception as exc:  # a health check reports, it does not raise
        status, db = "degraded", {"reachable": False, "error": type(exc).__name__}
    return {"status": status, "version": __version__, "database": db}
