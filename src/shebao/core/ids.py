"""Record ids as the API takes them: bounded to what the database columns hold.

An id outside these bounds names nothing; refusing it at the edge keeps it from overflowing a
driver (SQLite and PostgreSQL raise on integers past 64 bits, PostgreSQL on 32-bit columns past 2^31).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field, StrictInt

MAX_BIGINT = 2**63 - 1
MAX_INT = 2**31 - 1  # employers and users are keyed by 32-bit integers

RecordId = Annotated[int, Field(ge=1, le=MAX_BIGINT)]
EmployerId = Annotated[int, Field(ge=1, le=MAX_INT)]
RecordIdPath = Annotated[int, Path(ge=1, le=MAX_BIGINT)]
EmployerIdPath = Annotated[int, Path(ge=1, le=MAX_INT)]
StrictRecordId = Annotated[StrictInt, Field(ge=1, le=MAX_BIGINT)]
StrictEmployerId = Annotated[StrictInt, Field(ge=1, le=MAX_INT)]
