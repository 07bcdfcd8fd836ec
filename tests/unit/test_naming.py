"""The naming convention of docs/architecture.md ("Naming"), held by reading the source (no imports, no database)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import shebao

PACKAGE = Path(shebao.__file__).parent

# Pydantic models that are not a context's request or response schemas, with why.
MODELS_ELSEWHERE = {
    ("core/runs.py", "BatchRunRead"),  # the shared kernel keeps it beside the batch_runs table it reads
}
# Public functions still taking their session or database positionally, with why.
POSITIONAL_DEPENDENCIES = {
    ("ledger/service.py", "refuse_closed"),  # called from ledger/posting.py
    ("ledger/service.py", "require_open_month"),  # called from contributions/batch.py and benefits/payroll.py
}
POSITIONAL_FILES = {"benefits/payroll.py"}  # its chunk steps (pay, post_payable, …) are being reworked on their own
NOT_USE_CASES = {"api.py", "cli.py", "models.py", "rules.py", "schemas.py", "__init__.py"}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if not relative.startswith("migrations/"):
            yield relative, ast.parse(path.read_text(encoding="utf-8"))


def test_request_and_response_models_live_in_schemas_py():
    misplaced = [f"{module}: {node.name}" for module, tree in _modules() for node in tree.body
                 if isinstance(node, ast.ClassDef) and any(getattr(base, "id", None) == "BaseModel" for base in node.bases)
                 and not module.endswith("schemas.py") and (module, node.name) not in MODELS_ELSEWHERE]
    assert misplaced == [], "Pydantic models outside a schemas.py"


def test_request_models_are_named_subject_then_verb():
    outliers = [f"{module}: {node.name}" for module, tree in _modules() if module.endswith("schemas.py")
                for node in tree.body if isinstance(node, ast.ClassDef) and re.search(r"(Command|In)$", node.name)]
    assert outliers == [], "request models are <Subject><Verb> (PersonCreate, RetirementApply), not …Command or …In"


def test_use_cases_take_their_session_or_database_by_keyword():
    positional = []
    for module, tree in _modules():
        if "/" not in module or module.startswith(("core/", "web/")) or module.rsplit("/", 1)[1] in NOT_USE_CASES:
            continue
        if module in POSITIONAL_FILES:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") \
                    and (module, node.name) not in POSITIONAL_DEPENDENCIES:
                names = [a.arg for a in node.args.posonlyargs + node.args.args]
                positional += [f"{module}: {node.name}({name})" for name in names if name in ("session", "database")]
    assert positional == [], "session= and database= are keyword-only"
