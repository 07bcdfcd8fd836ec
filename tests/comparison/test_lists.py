"""Every list of the comparison finds exactly what was planted (tests/comparison_world.py), on DuckDB and on Spark."""

from __future__ import annotations

import pyarrow as pa
import pytest

from shebao.comparison import engine, lists
from shebao.policy.store import default_store
from tests.comparison_world import AS_OF, HERE, month, planted_world

QUESTION = engine.Question(province=HERE, as_of=AS_OF, minimum_age_years=16, interrupted_after_months=3)


@pytest.fixture(scope="module")
def world():
    planted = planted_world()
    return planted, planted.tables(default_store())


def _keys(table: pa.Table) -> set[str]:
    return set(table.column("finding_key").to_pylist())


def _row(table: pa.Table, key: str) -> dict:
    return next(row for row in table.to_pylist() if row["finding_key"] == key)


def test_every_list_finds_exactly_what_was_planted(world):
    planted, tables = world
    results = engine.run(engine="duckdb", inputs=tables, question=QUESTION)
    assert {kind: _keys(table) for kind, table in results.items()} == {kind: planted.expected[kind] for kind in lists.LIST_KINDS}


def test_the_amounts_paid_after_death_and_in_prison_count_only_the_months_after(world):
    planted, tables = world
    results = engine.run(engine="duckdb", inputs=tables, question=QUESTION)
    (dead,) = planted.expected["deceased_paid"]
    assert (_row(results["deceased_paid"], dead)["months"], _row(results["deceased_paid"], dead)["amount_fen"]) == (7, 2_100_000)
    (prisoner,) = planted.expected["prisoner_paid"]
    assert (_row(results["prisoner_paid"], prisoner)["months"], _row(results["prisoner_paid"], prisoner)["amount_fen"]) \
        == (4, 1_200_000)
    (employer,) = planted.expected["employers_under_declared"]
    row = _row(results["employers_under_declared"], employer)
    assert (row["month"], row["people_reported"], row["people_insured"]) == (month(2026, 9), 3, 2)


def test_the_same_inputs_give_the_same_lists_in_the_same_order(world):
    _, tables = world
    first = engine.run(engine="duckdb", inputs=tables, question=QUESTION)
    again = engine.run(engine="duckdb", inputs=tables, question=QUESTION)
    assert all(first[kind].equals(again[kind]) for kind in lists.LIST_KINDS)


def test_parquet_inputs_give_the_same_lists_as_arrow_tables(world, tmp_path):
    _, tables = world
    from shebao.comparison import snapshot

    snapshot.write_parquet(tables, tmp_path)
    from_files = engine.run(engine="duckdb", inputs=tmp_path, question=QUESTION)
    in_memory = engine.run(engine="duckdb", inputs=tables, question=QUESTION)
    assert all(from_files[kind].equals(in_memory[kind]) for kind in lists.LIST_KINDS)


def test_an_unknown_engine_and_a_missing_table_are_refused_with_reasons(world, tmp_path):
    _, tables = world
    from shebao.comparison import snapshot
    from shebao.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        engine.run(engine="pandas", inputs=tables, question=QUESTION)
    assert refused.value.code == "compare.engine"
    snapshot.write_parquet({"persons": tables["persons"]}, tmp_path)
    with pytest.raises(InvalidInput) as refused:
        engine.run(engine="duckdb", inputs=tmp_path, question=QUESTION)
    assert refused.value.code == "compare.input_missing"


@pytest.mark.spark
def test_spark_runs_the_same_definitions_to_the_same_lists(world):
    planted, tables = world
    on_spark = engine.run(engine="spark", inputs=tables, question=QUESTION)
    on_duckdb = engine.run(engine="duckdb", inputs=tables, question=QUESTION)
    for kind in lists.LIST_KINDS:
        assert on_spark[kind].to_pylist() == on_duckdb[kind].to_pylist(), kind
    assert {kind: _keys(table) for kind, table in on_spark.items()} == {kind: planted.expected[kind] for kind in lists.LIST_KINDS}
