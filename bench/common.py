"""Timing helpers and the result record every benchmark returns."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, ForeignKeyConstraint, Index, MetaData, Table, UniqueConstraint

from shebao.core.db import Database


@dataclass(frozen=True)
class Result:
    name: str
    what: str
    rows: int
    seconds: float
    baseline: str
    baseline_seconds: float
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds if self.baseline_seconds else float("inf")

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def best_of(repeats: int, action: Callable[[], object]) -> float:
    return min(timed(action) for _ in range(repeats))


@dataclass(frozen=True)
class Written:
    """Rows a batch wrote into one table: the table and an SQL condition that picks them ("" for every row)."""

    table: Table
    where: str = ""


SHAPES = ("columns", "indexes", "foreign keys")


def bulk_write_baseline(database: Database, written: list[Written], *, shape: str = "foreign keys") -> tuple[float, int]:
    """The baseline for a batch: the very rows it wrote, read back first (not timed), then written again by the
    driver alone into copies of their tables, in one transaction: `executemany` on SQLite, `COPY … FROM STDIN`
    (psycopg 3, row by row from Python) on PostgreSQL. The copies have the tables' columns and types and, by
    `shape`, nothing more ("columns"), their primary and unique keys and indexes too ("indexes"), and their foreign
    keys as well ("foreign keys", to the real tables, checked as the batch's rows are) — never checks or triggers.
    Returns (seconds, rows written)."""
    if shape not in SHAPES:
        raise ValueError(f"shape is one of {SHAPES}")
    postgres = database.engine.dialect.name == "postgresql"
    metadata = MetaData()
    copies = [(_copy(w.table, metadata, shape), w) for w in written]
    connection = database.engine.raw_connection()
    try:
        cursor = connection.cursor()
        payloads = []
        for copy, w in copies:
            names = ", ".join(f'"{c.name}"' for c in copy.columns)  # quoted: a column may be a keyword ("on")
            cursor.execute(f"SELECT {names} FROM {w.table.name} {'WHERE ' + w.where if w.where else ''}")
            payloads.append((copy, names, cursor.fetchall()))
        connection.commit()
        metadata.create_all(database.engine)

        def write() -> None:
            if not postgres:
                cursor.execute("BEGIN")  # our engine runs pysqlite in autocommit mode and begins transactions itself
            for copy, names, rows in payloads:
                if postgres:
                    with cursor.copy(f"COPY {copy.name} ({names}) FROM STDIN") as pipe:
                        for row in rows:
                            pipe.write_row(row)
                else:
                    marks = ", ".join("?" * len(copy.columns))
                    cursor.executemany(f"INSERT INTO {copy.name} ({names}) VALUES ({marks})", rows)
            connection.commit()

        seconds = timed(write)
        return seconds, sum(len(rows) for _copy, _names, rows in payloads)
    finally:
        connection.close()
        metadata.drop_all(database.engine)


def _copy(table: Table, metadata: MetaData, shape: str) -> Table:
    keyed = shape != "columns"
    copy = Table(f"bench_{table.name}", metadata,
                 *(Column(c.name, c.type, primary_key=keyed and c.primary_key, autoincrement=False) for c in table.columns))
    if keyed:
        for number, constraint in enumerate(c for c in table.constraints if isinstance(c, UniqueConstraint)):
            copy.append_constraint(UniqueConstraint(*(copy.c[c.name] for c in constraint.columns),
                                                    name=f"bench_uq_{table.name}_{number}"))
        for number, index in enumerate(table.indexes):
            Index(f"bench_ix_{table.name}_{number}", *(copy.c[c.name] for c in index.columns), unique=bool(index.unique))
    if shape == "foreign keys":
        for number, key in enumerate(c for c in table.constraints if isinstance(c, ForeignKeyConstraint)):
            copy.append_constraint(ForeignKeyConstraint([copy.c[c.name] for c in key.columns],
                                                        [element.column for element in key.elements],
                                                        name=f"bench_fk_{table.name}_{number}"))
    return copy
