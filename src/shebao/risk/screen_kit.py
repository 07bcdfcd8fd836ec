"""The contract between the screening (risk/screening.py) and the rules' set-based queries (risk/screen_*.py).

Each after-the-fact rule is one function `(session, ctx) -> Select | TextClause`: a single set-based query over the
operational database (SQLite or PostgreSQL, the same SQL for both) returning one row per finding with the columns
`FINDING_COLUMNS`. The screening runs it, opens a case for each finding never seen before and updates what is at
stake on open ones. No Python loop per person: the query does the work; Python touches findings only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, TextClause
from sqlalchemy.orm import Session

# The columns every rule's query returns, in this order:
#   finding_key  str  stable for the same finding on every screening (e.g. "p:<person_id>", "p:<id>:<period>")
#   region_code  str  the subject's region as stored (a person's, an employer's, a staff member's, the region itself)
#   person_id    int | None
#   employer_id  int | None
#   staff_actor  str | None   the staff member a staff rule concerns
#   amount_fen   int          the money at stake (0 when none): raises the severity (rules.finding_severity)
#   period_from  str | None   YYYYMM
#   period_to    str | None   YYYYMM
#   details      str          JSON object text with what a clerk needs to start (counts, months, the other party)
FINDING_COLUMNS = ("finding_key", "region_code", "person_id", "employer_id", "staff_actor", "amount_fen",
                   "period_from", "period_to", "details")


@dataclass(frozen=True)
class ScreenContext:
    province: str  # two-digit-prefixed six-digit code, e.g. "110000"
    as_of: date
    params: Mapping[str, Any]  # parameter path -> value in force in the province on as_of (rules.parameter_paths)

    @property
    def region_prefix(self) -> str:
        """The LIKE pattern for every region inside the province ("11%")."""
        return self.province[:2] + "%"

    @property
    def as_of_period(self) -> str:
        return f"{self.as_of.year:04d}{self.as_of.month:02d}"

    def param(self, path: str) -> Any:
        return self.params[path]


ScreenQuery = Callable[[Session, ScreenContext], Select | TextClause]
ScreenTable = Mapping[str, ScreenQuery]  # rule id -> its query; each screen_*.py module exports SCREENS
