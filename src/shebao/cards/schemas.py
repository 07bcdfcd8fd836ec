"""Request and response models of the card API."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from shebao.cards.rules import CardState
from shebao.core.clock import UtcDateTime
from shebao.core.ids import RecordId


class CardApply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: RecordId
    region_code: str = Field(description="the agency's region where the application is made")


class CardIssue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_number: str
    chip_serial: str = Field(min_length=4, max_length=32, pattern=r"^[0-9A-F]+$")
    bank_code: str = Field(min_length=3, max_length=12, pattern=r"^[0-9A-Z]+$")
    bank_account: str
    region_code: str | None = Field(None, description="the counter's region (default: the clerk's own region)")


class CardActivate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pin: str = Field(min_length=1, max_length=12)


class CardMoveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region_code: str | None = Field(None, description="where the move is made: the counter's region, within the "
                                    "clerk's own (default: the clerk's region; online: the holder's residence)")
    reason: str = Field(min_length=2, max_length=200)
    holder_id_number: str | None = Field(None, max_length=18, description="a loss reported at a counter outside the "
                                         "holder's region: the holder's own ID number, shown there")


class BankAccountBind(BaseModel):
    """A card's account bound again (the old one closed, the name corrected at the bank): payments the bank returned
    for the old account are paid again into this one."""

    model_config = ConfigDict(extra="forbid")

    bank_code: str = Field(min_length=3, max_length=12, pattern=r"^[0-9A-Z]+$",
                           description="the bank of the account (a bank binds only its own)")
    bank_account: str
    reason: str = Field(min_length=2, max_length=200)


class CardEventRead(BaseModel):
    move: str
    from_state: str | None
    to_state: str
    actor: str
    region_code: str
    reason: str
    at: UtcDateTime


class BatchSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region_code: str = Field(description="the region whose waiting applications go to the factory")
    reason: str = Field(min_length=2, max_length=200)


class CardRead(BaseModel):
    id: int
    person_id: int
    province: str
    state: CardState
    card_number: str | None
    issue_date: date | None
    expiry_date: date | None
    bank_code: str | None
    bank_account_masked: str | None
    replaces_card_id: int | None
    financial_function: bool
    events: list[CardEventRead] = []


class PinCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_number: str
    pin: str = Field(min_length=1, max_length=12)


class PinReset(BaseModel):
    """A new PIN: at a counter with the holder's identity checked, or online after logging in again."""

    model_config = ConfigDict(extra="forbid")

    new_pin: str = Field(min_length=1, max_length=12)
    identity_checked: bool = Field(False, description="staff: the holder's identity document was checked in person")
    password: str | None = Field(None, max_length=200, description="the holder online: their password again")
    region_code: str | None = Field(None, description="the counter's region (default: the clerk's own region)")


class BlacklistEntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_kind: str = Field(pattern="^(person|employer)$")
    subject_id: RecordId
    ground: str = Field(pattern="^(refused_to_insure|malicious_arrears)$")
    reason: str = Field(min_length=4, max_length=200)
    listed_on: date


class BlacklistEntryRelease(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=4, max_length=200)
    released_on: date


class FinancialStatusRead(BaseModel):
    card_number: str
    state: str
    financial_function: bool
    restrictions: list[str]


class NoticeRead(BaseModel):
    id: int
    card_number: str
    event: str
    financial_function: bool
    reason: str
    at: UtcDateTime


class BatchProgressRead(BaseModel):
    id: int
    region_code: str
    cards: int
    made: int
    handed_out: int
    not_collected: int
    cancelled: int
    manifest_sha256: str


class EcardOpen(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: str = Field(min_length=8, max_length=128)
    password: str = Field(min_length=1, max_length=200)


class EcardCodeRead(BaseModel):
    code: str
    card_number: str
    expires_in_seconds: int
