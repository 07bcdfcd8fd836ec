"""`shebao transfer amount`, `shebao benefit-place`, `shebao transfer plan|apply|step|status|list`: the calculators'
exact shapes, their refusals (exit 1, both languages, never a traceback), and a transfer driven from the console."""

import json

from typer.testing import CliRunner

from shebao.cli import app

runner = CliRunner()


def run_json(*args):
    result = runner.invoke(app, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout), result.stderr


def case_file(tmp_path, case) -> str:
    path = tmp_path / "case.json"
    path.write_text(case if isinstance(case, str) else json.dumps(case), encoding="utf-8")
    return str(path)


def test_transfer_amount_gives_the_shape_asked_for(tmp_path):
    months = [{"period": f"{y}{m:02d}", "base_fen": 500_000} for y in range(2010, 2020) for m in range(1, 13)]
    code, body, _ = run_json("transfer", "amount", "--input", case_file(tmp_path, {"months": months,
                                                                                  "personal_account_fen": 2_500_000}))
    assert code == 0 and list(body)[:5] == ["pooled_fen", "personal_account_fen", "total_fen", "months_counted", "steps"]
    assert (body["pooled_fen"], body["total_fen"], body["months_counted"]) == (7_200_000, 9_700_000, 120)


def test_transfer_amount_refuses_bad_cases_in_both_languages(tmp_path):
    for case, code_expected in (({"months": [{"period": "202413", "base_fen": 1}], "personal_account_fen": 0}, "period.impossible"),
                                ({"months": [{"period": "202401", "base_fen": 1}] * 2, "personal_account_fen": 0},
                                 "transfer.month_repeated"),
                                ({"months": [], "personal_account_fen": -1}, "request.invalid"),
                                ("not json", "request.invalid")):
        code, body, _ = run_json("transfer", "amount", "--input", case_file(tmp_path, case))
        assert code == 1 and body["error"]["code"] == code_expected and body["error"]["reason_en"], case


def test_benefit_place_gives_the_shape_asked_for_and_refuses_overlaps(tmp_path):
    case = {"hukou_province": "440000", "sex": "M", "birth_date": "1966-01-01",
            "history": [{"region": "110105", "from": "2000-01", "to": "2012-12", "temporary": False},
                        {"region": "440300", "from": "2013-01", "to": "2020-12", "temporary": False}]}
    code, body, _ = run_json("benefit-place", "--input", case_file(tmp_path, case))
    assert code == 0 and list(body)[:5] == ["province", "rule", "reason", "reason_en", "months_by_province"]
    assert (body["province"], body["rule"], body["months_by_province"]) == ("440000", 1, {"110000": 156, "440000": 96})
    case["history"][1]["from"] = "2012-06"
    code, body, _ = run_json("benefit-place", "--input", case_file(tmp_path, case))
    assert code == 1 and body["error"]["code"] == "history.overlap" and "overlapping" in body["error"]["reason_en"]
    case["history"] = [{"region": "990000", "from": "2000-01", "to": "2001-01"}]
    code, body, _ = run_json("benefit-place", "--input", case_file(tmp_path, case))
    assert code == 1 and body["error"]["code"] == "region.unknown"


def test_a_transfer_for_nobody_is_refused_cleanly(db_url):
    code, body, _ = run_json("transfer", "plan", "--person", "999999", "--to", "440304", "--db", db_url)
    assert code == 1 and body["error"]["code"] == "scope.not_found"
    code, body, _ = run_json("transfer", "step", "999999", "letter_sent", "--db", db_url)
    assert code == 1 and body["error"]["code"] == "scope.not_found"
    code, body, _ = run_json("transfer", "step", "1", "teleported", "--db", db_url)
    assert code == 1 and body["error"]["code"] == "request.invalid"
    code, body, _ = run_json("transfer", "list", "--overdue", "--db", db_url)
    assert code == 0 and body == {"transfers": []}
