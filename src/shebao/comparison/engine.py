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

# Arrow tables by name, or a folder holding one directory of Parquet files per table (files at any depth below it,
# as each province's extract writes them), or such a folder's storage URL (hdfs://, s3a://: Spark reads it).
Inputs = Mapping[str, pa.Table] | Path | str


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


def write_lists(results: Mapping[str, pa.Table], folder: Path) -> dict[str, int]:
    """Each list as Parquet, one file per province of its rows (`<list>/province-110000.parquet`), for each province's
    staff to take in; returns the rows written per list."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    written = {}
    for kind, table in results.items():
        (folder / kind).mkdir(parents=True, exist_ok=True)
        provinces = pc.utf8_slice_codeunits(table.column("region_code"), 0, 2)
        for prefix in sorted(p for p in pc.unique(provinces).to_pylist() if p):
            pq.write_table(table.filter(pc.equal(provinces, prefix)), folder / kind / f"province-{prefix}0000.parquet")
        written[kind] = table.num_rows
    return written


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
    if isinstance(inputs, Mapping):
        connection.register(name, inputs.get(name, snapshot.empty(name)))
        return
    try:
        connection.read_parquet(f"{_table_location(inputs, name)}/**/*.parquet").create_view(name)
    except Exception as exc:  # noqa: BLE001 - DuckDB's own I/O errors: a location it cannot read
        raise _missing(inputs, name) from exc


def _table_location(inputs: Path | str, name: str) -> str:
    """Where a table's files are; a local folder without any is refused before an engine reads it."""
    if isinstance(inputs, Path):
        if not any((inputs / name).rglob("*.parquet")):
            raise _missing(inputs, name)
        return str(inputs / name)
    return f"{inputs.rstrip('/')}/{name}"


def _missing(inputs: Path | str, name: str) -> InvalidInput:
    return InvalidInput("compare.input_missing", f"比对数据缺少「{name}」表的文件（{inputs}）",
                        f"the comparison's inputs lack the {name} table ({inputs})", table=name)


def _run_spark(inputs: Inputs, question: Question, kinds: list[str]) -> dict[str, pa.Table]:
    if not isinstance(inputs, Mapping):
        return _spark_over(inputs, question, kinds)
    with tempfile.TemporaryDirectory(prefix="shebao-spark-") as folder:
        snapshot.write_parquet({name: inputs.get(name, snapshot.empty(name)) for name in snapshot.SCHEMAS}, Path(folder))
        return _spark_over(Path(folder), question, kinds)


def _spark_over(inputs: Path | str, question: Question, kinds: list[str]) -> dict[str, pa.Table]:
    from shebao.comparison.spark import session

    spark = session()
    for name in snapshot.SCHEMAS:
        location = _table_location(inputs, name)
        spark.read.option("recursiveFileLookup", "true").parquet(location).createOrReplaceTempView(name)
    return {kind: spark.sql(render(kind, question, "spark")).toArrow() for kind in kinds}
