"""Fuzzy linkage: a million noisy records with known truth linked by Splink on DuckDB, with precision and recall."""

from __future__ import annotations

import sys
import time
from datetime import date

import duckdb
import pyarrow as pa

from bench.common import Result
from shebao.comparison import linkage_rules as rules
from shebao.comparison.linkage import link_frame, parameters_at
from shebao.comparison.linkage_planted import plant, precision_recall
from shebao.policy.store import default_store
from shebao.registry.divisions import all_divisions

TODAY = date(2026, 1, 1)
PROVINCES = ("11", "13", "37", "44")  # Beijing, Hebei, Shandong, Guangdong: moves within and between them
DUPLICATE_SHARE = 0.09  # of people with a second record (a tenth of them a third): about 100,000 planted pairs


def linkage(records: int) -> Result:
    """`link_frame` (the frame built, u by random sampling, two EM sessions, prediction) over `records` generated
    records, against an exact DuckDB join of the same records on their 18-character numbers."""
    counties = sorted(code for code, d in all_divisions().items()
                      if code[:2] in PROVINCES and d.level == 3 and d.last_year is None)
    started = time.perf_counter()
    planted = plant(people=round(records / (1 + DUPLICATE_SHARE * 1.1)), duplicate_share=DUPLICATE_SHARE,
                    counties=counties, today=TODAY)
    columns = planted.columns()
    frame = pa.table({"unique_id": [str(uid) for uid in planted.unique_id], "kind": ["person"] * len(planted),
                      "record_id": planted.unique_id, "name": columns["name"], "sex": columns["sex"],
                      "birth_date": columns["birth_date"], "hukou": columns["hukou"], "residence": columns["residence"],
                      "id_number": columns["id_number"]})
    print(f"  generated {len(planted):,} records, {len(planted.truth):,} planted pairs in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    parameters = parameters_at(default_store(), "370000", TODAY)[0]
    outcome = link_frame(frame, parameters)
    link = float(parameters.link_threshold)
    found = {_pair(p) for p in outcome.pairs if p.probability >= link}
    grey = {_pair(p) for p in outcome.pairs if p.probability < link}
    precision, recall = precision_recall(found, planted.truth)
    _, recall_with_review = precision_recall(found | grey, planted.truth)
    exact_seconds, exact_found = _exact_join(frame)
    _, exact_recall = precision_recall(exact_found, planted.truth)
    return Result("linkage", f"Splink linkage of {len(planted):,} noisy records ({len(planted.truth):,} planted pairs, "
                             f"{'trained' if outcome.trained else 'untrained'}): precision {precision:.4f}, recall "
                             f"{recall:.4f} at p ≥ {link}; recall {recall_with_review:.4f} with the {len(grey):,} pairs "
                             f"of the review band", len(planted), outcome.seconds,
                  f"exact DuckDB join on the 18-character number (recall {exact_recall:.4f})", exact_seconds,
                  note="aim: about a minute (Splink: a million records on a laptop in around a minute)")


def _pair(pair) -> tuple[int, int]:  # noqa: ANN001 - a ScoredPair
    left, right = int(pair.left), int(pair.right)
    return (left, right) if left < right else (right, left)


def _exact_join(frame: pa.Table) -> tuple[float, set[tuple[int, int]]]:
    connection = duckdb.connect()
    try:
        connection.register("raw_records", frame)
        started = time.perf_counter()
        connection.execute(f"CREATE TABLE frame AS {rules.frame_sql('raw_records')}")
        rows = connection.execute("SELECT l.record_id, r.record_id FROM frame l JOIN frame r "
                                  "ON l.id18 = r.id18 AND l.record_id < r.record_id").fetchall()
        seconds = time.perf_counter() - started
    finally:
        connection.close()
    return seconds, {(a, b) for a, b in rows}
