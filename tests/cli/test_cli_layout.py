"""The CLI's shape (issue 10): each context mounts its own commands, the root only mounts them, and what they
share comes from `clikit` — no module takes private names from another, and none imports the root back."""

from __future__ import annotations

import ast
from pathlib import Path

import typer
from typer.models import DefaultPlaceholder

from shebao import cli
from shebao.clikit import OFFLINE_COMMANDS

SOURCE = Path(__file__).resolve().parents[2] / "src" / "shebao"
CLI_MODULES = sorted([*SOURCE.glob("*/cli.py"), SOURCE / "clikit.py", SOURCE / "platform_cli.py"])


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every `from shebao… import name` in a file, wherever it stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.module, alias.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and node.module and node.module.startswith("shebao") for alias in node.names]


def test_the_root_holds_no_command_of_its_own():
    assert cli.app.registered_commands == []
    assert all(isinstance(group.name, DefaultPlaceholder) for group in cli.app.registered_groups), \
        "the root mounts each context's commands unnamed; the contexts name their groups"


def test_no_cli_module_imports_the_root_or_a_private_name():
    for path in CLI_MODULES:
        where = path.relative_to(SOURCE)
        for module, name in _imports(path):
            assert module != "shebao.cli", f"{where} imports the root back"
            assert not name.startswith("_"), f"{where} takes the private name {name} from {module}"


def test_every_offline_command_exists():
    def paths(group, prefix: str = "") -> set[str]:  # noqa: ANN001 - typer's own click group
        return {name for sub_name, sub in group.commands.items()
                for name in (paths(sub, f"{prefix}{sub_name} ") if hasattr(sub, "commands") else {prefix + sub_name})}

    assert OFFLINE_COMMANDS <= paths(typer.main.get_command(cli.app))
