"""`shebao user unlock|unlock-address|reset-otp`: the operator's way back in, without the admin account."""

import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from shebao.accounts import service
from shebao.accounts.rules import LoginPolicy
from shebao.cli import app
from shebao.core.db import Database
from shebao.core.security import FieldCipher, Role
from tests.conftest import TEST_SECRET
from tests.support import PASSWORD, make_user

runner = CliRunner()
# The commands read the real clock: the locks are made "now" — at the test's own run, not at collection (a long
# suite would reach this file after the lock's minutes were over) — so that they are still in force.


def _now() -> datetime:
    return datetime.now(UTC)


class Clock:
    def now(self):
        return _now()


def run_json(*args):
    result = runner.invoke(app, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def url(sqlite_template, tmp_path):
    target = tmp_path / "cli.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


def log_in(database, username, password, source, policy=LoginPolicy()):
    with database.transaction() as session:
        return service.log_in(session=session, cipher=FieldCipher(TEST_SECRET), username=username, password=password,
                              now=_now(), token_ttl=timedelta(minutes=60), policy=policy, source=source)


def test_unlock_lets_a_locked_administrator_back_in(url):
    database = Database(url)
    make_user(database, Clock(), "admin", Role.ADMIN)
    for index in range(20):
        log_in(database, "admin", "guess", f"198.51.100.{index}")
    assert log_in(database, "admin", PASSWORD, "203.0.113.10").error.code == "auth.locked"
    code, body = run_json("user", "unlock", "admin", "--db", url)
    assert code == 0 and body == {"username": "admin", "source": None, "was_locked": True, "counts_cleared": 20, "active": True}
    assert log_in(database, "admin", PASSWORD, "203.0.113.10").error is None
    code, body = run_json("user", "unlock", "admin", "--db", url)
    assert code == 0 and body["was_locked"] is False
    database.dispose()


def test_unlock_of_an_unknown_account_exits_1_with_the_reason(url):
    code, body = run_json("user", "unlock", "nobody\x00", "--db", url)
    assert code == 1 and body["error"]["code"] == "user.unknown" and body["error"]["reason_en"]
    result = runner.invoke(app, ["user", "unlock", "nobody", "--db", url])
    assert result.exit_code == 1 and "没有用户名为「nobody」的账号" in result.output


def test_unlock_address_and_reset_otp(url):
    database = Database(url)
    make_user(database, Clock(), "admin", Role.ADMIN)
    policy = LoginPolicy(source_max_failures=3)
    for index in range(3):
        log_in(database, f"n{index}", "guess", "2001:db8:1:2::7", policy)
    assert log_in(database, "admin", PASSWORD, "2001:db8:1:2::99", policy).error.code == "auth.source_locked"
    code, body = run_json("user", "unlock-address", "2001:db8:1:2::1", "--db", url)
    assert code == 0 and body["source"] == "2001:db8:1:2::/64" and body["was_locked"] is True
    assert log_in(database, "admin", PASSWORD, "2001:db8:1:2::99", policy).error is None
    code, body = run_json("user", "reset-otp", "admin", "--db", url)
    assert code == 0 and body == {"username": "admin", "enabled": False, "enabled_at": None}
    database.dispose()
