"""A city with rules of its own (深圳) overrides its province, which overrides the nation, path by path; the coverage
report says per year which layer gives a province its figure."""

from datetime import date

from shebao.policy.coverage import PACK_PARAMETERS, coverage, year_ranges, year_status
from shebao.policy.store import ParameterStore

WAGE = """pension:
  calculation_wage_fen:
    description: W (test)
    unit: fen
    past_validity: provisional
    values:
{values}
"""


def _store(tmp_path, national, province, city):
    for folder, values in (("national", national), ("provinces/440000", province), ("provinces/440300", city)):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "pension.yaml").write_text(WAGE.format(values=values), encoding="utf-8")
    return ParameterStore.load(tmp_path)


def test_a_city_overrides_its_province_and_its_counties_read_it(tmp_path):
    store = _store(tmp_path,
                   "      - {since: 2020-01-01, value: 900000, source: national}",
                   "      - {since: 2024-01-01, until: 2024-12-31, value: 930700, source: province notice}",
                   "      - {since: 2024-01-01, until: 2024-12-31, value: 1118100, source: city form (restatement; verify)}")
    day = date(2024, 7, 1)
    assert store.at("440305", day).value("pension.calculation_wage_fen") == 1118100  # 南山区, in 深圳
    assert store.at("440305", day).explain("pension.calculation_wage_fen").jurisdiction == "440300"
    assert store.at("440104", day).value("pension.calculation_wage_fen") == 930700  # 广州 越秀区: the province's
    assert store.at("440000", date(2023, 7, 1)).value("pension.calculation_wage_fen") == 900000
    assert "440300" in store.jurisdictions()
    wage = next(p for p in PACK_PARAMETERS if p.path == "pension.calculation_wage_fen")
    assert year_status(store, "440300", wage, 2024) == ("sourced", True)  # a restatement is counted and marked
    assert year_status(store, "440000", wage, 2024) == ("sourced", False)
    assert year_status(store, "440000", wage, 2025) == ("provisional", False)  # served on 2024's until published
    assert year_status(store, "440000", wage, 2023) == ("fallback", False)
    assert year_status(store, "440000", wage, 2010) == ("missing", False)
    report = coverage(store, date(2025, 11, 1), "440300")
    assert report["provinces"][0]["parameters"]["pension.calculation_wage_fen"]["sourced"] == [2024]


def test_year_ranges_read_as_spans():
    assert year_ranges([2006, 2007, 2008, 2011]) == "2006–2008, 2011"
    assert year_ranges([]) == "—"


def test_a_city_pack_is_named_in_the_report():
    from shebao.policy.store import default_store

    report = coverage(default_store(), date(2026, 11, 1), "440300")
    assert report["provinces"][0]["name"] == "深圳市"
