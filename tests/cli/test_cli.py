"""The `shebao` command: exact JSON shapes, exit codes, and refusals that write nothing."""

import json

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from shebao.cli import app

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


def run_json(*args):
    code, out = run(*args, "--json")
    return code, json.loads(out)


def test_id_check_gives_the_exact_shape():
    code, body = run_json("id", "check", "11010519491231002x")
    assert code == 0
    assert body == {"valid": True, "id_number": "11010519491231002X", "birth_date": "1949-12-31", "sex": "F",
                    "region_code": "110105", "region_name": "北京市朝阳区"}


def test_id_check_upgrades_a_legacy_number():
    code, body = run_json("id", "check", "110105491231002")
    assert code == 0 and body["id_number"] == "11010519491231002X"


@pytest.mark.parametrize("number", ["110105194912310021", "1234", "11010320150101123X", "abc"])
def test_id_check_refuses_with_exit_1_and_a_reason(number):
    code, body = run_json("id", "check", number)
    assert code == 1 and body["valid"] is False and body["reason"]


def test_id_check_judges_against_a_given_day():
    assert run_json("id", "check", "11010519491231002X", "--today", "1940-01-01")[0] == 1
    assert run("id", "check", "11010519491231002X", "--today", "not-a-date")[0] == 1


def test_uscc_check_gives_the_same_kind_of_shape():
    code, body = run_json("uscc", "check", "91110000600037341L")
    assert code == 0 and body["valid"] is True and body["uscc"] == "91110000600037341L"
    assert body["region_code"] == "110000" and body["region_name"] == "北京市"
    code, body = run_json("uscc", "check", "91110000600037341M")
    assert code == 1 and body == {"valid": False, "reason": body["reason"], "reason_zh": body["reason_zh"], "code": "uscc.invalid"}


def test_policy_show_lists_every_parameter_with_its_source():
    code, body = run_json("policy", "show", "110105", "2024-08-01")
    assert code == 0
    paths = {p["path"]: p for p in body["parameters"]}
    assert paths["contribution.pension.employer_rate"]["value"] == "0.16"
    assert paths["contribution.base.ceiling_fen"]["value"] == 3528300
    assert all(p["source"] for p in body["parameters"])
    assert run("policy", "show", "110105", "2024-8-1")[0] == 1
    assert run_json("policy", "show", "1101", "2024-08-01")[0] == 1


def test_demo_seed_then_audit_verify_then_tamper(db_url):
    code, report = run_json("demo", "seed", "--persons", "200", "--province", "310000", "--db", db_url)
    assert code == 0 and report["persons"] == 200 and report["province"] == "310000"
    code, verdict = run_json("audit", "verify", "--db", db_url)
    assert code == 0 and verdict["ok"] and verdict["records"] >= 2
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_records_no_update"))
        connection.execute(text("UPDATE audit_records SET actor = 'mallory' WHERE seq = 1"))
    engine.dispose()
    code, verdict = run_json("audit", "verify", "--db", db_url)
    assert code == 1 and verdict["ok"] is False and verdict["first_broken_seq"] == 1


def test_demo_seed_refuses_a_county_code(db_url):
    code, body = run_json("demo", "seed", "--persons", "10", "--province", "110105", "--db", db_url)
    assert code == 1 and body["error"]["code"] == "demo.province"


def test_regions_import_is_all_or_nothing_with_a_report(db_url, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("code,name\n110105001,建外街道\n110105002,朝外街道\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\n110105003,呼家楼街道\n110103001,已撤销区的街道\n", encoding="utf-8")
    assert run_json("regions", "import", str(good), "--db", db_url) == (0, {"imported": 2})
    code, body = run_json("regions", "import", str(bad), "--db", db_url)
    assert code == 1 and body["error"]["details"]["rejected"][0]["row"] == 2
    engine = create_engine(db_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM regions WHERE level = 4")).scalar() == 2
    engine.dispose()
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("code,name\n110105009,caf\xe9\n".encode("latin-1"))
    assert run("regions", "import", str(latin1), "--db", db_url)[0] == 1
    assert run("regions", "import", str(tmp_path / "missing.csv"), "--db", db_url)[0] == 1


def _case(tmp_path, **fields):
    case = {"region": "110000", "period": "202407", "category": "employee", "declared_base_fen": 1234500}
    case.update(fields)
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    return str(path)


def test_contrib_assess_gives_the_exact_shape(tmp_path):
    code, body = run_json("contrib", "assess", "--input", _case(tmp_path), "--today", "2025-03-01")
    assert code == 0
    assert {k: body[k] for k in ("used_base_fen", "floor_fen", "ceiling_fen", "total_fen")} == {
        "used_base_fen": 1234500, "floor_fen": 682100, "ceiling_fen": 3528300, "total_fen": 465708}
    assert [i["insurance"] for i in body["items"]] == ["pension", "medical", "unemployment", "work_injury", "maternity"]
    assert body["items"][0] == {"insurance": "pension", "employer_fen": 197520, "individual_fen": 98760,
                                "personal_account_fen": 98760}
    assert body["sources"]["contribution.pension.employer_rate"]


def test_contrib_assess_for_a_flexible_worker(tmp_path):
    code, body = run_json("contrib", "assess", "--input", _case(tmp_path, category="flexible", declared_base_fen=1),
                          "--today", "2025-03-01")
    assert code == 0 and body["used_base_fen"] == 682100
    assert [i["insurance"] for i in body["items"]] == ["pension", "medical"]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"declared_base_fen": -5}, "base.not_positive"),
        ({"declared_base_fen": 12345.5}, "request.invalid"),
        ({"declared_base_fen": "1234500"}, "request.invalid"),
        ({"declared_base_fen": 10**13}, "base.absurd"),
        ({"period": "202503"}, "period.future"),
        ({"period": "2024-07"}, "period.malformed"),
        ({"region": "999999"}, "region.unknown"),
        ({"category": "retired"}, "request.invalid"),
        ({"unknown_field": 1}, "request.invalid"),
    ],
)
def test_contrib_assess_refuses_bad_cases(tmp_path, fields, code):
    exit_code, body = run_json("contrib", "assess", "--input", _case(tmp_path, **fields), "--today", "2025-02-15")
    assert exit_code == 1 and body["error"]["code"] == code


def test_contrib_assess_refuses_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "case.json"
    path.write_bytes(b"\xff\xfe not json")
    assert run_json("contrib", "assess", "--input", str(path))[0] == 1
    assert run("contrib", "assess", "--input", str(tmp_path / "missing.json"))[0] == 1


def test_month_end_interest_and_the_archive_from_the_command_line(db_url):
    from datetime import UTC, datetime

    from shebao.core.clock import china_today
    from shebao.core.periods import Period

    this_month = str(Period.of(china_today(datetime.now(UTC))))
    code, _ = run_json("demo", "seed", "--persons", "300", "--province", "110000", "--history-months", "14", "--db", db_url)
    assert code == 0
    code, run_record = run_json("month-end", this_month, "--province", "110000", "--db", db_url)
    assert code == 0 and run_record["status"] == "done" and run_record["persons"] > 0 and run_record["bills"] > 0
    code, again = run_json("month-end", this_month, "--province", "110000", "--db", db_url)
    assert code == 0 and again["id"] == run_record["id"]
    from shebao.policy.store import default_store

    # last year, or the latest year whose crediting rate is published (early in a year last year's is not yet)
    last_year = min(int(this_month[:4]) - 1, default_store().known_until("110000", "pension.crediting_rate").year)
    code, interest = run_json("interest", "credit", str(last_year), "--province", "110000", "--db", db_url)
    assert code == 0 and interest["kind"] == "interest"
    engine = create_engine(db_url)
    with engine.connect() as connection:
        person = connection.execute(text("SELECT person_id FROM users WHERE username = 'demo.person'")).scalar()
    engine.dispose()
    code, record = run_json("person", "record", str(person), "--db", db_url)
    assert code == 0 and record["paid_months"] >= 10 and record["statement"]
    assert run("person", "record", "999999", "--db", db_url)[0] == 1
    assert run_json("month-end", "209901", "--province", "110000", "--db", db_url)[0] == 1
    assert run_json("interest", "credit", "1990", "--province", "110000", "--db", db_url)[0] == 1


@pytest.fixture
def key_dir(tmp_path, monkeypatch):
    from shebao.settings import get_settings

    monkeypatch.setenv("SHEBAO_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("SHEBAO_KEY_PASSPHRASE", "cli-test-passphrase")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _sign_directly(directory, card_number):
    from datetime import UTC, datetime

    from shebao.cards.ecard import issue_code
    from shebao.cards.keys import KeyStore

    return issue_code(keys=KeyStore(directory, "cli-test-passphrase"), card_number=card_number, province="110000",
                      device_id="phone", now=datetime.now(UTC))


def run_json_err(*args):
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def test_keys_and_a_terminal_check_from_the_command_line(key_dir, db_url):
    assert run_json("keys", "init")[0] == 0
    assert run_json("keys", "init")[1]["error"]["code"] == "keys.exist"
    code, rotated = run_json("keys", "rotate", "--province", "110000")
    assert code == 0 and rotated["province"] == "110000"
    trust = key_dir / "trust.json"
    assert run("keys", "export-trust", "--output", str(trust))[0] == 0
    # `ecard issue` signs only for an active card in the database (tests/cli/test_trust_cli.py); a terminal test signs directly.
    code, refused = run_json_err("ecard", "issue", "--card", "J11010500001", "--province", "110000", "--db", db_url)
    assert code == 1 and "ecard.unknown_card" in refused
    payload = _sign_directly(key_dir / "keys", "J11010500001")
    code, verdict = run_json("ecard", "verify", payload, "--trust", str(trust))
    assert code == 0 and verdict["valid"] and verdict["card_number"] == "J11010500001"
    seen = key_dir / "seen.json"
    assert run_json("ecard", "verify", payload, "--trust", str(trust), "--seen", str(seen))[0] == 0
    code, replay = run_json("ecard", "verify", payload, "--trust", str(trust), "--seen", str(seen))
    assert code == 1 and replay["reason"] == "replayed"
    code, forged = run_json("ecard", "verify", payload[:-4] + "AAAA", "--trust", str(trust))
    assert code == 1 and forged["reason"] == "bad_signature" and forged["reason_zh"]
    assert run_json("keys", "revoke", rotated["key_id"])[0] == 0
    run("keys", "export-trust", "--output", str(trust))
    code, revoked = run_json("ecard", "verify", payload, "--trust", str(trust))
    assert code == 1 and revoked["reason"] == "revoked_key"
    assert run_json("keys", "rotate", "--province", "110105")[1]["error"]["code"] == "keys.province"
    assert run("ecard", "verify", payload, "--trust", str(key_dir / "missing.json"))[0] == 1


def test_retirement_date_and_pension_calc_from_the_command_line(tmp_path):
    code, body = run_json("retirement", "date", "--birth-date", "1965-05-10", "--sex", "M", "--category", "male")
    assert code == 0 and body["age"] == {"years": 60, "months": 2} and body["statutory_date"] == "2025-07-10"
    assert run_json("retirement", "date", "--birth-date", "1965-13-10", "--sex", "M", "--category", "male")[0] == 1
    case = {"region": "110000", "retire_date": "2024-03-01", "birth_date": "1964-03-01", "sex": "M", "category": "male",
            "contribution_months": 360, "deemed_months": 0, "average_index": "1.2", "personal_account_fen": 20000000,
            "calculation_wage_fen": 1000000}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    code, body = run_json("pension", "calc", "--input", str(path))
    assert code == 0 and body["eligible"] is True and body["total_fen"] == 473885 and body["divisor"] == 139
    assert set(body) >= {"retirement_age", "basic_pension_fen", "personal_account_pension_fen", "transitional_pension_fen",
                         "total_fen", "divisor", "steps"}
    path.write_text(json.dumps({**case, "contribution_months": 100}), encoding="utf-8")
    code, body = run_json("pension", "calc", "--input", str(path))
    assert code == 0 and body["eligible"] is False and body["reasons"]
    path.write_text(json.dumps({**case, "contribution_months": "lots"}), encoding="utf-8")
    assert run_json("pension", "calc", "--input", str(path))[1]["error"]["code"] == "request.invalid"
