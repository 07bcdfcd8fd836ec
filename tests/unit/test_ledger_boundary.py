"""Only the ledger writes or reads its tables: every other context posts through `ledger.posting` or
`ledger.service` and reads through `ledger.service`, and never matches journal keys by a naming convention."""

import re
from pathlib import Path

import shebao

SOURCES = Path(shebao.__file__).resolve().parent
LEDGER = SOURCES / "ledger"
# The schema's own history, and the one module that gathers every context's tables into one metadata.
ALLOWED = (SOURCES / "migrations", SOURCES / "models.py")

LEDGER_MODELS = re.compile(r"shebao\.ledger\.models|from shebao\.ledger import [^\n]*\bmodels\b|"
                           r"\b(JournalEntry|JournalLine|LedgerAccount|ClosedPeriod|InterestCredit|InterestCorrection)\b")
LEDGER_TABLES = re.compile(r"\b(journal_entries|journal_lines|ledger_accounts|closed_periods|interest_credits|"
                           r"interest_corrections)\b")


def outside_the_ledger() -> list[Path]:
    return [path for path in sorted(SOURCES.rglob("*.py"))
            if not path.is_relative_to(LEDGER) and not any(path == a or path.is_relative_to(a) for a in ALLOWED)]


def offences(pattern: re.Pattern, paths: list[Path]) -> list[str]:
    return [f"{path.relative_to(SOURCES)}:{number}: {line.strip()}"
            for path in paths for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
            if pattern.search(line)]


def test_no_other_context_imports_the_ledger_models():
    assert offences(LEDGER_MODELS, outside_the_ledger()) == []


def test_no_other_context_names_the_ledger_tables_in_sql():
    assert offences(LEDGER_TABLES, outside_the_ledger()) == []


def test_the_distribution_key_is_only_its_posters():
    """Bills record their distribution entry; nobody else reads a month as paid by matching "distribute:" keys."""
    posters = {SOURCES / "contributions" / "collection.py"}
    others = [path for path in outside_the_ledger() if path not in posters]
    assert offences(re.compile(r"distribute:"), others) == []


def test_the_check_sees_an_offence():
    """The patterns do find what they are for (a guard that never fires guards nothing)."""
    sample = ["from shebao.ledger.models import JournalLine", "from shebao.ledger import models",
              "select(LedgerAccount.id)", 'text("SELECT * FROM journal_lines")']
    assert [bool(LEDGER_MODELS.search(s) or LEDGER_TABLES.search(s)) for s in sample] == [True] * 4
    assert not LEDGER_MODELS.search("from shebao.ledger import posting, accounts")
