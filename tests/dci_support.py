"""A partner department as the exchange tests play it: its own Ed25519 key, registered with us, building and signing
DCI envelopes to send (comparison/dci.py), and checking ours."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shebao.comparison import dci
from shebao.comparison.registry_exchange import register_partner
from shebao.comparison.schemas import PartnerCreate
from shebao.core.security import SYSTEM

PLATFORM = "shebao"  # the settings' default exchange_platform_id
NAMES = {"civil_affairs": ("北京市民政局", "Beijing civil affairs"), "health": ("北京市卫生健康委员会", "Beijing health"),
         "public_security": ("上海市公安局", "Shanghai public security"), "court": ("北京市高级人民法院", "Beijing court")}


class Partner:
    def __init__(self, code: str, department: str = "civil_affairs", key_id: str = "k1") -> None:
        self.code, self.department, self.key_id = code, department, key_id
        self.key = Ed25519PrivateKey.generate()

    @property
    def public_key(self) -> str:
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def register(self, database, clock, *, allowed=None, callback=None, region="000000") -> Partner:  # noqa: ANN001
        zh, en = NAMES[self.department]
        with database.transaction() as session:
            register_partner(session=session, principal=SYSTEM, now=clock.now(), command=PartnerCreate(
                code=self.code, name_zh=zh, name_en=en, department=self.department, public_key=self.public_key,
                key_id=self.key_id, callback_url=callback, allowed=allowed, region_code=region))
        return self

    def header(self, kind: str, count: int, now: datetime, **overrides) -> dict:
        return {"version": "1.0.0", "message_id": uuid.uuid4().hex, "message_ts": dci.timestamp(now), "action": kind,
                "sender_id": self.code, "receiver_id": PLATFORM, "total_count": count, "is_msg_encrypted": False} | overrides

    def envelope(self, kind: str, message: dict, now: datetime, *, count: int | None = None, key=None,  # noqa: ANN001
                 **overrides) -> dict:
        header = self.header(kind, _count(message) if count is None else count, now, **overrides)
        signature = dci.sign(header=header, message=message, key=key or self.key, sender_id=self.code,
                             key_id=self.key_id, now=now, lifetime=timedelta(minutes=5))
        return {"signature": signature, "header": header, "message": message}


def _count(message: dict) -> int:
    for field in ("notify_event", "search_request", "subscribe_request"):
        if isinstance(message.get(field), list):
            return len(message[field])
    nested = message.get("alive_check_request") or message.get("unsubscribe_request") or {}
    return len(nested.get("identifiers") or nested.get("subscription_codes") or [])


def death(reference: str, id_number: str, day: str, name: str = "张三", certificate: str | None = "民政死亡 2025-0042") -> dict:
    data = {"id_number": id_number, "name": name, "death_date": day} | ({"certificate": certificate} if certificate else {})
    return {"reference_id": reference, "reg_event_type": "death", "data": data}


def birth(reference: str, name: str = "小明", day: str = "2025-02-20", sex: str = "M") -> dict:
    return {"reference_id": reference, "reg_event_type": "birth",
            "data": {"name": name, "sex": sex, "birth_date": day, "region": "110105", "certificate": "Q110012345"}}


def notify(*events: dict) -> dict:
    return {"transaction_id": uuid.uuid4().hex, "notify_event": list(events)}


def by_id(*numbers: str) -> dict:
    return {"transaction_id": uuid.uuid4().hex, "search_request": [
        {"reference_id": f"r{index}", "search_criteria": {"query_type": "idtype-value", "query": {"type": "RIC", "value": n}}}
        for index, n in enumerate(numbers)]}


def by_attributes(name: str, birth_date: str, sex: str) -> dict:
    query = [{"attribute_name": k, "operator": "eq", "attribute_value": v}
             for k, v in (("name", name), ("birth_date", birth_date), ("sex", sex))]
    return {"transaction_id": uuid.uuid4().hex,
            "search_request": [{"reference_id": "a0", "search_criteria": {"query_type": "predicate", "query": query}}]}


def alive(*identifiers: str) -> dict:
    return {"transaction_id": uuid.uuid4().hex, "alive_check_request": {"identifiers": list(identifiers)}}


def verify_ours(answer: dict, public_key: str, now: datetime) -> None:
    """Checks an envelope we sent as a partner would, with the key we publish."""
    params = dci.parse_signature(answer["signature"])
    dci.verify(params=params, header=answer["header"], message=answer["message"], public_key=public_key,
               key_id=params.key_id, now=now, skew=timedelta(minutes=5))
