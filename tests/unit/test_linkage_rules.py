"""The linkage model's pure parts: numbers brought to 18 characters (in Python and in the frame's SQL alike), what a
probability decides, Fellegi–Sunter scoring as Splink does it, Splink's level numbering, the parameters' own checks,
and the generator of noisy duplicates (seeded, every duplicate's number not matching)."""

from __future__ import annotations

import dataclasses
import random
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from shebao.comparison import linkage_rules as rules
from shebao.comparison.linkage import parameters_at
from shebao.comparison.linkage_planted import plant, precision_recall
from shebao.policy.store import default_store
from shebao.registry.rules import parse_id_number, upgrade_legacy_id
from tests.support import id_number

NUMBER = id_number("110105", date(1980, 5, 17), 123)


@pytest.fixture(scope="module")
def parameters() -> rules.Parameters:
    return parameters_at(default_store(), "370000", date(2025, 3, 1))[0]


def test_a_number_is_brought_to_eighteen_characters():
    legacy = NUMBER[:6] + NUMBER[8:17]
    assert rules.normalised_number(legacy) == NUMBER == upgrade_legacy_id(legacy)
    assert rules.normalised_number(NUMBER[:17]) == NUMBER  # the check character added
    assert rules.normalised_number(" " + NUMBER.lower() + " ") == NUMBER
    typo = NUMBER[:10] + ("1" if NUMBER[10] != "1" else "2") + NUMBER[11:]
    assert rules.normalised_number(typo) == typo  # a typo stays a typo: the comparison measures it
    assert rules.normalised_number(None) is None and rules.normalised_number("  ") is None


def test_the_frames_sql_brings_numbers_to_eighteen_characters_as_python_does():
    rng = random.Random(14)
    samples = [NUMBER, NUMBER[:17], NUMBER[:6] + NUMBER[8:17], "12345", "11010519800517012x", "", None]
    samples += ["".join(rng.choice("0123456789") for _ in range(rng.choice((15, 17, 18)))) for _ in range(300)]
    connection = duckdb.connect()
    sql = rules.normalised_number_sql("x")
    for sample in samples:
        assert connection.execute(f"SELECT {sql} FROM (SELECT ?::VARCHAR AS x)", [sample]).fetchall()[0][0] == \
            rules.normalised_number(sample), sample


def test_a_probability_links_reviews_or_does_nothing(parameters):
    assert rules.decide(0.95, parameters) == rules.Status.LINKED
    assert rules.decide(0.9499, parameters) == rules.Status.REVIEW
    assert rules.decide(0.60, parameters) == rules.Status.REVIEW
    assert rules.decide(0.5999, parameters) is None


def test_the_parameters_check_themselves(parameters):
    with pytest.raises(ValueError, match="review threshold"):
        dataclasses.replace(parameters, review_threshold=Decimal("0.97"))
    with pytest.raises(ValueError, match="name.exact"):
        dataclasses.replace(parameters, m_prior={k: v for k, v in parameters.m_prior.items() if k != "name.exact"})
    for comparison in rules.COMPARISONS:  # the priors of a comparison are distributions
        counted = [level.key for level in comparison.levels if not level.null]
        assert sum(parameters.m_prior[key] for key in counted) == pytest.approx(Decimal(1), abs=Decimal("0.001"))
        assert sum(parameters.u_prior[key] for key in counted) == pytest.approx(Decimal(1), abs=Decimal("0.001"))


def test_scoring_is_fellegi_sunter_with_a_term_frequency_adjustment():
    model = rules.Model(0.01, {"name.exact": 0.8, "sex.exact": 0.99}, {"name.exact": 0.001, "sex.exact": 0.5})
    weight, probability = rules.score(model, ("name.exact", "sex.exact", "birth.null"))
    expected = rules.math.log2(0.01 / 0.99) + rules.math.log2(800) + rules.math.log2(0.99 / 0.5)
    assert weight == pytest.approx(expected) and probability == pytest.approx(2 ** expected / (1 + 2 ** expected))
    common, _ = rules.score(model, ("name.exact",), term_frequencies={"name": 0.01})  # 张伟 says less than a rare name
    rare, _ = rules.score(model, ("name.exact",), term_frequencies={"name": 0.00001})
    assert common < rules.score(model, ("name.exact",))[0] < rare
    assert common == pytest.approx(rules.math.log2(0.01 / 0.99) + rules.math.log2(0.8 / 0.01))


def test_splinks_level_numbering_is_read_back():
    name = rules.COMPARISONS[0]
    assert rules.splink_level(name, -1) == "name.null"
    assert rules.splink_level(name, 0) == "name.else"
    assert rules.splink_level(name, len(name.levels) - 2) == "name.exact"


def test_the_generator_is_seeded_and_plants_what_it_says():
    counties = ["110105", "110108", "130102", "130203"]
    first = plant(people=400, duplicate_share=0.2, counties=counties, today=date(2025, 3, 1), seed=3)
    again = plant(people=400, duplicate_share=0.2, counties=counties, today=date(2025, 3, 1), seed=3)
    assert first.columns() == again.columns() and first.truth == again.truth
    assert len(first) > 400 and len(first.truth) >= len(first) - 400
    index = {uid: i for i, uid in enumerate(first.unique_id)}
    for a, b in first.truth:
        assert first.id_number[index[a]] != first.id_number[index[b]]  # linkage is for numbers that do not match
    for uid, noise in first.noise.items():
        raw = first.id_number[index[uid]]
        if "legacy" in noise:
            assert len(raw) == 15 and raw == rules.normalised_number(raw)[:6] + rules.normalised_number(raw)[8:17]
        if "missing_check" in noise:
            assert len(raw) == 17
    originals = [n for i, n in enumerate(first.id_number) if first.unique_id[i] not in first.noise]
    assert all(parse_id_number(n, today=date(2025, 3, 1)) for n in originals[:50])  # valid numbers
    assert precision_recall(set(), first.truth) == (1.0, 0.0)
