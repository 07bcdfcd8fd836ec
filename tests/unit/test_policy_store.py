"""Dated parameters: fallback from street to province to national, dates, sources, validation."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from shebao.core.errors import Conflict, InvalidInput, NotFound
from shebao.policy.store import ParameterFileError, ParameterStore, default_store
from tests.support import assert_bilingual


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
    assert store.at("110000", date(2019, 4, 30)).contribution.pension.employer_rate == Decimal("0.20")  # 国发〔1997〕26号
    assert store.at("110000", date(1997, 12, 31)).has("contribution.pension.employer_rate") is False
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
        (GOOD.replace("source: law 1}", "source: law 1, checked: last week}"), "checked must be a date"),
    ],
)
def test_a_bad_parameter_file_is_refused_on_load(tmp_path, text, problem):
    with pytest.raises(ParameterFileError, match=problem):
        _store_from(tmp_path, text)


def test_a_province_may_not_change_a_parameter_unit(tmp_path):
    province = GOOD.replace("unit: rate", "unit: ratio")
    with pytest.raises(ParameterFileError, match="differs from national"):
        _store_from(tmp_path, GOOD, province)


# ---------------------------------------------------------------- validity (issue #11)

DATED = """
a:
  rate:
    description: 某年利率 (a year's rate)
    unit: rate
    past_validity: refuse
    values:
      - {since: 2023-01-01, until: 2023-12-31, value: "0.03", source: notice 2023}
      - {since: 2024-01-01, until: 2024-12-31, value: "0.02", source: notice 2024}
  wage:
    description: 平均工资 (an average wage)
    unit: fen
    past_validity: provisional
    values:
      - {since: 2024-07-01, until: 2025-06-30, value: 1000000, source: statistics 2023}
  law:
    description: 一条法律 (a law)
    unit: count
    values:
      - {since: 2011-07-01, value: 15, source: the law}
"""


def test_a_value_within_its_validity_is_plain(tmp_path):
    snapshot = _store_from(tmp_path, DATED).at("110000", date(2024, 12, 31))
    rate = snapshot.explain("a.rate")
    assert rate.value == Decimal("0.02") and rate.valid_until == date(2024, 12, 31)
    assert not rate.expired and not rate.provisional and snapshot.provisional_paths() == []
    assert {"valid_until": "2024-12-31", "past_validity": "refuse", "expired": False, "provisional": False}.items() <= rate.as_dict().items()


def test_a_refusing_parameter_past_its_validity_is_refused_naming_it_the_day_and_the_last_day(tmp_path):
    snapshot = _store_from(tmp_path, DATED).at("110105", date(2025, 12, 31))
    with pytest.raises(Conflict) as refused:
        snapshot.value("a.rate")
    error = refused.value
    assert error.code == "policy.value_expired" and error.status_code == 409
    assert error.details == {"path": "a.rate", "date": "2025-12-31", "valid_until": "2024-12-31",
                             "region_code": "110105", "jurisdiction": "000000"}
    assert "某年利率" in error.reason and "2024-12-31" in error.reason and "2025-12-31" in error.reason
    assert "a.rate" in error.reason_en and "2024-12-31" in error.reason_en and "2025-12-31" in error.reason_en
    assert_bilingual(error.reason, error.reason_en, error.code)
    with pytest.raises(Conflict):
        snapshot.a.rate  # by attribute too
    listed = {value.path: value for value in snapshot.all()}
    assert listed["a.rate"].expired and not listed["a.rate"].provisional  # listed, with its state, but never served
    assert snapshot.provisional_paths() == []


def test_a_provisional_parameter_past_its_validity_is_served_and_marked(tmp_path):
    store = _store_from(tmp_path, DATED)
    snapshot = store.at("110000", date(2025, 7, 1))
    assert snapshot.provisional_paths() == []
    assert snapshot.a.wage == 1000000
    wage = snapshot.explain("a.wage")
    assert wage.provisional and wage.expired and wage.valid_until == date(2025, 6, 30)
    assert wage.as_dict()["provisional"] is True and wage.as_dict()["valid_until"] == "2025-06-30"
    assert snapshot.a.law == 15  # a law has no until and never expires
    assert snapshot.provisional_paths() == ["a.wage"]
    assert [value.path for value in snapshot.expired()] == ["a.rate", "a.wage"]
    assert store.at("110000", date(2025, 6, 30)).explain("a.wage").provisional is False


def test_the_last_day_known_of_a_parameter(tmp_path):
    store = _store_from(tmp_path, DATED)
    assert store.known_until("110105", "a.rate") == date(2024, 12, 31)
    assert store.known_until("000000", "a.law") is None
    with pytest.raises(NotFound):
        store.known_until("110000", "a.nothing")


def test_as_dict_keeps_every_key_it_had_and_only_adds():
    value = default_store().at("110105", date(2024, 8, 1)).explain("contribution.base.floor_fen").as_dict()
    assert list(value)[:7] == ["path", "value", "unit", "since", "source", "jurisdiction", "description"]
    assert set(value) - {"path", "value", "unit", "since", "source", "jurisdiction", "description"} == {
        "valid_until", "past_validity", "expired", "provisional", "checked", "range"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (DATED.replace("until: 2023-12-31", "until: 2022-12-31"), "is before since"),
        (DATED.replace("until: 2023-12-31", "until: 2024-01-01"), "must fall before the next value's since"),
        (DATED.replace("until: 2023-12-31", "until: soon"), "until must be a date"),
        (DATED.replace("until: 2023-12-31", "until: 2023-12-31 23:59:59"), "until must be a date"),
        (DATED.replace("since: 2023-01-01", "since: 2023-01-01 08:00:00"), "since must be a date"),
        (DATED.replace("past_validity: refuse", "past_validity: carry_forward"), "past_validity must be one of"),
        (DATED.replace("past_validity: refuse", "past_valdity: refuse"), "unknown keys"),
        (DATED.replace("until: 2023-12-31, ", "until: 2023-12-31, expires: 2023-12-31, "), "may have until"),
    ],
)
def test_a_bad_validity_is_refused_on_load(tmp_path, text, problem):
    with pytest.raises(ParameterFileError, match=problem):
        _store_from(tmp_path, text)


def test_past_validity_defaults_to_refuse_and_a_province_inherits_the_national_one(tmp_path):
    national = DATED.replace("    past_validity: refuse\n", "")
    province = """
a:
  wage:
    description: 北京平均工资 (Beijing's average wage)
    unit: fen
    values:
      - {since: 2024-07-01, until: 2025-06-30, value: 1200000, source: Beijing 2024}
"""
    store = _store_from(tmp_path, national, province)
    assert store.national["a.rate"].past_validity == "refuse"
    assert store.provinces["110000"]["a.wage"].past_validity == "provisional"
    assert store.at("110105", date(2026, 1, 1)).explain("a.wage").provisional


def test_a_province_may_not_declare_another_past_validity(tmp_path):
    province = """
a:
  wage:
    description: 北京平均工资 (Beijing's average wage)
    unit: fen
    past_validity: refuse
    values:
      - {since: 2024-07-01, value: 1200000, source: Beijing 2024}
"""
    with pytest.raises(ParameterFileError, match="past_validity refuse differs from national provisional"):
        _store_from(tmp_path, DATED, province)


# ---------------------------------------------------------------- the data's validity

def test_each_years_crediting_rate_holds_for_its_year_and_the_2025_rate_is_recorded(store):
    assert store.at("110000", date(2025, 12, 31)).pension.crediting_rate == Decimal("0.0150")
    assert store.at("110000", date(2024, 12, 31)).explain("pension.crediting_rate").valid_until == date(2024, 12, 31)
    with pytest.raises(Conflict) as refused:
        store.at("110000", date(2026, 12, 31)).pension.crediting_rate  # not published: never 2025's carried forward
    assert refused.value.code == "policy.value_expired"


def test_beijing_and_shanghai_limits_of_2025_hold_until_june_2026_then_are_provisional(store):
    for region, floor, ceiling in (("110105", 716200, 3581100), ("310115", 746000, 3730200)):
        july = store.at(region, date(2025, 7, 1))
        assert (july.contribution.base.floor_fen, july.contribution.base.ceiling_fen) == (floor, ceiling)
        assert july.provisional_paths() == []
        later = store.at(region, date(2026, 7, 1))
        assert later.contribution.base.floor_fen == floor
        assert later.explain("contribution.base.floor_fen").valid_until == date(2026, 6, 30)
        assert later.provisional_paths() == ["contribution.base.floor_fen"]


def test_every_value_with_an_until_belongs_to_a_parameter_that_says_what_happens_after_it(store):
    layers = [store.national, *store.provinces.values()]
    for layer in layers:
        for parameter in layer.values():
            assert parameter.past_validity in ("refuse", "provisional"), parameter.path


def test_a_value_not_checked_against_its_source_for_a_year_is_stale(tmp_path):
    """`checked:` is the last day someone compared a value with its source; past a year, or never, it is stale."""
    text = GOOD.replace("source: law 1}", "source: law 1, checked: 2025-03-01}")
    store = _store_from(tmp_path, text, province=GOOD.replace("law 1", "province law").replace("0.1", "0.2"))
    national = store.at("000000", date(2026, 2, 28))
    assert national.explain("a.rate").checked == date(2025, 3, 1) and national.stale() == []
    assert national.explain("a.rate").as_dict()["checked"] == "2025-03-01"
    assert [v.path for v in store.at("000000", date(2026, 3, 2)).stale()] == ["a.rate"]  # a year and a day
    beijing = store.at("110105", date(2026, 2, 28)).stale()
    assert [(v.path, v.jurisdiction, v.checked) for v in beijing] == [("a.rate", "110000", None)]  # never recorded


# ---------------------------------------------------------------- sane ranges (issue #15)

RANGED = """
a:
  ratio:
    description: 基数增长倍数 (a ratio)
    unit: ratio
    range: ["1.2", "10"]
    values:
      - {since: 2020-01-01, value: "2.0", source: the platform}
  months:
    description: 窗口月数 (a window in months)
    unit: months
    range: [12, 120]
    values:
      - {since: 2020-01-01, value: 36, source: the platform}
      - {since: 2024-01-01, value: 120, source: the platform}
  table:
    description: 各档月数 (months per grade)
    unit: table
    cells: months
    range: [1, 24]
    values:
      - {since: 2020-01-01, value: {1: 12, 5: 18, 10: 24}, source: the law}
"""


def test_values_within_their_range_load_bounds_included(tmp_path):
    snapshot = _store_from(tmp_path, RANGED).at("110000", date(2025, 1, 1))
    assert snapshot.a.ratio == Decimal("2.0") and snapshot.a.months == 120 and snapshot.a.table[10] == 24
    assert snapshot.explain("a.ratio").range == (Decimal("1.2"), Decimal("10"))
    assert snapshot.explain("a.ratio").as_dict()["range"] == ["1.2", "10"]
    assert snapshot.explain("a.months").as_dict()["range"] == [12, 120]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (RANGED.replace('value: "2.0"', 'value: "20"'), r"national/p.yaml: a.ratio since 2020-01-01: 20 is outside its range \[1.2, 10\]"),
        (RANGED.replace('value: "2.0"', 'value: "1.1"'), r"a.ratio since 2020-01-01: 1.1 is outside its range \[1.2, 10\]"),
        (RANGED.replace("value: 120,", "value: 121,"), r"national/p.yaml: a.months since 2024-01-01: 121 is outside its range \[12, 120\]"),
        (RANGED.replace("10: 24}", "10: 25}"), r"a.table\[10\] since 2020-01-01: 25 is outside its range \[1, 24\]"),
    ],
)
def test_a_value_outside_its_range_refuses_the_whole_load_naming_file_path_value_and_range(tmp_path, text, named):
    with pytest.raises(ParameterFileError, match=named):
        _store_from(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (RANGED.replace('range: ["1.2", "10"]', "range: [1.2, 10]"), "quoted decimals"),
        (RANGED.replace('range: ["1.2", "10"]', 'range: ["10", "1.2"]'), "min above its max"),
        (RANGED.replace("range: [12, 120]", "range: [12]"), r"range is written \[min, max\]"),
        (RANGED.replace("range: [12, 120]", "range: 12-120"), r"range is written \[min, max\]"),
        (RANGED.replace("range: [12, 120]", "range: [-1, 120]"), "non-negative integer"),
        (RANGED.replace("range: [12, 120]", 'range: ["12", 120]'), "non-negative integer"),
    ],
)
def test_a_malformed_range_is_refused_on_load(tmp_path, text, problem):
    with pytest.raises(ParameterFileError, match=problem):
        _store_from(tmp_path, text)


def test_a_range_bounds_numbers_only(tmp_path):
    text = """
a:
  group:
    description: 一个类别 (a category)
    unit: text
    range: [1, 2]
    values:
      - {since: 2020-01-01, value: cadre, source: the platform}
"""
    with pytest.raises(ParameterFileError, match="a range bounds a number"):
        _store_from(tmp_path, text)


def test_a_province_override_is_held_to_the_national_range_and_may_not_declare_another(tmp_path):
    province = """
a:
  months:
    description: 本省窗口月数 (the province's window)
    unit: months
    values:
      - {since: 2022-01-01, value: 240, source: the province}
"""
    with pytest.raises(ParameterFileError, match=r"110000/p.yaml: a.months since 2022-01-01: 240 is outside its range \[12, 120\]"):
        _store_from(tmp_path, RANGED, province)
    (tmp_path / "provinces" / "110000" / "p.yaml").write_text(province.replace("240", "48"), encoding="utf-8")
    store = ParameterStore.load(tmp_path)
    assert store.at("110105", date(2025, 1, 1)).explain("a.months").range == (12, 120)
    (tmp_path / "provinces" / "110000" / "p.yaml").write_text(
        province.replace("240", "48").replace("    unit: months\n", "    unit: months\n    range: [1, 480]\n"), encoding="utf-8")
    with pytest.raises(ParameterFileError, match=r"range \[1, 480\] differs from national \[12, 120\]"):
        ParameterStore.load(tmp_path)


def test_the_shipped_parameters_load_within_their_ranges_and_the_thresholds_declare_one(store):
    ranged = {path for path, parameter in store.national.items() if parameter.range is not None}
    assert {"comparison.minimum_age_years", "comparison.interrupted_after_months", "exchange.key_check.min_rows",
            "exchange.key_check.match_floor"} <= ranged
    assert all(parameter.range is not None for path, parameter in store.national.items()
               if path.startswith("risk.") and parameter.unit != "text")  # a choice is held by its `choices`
