"""Spark runs the lists to DuckDB's rows, row for row, on a generated sample larger than the planted world of
test_lists.py: 20,000 residents from the bench's generator (bench/comparison_data.py), written as the national job
keeps them (one directory per table, one file per province), every list non-empty and as planted."""

from __future__ import annotations

import pytest
from bench.comparison_data import AS_OF, BIG, generate, write_parquet

from shebao.comparison import engine, lists

QUESTION = engine.Question(province=BIG, as_of=AS_OF, minimum_age_years=16, interrupted_after_months=3)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    made = generate(20_000, provinces=(BIG, "110000"), floor=4)
    folder = tmp_path_factory.mktemp("sample")
    write_parquet(made.tables, folder)
    return made.truth, folder


def test_the_sample_s_lists_are_what_was_planted_and_none_is_empty(sample):
    truth, folder = sample
    on_duckdb = engine.run(engine="duckdb", inputs=folder, question=QUESTION)
    assert {kind: table.num_rows for kind, table in on_duckdb.items()} == truth.expected(BIG)
    assert all(truth.count(kind, BIG) > 0 for kind in lists.LIST_KINDS)
    for kind in ("deceased_paid", "prisoner_paid"):
        assert sum(on_duckdb[kind].column("amount_fen").to_pylist()) == truth.amount(kind, BIG), kind


@pytest.mark.spark
def test_spark_gives_duckdb_s_lists_row_for_row_on_a_generated_sample(sample):
    _, folder = sample
    on_spark = engine.run(engine="spark", inputs=folder, question=QUESTION)
    on_duckdb = engine.run(engine="duckdb", inputs=folder, question=QUESTION)
    for kind in lists.LIST_KINDS:
        assert on_spark[kind].to_pylist() == on_duckdb[kind].to_pylist(), kind
