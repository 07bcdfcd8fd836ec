"""A command run against a database it cannot use says what to do, in both languages, and never prints a traceback:
never migrated (or migrated by older code), or not reachable at all. Run through the installed entry point, as a
clerk would type it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "src"


def shebao(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SOURCE)}
    env.pop("SHEBAO_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "shebao.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.mark.parametrize("command", [("month-end", "202510", "--province", "110000"),
                                     ("interest", "credit", "2025", "--province", "110000"),
                                     ("payroll", "202510", "--province", "110000")])
def test_a_database_never_migrated_is_refused_with_what_to_do(tmp_path, command):
    done = shebao(*command, "--db", f"sqlite:///{tmp_path / 'empty.db'}", "--json")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "database.schema" and "shebao db upgrade" in error["reason"]
    assert error["details"]["current"] is None and error["details"]["head"]


def test_a_database_out_of_reach_is_refused_in_both_languages():
    done = shebao("month-end", "202510", "--province", "110000", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert "无法连接数据库" in done.stdout + done.stderr and "cannot be reached" in done.stdout + done.stderr
