"""The platform's side of every message: its sender id, the Ed25519 key that signs what it sends (sealed on disk as the
audit key is), the window a message's time may stray, the field cipher; an authenticated message as the services see
it; and the sender that delivers an outgoing DCI message from the outbox to a partner's callback, signed at the
moment of sending."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from shebao.audit.signing import AuditKeyring
from shebao.comparison import dci, outbox
from shebao.comparison.models import ExchangePartner
from shebao.comparison.schemas import DciHeader
from shebao.core.clock import Clock, SystemClock
from shebao.core.db import Database
from shebao.core.security import FieldCipher
from shebao.settings import Settings

SIGNATURE_LIFETIME = timedelta(minutes=10)  # an answer's or a callback's signature stays in force this long
SEALED_FIELD = "exchange.message"  # the field cipher's label for a message sealed in the outbox


class ExchangeKeyring(AuditKeyring):
    """The platform's Ed25519 key that signs every envelope it sends, sealed on disk as the audit key is."""

    key_file = "exchange-key.json"
    key_prefix = "exchange"
    code = "exchange"
    name_zh, name_en = "数据交换签名密钥", "the exchange signing key"
    purpose_zh, purpose_en = "签署交换消息", "signing an exchange message"


@dataclass
class Platform:
    """What the platform brings to every message: its sender id, its signing keys, the window, the field cipher."""

    sender_id: str
    keyring: ExchangeKeyring
    window: timedelta
    cipher: FieldCipher

    @classmethod
    def for_settings(cls, settings: Settings, cipher: FieldCipher) -> Platform:
        directory = settings.exchange_key_dir or Path(settings.key_dir) / "exchange"
        return cls(settings.exchange_platform_id, ExchangeKeyring(directory, settings.key_passphrase),
                   timedelta(seconds=settings.exchange_message_window_seconds), cipher)

    def sign(self, *, header: dict, message: dict, now: datetime) -> dict:
        key_id, key = self.keyring.signer(now=now)
        return dci.envelope(header=header, message=message, key=key, key_id=key_id, now=now, lifetime=SIGNATURE_LIFETIME)

    def answer(self, *, received: Received, action: str, message: dict, count: int, now: datetime,
               status: str = "succ") -> dict:
        header = dci.answer_header(action=action, platform_id=self.sender_id, receiver_id=received.partner.code,
                                   message_id=new_id(), now=now, total_count=count, status=status)
        return self.sign(header=header, message=message, now=now)

    def public_keys(self) -> dict:
        return {"sender_id": self.sender_id,
                "keys": [{"kid": kid, "x": public} for kid, public in self.keyring.public_keys().items()]}


@dataclass(frozen=True)
class PartnerView:
    id: int
    code: str
    name_zh: str
    agreement: str
    region_code: str

    def may(self, capability: str) -> bool:
        return capability in self.agreement.split(",")


@dataclass(frozen=True)
class Received:
    """A message whose signature, header and freshness were checked; `earlier_answer` when it came before."""

    partner: PartnerView
    header: DciHeader
    message: dict
    digest: str
    earlier_answer: dict | None


def new_id() -> str:
    return uuid.uuid4().hex


# ------------------------------------------------------------------ sending to a partner's callback


def sealed_payload(cipher: FieldCipher, action: str, path: str, message: dict, count: int) -> dict:
    """An outgoing DCI message as the outbox keeps it: its records (ID numbers among them) sealed at rest."""
    sealed = cipher.encrypt(SEALED_FIELD, dci.canonical(message).decode())
    return {"action": action, "path": path, "message_id": new_id(), "total_count": count,
            "sealed": base64.b64encode(sealed).decode()}


def unsealed_message(cipher: FieldCipher, payload: dict) -> dict:
    return json.loads(cipher.decrypt(SEALED_FIELD, base64.b64decode(payload["sealed"])))


class DciCallbackSender:
    """Delivers the outbox's dci messages: signed with the platform's key at the moment of sending, POSTed to the
    partner's callback address (its base URL + the action's path, e.g. /registry/on-search)."""

    PERMANENT = {400, 404, 405, 410, 413, 422}  # the partner will never take this message as it is

    def __init__(self, *, database: Database, platform: Platform, timeout: float, clock: Clock | None = None) -> None:
        self.database, self.platform, self.timeout = database, platform, timeout
        self.clock = clock or SystemClock()

    def send(self, message: outbox.Outgoing) -> outbox.Delivered:
        with self.database.unit_of_work() as uow:
            partner = uow.session.scalar(select(ExchangePartner).where(ExchangePartner.code == message.recipient))
            address = (partner.callback_url, partner.active) if partner else (None, False)
        if not address[1]:
            return outbox.Delivered(False, "the partner is not registered or not active", permanent=True)
        if not address[0]:
            return outbox.Delivered(False, "the partner has no callback address yet")
        body = self._envelope(message)
        return self._post(address[0].rstrip("/") + message.payload["path"], body)

    def _envelope(self, message: outbox.Outgoing) -> bytes:
        now = self.clock.now()
        payload = message.payload
        header = dci.answer_header(action=payload["action"], platform_id=self.platform.sender_id,
                                   receiver_id=message.recipient, message_id=payload["message_id"], now=now,
                                   total_count=payload["total_count"])
        signed = self.platform.sign(header=header, message=unsealed_message(self.platform.cipher, payload), now=now)
        return json.dumps(signed, ensure_ascii=False).encode()

    def _post(self, url: str, body: bytes) -> outbox.Delivered:
        if not url.startswith(("http://", "https://")):
            return outbox.Delivered(False, "the callback address is not http(s)", permanent=True)
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
        try:
            with _NO_REDIRECTS.open(request, timeout=self.timeout) as response:
                return outbox.Delivered(True, f"HTTP {response.status}")
        except urllib.error.HTTPError as exc:
            return outbox.Delivered(False, f"HTTP {exc.code}", permanent=exc.code in self.PERMANENT)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return outbox.Delivered(False, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}")


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201 - urllib's own signature
        return None  # a callback that redirects is answered as its status: the message never goes elsewhere


_NO_REDIRECTS = urllib.request.build_opener(_RefuseRedirects)
