"""`shebao audit checkpoint|verify|public-keys`, and the checkpoint a batch run signs when it ends."""

import json
import shutil
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from shebao.cli import app
from shebao.core.clock import china_today
from shebao.core.periods import Period

runner = CliRunner()


def run_json(*args):
    result = runner.invoke(app, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}


@pytest.fixture
def db_url(sqlite_template, tmp_path, monkeypatch):
    from shebao.settings import get_settings

    monkeypatch.setenv("SHEBAO_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("SHEBAO_KEY_PASSPHRASE", "cli-test-passphrase")
    get_settings.cache_clear()
    target = tmp_path / "cli.db"
    shutil.copyfile(sqlite_template, target)
    yield f"sqlite:///{target}"
    get_settings.cache_clear()


def import_a_street(db_url, tmp_path, code="110105001"):
    streets = tmp_path / "streets.csv"
    streets.write_text(f"code,name\n{code},建外街道\n", encoding="utf-8")
    assert run_json("regions", "import", str(streets), "--db", db_url)[0] == 0


def test_checkpoint_then_verify_then_a_cut_chain_is_named(db_url, tmp_path):
    assert run_json("audit", "checkpoint", "--db", db_url)[1]["error"]["code"] == "audit.chain_empty"
    import_a_street(db_url, tmp_path)
    import_a_street(db_url, tmp_path, "110105002")
    code, checkpoint = run_json("audit", "checkpoint", "--db", db_url)
    assert code == 0 and checkpoint["number"] == 1 and checkpoint["seq"] == 2 and checkpoint["file"].endswith(".jsonl")
    code, verdict = run_json("audit", "verify", "--db", db_url)
    assert code == 0 and verdict["ok"] and verdict["anchor"]["checkpoints"] == 1
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_records_no_delete"))
        kept = connection.execute(text("SELECT hash FROM audit_records WHERE seq = 1")).scalar_one()
        connection.execute(text("DELETE FROM audit_records WHERE seq = 2"))
        connection.execute(text("UPDATE audit_head SET seq = 1, hash = :h"), {"h": kept})
    engine.dispose()
    code, verdict = run_json("audit", "verify", "--db", db_url)
    assert code == 1 and verdict["code"] == "checkpoint.chain_cut" and verdict["first_broken_seq"] == 2
    code, refused = run_json("audit", "checkpoint", "--db", db_url)
    assert code == 1 and refused["error"]["code"] == "audit.chain_cut" and refused["error"]["reason"]


def test_a_pinned_public_key_file_is_honoured(db_url, tmp_path):
    import_a_street(db_url, tmp_path)
    assert run_json("audit", "checkpoint", "--db", db_url)[0] == 0
    pinned = tmp_path / "audit-keys.json"
    code, keys = run_json("audit", "public-keys", "--output", str(pinned), "--db", db_url)
    assert code == 0 and len(keys["keys"]) == 1
    assert run_json("audit", "verify", "--trusted-keys", str(pinned), "--db", db_url)[0] == 0
    stranger = tmp_path / "stranger.json"
    stranger.write_text(json.dumps({"keys": {"someone-else": "AAAA"}}), encoding="utf-8")
    code, verdict = run_json("audit", "verify", "--trusted-keys", str(stranger), "--db", db_url)
    assert code == 1 and verdict["code"] == "checkpoint.unknown_key"
    for bad in (b"not json", b'{"keys": [1]}', b"\xff"):
        stranger.write_bytes(bad)
        assert runner.invoke(app, ["audit", "verify", "--trusted-keys", str(stranger), "--db", db_url]).exit_code == 1
    assert runner.invoke(app, ["audit", "verify", "--trusted-keys", str(tmp_path / "none.json"), "--db", db_url]).exit_code == 1


def test_a_batch_run_signs_a_checkpoint_when_it_ends(db_url, tmp_path):
    import_a_street(db_url, tmp_path)
    this_month = str(Period.of(china_today(datetime.now(UTC))))
    code, run_record = run_json("month-end", this_month, "--province", "110000", "--db", db_url)
    assert code == 0 and run_record["status"] == "done"
    code, verdict = run_json("audit", "verify", "--db", db_url)
    assert code == 0 and verdict["anchor"]["checkpoints"] == 1 and verdict["anchor"]["unanchored_records"] == 0
    newest = verdict["anchor"]["newest"]
    assert newest["seq"] == verdict["records"] >= 2
