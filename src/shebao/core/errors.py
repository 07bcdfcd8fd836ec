"""Domain errors: a machine-readable code, a human reason in Chinese and English, an HTTP status."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# How a refusal asks for a date in Chinese (the English says YYYY-MM-DD).
DATE_FORMAT_ZH = "日期应为“年-月-日”格式，例如 2025-02-01"


def given_zh(value: object, limit: int = 40) -> str:
    """What the user gave, for the end of a Chinese reason: "：「text」" (cut at `limit` characters), or nothing
    when it is not text or a number. Literal text appears in a Chinese reason only inside 「」, never as a repr."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal) or value == "":
        return ""
    text = str(value)
    return f"：「{text[:limit]}{'…' if len(text) > limit else ''}」"


# How pydantic's kinds of error read in Chinese, for a request or a file that does not fit its model (the
# English is pydantic's own message). A kind not listed reads as the generic VALIDATION_PROBLEM_ZH.
VALIDATION_PROBLEMS_ZH = {
    "missing": "缺少此项", "extra_forbidden": "不允许此项", "int_type": "应为整数", "int_parsing": "应为整数",
    "int_from_float": "应为整数", "int_parsing_size": "数值过大", "float_type": "应为数字", "float_parsing": "应为数字",
    "decimal_type": "应为小数", "decimal_parsing": "应为小数", "string_type": "应为文本", "string_unicode": "应为文本",
    "bool_type": "应为是或否", "bool_parsing": "应为是或否", "enum": "不是允许的取值", "literal_error": "不是允许的取值",
    "string_pattern_mismatch": "格式不符", "date_from_datetime_parsing": "应为日期（年-月-日）",
    "date_from_datetime_inexact": "应为日期（年-月-日）", "date_parsing": "应为日期（年-月-日）",
    "date_type": "应为日期（年-月-日）", "datetime_parsing": "应为日期时间", "datetime_type": "应为日期时间",
    "datetime_from_date_parsing": "应为日期时间", "greater_than_equal": "小于允许的最小值", "greater_than": "小于允许的最小值",
    "less_than_equal": "大于允许的最大值", "less_than": "大于允许的最大值", "multiple_of": "不是允许的倍数",
    "json_invalid": "内容无法解析", "json_type": "内容无法解析", "model_type": "应为一组键值", "model_attributes_type": "应为一组键值",
    "dict_type": "应为一组键值", "list_type": "应为列表", "tuple_type": "应为列表", "set_type": "应为列表",
    "string_too_short": "太短", "string_too_long": "太长", "too_short": "项数太少", "too_long": "项数太多",
    "bytes_type": "应为文本", "bytes_too_long": "太长", "bytes_too_short": "太短", "none_required": "应为空",
    "uuid_parsing": "格式不符", "uuid_type": "格式不符", "url_parsing": "格式不符", "url_type": "格式不符",
    "value_error": "不符合要求", "assertion_error": "不符合要求", "union_tag_invalid": "不是允许的取值",
    "union_tag_not_found": "缺少类型标识", "is_instance_of": "类型不符", "frozen_field": "不能修改",
}
VALIDATION_PROBLEM_ZH = "不符合要求"


def validation_problem_zh(kind: str) -> str:
    return VALIDATION_PROBLEMS_ZH.get(kind, VALIDATION_PROBLEM_ZH)


class DomainError(Exception):
    """A refusal the user can act on. Maps to an HTTP 4xx and a CLI message."""

    status_code = 400

    def __init__(self, code: str, reason: str, reason_en: str, **details: Any) -> None:
        super().__init__(reason_en)
        self.code = code
        self.reason = reason
        self.reason_en = reason_en
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "reason": self.reason, "reason_en": self.reason_en}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(DomainError):
    status_code = 422


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Unauthenticated(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class Locked(DomainError):
    status_code = 423


class PayloadTooLarge(DomainError):
    status_code = 413


def not_in_scope(what_zh: str, what_en: str) -> NotFound:
    """The one answer outside the caller's scope: the same whether the record exists or not."""
    return NotFound("scope.not_found", f"在您可办理的范围内没有找到该{what_zh}",
                    f"no such {what_en} within what you may handle")
