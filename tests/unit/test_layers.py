"""The layer contracts in pyproject.toml ([tool.importlinter]) hold: no uphill import, no import loop, rules pure.

Run here so that `make test` tells the next engineer which import broke which contract, and how to read it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_broken_contract_is_reported(tmp_path):
    """The linter is really looking: a rules module that imports the database is caught."""
    package = tmp_path / "layered"
    (package / "ctx").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "ctx" / "__init__.py").write_text("")
    (package / "ctx" / "rules.py").write_text("import sqlalchemy\n")
    (tmp_path / "setup.toml").write_text(
        '[tool.importlinter]\nroot_package = "layered"\ninclude_external_packages = true\n\n'
        '[[tool.importlinter.contracts]]\nname = "Rules are pure"\ntype = "forbidden"\n'
        'source_modules = ["layered.*.rules"]\nforbidden_modules = ["sqlalchemy"]\n')
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache", str(tmp_path / "setup.toml")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "layered.ctx.rules -> sqlalchemy" in result.stdout
