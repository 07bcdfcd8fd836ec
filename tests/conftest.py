"""Test fixtures: real databases (SQLite always, PostgreSQL when SHEBAO_TEST_POSTGRES_URL is set).

Tests that take the `database` fixture run once per backend. Each test starts from a migrated
schema with the division codes loaded: a fresh copy of a template file on SQLite, truncated tables
on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

import shebao.models  # noqa: F401 - every context's tables, for MUTABLE_TABLES
from shebao.app import create_app
from shebao.core.clock import FixedClock
from shebao.core.db import Base, Database
from shebao.core.migrate import upgrade
from shebao.core.security import FieldCipher
from shebao.registry.service import load_divisions
from shebao.settings import Settings, get_settings

POSTGRES_URL = os.environ.get("SHEBAO_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
TEST_SECRET = "test-secret-for-the-suite"
# 2025-03-01 18:00 in Beijing: after the 2025 retirement reform, inside the 2024-07 base year.
TEST_NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
# Every table a test may write: all of the schema but the division codes (reloaded below) and Alembic's own.
MUTABLE_TABLES = ", ".join(sorted(t.name for t in Base.metadata.sorted_tables if t.name not in {"regions", "audit_head"}))


@pytest.fixture(autouse=True)
def _settings_read_afresh() -> Iterator[None]:
    """Settings read again in every test: a test that reads them (a command's key) must not leave its environment's
    database to the next test's commands through get_settings' cache."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def _cheaper_argon2():
    """Argon2 with light parameters: the suite logs in hundreds of times; production keeps the defaults."""
    from argon2 import PasswordHasher

    from shebao.core import security

    production = security._password_hasher
    security._password_hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    yield
    security._password_hasher = production


def _prepare(url: str) -> None:
    upgrade(url)
    database = Database(url)
    with database.transaction() as session:
        load_divisions(session=session)
    database.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _prepare(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> str:
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    _prepare(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "shebao.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url = request.getfixturevalue("postgres_ready")
    _reset_postgres(url)
    return url


def _reset_postgres(url: str) -> None:
    """Back to a migrated schema with the division codes, whatever the previous test did to it."""
    database = Database(url)
    with database.transaction() as session:
        session.execute(text(f"TRUNCATE {MUTABLE_TABLES} RESTART IDENTITY CASCADE"))
        session.execute(text("DELETE FROM regions WHERE level = 4"))
        session.execute(text("UPDATE audit_head SET seq = 0, hash = :genesis"), {"genesis": "0" * 64})
        # Tests of tampering drop the append-only trigger, as an attacker with owner rights would.
        session.execute(text("CREATE OR REPLACE TRIGGER audit_records_no_change BEFORE UPDATE OR DELETE ON audit_records "
                             "FOR EACH ROW EXECUTE FUNCTION audit_records_append_only()"))
        load_divisions(session=session)
    database.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TEST_NOW)


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher(TEST_SECRET)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=database_url, secret_key=TEST_SECRET, log_json=True,
                    log_level="WARNING", max_request_bytes=64 * 1024, key_dir=str(tmp_path / "keys"),
                    key_passphrase="test-key-passphrase")


@pytest.fixture
def client(settings: Settings, database: Database, clock: FixedClock) -> Iterator[TestClient]:
    app = create_app(settings, database=database, clock=clock)
    with TestClient(app) as test_client:
        yield test_client
