"""The linkage model run by Splink on DuckDB over generated frames (no database): trained on noisy duplicates with known
truth it finds them with high precision and recall; a registration's scoring (the model's own SQL conditions and the
saved m and u) gives the very weights Splink gave; a legacy, a check-character-less and a mistyped number fall into
their levels; two records of another department are never paired."""

from __future__ import annotations

import dataclasses
from datetime import date

import duckdb
import pyarrow as pa
import pytest

from shebao.comparison import linkage_rules as rules
from shebao.comparison.linkage import link_frame, parameters_at
from shebao.comparison.linkage_planted import plant, precision_recall
from shebao.policy.store import default_store
from shebao.registry.divisions import all_divisions
from tests.support import id_number

TODAY = date(2025, 3, 1)


def _frame(records: list[dict]) -> pa.Table:
    return pa.table({column: [record.get(column) for record in records] for column in rules.RAW_COLUMNS},
                    schema=pa.schema([("unique_id", pa.string()), ("kind", pa.string()), ("record_id", pa.int64()),
                                      ("name", pa.string()), ("sex", pa.string()), ("birth_date", pa.date32()),
                                      ("hukou", pa.string()), ("residence", pa.string()), ("id_number", pa.string())]))


def _planted_frame(planted) -> pa.Table:
    columns = planted.columns()
    return _frame([{"unique_id": str(uid), "kind": "person", "record_id": uid, **{
        key: columns[key][i] for key in ("name", "sex", "birth_date", "hukou", "residence", "id_number")}}
        for i, uid in enumerate(planted.unique_id)])


@pytest.fixture(scope="module")
def trained():
    parameters = parameters_at(default_store(), "370000", TODAY)[0]
    parameters = dataclasses.replace(parameters, min_records_to_train=500, u_max_pairs=300_000, em_max_pairs=200_000)
    counties = sorted(code for code, d in all_divisions().items()
                      if code.startswith("37") and d.level == 3 and d.last_year is None)
    planted = plant(people=1_500, duplicate_share=0.15, counties=counties, today=TODAY, seed=21)
    frame = _planted_frame(planted)
    return planted, frame, link_frame(frame, parameters, threshold=0.01), parameters


def test_a_trained_model_finds_the_planted_duplicates(trained):
    planted, _frame_, outcome, parameters = trained
    assert outcome.trained and outcome.records == len(planted)
    found = {tuple(sorted((int(p.left), int(p.right)))) for p in outcome.pairs
             if p.probability >= float(parameters.link_threshold)}
    precision, recall = precision_recall(found, planted.truth)
    assert precision >= 0.97 and recall >= 0.80, (precision, recall)


def test_a_registrations_scoring_gives_splinks_own_weights(trained):
    planted, frame, outcome, _ = trained
    connection = duckdb.connect()
    connection.register("raw_records", frame)
    connection.execute(f"CREATE TABLE frame AS {rules.frame_sql('raw_records')}")
    names = dict(connection.execute("SELECT unique_id, name FROM frame").fetchall())
    frequency = dict(connection.execute("SELECT name, count(*) / (SELECT count(*) FROM frame) FROM frame GROUP BY name")
                     .fetchall())
    for pair in outcome.pairs[:80]:
        rows = connection.execute(rules.pair_levels_sql("frame", pair.left)).fetchall()
        levels = {str(row[0]): tuple(c.levels[i].key for c, i in zip(rules.COMPARISONS, row[1:], strict=True))
                  for row in rows}
        assert levels[pair.right] == pair.levels
        weight, probability = rules.score(outcome.model, pair.levels, term_frequencies={"name": frequency[names[pair.left]]})
        assert weight == pytest.approx(pair.weight, abs=1e-6) and probability == pytest.approx(pair.probability, abs=1e-9)


def test_legacy_check_character_and_typo_numbers_fall_into_their_levels():
    number = id_number("370102", date(1960, 4, 5), 31)
    typo = number[:4] + ("9" if number[4] != "9" else "8") + number[5:]  # the address code mistyped, check kept
    kin = id_number("370102", date(1960, 4, 5), 33)  # a neighbour born the same day: two characters apart
    variants = {"legacy": number[:6] + number[8:17], "missing": number[:17], "check": number[:17] + "X"
                if number[17] != "X" else number[:17] + "0", "typo": typo, "kin": kin, "same": number}
    records = [{"unique_id": "base", "kind": "person", "record_id": 0, "name": "孙立", "sex": "M",
                "birth_date": date(1960, 4, 5), "hukou": "370102", "residence": "370102", "id_number": number}]
    records += [dict(records[0], unique_id=key, record_id=i + 1, id_number=value)
                for i, (key, value) in enumerate(variants.items())]
    connection = duckdb.connect()
    connection.register("raw_records", _frame(records))
    connection.execute(f"CREATE TABLE frame AS {rules.frame_sql('raw_records')}")
    rows = connection.execute(rules.pair_levels_sql("frame", "base")).fetchall()
    identity = rules.COMPARISONS[-1]
    levels = {key: identity.levels[row[-1]].key for key, row in zip(variants, rows, strict=True)}
    assert levels == {"legacy": "id.converted", "missing": "id.converted", "check": "id.check_char",
                      "typo": "id.one_digit", "kin": "id.else", "same": "id.exact"}


def test_two_records_of_another_department_are_never_paired():
    parameters = parameters_at(default_store(), "370000", TODAY)[0]
    person = {"name": "周平", "sex": "F", "birth_date": date(1970, 1, 2), "hukou": "370102", "residence": "370102"}
    outcome = link_frame(_frame([{"unique_id": "e1", "kind": "ext_population", "record_id": 1, **person},
                                 {"unique_id": "e2", "kind": "ext_population", "record_id": 2, **person},
                                 {"unique_id": "p3", "kind": "person", "record_id": 3, **person,
                                  "id_number": id_number("370102", date(1970, 1, 2), 42)}]), parameters)
    assert sorted((p.left, p.right) for p in outcome.pairs) == [("e1", "p3"), ("e2", "p3")]
    assert all(p.levels[-1] == "id.null" for p in outcome.pairs)  # a hash says nothing of how close a number is


def test_an_em_round_that_underflows_is_left_out_and_the_model_restored(trained, monkeypatch):
    """On some provinces' data EM drives a level's probability below what float64 holds and Splink refuses it: that
    round is left out, the model restored as before it, and every comparison still scores the pairs."""
    from splink.internals.linker_components.training import LinkerTraining

    planted, frame, _, parameters = trained
    real = LinkerTraining.estimate_parameters_using_expectation_maximisation
    calls = []

    def first_round_underflows(self, *args, **kwargs):  # noqa: ANN001, ANN202
        calls.append(1)
        if len(calls) == 1:
            self._linker._settings_obj.comparisons[0].comparison_levels[1].m_probability = 0.5  # half-updated
            raise ValueError("m_probability value 7.7e-311 is below the minimum allowed value of 1e-300")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(LinkerTraining, "estimate_parameters_using_expectation_maximisation", first_round_underflows)
    outcome = link_frame(frame, parameters, threshold=0.01)
    assert len(calls) == len(parameters.em_blocking_rules) and outcome.trained
    found = {tuple(sorted((int(p.left), int(p.right)))) for p in outcome.pairs
             if p.probability >= float(parameters.link_threshold)}
    precision, recall = precision_recall(found, planted.truth)
    assert precision >= 0.9 and recall >= 0.6, (precision, recall)
