"""Contribution periods are months written YYYYMM."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from shebao.core.errors import InvalidInput, given_zh

_PERIOD = re.compile(r"^(\d{4})(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str | int) -> "Period":
        match = _PERIOD.match(str(text))
        if not match:
            raise InvalidInput("period.malformed", f"缴费期应为六位年月（例如 202501）{given_zh(text)}", f"a period is YYYYMM: {text!r}")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or year < 1949:
            raise InvalidInput("period.impossible", f"不存在的缴费期{given_zh(text)}", f"no such period: {text}")
        return cls(year, month)

    @classmethod
    def of(cls, day: date) -> "Period":
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}{self.month:02d}"

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def plus_months(self, count: int) -> "Period":
        index = self.year * 12 + (self.month - 1) + count
        return Period(index // 12, index % 12 + 1)

    def months_until(self, other: "Period") -> int:
        """Number of months from self to other (other - self)."""
        return (other.year * 12 + other.month) - (self.year * 12 + self.month)
