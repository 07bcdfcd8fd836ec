"""Transfer requests and calculator inputs (the JSON shapes `shebao transfer amount` and `shebao benefit-place`
read are kept exactly as issue #13 gives them)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shebao.core.ids import RecordId
from shebao.transfers.rules import Direction, Step


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MonthInput(_Strict):
    period: str = Field(pattern=r"^\d{6}$")
    base_fen: int = Field(ge=0, le=10**12)


class TransferAmountCase(_Strict):
    months: list[MonthInput] = Field(max_length=1200)
    personal_account_fen: int = Field(ge=0, le=10**13)


class SpellInput(_Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    region: str = Field(pattern=r"^\d{6}(\d{3})?$")
    from_: str = Field(alias="from", pattern=r"^\d{4}-\d{2}$")
    to: str = Field(pattern=r"^\d{4}-\d{2}$")
    temporary: bool = False


class BenefitPlaceCase(_Strict):
    hukou_province: str = Field(pattern=r"^\d{6}$")
    sex: Literal["M", "F"]
    birth_date: date
    history: list[SpellInput] = Field(max_length=200)


class TransferApply(_Strict):
    person_id: RecordId
    to_region: str = Field(pattern=r"^\d{6}(\d{3})?$", description="the county or street where the person now works")
    starts_on: date = Field(description="the first day insured in the new province")
    channel: Literal["online", "counter"] = "counter"
    holder_id_number: str | None = Field(default=None, max_length=18,
                                         description="at a counter elsewhere: the applicant's own ID number, shown")


class TransferStepTake(_Strict):
    step: Literal[Step.LETTER_SENT, Step.CHECKED, Step.FUNDS_SENT, Step.RECEIVED, Step.COMPLETED, Step.REFUSED]
    on: date
    note: str = Field(default="", max_length=200)
    # The old province's figures when it sends, the new province's when it receives: they must equal the ledger's.
    pooled_fen: int | None = Field(default=None, ge=0, le=10**13)
    personal_account_fen: int | None = Field(default=None, ge=0, le=10**13)
    amount_fen: int | None = Field(default=None, ge=0, le=10**13)


class GatherRequest(_Strict):
    person_id: RecordId
    on: date


class ConversionRequest(_Strict):
    person_id: RecordId
    direction: Direction
    on: date
    region_code: str = Field(pattern=r"^\d{6}(\d{3})?$")
