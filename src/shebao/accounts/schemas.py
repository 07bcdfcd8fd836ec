"""Request and response models of the accounts API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shebao.core.clock import UtcDateTime
from shebao.core.ids import EmployerId, RecordId
from shebao.core.security import Role


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: UtcDateTime
    role: Role
    region_code: str | None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=r"^[a-z][a-z0-9_.-]{2,63}$")
    display_name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")  # no control characters
    password: str = Field(min_length=10, max_length=200)
    role: Role
    region_code: str | None = None
    person_id: RecordId | None = None
    employer_id: EmployerId | None = None
    bank_code: str | None = Field(None, pattern=r"^[0-9A-Z]{3,12}$")


class UserRead(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    region_code: str | None
    person_id: int | None
    employer_id: int | None
    bank_code: str | None = None


class SecondFactorStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=200, description="the login password, again")


class SecondFactorConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=12, description="the first six-digit code the authenticator app shows")


class SecondFactorEnrolmentRead(BaseModel):
    """What an authenticator app needs: the secret (to type in), its otpauth URI and that URI as a QR code."""

    secret: str
    otpauth_uri: str
    qr_svg: str


class SecondFactorRead(BaseModel):
    username: str
    enabled: bool
    enabled_at: UtcDateTime | None


class UnlockRead(BaseModel):
    username: str | None = None
    source: str | None = None
    was_locked: bool
    counts_cleared: int
    active: bool | None = None
