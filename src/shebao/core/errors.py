"""Domain errors: a machine-readable code, a human reason in Chinese and English, an HTTP status."""

from __future__ import annotations

from typing import Any


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
