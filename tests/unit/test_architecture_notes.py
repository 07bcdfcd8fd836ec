"""docs/architecture.md's "Where each rule lives" table points at what exists: every file, every function named
beside it and every parameter path, so a newcomer's one hop never lands on nothing."""

from __future__ import annotations

import re
from pathlib import Path

from shebao.policy.store import default_store

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "shebao"


def rule_rows() -> list[tuple[str, str, str]]:
    notes = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = notes.split("## Where each rule lives")[1].split("\n## ")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| rule ")]
    return [tuple(cell.strip() for cell in row.strip("|").split(" | ")) for row in rows]  # type: ignore[misc]


def test_the_table_has_rows():
    assert len(rule_rows()) >= 15


def test_every_file_and_function_named_exists():
    for rule, where, _ in rule_rows():
        files: list[Path] = []
        for part in re.split(r"[;,] (?=`)", where):
            named = re.findall(r"`([^`]+)`", part)
            paths = [SOURCE / n if not n.startswith("tests/") else ROOT / n.replace("<context>/*.yaml", "")
                     for n in named if n.endswith((".py", "/", ".yaml"))]
            for path in paths:
                assert path.exists(), f"{rule}: {path} does not exist"
            files += [p for p in paths if p.suffix == ".py"]
            for function in (n for n in named if not n.endswith((".py", "/", ".yaml"))):
                source = "\n".join(p.read_text(encoding="utf-8") for p in files)
                assert re.search(rf"^(def|class) {function}\b|^{function} = ", source, re.M), \
                    f"{rule}: {function} is not defined in {', '.join(str(p.relative_to(ROOT)) for p in files)}"


def test_every_parameter_named_exists():
    store = default_store()
    known = set(store.national) | {path for province in store.provinces.values() for path in province}
    parameter_files = {p.name for p in (SOURCE / "policy" / "parameters" / "national").glob("*.yaml")}
    for rule, _, parameters in rule_rows():
        for name in re.findall(r"`([^`]+)`", parameters):
            if name.endswith(".yaml"):
                assert name in parameter_files, f"{rule}: no parameter file {name}"
            elif name.endswith(".*"):
                assert any(path.startswith(name[:-1]) for path in known), f"{rule}: no parameter under {name}"
            elif name != "settings.py":
                assert any(path == name or path.startswith(name + ".") for path in known), f"{rule}: no parameter {name}"
