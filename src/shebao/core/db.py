"""Engine, declarative base and the unit of work (one transaction per use case)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import BigInteger, Integer, MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# 64-bit keys on PostgreSQL (a country's people); SQLite's rowid is already 64-bit.
BigId = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        _ensure_sqlite_folder(url)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI types
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection) -> None:  # noqa: ANN001
    """Take SQLite's write lock at BEGIN, so that two use cases never both read the audit
    chain's head and then race to extend it (a deferred transaction would fail on upgrade)."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


class UnitOfWork:
    """A transaction that rolls back unless the use case commits it.

    >>> with UnitOfWork(factory) as uow:
    ...     register_person(session=uow.session, ...)
    ...     uow.commit()
    """

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory
        self.session: Session

    def __enter__(self) -> "UnitOfWork":
        self.session = self._session_factory()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()


class Database:
    """The engine and session factory for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Shorthand for a unit of work that commits when the block ends without error."""
        with self.unit_of_work() as uow:
            yield uow.session
            uow.commit()

    @contextmanager
    def batch_transaction(self) -> Iterator[Session]:
        """A transaction for one chunk of a set-based batch (an INSERT … SELECT over tens of thousands of rows):
        like `transaction()`, planned for bulk work on PostgreSQL (see `plan_for_bulk_work`)."""
        with self.transaction() as session:
            plan_for_bulk_work(session)
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def plan_for_bulk_work(session: Session) -> None:
    """On PostgreSQL, no JIT compilation for the rest of the transaction. A chunk's statements are costed far above
    `jit_above_cost`, so PostgreSQL compiles each of them with LLVM — 0.7–1 s per statement, measured, for
    statements that then run 1–3 s (a 50,000-award chunk spent 0.68 s compiling and 0.54 s reading records) — and
    recompiles them for every chunk. SQLite has nothing of the kind."""
    if is_postgres(session):
        session.execute(text("SET LOCAL jit = off"))


def analyze(database: Database, *tables: str) -> None:
    """Refreshes PostgreSQL's statistics on tables a batch has just filled, for the statements that read them next
    (its own later phases, the next batch). Without them PostgreSQL plans as if the table held what it held when last
    analysed — often nothing — and picks plans that are linear per row: the payroll right after the awards read every
    award of the province for each chunk, through the (province, status) index instead of the chunk's id range. Autovacuum comes by later, on its own schedule.
    SQLite keeps no statistics unless asked to, and its plans here were measured without them."""
    if database.engine.dialect.name != "postgresql":
        return
    with database.transaction() as session:
        session.execute(text(f"ANALYZE {', '.join(tables)}"))
