"""Issue 9, "Trust", from the command line: files a user hands in, the offline verifier and its replay store,
codes only for active cards, and production secrets checked before any command touches data or keys.

Each test names the finding it reproduced; none may end in a traceback (CliRunner keeps the exception)."""

import json
from datetime import UTC, datetime

import pytest
import typer
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from shebao.cli import app
from shebao.clikit import OFFLINE_COMMANDS
from shebao.core.errors import DATE_FORMAT_ZH
from shebao.core.money import MAX_FEN
from shebao.settings import get_settings

runner = CliRunner()
BOM = "\ufeff"
TEN_MEGABYTES = 10 * 1024 * 1024


def invoke(*args):
    """Exit code, stdout and stderr; fails the test on any exception other than a clean exit."""
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def invoke_json(*args):
    code, stdout, _ = invoke(*args, "--json")
    return code, json.loads(stdout)


def _count(url, sql):
    engine = create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(text(sql)).scalar()
    engine.dispose()
    return value


def _audit_records(url):
    return _count(url, "SELECT count(*) FROM audit_records")


# --- imports: regions ------------------------------------------------------------------------------------

def test_a_ten_megabyte_line_is_refused_naming_the_row(db_url, tmp_path):
    big = tmp_path / "big.csv"
    big.write_text("code,name\n110105001,建外街道\n110105002," + "街" * TEN_MEGABYTES + "\n", encoding="utf-8")
    code, body = invoke_json("regions", "import", big, "--db", db_url)
    assert code == 1 and body["error"]["details"]["rejected"][0]["row"] == 2
    assert body["error"]["details"]["rejected"][0]["reason"] and body["error"]["details"]["rejected"][0]["reason_en"]
    assert _count(db_url, "SELECT count(*) FROM regions WHERE level = 4") == 0


def test_a_file_that_starts_with_a_bom_is_read(db_url, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text(BOM + "code,name\n110105001,建外街道\n", encoding="utf-8")
    assert invoke_json("regions", "import", path, "--db", db_url) == (0, {"imported": 1})


@pytest.mark.parametrize("name", ["建外\x00街道", "建外\x1b[31m街道", "=HYPERLINK(A1)", "+建外街道", "-建外街道", "@建外街道",
                                  "建外\u202e街道"])
def test_control_characters_and_formulas_in_street_names_are_refused(db_url, tmp_path, name):
    path = tmp_path / "streets.csv"
    path.write_text(f"code,name\n110105001,建外街道\n110105002,{name}\n", encoding="utf-8")
    code, body = invoke_json("regions", "import", path, "--db", db_url)
    rejected = body["error"]["details"]["rejected"]
    assert code == 1 and [r["row"] for r in rejected] == [2]
    assert _count(db_url, "SELECT count(*) FROM regions WHERE level = 4") == 0


@pytest.mark.parametrize("content", ["", "code,name\n", BOM + "code,name\n", "\n\n"])
def test_an_empty_file_exits_1_and_writes_no_audit_record(db_url, tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_text(content, encoding="utf-8")
    before = _audit_records(db_url)
    code, _, stderr = invoke("regions", "import", path, "--db", db_url)
    assert code == 1 and stderr.strip()
    assert _audit_records(db_url) == before


def test_rejected_rows_are_shown_as_a_table_without_json(db_url, tmp_path):
    path = tmp_path / "streets.csv"
    path.write_text("code,name\n110105001,建外街道\n110105002,=cmd|' /C calc'!A0\n12,朝外街道\n", encoding="utf-8")
    code, _, stderr = invoke("regions", "import", path, "--db", db_url)
    assert code == 1 and "rejected rows" in stderr and "公式" in stderr


# --- imports: certifications -----------------------------------------------------------------------------

def test_certification_import_reasons_dates_row_by_row_in_both_languages(db_url, tmp_path):
    path = tmp_path / "hospital.csv"
    path.write_text(BOM + "id_number,method,date,source\n"
                    "11010519491231002X,passive_hospital,,his-1\n"
                    "11010519491231002X,passive_hospital,2025-02-30,his-2\n"
                    "11010519491231002X,passive_hospital,20250201,his-3\n", encoding="utf-8")
    before = _audit_records(db_url)
    code, body = invoke_json("certification", "import", path, "--db", db_url)
    rejected = body["error"]["details"]["rejected"]
    assert code == 1 and [r["row"] for r in rejected] == [1, 2, 3]
    assert all(r["reason"] == DATE_FORMAT_ZH and r["reason_en"] == "date is YYYY-MM-DD" for r in rejected)
    assert "Invalid isoformat" not in json.dumps(body)
    assert _audit_records(db_url) == before


def test_certification_import_shows_rejected_rows_without_json(db_url, tmp_path):
    path = tmp_path / "hospital.csv"
    path.write_text("id_number,method,date,source\n11010519491231002X,passive_hospital,2025-02-01,his-1\n"
                    "11010519491231002X,telepathy,2025-02-01,his-2\n", encoding="utf-8")
    code, _, stderr = invoke("certification", "import", path, "--db", db_url)
    assert code == 1 and "rejected rows" in stderr
    assert "1" in stderr and "2" in stderr and "passive" in stderr  # the service's reasons, row by row


@pytest.mark.parametrize("content", ["", "id_number,method,date,source\n"])
def test_an_empty_certification_file_exits_1_without_an_audit_record(db_url, tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_text(content, encoding="utf-8")
    before = _audit_records(db_url)
    assert invoke("certification", "import", path, "--db", db_url)[0] == 1
    assert _audit_records(db_url) == before


def test_a_huge_certification_line_and_a_formula_are_refused(db_url, tmp_path):
    path = tmp_path / "hospital.csv"
    path.write_text("id_number,method,date,source\n11010519491231002X,passive_hospital,2025-02-01,"
                    + "x" * TEN_MEGABYTES + "\n", encoding="utf-8")
    code, body = invoke_json("certification", "import", path, "--db", db_url)
    assert code == 1 and body["error"]["details"]["rejected"][0]["row"] == 1
    path.write_text("id_number,method,date,source\n11010519491231002X,passive_hospital,2025-02-01,"
                    "=HYPERLINK(\"http://x\")\n", encoding="utf-8")
    code, body = invoke_json("certification", "import", path, "--db", db_url)
    assert code == 1 and body["error"]["details"]["rejected"][0]["column"] == "source"


# --- case files ------------------------------------------------------------------------------------------

PENSION_CASE = {"region": "110000", "retire_date": "2024-03-01", "birth_date": "1964-03-01", "sex": "M", "category": "male",
                "contribution_months": 360, "deemed_months": 0, "average_index": "1.2", "personal_account_fen": 20000000,
                "calculation_wage_fen": 1000000}


def _case_file(tmp_path, case, bom=False):
    path = tmp_path / "case.json"
    path.write_text((BOM if bom else "") + json.dumps(case), encoding="utf-8")
    return path


@pytest.mark.parametrize("amount", [10**60, MAX_FEN + 1])
def test_a_personal_account_of_ten_to_the_sixty_fen_is_refused(tmp_path, amount):
    code, body = invoke_json("pension", "calc", "--input", _case_file(tmp_path, PENSION_CASE | {"personal_account_fen": amount}))
    assert code == 1 and body["error"]["code"] == "money.too_large" and body["error"]["reason_en"]


@pytest.mark.parametrize("index", ["NaN", "sNaN", "Infinity", "1e999999999"])
def test_a_non_finite_index_is_refused(tmp_path, index):
    code, body = invoke_json("pension", "calc", "--input", _case_file(tmp_path, PENSION_CASE | {"average_index": index}))
    assert code == 1 and body["error"]["code"].startswith("decimal.")


def test_case_files_with_a_bom_are_read(tmp_path):
    assert invoke_json("pension", "calc", "--input", _case_file(tmp_path, PENSION_CASE, bom=True))[0] == 0
    case = {"region": "110000", "period": "202407", "category": "employee", "declared_base_fen": 1234500}
    assert invoke_json("contrib", "assess", "--input", _case_file(tmp_path, case, bom=True), "--today", "2025-03-01")[0] == 0


def test_a_huge_case_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(PENSION_CASE | {"padding": "x" * TEN_MEGABYTES}), encoding="utf-8")
    code, _, stderr = invoke("pension", "calc", "--input", path)
    assert code == 1 and "KB" in stderr


def test_an_invalid_case_reads_in_chinese_and_english(tmp_path):
    code, body = invoke_json("pension", "calc", "--input", _case_file(tmp_path, PENSION_CASE | {"contribution_months": "lots"}))
    assert code == 1 and body["error"]["reason"] == "输入有误：「contribution_months」应为整数"
    assert body["error"]["reason_en"].startswith("invalid input: contribution_months")


def test_a_bad_birth_date_for_the_retirement_date_is_refused(tmp_path):
    for birth in ("9999-12-31", "1965-13-10", "not a date"):
        code, body = invoke_json("retirement", "date", "--birth-date", birth, "--sex", "M", "--category", "male")
        assert code == 1 and body["error"]["code"] == "request.invalid"


# --- the electronic card: issue and verify ---------------------------------------------------------------

@pytest.fixture
def key_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SHEBAO_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("SHEBAO_KEY_PASSPHRASE", "cli-trust-test-passphrase")
    get_settings.cache_clear()
    assert invoke_json("keys", "init")[0] == 0
    assert invoke_json("keys", "rotate", "--province", "110000")[0] == 0
    assert invoke("keys", "export-trust", "--output", tmp_path / "terminal" / "trust.json")[0] == 1  # no such folder
    (tmp_path / "terminal").mkdir()
    assert invoke("keys", "export-trust", "--output", tmp_path / "terminal" / "trust.json")[0] == 0
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def active_card(db_url):
    """An active card in the database, as a counter would find it."""
    from shebao.core.clock import FixedClock
    from shebao.core.db import Database
    from shebao.core.security import FieldCipher
    from tests.support import add_test_streets, give_active_card, register

    database, clock, cipher = Database(db_url), FixedClock(datetime.now(UTC)), FieldCipher("test-secret-for-the-suite")
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=datetime(1980, 5, 17).date(), sequence=11)
    card_id = give_active_card(database, cipher, clock, person)
    database.dispose()
    return {"url": db_url, "id": card_id, "number": _count(db_url, f"SELECT card_number FROM cards WHERE id = {card_id}")}


def test_a_code_is_issued_only_for_an_active_card_in_the_database(key_dir, active_card):
    trust = key_dir / "terminal" / "trust.json"
    code, payload, _ = invoke("ecard", "issue", "--card", active_card["number"], "--db", active_card["url"])
    assert code == 0
    code, verdict = invoke_json("ecard", "verify", payload.strip(), "--trust", trust)
    assert code == 0 and verdict["valid"] and verdict["card_number"] == active_card["number"]
    for number in ("J11010500001", "11000000000", active_card["number"][:-1]):
        code, _, stderr = invoke("ecard", "issue", "--card", number, "--db", active_card["url"])
        assert code == 1 and "ecard.unknown_card" in stderr
    code, _, stderr = invoke("ecard", "issue", "--card", active_card["number"], "--province", "310000", "--db", active_card["url"])
    assert code == 1 and "ecard.wrong_province" in stderr
    for state in ("frozen", "cancelled", "issued"):
        engine = create_engine(active_card["url"])
        with engine.begin() as connection:
            connection.execute(text("UPDATE cards SET state = :state WHERE id = :id"), {"state": state, "id": active_card["id"]})
        engine.dispose()
        code, stdout, stderr = invoke("ecard", "issue", "--card", active_card["number"], "--db", active_card["url"])
        assert code == 1 and "ecard.card_not_active" in stderr and "SB1." not in stdout


def _signed(key_dir, card_number="J11010500001"):
    from shebao.cards.ecard import issue_code
    from shebao.cards.keys import KeyStore

    return issue_code(keys=KeyStore(key_dir / "keys", "cli-trust-test-passphrase"), card_number=card_number,
                      province="110000", device_id="phone", now=datetime.now(UTC))


def test_without_seen_a_replay_is_refused_and_the_store_is_named(key_dir):
    trust = key_dir / "terminal" / "trust.json"
    payload = _signed(key_dir)
    code, first = invoke_json("ecard", "verify", payload, "--trust", trust)
    assert code == 0 and first["replay_store"] == str(key_dir / "terminal" / "seen-codes.json")
    code, again = invoke_json("ecard", "verify", payload, "--trust", trust)
    assert code == 1 and again["reason"] == "replayed" and again["reason_zh"]
    code, stdout, _ = invoke("ecard", "verify", _signed(key_dir), "--trust", trust)
    assert code == 0 and "seen-codes.json" in stdout.replace("\n", "")  # rich wraps long paths
    other = key_dir / "elsewhere.json"
    code, body = invoke_json("ecard", "verify", payload, "--trust", trust, "--seen", other)
    assert code == 0 and body["replay_store"] == str(other)


def test_a_damaged_replay_store_refuses_rather_than_accepting_replays(key_dir):
    trust = key_dir / "terminal" / "trust.json"
    (key_dir / "terminal" / "seen-codes.json").write_text("{broken", encoding="utf-8")
    code, body = invoke_json("ecard", "verify", _signed(key_dir), "--trust", trust)
    assert code == 1 and body["error"]["code"] == "ecard.replay_store"


def _with_payload(code, **changes):
    from shebao.cards.keys import b64, unb64

    prefix, payload, signature = code.split(".")
    return f"{prefix}.{b64(json.dumps(json.loads(unb64(payload)) | changes).encode())}.{signature}"


@pytest.mark.parametrize("changes", [{"exp": 10**20}, {"iat": 10**20}, {"exp": -(10**20)}])
def test_a_code_with_absurd_times_is_an_invalid_code(key_dir, changes):
    code, body = invoke_json("ecard", "verify", _with_payload(_signed(key_dir), **changes), "--trust",
                             key_dir / "terminal" / "trust.json")
    assert code == 1 and body["valid"] is False and body["reason"] == "malformed"


def test_trust_files_with_a_bom_are_read_and_broken_ones_refused(key_dir):
    trust = key_dir / "terminal" / "trust.json"
    trust.write_text(BOM + trust.read_text(encoding="utf-8"), encoding="utf-8")
    assert invoke_json("ecard", "verify", _signed(key_dir), "--trust", trust)[0] == 0
    trust.write_bytes(b"\xff\xfe\x00garbage")
    assert invoke("ecard", "verify", _signed(key_dir), "--trust", trust)[0] == 1
    data = {"root_key_id": "r", "root_public_key": "x", "certificates": [{"key_id": "k", "level": "province",
            "province": "110000", "public_key": "x", "valid_from": 5, "valid_to": 6, "issuer": "r"}],
            "revoked": {}, "revocation_signature": ""}
    trust.write_text(json.dumps(data), encoding="utf-8")
    code, body = invoke_json("ecard", "verify", _signed(key_dir), "--trust", trust)
    assert code == 1 and body["error"]["code"] == "trust.malformed"


# --- production secrets ----------------------------------------------------------------------------------

def _command_paths(group=None, prefix=()):
    """Every command the `shebao` app offers, as its words: ("keys", "init"), ("month-end",) …"""
    group = group or typer.main.get_command(app)
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _command_paths(command, (*prefix, name))
        else:
            yield (*prefix, name)


def _offline(path):
    return " ".join(path) in OFFLINE_COMMANDS


@pytest.fixture
def weak_production(tmp_path, monkeypatch):
    monkeypatch.setenv("SHEBAO_ENVIRONMENT", "production")
    monkeypatch.setenv("SHEBAO_SECRET_KEY", "x")
    monkeypatch.setenv("SHEBAO_KEY_PASSPHRASE", "")
    monkeypatch.setenv("SHEBAO_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("SHEBAO_DATABASE_URL", f"sqlite:///{tmp_path / 'never.db'}")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_every_command_that_touches_data_or_keys_refuses_weak_production_secrets(weak_production):
    paths = list(_command_paths())
    assert ("keys", "init") in paths and ("month-end",) in paths and ("ecard", "issue") in paths
    for path in paths:
        if _offline(path):
            continue
        code, _, stderr = invoke(*path)
        assert code == 1 and "settings.weak_secret" in stderr, (path, stderr)
    assert not (weak_production / "keys").exists() and not (weak_production / "never.db").exists()


def test_offline_commands_still_run_in_production(weak_production, tmp_path):
    assert invoke_json("id", "check", "11010519491231002x")[0] == 0
    assert invoke_json("pension", "calc", "--input", _case_file(tmp_path, PENSION_CASE))[0] == 0


def test_keys_init_in_production_uses_no_development_passphrase(tmp_path, monkeypatch):
    from shebao.settings import DEV_SECRET

    monkeypatch.setenv("SHEBAO_ENVIRONMENT", "production")
    monkeypatch.setenv("SHEBAO_SECRET_KEY", "Xq3v-9LmR_2pWz7KdT8yBn4cHs6fJa1e")
    monkeypatch.delenv("SHEBAO_KEY_PASSPHRASE", raising=False)  # the default is the public development secret
    monkeypatch.setenv("SHEBAO_KEY_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    try:
        assert get_settings().key_passphrase == DEV_SECRET
        code, _, stderr = invoke("keys", "init")
        assert code == 1 and "settings.weak_secret" in stderr and not (tmp_path / "keys").exists()
        monkeypatch.setenv("SHEBAO_KEY_PASSPHRASE", "u5Gk-Q2wZr7Nx9Vb3Mh8Tp1Ld6Sy4Fc0")
        get_settings.cache_clear()
        assert invoke_json("keys", "init")[0] == 0
    finally:
        get_settings.cache_clear()


def test_an_unreadable_setting_is_a_message_not_a_traceback(monkeypatch):
    monkeypatch.setenv("SHEBAO_ENVIRONMENT", "staging")
    get_settings.cache_clear()
    try:
        code, _, stderr = invoke("keys", "init")
        assert code == 1 and "SHEBAO_ENVIRONMENT" in stderr
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("option", ["--wage-growth", "--future-index", "--account-interest"])
def test_the_estimate_command_refuses_non_finite_assumptions(db_url, option):
    code, body = invoke_json("pension", "estimate", "--person", "1", "--category", "male", option, "NaN", "--db", db_url)
    assert code == 1 and body["error"]["code"] == "decimal.not_finite"
