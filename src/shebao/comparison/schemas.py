"""Request and answer models of the comparison's API (a run, a case's outcome) and of the exchange by message (the DCI
envelope's header and each action's message), and of registering a partner. Extra fields a DCI sender may add (sort,
pagination, consent, locale …) are ignored."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shebao.core.clock import UtcDateTime

_DCI = ConfigDict(extra="ignore")
Reference = Annotated[str, Field(min_length=1, max_length=100)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
MessageId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$")]


class DciHeader(BaseModel):
    model_config = _DCI

    version: Literal["1.0.0"]
    message_id: MessageId
    message_ts: AwareDatetime
    action: str = Field(max_length=30)
    sender_id: str = Field(max_length=100)
    receiver_id: str = Field(max_length=100)
    total_count: int = Field(ge=0, le=1_000_000)
    is_msg_encrypted: bool = False
    sender_uri: str | None = Field(None, max_length=500)


class DciEnvelope(BaseModel):
    """Every request and every answer: a signature over the header and the message."""

    signature: str = Field(description='Signature: namespace="spdci", kidId="{sender_id}|{key_id}|ed25519", …')
    header: dict[str, Any]
    message: dict[str, Any]


# ------------------------------------------------------------------ notify: deaths and births pushed to us


class DeathData(BaseModel):
    model_config = _DCI

    id_number: str = Field(min_length=15, max_length=18)
    name: Name
    death_date: date
    certificate: str | None = Field(None, max_length=100, description="the death certificate or cremation record")


class BirthData(BaseModel):
    model_config = _DCI

    id_number: str | None = Field(None, min_length=15, max_length=18)
    name: Name
    sex: Literal["M", "F"]
    birth_date: date
    region: str | None = Field(None, pattern=r"^\d{6}(\d{3})?$")
    certificate: str | None = Field(None, max_length=100, description="the birth medical certificate")


class DeathEvent(BaseModel):
    model_config = _DCI

    reference_id: Reference
    timestamp: AwareDatetime | None = None
    reg_event_type: Literal["death"]
    data: DeathData


class BirthEvent(BaseModel):
    model_config = _DCI

    reference_id: Reference
    timestamp: AwareDatetime | None = None
    reg_event_type: Literal["birth"]
    data: BirthData


NotifyEvent = Annotated[DeathEvent | BirthEvent, Field(discriminator="reg_event_type")]


class NotifyMessage(BaseModel):
    model_config = _DCI

    transaction_id: Reference
    notify_event: list[NotifyEvent] = Field(min_length=1)


# ------------------------------------------------------------------ search


class IdQuery(BaseModel):
    model_config = _DCI

    type: Literal["RIC"] = Field(description="the citizen ID number (居民身份证号码)")
    value: str = Field(min_length=15, max_length=18)


class Predicate(BaseModel):
    model_config = _DCI

    attribute_name: Literal["name", "birth_date", "sex"]
    operator: Literal["eq"]
    attribute_value: str = Field(min_length=1, max_length=100)


class IdCriteria(BaseModel):
    model_config = _DCI

    query_type: Literal["idtype-value"]
    query: IdQuery


class PredicateCriteria(BaseModel):
    model_config = _DCI

    query_type: Literal["predicate"]
    query: list[Predicate] = Field(min_length=3, max_length=3, description="name, birth_date and sex, each once")


class SearchRequestItem(BaseModel):
    model_config = _DCI

    reference_id: Reference
    timestamp: AwareDatetime | None = None
    search_criteria: Annotated[IdCriteria | PredicateCriteria, Field(discriminator="query_type")]


class SearchMessage(BaseModel):
    model_config = _DCI

    transaction_id: Reference
    search_request: list[SearchRequestItem] = Field(min_length=1)


# ------------------------------------------------------------------ the bulk alive check


class AliveCheckRequest(BaseModel):
    model_config = _DCI

    identifiers: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, description="ID numbers, or our keyed hashes of them (64 hex digits)")


class AliveCheckMessage(BaseModel):
    model_config = _DCI

    transaction_id: Reference
    alive_check_request: AliveCheckRequest


# ------------------------------------------------------------------ subscriptions


class SubscribeCriteria(BaseModel):
    model_config = _DCI

    reg_event_type: Literal["death", "pension_start"]


class SubscribeItem(BaseModel):
    model_config = _DCI

    reference_id: Reference
    timestamp: AwareDatetime | None = None
    subscribe_criteria: SubscribeCriteria


class SubscribeMessage(BaseModel):
    model_config = _DCI

    transaction_id: Reference
    subscribe_request: list[SubscribeItem] = Field(min_length=1)


class UnsubscribeRequest(BaseModel):
    model_config = _DCI

    subscription_codes: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(min_length=1)


class UnsubscribeMessage(BaseModel):
    model_config = _DCI

    transaction_id: Reference
    unsubscribe_request: UnsubscribeRequest


# ------------------------------------------------------------------ our keys, and the partners


class JwkRead(BaseModel):
    kty: Literal["OKP"] = "OKP"
    crv: Literal["Ed25519"] = "Ed25519"
    alg: Literal["EdDSA"] = "EdDSA"
    use: Literal["sig"] = "sig"
    kid: str
    x: str


class JwksRead(BaseModel):
    """The platform's public signing keys (RFC 7517 / 8037), with the sender id its envelopes carry."""

    sender_id: str
    keys: list[JwkRead]


class PartnerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$", description="its DCI sender_id")
    name_zh: Name
    name_en: str = Field(min_length=1, max_length=200)
    department: str = Field(max_length=20)
    public_key: str = Field(min_length=40, max_length=400)
    key_id: str = Field("k1", min_length=1, max_length=64)
    callback_url: str | None = Field(None, max_length=500, pattern=r"^https?://[^\s]+$")
    allowed: list[str] | None = None
    region_code: str = Field("000000", pattern=r"^\d{6}(\d{3})?$")


class PartnerRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    department: str
    key_id: str
    public_key: str
    callback_url: str | None
    agreement: list[str]
    region_code: str
    active: bool
    registered_at: UtcDateTime


class OutboxMessageRead(BaseModel):
    id: int
    channel: str
    recipient: str
    subject_kind: str
    subject_id: int | None
    body_zh: str
    body_en: str
    status: str
    attempts: int
    next_attempt_at: UtcDateTime
    last_error: str | None
    created_at: UtcDateTime
    sent_at: UtcDateTime | None


# ------------------------------------------------------------------ the comparison's runs and cases


class CompareRunCreate(BaseModel):
    province: str = Field(pattern=r"^\d{2}0000$", description="the province compared, such as 110000")
    as_of: date | None = Field(None, description="the day the lists describe (default: today)")
    engine: str | None = Field(None, pattern="^(duckdb|spark)$", description="default: the platform's setting")


class CaseOutcomeRecord(BaseModel):
    outcome: str = Field(min_length=1, max_length=16, description="one of the case's allowed_outcomes")
    note: str = Field(min_length=1, max_length=500, description="what was found")
