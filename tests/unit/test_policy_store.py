"""Dated parameters: fallback from street to province to national, dates, sources, validation."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from shebao.core.errors import InvalidInput, NotFound
from shebao.policy.store import ParameterFileError, ParameterStore, default_store


@pytest.fixture(scope="module")
def store() -> ParameterStore:
    return default_store()


def test_a_street_falls_back_to_its_province(store):
    street = store.at("110105001", date(2024, 8, 1))
    province = store.at("110000", date(2024, 8, 1))
    assert street.contribution.base.floor_fen == province.contribution.base.floor_fen == 682100
    assert street.explain("contribution.base.floor_fen").jurisdiction == "110000"


def test_a_province_falls_back_to_national(store):
    beijing = store.at("110105", date(2024, 8, 1))
    assert beijing.contribution.pension.employer_rate == Decimal("0.16")
    assert beijing.explain("contribution.pension.employer_rate").jurisdiction == "000000"


def test_a_province_override_wins_over_national(store):
    assert store.at("110105", date(2024, 8, 1)).contribution.medical.employer_rate == Decimal("0.10")
    assert store.at("440305", date(2024, 8, 1)).contribution.medical.employer_rate == Decimal("0.06")


def test_values_change_on_their_date(store):
    assert store.at("110000", date(2024, 6, 30)).contribution.base.floor_fen == 632600
    assert store.at("110000", date(2024, 7, 1)).contribution.base.floor_fen == 682100
    assert store.at("110000", date(2019, 4, 30)).has("contribution.pension.employer_rate") is False
    assert store.at("110000", date(2019, 5, 1)).contribution.pension.employer_rate == Decimal("0.16")


def test_the_crediting_rate_of_each_year(store):
    assert store.at("110000", date(2016, 6, 1)).pension.crediting_rate == Decimal("0.0831")
    assert store.at("110000", date(2022, 12, 31)).pension.crediting_rate == Decimal("0.0612")


def test_the_divisor_table_and_minimum_months(store):
    snapshot = store.at("110000", date(2025, 3, 1))
    assert snapshot.pension.divisor[60] == 139
    assert snapshot.pension.divisor[50] == 195
    assert snapshot.pension.divisor[55] == 170
    assert snapshot.pension.minimum_contribution_months == 180
    assert store.at("110000", date(2030, 1, 1)).pension.minimum_contribution_months == 186
    assert store.at("110000", date(2045, 1, 1)).pension.minimum_contribution_months == 240


def test_retirement_ages_before_and_after_the_reform(store):
    before = store.at("110000", date(2024, 12, 31))
    after = store.at("110000", date(2025, 1, 1))
    assert before.retirement.male.original_age_months == 720
    assert not before.has("retirement.male.target_age_months")
    assert after.retirement.female_worker.target_age_months == 660
    assert after.retirement.female_worker.delay_step_months == 2


def test_every_value_in_force_carries_a_source(store):
    for region in ("000000", "110000", "310115", "440305"):
        for value in store.at(region, date(2025, 3, 1)).all():
            assert value.source and value.since <= date(2025, 3, 1), value.path


def test_a_parameter_not_yet_in_force_is_a_clear_error(store):
    with pytest.raises(NotFound) as missing:
        store.at("110000", date(2024, 8, 1)).retirement.male.target_age_months
    assert missing.value.code == "policy.not_in_force"
    assert "retirement.male.target_age_months" in missing.value.reason_en


@pytest.mark.parametrize("code", ["11000", "1100000", "abcdef", "", "11000000001"])
def test_a_malformed_region_code_is_refused(store, code):
    with pytest.raises(InvalidInput):
        store.at(code, date(2024, 8, 1))


def _store_from(tmp_path: Path, national: str, province: str | None = None) -> ParameterStore:
    (tmp_path / "national").mkdir()
    (tmp_path / "national" / "p.yaml").write_text(national, encoding="utf-8")
    if province is not None:
        (tmp_path / "provinces" / "110000").mkdir(parents=True)
        (tmp_path / "provinces" / "110000" / "p.yaml").write_text(province, encoding="utf-8")
    return ParameterStore.load(tmp_path)


GOOD = """
a:
  rate:
    description: a rate
    unit: rate
    values:
      - {since: 2020-01-01, value: "0.1", source: law 1}
"""


def test_a_well_formed_file_loads(tmp_path):
    assert _store_from(tmp_path, GOOD).at("110000", date(2021, 1, 1)).a.rate == Decimal("0.1")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (GOOD.replace(", source: law 1", ""), "source"),
        (GOOD.replace('"0.1"', "0.1"), "quoted decimals"),
        (GOOD.replace('"0.1"', '"1.5"'), "outside the range"),
        (GOOD.replace("unit: rate", "unit: percent"), "unit must be"),
        (GOOD.replace("since: 2020-01-01", "since: 2020"), "since must be a date"),
        (GOOD.replace("    description: a rate\n", ""), "description"),
        (GOOD + '      - {since: 2019-01-01, value: "0.2", source: law 0}\n', "date order"),
    ],
)
def test_a_bad_parameter_file_is_refused_on_load(tmp_path, text, problem):
    with pytest.raises(ParameterFileError, match=problem):
        _store_from(tmp_path, text)


def test_a_province_may_not_change_a_parameter_unit(tmp_path):
    province = GOOD.replace("unit: rate", "unit: ratio")
    with pytest.raises(ParameterFileError, match="differs from national"):
        _store_from(tmp_path, GOOD, province)
