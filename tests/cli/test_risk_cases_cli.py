"""`shebao risk cases|case|assign|note|evidence|conclude|repay|write-off`: a case worked to a settled recovery at the
command line, and every bad input refused with reasons in both languages (exit 1, never a traceback)."""

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from shebao.cli import app
from shebao.core.clock import FixedClock
from shebao.core.db import Database
from shebao.core.security import FieldCipher, Role
from tests.conftest import TEST_NOW, TEST_SECRET
from tests.integration.test_risk_cases import PDF, open_case
from tests.support import CHAOYANG, add_test_streets, assert_bilingual, make_user, register

runner = CliRunner()


def run_json(*args):
    result = runner.invoke(app, [*args, "--json"])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def world(db_url):
    database, clock = Database(db_url), FixedClock(TEST_NOW)
    add_test_streets(database, clock)
    person = register(database, FieldCipher(TEST_SECRET), clock, birth=date(1958, 3, 2), sequence=21)
    make_user(database, clock, "clerk", Role.STAFF, region_code=CHAOYANG)
    with database.transaction() as session:
        case = open_case(session, clock, person_id=person, amount_fen=80_000)
    database.dispose()
    return db_url, case


def test_a_case_worked_at_the_command_line(world, tmp_path):
    db, case = world
    code, listed = run_json("risk", "cases", "--region", CHAOYANG, "--status", "open", "--db", db)
    assert code == 0 and [c["id"] for c in listed["cases"]] == [case]
    assert run_json("risk", "assign", str(case), "--to", "clerk", "--db", db)[1]["assigned_to"] == "staff:clerk"
    assert run_json("risk", "note", str(case), "已核实", "--db", db)[1]["status"] == "investigating"
    scan = tmp_path / "证明.pdf"
    scan.write_bytes(PDF)
    code, filed = run_json("risk", "evidence", str(case), str(scan), "--db", db)
    assert code == 0 and filed["evidence"][0]["file_name"] == "证明.pdf"
    code, done = run_json("risk", "conclude", str(case), "--confirmed", "--overpaid-fen", "80000", "--db", db)
    assert code == 0 and done["status"] == "confirmed"
    recovery = str(done["recovery"]["id"])
    assert run_json("risk", "repay", recovery, "--amount-fen", "30000", "--reference", "B1", "--db", db)[1][
        "outstanding_fen"] == 50_000
    code, settled = run_json("risk", "write-off", recovery, "--amount-fen", "50000", "--reason", "无力偿还", "--db", db)
    assert code == 0 and settled["status"] == "settled"
    code, shown = run_json("risk", "case", str(case), "--db", db)
    assert code == 0 and shown["recovery"]["written_off_fen"] == 50_000
    human = runner.invoke(app, ["risk", "case", str(case), "--db", db])
    assert human.exit_code == 0 and "R06_retired_below_statutory_age" in human.stdout


@pytest.mark.parametrize("args", [
    ["risk", "cases", "--region", "1101"],
    ["risk", "cases", "--region", CHAOYANG, "--status", "gone"],
    ["risk", "case", "999999"],
    ["risk", "assign", "{case}", "--to", "nobody"],
    ["risk", "note", "{case}", "  "],
    ["risk", "evidence", "{case}", "/no/such/file.pdf"],
    ["risk", "conclude", "{case}"],
    ["risk", "conclude", "{case}", "--confirmed", "--cleared"],
    ["risk", "conclude", "{case}", "--cleared", "--reason", "无"],
    ["risk", "repay", "999999", "--amount-fen", "1", "--reference", "B"],
    ["risk", "write-off", "999999", "--amount-fen", "1", "--reason", "R"],
])
def test_bad_input_is_refused_in_both_languages(world, args):
    db, case = world
    code, answer = run_json(*[a.replace("{case}", str(case)) for a in args], "--db", db)
    assert code == 1
    assert_bilingual(answer["error"]["reason"], answer["error"]["reason_en"], " ".join(args))
