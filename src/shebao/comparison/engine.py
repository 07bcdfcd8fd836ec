"""Running the lists on an engine: DuckDB on one machine, Apache Spark for the national job.

The engine is a setting (`SHEBAO_COMPARISON_ENGINE`, or `--engine`); both run the same definitions (lists.py).
A definition is parsed once by sqlglot, its placeholders replaced by literals (sqlglot quotes them: no value is ever
pasted into SQL text), and written out in the engine's dialect. Inputs are a snapshot (snapshot.py): Arrow tables in
memory or Parquet directories; Spark always reads Parquet, as a cluster does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import sqlglot
from sqlglot import exp

from shebao.comparison import lists, snapshot
from shebao.core.errors import InvalidInput

ENGINES = ("duckdb", "spark")
NATIONAL = "000000"  # the whole country: the national job's one pass
RESULT_SCHEMA = pa.schema([(name, getattr(pa, kind)()) for name, kind in lists.COLUMNS])

Inputs = Mapping[str, pa.Table] | Path  # Arrow tables by name, or a folder of Parquet directories by name


@dataclass(frozen=True)
class Question:
    """What a run asks: a province (or the whole country, NATIONAL, in one pass) as of a date, with the thresholds in
    force then."""

    province: str
    as_of: date
    minimum_age_years: int
    interrupted_after_months: int

    def placeholders(self) -> dict[str, object]:
        as_of_month = snapshot.month_index(self.as_of)
        within = "%" if self.province == NATIONAL else self.province[:2] + "%"
        return {"as_of": self.as_of, "as_of_month": as_of_month, "within": within, "adult_born_by": _years_before(self.as_of, self.minimum_age_years),
                "interrupted_by_month": as_of_month - 1 - self.interrupted_after_months}


def render(kind: str, question: Question, dialect: str) -> str:
    """The list's one definition, its placeholders filled with literals, in the engine's SQL dialect."""
    tree = sqlglot.parse_one(lists.DEFINITIONS[kind], read="duckdb")
    return exp.replace_placeholders(tree, **question.placeholders()).sql(dialect=dialect)


def run(*, engine: str, inputs: Inputs, question: Question, kinds: Iterable[str] = lists.DEFINITIONS,
        memory_limit: str | None = None) -> dict[str, pa.Table]:
    """Every asked list's rows, ordered by finding key so the same inputs give the same lists."""
    if engine not in ENGINES:
        raise InvalidInput("compare.engine", f"没有这种计算引擎：「{engine}」（可选单机引擎或分布式集群引擎）",
                           f"no such engine: {engine!r} (duckdb or spark)")
    kinds = list(kinds)
    if engine == "duckdb":
        results = _run_duckdb(inputs, question, kinds, memory_limit)
    else:
        results = _run_spark(inputs, question, kinds)
    return {kind: results[kind].cast(RESULT_SCHEMA).sort_by([("finding_key", "ascending")]) for kind in kinds}


def _years_before(day: date, years: int) -> date:
    """The latest birth date of someone who is `years` old on `day` (born 29 February: 28 February counts)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _run_duckdb(inputs: Inputs, question: Question, kinds: list[str], memory_limit: str | None) -> dict[str, pa.Table]:
    import duckdb

    connection = duckdb.connect()
    try:
        if memory_limit:
            connection.execute("SET memory_limit = ?", [memory_limit])
        connection.execute("SET preserve_insertion_order = false")
        for name in snapshot.SCHEMAS:
            _register_duckdb(connection, name, inputs)
        return {kind: connection.sql(render(kind, question, "duckdb")).to_arrow_table() for kind in kinds}
    finally:
        connection.close()


def _register_duckdb(connection, name: str, inputs: Inputs) -> None:
    if isinstance(inputs, Path):
        folder = _table_folder(inputs, name)
        connection.read_parquet(str(folder / "*.parquet")).create_view(name)
    else:
        connection.register(name, inputs.get(name, snapshot.empty(name)))


def _table_folder(inputs: Path, name: str) -> Path:
    folder = inputs / name
    if not any(folder.glob("*.parquet")):
        raise InvalidInput("compare.input_missing", f"比对数据缺少「{name}」表的文件（{folder}）",
                           f"the comparison's inputs lack the {name} table ({folder})", table=name)
    return folder


def _run_spark(inputs: Inputs, question: Question, kinds: list[str]) -> dict[str, pa.Table]:
    if isinstance(inputs, Path):
        return _spark_over(inputs, question, kinds)
    with tempfile.TemporaryDirectory(prefix="shebao-spark-") as folder:
        snapshot.write_parquet({name: inputs.get(name, snapshot.empty(name)) for name in snapshot.SCHEMAS}, Path(folder))
        return _spark_over(Path(folder), question, kinds)


def _spark_over(folder: Path, question: Question, kinds: list[str]) -> dict[str, pa.Table]:
    from shebao.comparison.spark import session

    spark = session()
    for name in snapshot.SCHEMAS:
        spark.read.parquet(str(_table_folder(folder, name))).createOrReplaceTempView(name)
    return {kind: spark.sql(render(kind, question, "spark")).toArrow() for kind in kinds}
