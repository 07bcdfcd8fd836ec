"""`shebao fund settle|statement`: the JSON shape, a rerun that posts nothing, and bad input refused with a reason in
both languages (exit 1, never a traceback)."""

import json

import pytest
from typer.testing import CliRunner

from shebao.cli import app
from shebao.core.db import Database
from shebao.core.security import FieldCipher
from tests.conftest import TEST_SECRET
from tests.integration.test_national_fund import build_country

runner = CliRunner()
LINE_KEYS = {"province", "in_settlement", "base_fen", "assessments", "rate", "remitted_fen", "retirees", "received_fen",
             "net_fen", "remitted_yuan", "received_yuan", "net_yuan", "remit_key", "receive_key", "how", "how_zh"}


def run_json(*args):
    result = runner.invoke(app, [*args, "--json"])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def country_db(db_url):
    database = Database(db_url)
    build_country(database, FieldCipher(TEST_SECRET))
    database.dispose()
    return db_url


def test_settle_then_read_the_statement(country_db):
    code, settled = run_json("fund", "settle", "--year", "2024", "--db", country_db)
    assert code == 0 and settled["newly_settled"] and settled["balanced"]
    assert settled["national_movement_fen"] == 0 and settled["remitted_fen"] == settled["received_fen"] > 0
    assert [line["province"] for line in settled["lines"]] == ["110000", "230000"]
    assert all(set(line) == LINE_KEYS for line in settled["lines"])
    code, again = run_json("fund", "settle", "--year", "2024", "--db", country_db)
    assert code == 0 and not again["newly_settled"] and again["lines"] == settled["lines"]
    code, one = run_json("fund", "statement", "--year", "2024", "--province", "230000", "--db", country_db)
    assert code == 0 and [line["province"] for line in one["lines"]] == ["230000"]
    assert one["lines"][0]["net_fen"] > 0 and "verify" in one["source"]
    result = runner.invoke(app, ["fund", "statement", "--year", "2024", "--db", country_db])
    assert result.exit_code == 0 and "230000" in result.stdout and "balanced" in result.stdout


@pytest.mark.parametrize(("args", "code"), [
    (("fund", "settle", "--year", "2017"), "national_fund.year"),
    (("fund", "settle", "--year", "2999"), "national_fund.year"),
    (("fund", "settle", "--year", "2023"), "national_fund.no_data"),
    (("fund", "statement", "--year", "2023"), "national_fund.not_settled"),
    (("fund", "statement", "--year", "2024", "--province", "110105"), "national_fund.province"),
])
def test_bad_input_is_refused_with_a_reason(country_db, args, code):
    exit_code, body = run_json(*args, "--db", country_db)
    assert exit_code == 1 and body["error"]["code"] == code
    assert body["error"]["reason"] and body["error"]["reason_en"]


def test_a_year_that_is_not_a_number_is_a_usage_error(db_url):
    result = runner.invoke(app, ["fund", "settle", "--year", "last", "--db", db_url])
    assert result.exit_code == 2 and "Traceback" not in result.stdout + result.stderr
