"""Every refusal speaks one language per field (issue 9): the Chinese reason in Chinese with Chinese names, the
English reason in English. Internal names (enum values, None, reprs) never reach a Chinese reason; literal text a
person must type or gave (a field of the API, a value from a file, a command) appears only inside 「」.

Two nets: the source of every refusal, read as written (its Chinese literal text and what it interpolates), and a
representative set of refusals raised for real (here the pure ones; tests/api/test_messages_api.py the rest)."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from shebao.benefits.rules import Group
from shebao.benefits.schemas import PensionCalculate
from shebao.benefits.service import pension_case, retirement_date
from shebao.cards.rules import ALLOWED_MOVES, MOVE_NAMES, STATE_NAMES, CardMove, CardState, next_state
from shebao.core.errors import DomainError, InvalidInput, given_zh, validation_problem_zh
from shebao.core.money import parse_decimal, yuan_to_fen
from shebao.core.periods import Period
from shebao.core.security import Principal, Role
from shebao.policy.store import default_store
from shebao.registry.rules import check_region_code_format, normalise_industry_code, parse_id_number
from tests.support import assert_bilingual, assert_chinese, assert_english

SOURCE = Path(__file__).resolve().parents[2] / "src" / "shebao"
REFUSALS = {"DomainError", "InvalidInput", "NotFound", "Conflict", "Forbidden", "Locked", "Unauthenticated",
            "PayloadTooLarge", "UnsafeSettings"}
# Attributes that hold an internal name (an enum's value, a stored status): never interpolated raw into Chinese.
INTERNAL = {"state", "status", "mode", "scheme", "role", "kind", "value", "method", "category", "ground", "sex",
            "payer_kind", "subject_kind", "insurance", "strerror"}
PLACEHOLDER = "\x00"


def _refusal_calls():
    for path in sorted(SOURCE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Call) or len(node.args) < 3:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in REFUSALS:
                yield f"{path.relative_to(SOURCE)}:{node.lineno}", node.args[1], node.args[2]


def _literal(node: ast.expr) -> str | None:
    """The literal text of a string or f-string argument, each interpolation as a placeholder; None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in node.values)
    return None


CALLS = list(_refusal_calls())


def test_the_source_holds_refusals_to_read():
    assert len(CALLS) > 250


@pytest.mark.parametrize(("where", "zh", "en"), CALLS, ids=[c[0] for c in CALLS])
def test_every_refusal_as_written_keeps_each_language_to_its_field(where, zh, en):
    chinese, english = _literal(zh), _literal(en)
    if chinese is not None:
        assert_chinese(chinese.replace(PLACEHOLDER, "…"), where, whole=False)
    if english is not None:
        assert_english(english.replace(PLACEHOLDER, "…"), where, whole=False)
    for joined in (v for v in ast.walk(zh) if isinstance(v, ast.JoinedStr)):
        parts = joined.values
        for index, value in enumerate(parts):
            if not isinstance(value, ast.FormattedValue):
                continue
            shown = ast.unparse(value.value)
            assert value.conversion != ord("r"), f"{where}: a Python repr in the Chinese reason: {shown}"
            before, after = (parts[i] if 0 <= i < len(parts) else None for i in (index - 1, index + 1))
            if _text(before).endswith("「") and _text(after).startswith("」"):
                continue  # literal text, quoted as such: what to type
            last = value.value.attr if isinstance(value.value, ast.Attribute) else getattr(value.value, "id", None)
            assert last not in INTERNAL, f"{where}: an internal name in the Chinese reason: {shown} (name it through its *_NAMES table, or leave it out)"


def _text(node: ast.expr | None) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


# ---------------------------------------------------------------- refusals raised for real

def _refused(call) -> DomainError:  # noqa: ANN001
    with pytest.raises(DomainError) as refused:
        call()
    assert_bilingual(refused.value.reason, refused.value.reason_en, refused.value.code)
    return refused.value


@pytest.mark.parametrize(("state", "move"), [(s, m) for s in CardState for m in CardMove if (s, m) not in ALLOWED_MOVES])
def test_a_card_move_from_a_wrong_state_names_both_in_each_language(state, move):
    refusal = _refused(lambda: next_state(state, move))
    assert STATE_NAMES[state][0] in refusal.reason and MOVE_NAMES[move][0] in refusal.reason
    assert STATE_NAMES[state][1] in refusal.reason_en and MOVE_NAMES[move][1] in refusal.reason_en


def test_the_issue_example_reads_in_chinese():
    refusal = _refused(lambda: next_state(CardState.FROZEN, CardMove.REPORT_LOST))
    assert refusal.reason == "社保卡状态为“已挂失冻结”，不能办理挂失（可办理：解除挂失、补换、注销）"
    assert refusal.details == {"state": "frozen", "move": "report_lost", "allowed": ["cancel", "replace", "unfreeze"]}


def test_every_card_state_and_move_has_its_names():
    assert set(STATE_NAMES) == set(CardState) and set(MOVE_NAMES) == set(CardMove)


def test_a_category_that_does_not_fit_the_sex_is_named_in_chinese():
    refusal = _refused(lambda: retirement_date(birth_date=date(1970, 3, 1), sex="F", group=Group.MALE))
    assert refusal.reason == "人员类别“男职工”与性别“女”不符"
    assert refusal.code == "retirement.category_sex" and "man" in refusal.reason_en and "female" in refusal.reason_en
    case = {"region": "110000", "retire_date": "2030-03-01", "birth_date": "1970-03-01", "sex": "M",
            "category": "female_worker", "contribution_months": 240, "average_index": "1.0", "personal_account_fen": 0}
    _refused(lambda: pension_case(case=PensionCalculate.model_validate(case)))
    _refused(lambda: retirement_date(birth_date=date(1970, 3, 1), sex="X", group=Group.MALE))


def test_role_and_region_refusals_name_the_role_in_each_language():
    insured = Principal(user_id=1, username="p", role=Role.INSURED, person_id=1)
    refusal = _refused(lambda: insured.require_role(Role.STAFF))
    assert refusal.reason == "参保人账号不能办理此项业务" and "insured person" in refusal.reason_en
    staff = Principal(user_id=2, username="s", role=Role.STAFF, region_code="110105")
    assert "310115" in _refused(lambda: staff.require_region("310115")).reason


@pytest.mark.parametrize("call", [
    lambda: Period.parse("2025-01"), lambda: Period.parse(None), lambda: Period.parse("202513"),
    lambda: check_region_code_format("abc"), lambda: check_region_code_format(None),
    lambda: default_store().at("north", date(2025, 1, 1)), lambda: normalise_industry_code("zz"),
    lambda: parse_id_number("11010519491231002A", today=date(2025, 1, 1)), lambda: parse_decimal("NaN"),
    lambda: yuan_to_fen("1.001"), lambda: yuan_to_fen("lots"),
], ids=["period-form", "period-none", "period-month", "region-form", "region-none", "policy-region", "industry",
        "id-number", "decimal", "sub-fen", "yuan"])
def test_refusals_of_what_a_person_typed_quote_it_rather_than_repr_it(call):
    refusal = _refused(call)
    assert "None" not in refusal.reason and "'" not in refusal.reason


def test_what_the_user_gave_is_quoted_or_left_out():
    assert given_zh("abc") == "：「abc」" and given_zh(None) == "" and given_zh(True) == "" and given_zh(3.5) == ""
    assert given_zh("x" * 50).endswith("…」")


@pytest.mark.parametrize("kind", ["missing", "int_parsing", "string_too_long", "date_parsing", "extra_forbidden",
                                  "literal_error", "something_new"])
def test_pydantic_kinds_of_error_read_in_chinese(kind):
    assert_chinese(validation_problem_zh(kind), kind)


def test_the_checker_catches_what_the_issue_complained_of():
    for reason in ("社保卡状态为 frozen，不能办理 report_lost", "类别 male 与性别 F 不符", "超出您的管辖区域（None）",
                   "请求内容有误：body.effective_from Field required"):
        with pytest.raises(AssertionError):
            assert_chinese(reason, "example")
    with pytest.raises(AssertionError):
        assert_bilingual("申领", "申领 application", "example")
    assert_chinese("请先运行「shebao keys init」：回盘文件须为 UTF-8 编码，2025-02-01", "example")
    assert isinstance(InvalidInput("x", "中", "en"), DomainError)
