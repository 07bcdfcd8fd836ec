"""The rule catalogue as people and machines read it: every rule with the values its parameters have in a region on a
day (`shebao risk rules`, `GET /api/v1/risk/rules`). Reads only the policy store: no database."""

from __future__ import annotations

from datetime import date
from typing import Any

from shebao.core.errors import DATE_FORMAT_ZH, InvalidInput, given_zh
from shebao.policy.store import NATIONAL, ParameterStore
from shebao.risk.rules import (
    CATALOGUE,
    COMMON_PARAMETERS,
    SEVERITY_NAMES,
    SUBJECT_NAMES,
    WHEN_NAMES,
    Rule,
)

# A parameter's state on the day: in force, served past its validity, refused past it, or not in force at all (a
# province's figure asked of the national layer, or a day before it was set).
STATE_NAMES = {"valid": ("有效", "valid"), "provisional": ("暂按", "provisional"), "refused": ("拒绝使用", "refused"),
               "not_in_force": ("未生效", "not in force")}


def parse_day(text: str) -> date:
    """A day the caller typed, YYYY-MM-DD, or a refusal in both languages."""
    try:
        if isinstance(text, str) and len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise InvalidInput("risk.date", f"{DATE_FORMAT_ZH}{given_zh(text)}", f"a date is YYYY-MM-DD: {str(text)[:40]!r}")


def rules_in_force(*, store: ParameterStore, day: date, region_code: str = NATIONAL) -> dict[str, Any]:
    """Every rule of the catalogue with its parameters' values in force in the region on the day (a malformed region
    code is refused by the store: `region.malformed`)."""
    snapshot = store.at(region_code, day)
    listed = {value.path: value for value in snapshot.all()}
    return {
        "region_code": region_code,
        "date": day.isoformat(),
        "common_parameters": [_parameter(listed, path) for path in COMMON_PARAMETERS],
        "rules": [_rule(rule, listed) for rule in CATALOGUE],
        "counts": {"rules": len(CATALOGUE), "in_process": sum(r.in_process for r in CATALOGUE),
                   "after_the_fact": sum(r.after_the_fact for r in CATALOGUE)},
    }


def _rule(rule: Rule, listed: dict) -> dict[str, Any]:
    return {
        "id": rule.id, "name_zh": rule.name_zh, "name_en": rule.name_en,
        "description_zh": rule.description_zh, "description_en": rule.description_en,
        "severity": rule.severity.value, "severity_zh": SEVERITY_NAMES[rule.severity][0],
        "when": rule.when.value, "when_zh": WHEN_NAMES[rule.when][0],
        "subject": rule.subject.value, "subject_zh": SUBJECT_NAMES[rule.subject][0],
        "legal_basis": [{"document": b.document, "article": b.article, "text_zh": b.text_zh, "source": b.source}
                        for b in rule.legal_basis],
        "parameters": [_parameter(listed, path) for path in rule.parameters],
    }


def _parameter(listed: dict, path: str) -> dict[str, Any]:
    value = listed.get(path)
    if value is None:
        state = "not_in_force"
        row: dict[str, Any] = {"path": path, "value": None}
    else:
        state = "provisional" if value.provisional else "refused" if value.refused else "valid"
        row = value.as_dict()
        if value.refused:
            row["value"] = None  # listed with its state, never served past its validity (ParameterSnapshot.explain)
    return row | {"state": state, "state_zh": STATE_NAMES[state][0]}

