"""`shebao policy show` and `shebao policy expired`: each value's validity, the values past it, and the refusal of a
value read past its validity (issue #11) — in both languages, never a traceback."""

import dataclasses
import json

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from shebao.cli import app
from shebao.policy.store import ParameterStore, default_store
from tests.support import assert_bilingual

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception  # never a traceback
    return result.exit_code, result.stdout


def run_json(*args):
    code, out = run(*args, "--json")
    return code, json.loads(out)


def test_policy_show_gives_each_values_validity():
    code, body = run_json("policy", "show", "110105", "2026-11-01")
    assert code == 0
    paths = {p["path"]: p for p in body["parameters"]}
    floor = paths["contribution.base.floor_fen"]
    assert floor["value"] == 716200 and floor["valid_until"] == "2026-06-30"
    assert floor["past_validity"] == "provisional" and floor["expired"] is True and floor["provisional"] is True
    rate = paths["pension.crediting_rate"]
    assert rate["valid_until"] == "2025-12-31" and rate["expired"] is True and rate["provisional"] is False
    assert rate["past_validity"] == "refuse"
    law = paths["contribution.pension.employer_rate"]
    assert law["valid_until"] is None and law["expired"] is False and law["provisional"] is False
    code, body = run_json("policy", "show", "110105", "2025-08-01")
    floor = next(p for p in body["parameters"] if p["path"] == "contribution.base.floor_fen")
    assert floor["valid_until"] == "2026-06-30" and floor["provisional"] is False
    assert run("policy", "show", "110105", "2026-11-01")[0] == 0


def test_policy_expired_lists_the_values_past_their_validity_on_a_day():
    code, body = run_json("policy", "expired", "--on", "2026-11-01", "--region", "110105")
    assert code == 0 and body["date"] == "2026-11-01" and body["regions"] == ["110105"]
    rows = {row["path"]: row for row in body["expired"]}
    assert {"pension.crediting_rate", "contribution.base.floor_fen", "contribution.base.ceiling_fen",
            "wages.average_monthly_fen"} <= set(rows)
    assert rows["pension.crediting_rate"]["past_validity"] == "refuse" and not rows["pension.crediting_rate"]["provisional"]
    assert rows["contribution.base.floor_fen"]["provisional"] and rows["contribution.base.floor_fen"]["jurisdiction"] == "110000"
    assert all(row["region_code"] == "110105" and row["expired"] and row["valid_until"] < "2026-11-01" for row in body["expired"])


def test_policy_expired_without_a_region_covers_national_and_every_province_with_parameters():
    code, body = run_json("policy", "expired", "--on", "2026-11-01")
    assert code == 0 and body["regions"] == default_store().jurisdictions() and body["regions"][0] == "000000"
    assert len(body["regions"]) >= 31  # the nation and the provinces with packs
    assert {"000000", "110000", "310000"} <= {row["region_code"] for row in body["expired"]} <= set(body["regions"])
    code, body = run_json("policy", "expired", "--on", "2025-03-01", "--region", "110000")
    assert code == 0 and body["expired"] == []
    code, out = run("policy", "expired", "--on", "2025-03-01", "--region", "110000")
    assert code == 0 and "没有超出有效期的政策参数" in out
    assert run("policy", "expired", "--on", "2026-11-01")[0] == 0
    assert run_json("policy", "expired")[0] == 0  # today in China


@pytest.mark.parametrize(("args", "error"), [
    (("policy", "expired", "--on", "2026-02-30"), "policy.date"),
    (("policy", "expired", "--on", "tomorrow"), "policy.date"),
    (("policy", "expired", "--on", "2026-11-01", "--region", "abc"), "region.malformed"),
    (("policy", "expired", "--on", "2026-11-01", "--region", "1101"), "region.malformed"),
    (("policy", "show", "110105", "2024-8-1"), "policy.date"),
    (("policy", "show", "north", "2024-08-01"), "region.malformed"),
])
def test_bad_input_is_refused_in_both_languages(args, error):
    code, body = run_json(*args)
    assert code == 1 and body["error"]["code"] == error
    assert_bilingual(body["error"]["reason"], body["error"]["reason_en"], error)
    assert run(*args)[0] == 1


def _without_the_last_rate() -> ParameterStore:
    """The parameters as they stood before 2025's crediting rate was published."""
    loaded = default_store()
    rate = loaded.national["pension.crediting_rate"]
    assert rate.values[-1].since.year == 2025
    national = loaded.national | {rate.path: dataclasses.replace(rate, values=rate.values[:-1])}
    return ParameterStore(national, loaded.provinces)


def test_interest_for_a_year_whose_rate_is_not_loaded_is_refused_and_credited_once_it_is(db_url, monkeypatch):
    import shebao.ledger.batch

    monkeypatch.setattr(shebao.ledger.batch, "default_store", _without_the_last_rate)
    code, body = run_json("interest", "credit", "2025", "--province", "110000", "--db", db_url)
    assert code == 1 and body["error"]["code"] == "policy.value_expired"
    assert body["error"]["details"]["valid_until"] == "2024-12-31" and body["error"]["details"]["date"] == "2025-12-31"
    assert "2024-12-31" in body["error"]["reason"] and "pension.crediting_rate" in body["error"]["reason_en"]
    assert_bilingual(body["error"]["reason"], body["error"]["reason_en"], "policy.value_expired")
    code, out = run("interest", "credit", "2025", "--province", "110000", "--db", db_url)
    assert code == 1
    engine = create_engine(db_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM batch_runs")).scalar() == 0  # nothing written
    engine.dispose()
    monkeypatch.undo()  # the rate is loaded
    code, body = run_json("interest", "credit", "2025", "--province", "110000", "--db", db_url)
    assert code == 0 and body["kind"] == "interest"


def test_policy_stale_lists_the_values_never_checked_or_checked_over_a_year_ago():
    code, body = run_json("policy", "stale", "--on", "2026-11-01", "--region", "110105")
    assert code == 0 and body["after_days"] == 365 and body["stale"]
    floor = next(row for row in body["stale"] if row["path"] == "contribution.base.floor_fen")
    assert floor["jurisdiction"] == "110000" and floor["checked"] is None  # no check of its source is recorded
    everywhere = run_json("policy", "stale", "--on", "2026-11-01")[1]["stale"]
    assert len({(row["jurisdiction"], row["path"]) for row in everywhere}) == len(everywhere)  # each value once
    code, refused = run_json("policy", "stale", "--on", "yesterday")
    assert code == 1 and refused["error"]["code"] == "policy.date"


def test_policy_coverage_reports_every_province_year_by_year():
    code, body = run_json("policy", "coverage", "--on", "2026-11-01")
    assert code == 0 and len([p for p in body["provinces"] if p["code"].endswith("0000")]) == 31
    assert {p["code"] for p in body["provinces"]} >= {"110000", "310000", "650000", "440300"}  # 深圳's city pack too
    beijing = next(p for p in body["provinces"] if p["code"] == "110000")
    wage = beijing["parameters"]["pension.calculation_wage_fen"]
    assert {2024, 2025} <= set(wage["sourced"]) and set(wage["restated"]) <= set(wage["sourced"])
    assert wage["provisional"] == [2026]  # not published yet: served on 2025's until it is
    for row in body["provinces"]:  # every year from the platform's reach to today falls in exactly one state
        for path, years in row["parameters"].items():
            counted = sorted(y for state in ("sourced", "provisional", "fallback", "missing") for y in years[state])
            first = 2025 if path == "pension.divisor_rounding" else counted[0]
            assert counted == list(range(first, 2027)), (row["code"], path)
    code, refused = run_json("policy", "coverage", "--region", "11")
    assert code == 1 and refused["error"]["code"] == "policy.coverage_region" and refused["error"]["reason_en"]
    code, one = run_json("policy", "coverage", "--region", "210000", "--on", "2025-06-01")
    assert code == 0 and [p["code"] for p in one["provinces"]] == ["210000"]


def test_policy_coverage_refuses_a_city_without_a_pack_of_its_own():
    code, refused = run_json("policy", "coverage", "--region", "440100")  # 广州: the province's pack, no city pack
    assert code == 1 and refused["error"]["code"] == "policy.coverage_region" and "440300" in refused["error"]["reason_en"]
