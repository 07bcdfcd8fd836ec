"""`shebao exchange partner add|list|deactivate`, `shebao exchange public-key`, `shebao exchange announce`,
`shebao outbox deliver|list`: partners registered from the command line, the platform's key published, the outbox
worked — and every bad option refused in Chinese and English, never a traceback."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from shebao.cli import app
from shebao.comparison import outbox
from shebao.core.db import Database
from shebao.settings import get_settings
from tests.dci_support import Partner
from tests.support import assert_bilingual

runner = CliRunner()


def invoke_json(*args):
    result = runner.invoke(app, [str(a) for a in args] + ["--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, json.loads(result.stdout)


def refused(code: int, body: dict, error_code: str) -> None:
    assert code == 1 and body["error"]["code"] == error_code, body
    assert_bilingual(body["error"]["reason"], body["error"]["reason_en"], error_code)


@pytest.fixture
def keys(monkeypatch, tmp_path):
    monkeypatch.setenv("SHEBAO_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("SHEBAO_KEY_PASSPHRASE", "cli-test-passphrase")
    monkeypatch.setenv("SHEBAO_OUTBOX_DIR", str(tmp_path / "outbox"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _add(db_url, partner: Partner, *extra):
    return invoke_json("exchange", "partner", "add", partner.code, "--name-zh", "北京市卫生健康委员会", "--name-en",
                       "Beijing health", "--department", partner.department, "--public-key", partner.public_key,
                       "--callback", "https://nhc.example.gov.cn/dci", "--db", db_url, *extra)


def test_a_partner_is_registered_listed_and_deactivated(db_url):
    health = Partner("nhc.beijing.test", "health")
    code, body = _add(db_url, health)
    assert code == 0 and body["agreement"] == ["notify.birth", "notify.death"] and body["active"] is True
    refused(*_add(db_url, health), "exchange.partner_exists")
    code, listed = invoke_json("exchange", "partner", "list", "--db", db_url)
    assert code == 0 and [p["code"] for p in listed["partners"]] == [health.code]
    code, body = invoke_json("exchange", "partner", "deactivate", health.code, "--db", db_url)
    assert code == 0 and body["active"] is False
    refused(*invoke_json("exchange", "partner", "deactivate", "nobody.test", "--db", db_url), "exchange.partner_unknown")


def test_an_agreement_and_a_pem_key_may_be_given(db_url, tmp_path):
    court = Partner("court.beijing.test", "court")
    pem = tmp_path / "court.pem"
    pem.write_bytes(court.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo))
    code, body = invoke_json("exchange", "partner", "add", court.code, "--name-zh", "北京市高级人民法院", "--name-en",
                             "Beijing court", "--department", "court", "--public-key-file", pem, "--allow", "search",
                             "--allow", "alive_check", "--region", "110000", "--db", db_url)
    assert code == 0 and body["agreement"] == ["alive_check", "search"] and body["public_key"] == court.public_key


@pytest.mark.parametrize(("extra", "error_code"), [
    (("--department", "police"), "exchange.department"),
    (("--allow", "everything"), "exchange.capability"),
    (("--public-key", "bm90IGEga2V5IGF0IGFsbCBub3QgYSBrZXkgYXQgYWxsIG5vdCBh"), "exchange.public_key"),
    (("--callback", "ftp://example.gov.cn"), "request.invalid"),
    (("--region", "north"), "request.invalid"),
    (("--key-id", "has space"), "exchange.key_id"),
])
def test_bad_options_are_refused_in_both_languages(db_url, extra, error_code):
    partner = Partner("bad.options.test", "health")
    args = ["exchange", "partner", "add", partner.code, "--name-zh", "测试", "--name-en", "test", "--department", "health",
            "--public-key", partner.public_key, "--db", db_url]
    for index in range(0, len(extra), 2):
        position = args.index(extra[index]) if extra[index] in args else None
        if position is None:
            args += [extra[index], extra[index + 1]]
        else:
            args[position + 1] = extra[index + 1]
    code, body = invoke_json(*args)
    assert code == 1 and body["error"]["code"] == error_code, body
    assert body["error"]["reason"] and body["error"]["reason_en"]


def test_a_key_must_be_given_once(db_url):
    result = runner.invoke(app, ["exchange", "partner", "add", "x.test", "--name-zh", "测试", "--name-en", "t",
                                 "--department", "health", "--db", db_url])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1 and "--public-key" in result.stderr and "请给出" in result.stderr


def test_the_platform_key_is_made_once_and_published(keys):
    code, first = invoke_json("exchange", "public-key")
    assert code == 0 and first["sender_id"] == "shebao" and len(first["keys"]) == 1
    assert invoke_json("exchange", "public-key")[1] == first


def test_the_outbox_is_listed_and_delivered(db_url, keys):
    assert invoke_json("outbox", "list", "--db", db_url) == (0, {"messages": []})
    refused(*invoke_json("outbox", "list", "--status", "lost", "--db", db_url), "outbox.status")
    database = Database(db_url)
    with database.transaction() as session:
        outbox.enqueue(session=session, channel="letter", recipient="北京市朝阳区建外街道 1 号", subject_kind="case",
                       subject_id=3, body_zh="参保提醒", body_en="enrollment reminder", idempotency_key="letter:3",
                       now=datetime(2025, 3, 1, tzinfo=UTC))
    database.dispose()
    code, summary = invoke_json("outbox", "deliver", "--limit", "10", "--db", db_url)
    assert code == 0 and summary == {"claimed": 1, "sent": 1, "failed": 0, "dead": 0}
    assert "参保提醒" in (keys / "outbox" / "letter.jsonl").read_text(encoding="utf-8")
    code, listed = invoke_json("outbox", "list", "--status", "sent", "--db", db_url)
    assert [m["status"] for m in listed["messages"]] == ["sent"]
    assert invoke_json("exchange", "announce", "--db", db_url) == (0, {"subscriptions": 0, "events": 0, "by_partner": {}})
