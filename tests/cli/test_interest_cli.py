"""`shebao interest calc|credit|recompute`: the calculator's exact shape and its refusals (exit 1, both languages,
never a traceback); a year credited under the old rule, recomputed from the command line, once."""

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from shebao.cli import app
from shebao.core.db import Database
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind, Line

runner = CliRunner()
CASE = {"opening_fen": 0, "credits": [{"month": 3, "fen": 100_000}, {"month": 11, "fen": 50_000}], "rate": "0.0397",
        "method": "monthly"}


def run(*args):
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def run_json(*args):
    code, out, _ = run(*args, "--json")
    return code, json.loads(out)


def case_file(tmp_path, case) -> str:
    path = tmp_path / "case.json"
    path.write_text(case if isinstance(case, str) else json.dumps(case), encoding="utf-8")
    return str(path)


def test_interest_calc_gives_the_shape_asked_for(tmp_path):
    code, body = run_json("interest", "calc", "--input", case_file(tmp_path, CASE))
    # (1,000 × 10 + 500 × 2) × 3.97% / 12 = 36.3917 → 36.39: March earns 12 − 3 + 1 months, November 2
    assert code == 0 and (body["interest_fen"], body["closing_fen"]) == (3_639, 153_639)
    assert list(body)[:3] == ["interest_fen", "closing_fen", "steps"]
    assert {"step", "value", "yuan", "how", "how_zh"} <= set(body["steps"][0])
    code, yearly = run_json("interest", "calc", "--input", case_file(tmp_path, CASE | {"method": "yearly"}))
    assert code == 0 and yearly["interest_fen"] == 3_225  # 1,500 × 3.97% × 1.083 × ½ = 32.2459
    code, out, _ = run("interest", "calc", "--input", case_file(tmp_path, CASE))
    assert code == 0 and "积数合计 11000.00 元·月" in out and "36.39" in out


@pytest.mark.parametrize(("case", "code"), [
    (CASE | {"credits": [{"month": 13, "fen": 1}]}, "request.invalid"),
    (CASE | {"credits": [{"month": 3, "fen": 1.5}]}, "request.invalid"),
    (CASE | {"rate": "0.0000001"}, "interest.rate_precision"),
    (CASE | {"rate": "3.97%"}, "decimal.malformed"),
    (CASE | {"method": "daily"}, "request.invalid"),
    ("{not json", "request.invalid"),
])
def test_interest_calc_refuses_bad_cases_with_a_reason(tmp_path, case, code):
    exit_code, body = run_json("interest", "calc", "--input", case_file(tmp_path, case))
    assert exit_code == 1 and body["error"]["code"] == code and body["error"]["reason"] and body["error"]["reason_en"]
    exit_code, _, err = run("interest", "calc", "--input", case_file(tmp_path, case))
    assert exit_code == 1 and "Traceback" not in err and err.strip()
    assert run("interest", "calc", "--input", str(tmp_path / "missing.json"))[0] == 1


def test_a_year_is_credited_then_recomputed_once_from_the_command_line(db_url, monkeypatch):
    """Credited under the old count (12 − n from the posting month, as a province could still set it), recomputed
    under the national rule from the command line: the difference posted once, a second run posts nothing."""
    import shebao.ledger.batch as batch
    from tests.integration.test_interest import OLD_RULE, rule_store

    now = datetime.now(UTC)
    year = now.year - 1
    database = Database(db_url)
    with database.transaction() as session:
        pa = ledger.open_account(session=session, kind=AccountKind.PERSONAL_ACCOUNT, province="110000", now=now).id
        clearing = ledger.open_account(session=session, kind=AccountKind.CLEARING, province="110000", now=now).id
        ledger.post_entry(session=session, key="c", province="110000", period=f"{year}04", for_period=f"{year}03",
                          kind="distribution", memo="", lines=[Line(clearing, 120_000), Line(pa, -120_000)], actor="t",
                          now=now)
    code, body = run_json("interest", "recompute", str(year), "--province", "110000", "--db", db_url)
    assert code == 1 and body["error"]["code"] == "interest.not_credited"
    with monkeypatch.context() as patched:  # the province's rule when the year was credited
        patched.setattr(batch, "default_store", lambda: rule_store("110000", **OLD_RULE))
        code, credited = run_json("interest", "credit", str(year), "--province", "110000", "--db", db_url)
    assert code == 0 and credited["persons"] == 1
    code, fixed = run_json("interest", "recompute", str(year), "--province", "110000", "--db", db_url)
    assert code == 0 and fixed["kind"] == "interest_recompute" and fixed["persons"] == 1 and fixed["total_fen"] > 0
    code, again = run_json("interest", "recompute", str(year), "--province", "110000", "--db", db_url)
    assert code == 0 and again["persons"] == 0 and again["total_fen"] == 0
    with database.unit_of_work() as uow:
        assert sum(ledger.trial_balance(session=uow.session).values()) == 0
    database.dispose()
    code, out, _ = run("interest", "recompute", str(year), "--province", "110000", "--db", db_url)
    assert code == 0 and "0 accounts corrected" in out
