"""`shebao risk rules`: the rule catalogue with its parameters' values in force, for people and for machines (issue #15);
bad options are refused in both languages, never a traceback. It reads no database."""

import json

import pytest
from typer.testing import CliRunner

from shebao.cli import app
from shebao.risk.rules import CATALOGUE
from tests.support import assert_bilingual

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception  # never a traceback
    return result.exit_code, result.stdout


def test_the_json_lists_every_rule_with_its_parameters_values_on_the_day():
    code, out = run("risk", "rules", "--on", "2025-08-01", "--region", "110105", "--json")
    assert code == 0
    body = json.loads(out)
    assert body["region_code"] == "110105" and body["date"] == "2025-08-01"
    assert [r["id"] for r in body["rules"]] == [r.id for r in CATALOGUE]
    first = body["rules"][0]
    assert {"id", "name_zh", "name_en", "description_zh", "description_en", "severity", "when", "subject",
            "legal_basis", "parameters"} <= set(first)
    assert first["legal_basis"][0]["document"] and first["legal_basis"][0]["text_zh"]
    makeup = {p["path"]: p for p in next(r for r in body["rules"] if r["id"] == "R09_makeup_before_retirement")["parameters"]}
    assert makeup["risk.makeup.months_covered"]["value"] == 36 and makeup["risk.makeup.months_covered"]["range"] == [12, 180]
    assert [p["path"] for p in body["common_parameters"]] == ["risk.severity.high_amount_fen", "risk.severity.critical_amount_fen"]


def test_the_table_for_people_names_every_rule_and_defaults_to_today_nationally():
    code, out = run("risk", "rules")
    assert code == 0
    assert "风险规则目录" in out and "000000" in out and f"共 {len(CATALOGUE)} 条" in out
    code, out = run("risk", "rules", "--json")
    assert code == 0 and json.loads(out)["region_code"] == "000000"


@pytest.mark.parametrize(("args", "code"), [
    (("--on", "2025-13-01"), "risk.date"),
    (("--on", "yesterday"), "risk.date"),
    (("--region", "11010"), "region.malformed"),
    (("--region", "abcdef"), "region.malformed"),
])
def test_bad_options_are_refused_in_both_languages(args, code):
    exit_code, out = run("risk", "rules", *args, "--json")
    assert exit_code == 1
    error = json.loads(out)["error"]
    assert error["code"] == code
    assert_bilingual(error["reason"], error["reason_en"], code)
    assert run("risk", "rules", *args)[0] == 1
