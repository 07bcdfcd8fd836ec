"""The DCI message envelope, pure: its canonical form, its signature, its header, and what a partner's agreement
allows. No database, no clock (the time is passed in), no network.

The shape follows the DCI social-registry API (Digital Convergence Initiative, social protection: "Interoperability
APIs - Social Registry" 1.0.0, https://api.spdci.org/release/html/social_api_v1.0.0.html): every request and every
answer is `{"signature", "header", "message"}`; the header carries version, message_id, message_ts, action, sender_id,
receiver_id, total_count and is_msg_encrypted (answers add status and completed_count); the signature is

    Signature: namespace="spdci", kidId="{sender_id}|{key_id}|ed25519", algorithm="ed25519", created="…",
               expires="…", headers="(created) (expires) digest", signature="<base64 of the Ed25519 signature>"

over the signing content `(created): …\\n(expires): …\\ndigest: SHA-256=<base64>` whose digest is SHA-256 of
canonical(header) followed by canonical(message) — "{header}+{message}" as the standard puts it. Canonical JSON here:
keys sorted, no whitespace, UTF-8 without escaping, no NaN (the receiver re-serialises what it parsed, so the bytes
on the wire need not be canonical themselves).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError

from shebao.comparison.schemas import DciHeader
from shebao.core.errors import Forbidden, InvalidInput, Unauthenticated, validation_problem_zh

VERSION = "1.0.0"
NAMESPACE = "spdci"
ALGORITHM = "ed25519"
SIGNED_HEADERS = "(created) (expires) digest"
MAX_SIGNATURE_LIFETIME = timedelta(days=1)

# Limits of one message (a larger batch is sent as several messages).
MAX_EVENTS = 1_000
MAX_SEARCHES = 100
MAX_MATCHES = 10  # persons answered for one search by attributes
MAX_ALIVE_CHECKS = 5_000
MAX_SUBSCRIPTIONS = 10

DEPARTMENTS = {
    "civil_affairs": ("民政", "civil affairs"), "health": ("卫生健康", "health"),
    "public_security": ("公安", "public security"), "court": ("法院", "courts"),
    "market_regulation": ("市场监管", "market regulation"), "tax": ("税务", "tax"), "education": ("教育", "education"),
}
CAPABILITIES = {
    "notify.death": ("报送死亡信息", "push deaths"), "notify.birth": ("报送出生信息", "push births"),
    "search": ("查询人员", "search persons"), "alive_check": ("批量核验生存状态", "bulk alive check"),
    "subscribe.death": ("订阅死亡信息", "subscribe to deaths"),
    "subscribe.pension_start": ("订阅养老金开始发放信息", "subscribe to pension starts"),
}
# What a department's agreement allows unless it is registered with its own list (`--allow`).
DEFAULT_AGREEMENTS = {
    "civil_affairs": ("notify.death", "notify.birth", "search", "alive_check", "subscribe.death"),
    "health": ("notify.death", "notify.birth"),
    "public_security": ("notify.death", "notify.birth", "search", "alive_check", "subscribe.death"),
    "court": ("search",),
    "market_regulation": (),
    "tax": (),
    "education": (),
}
# What came of an event pushed to us (exchange_events.outcome).
OUTCOMES = {
    "applied": ("已登记死亡，各项业务已随之处理", "the death was recorded and every context reacted"),
    "held_for_review": ("死亡日期早于生存认证，已转人工复核", "held for review: proved alive after the date reported"),
    "already_deceased": ("此前已登记死亡", "already recorded deceased"),
    "unknown_person": ("本系统未登记此人，已记录", "not in our register; recorded"),
    "recorded": ("已记录", "recorded"),
    "refused": ("未能处理，由经办人员核查", "not taken; left to a clerk"),
}

_PARAMETER = re.compile(r'(\w+)="([^"]*)"')
_KEY_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


@dataclass(frozen=True)
class SignatureParams:
    sender_id: str
    key_id: str
    created: int
    expires: int
    signature: str


# ------------------------------------------------------------------ canonical form and signature


def canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def message_digest(header: object, message: object) -> bytes:
    """SHA-256 of canonical(header) + canonical(message); ValueError for a value JSON cannot carry."""
    return hashlib.sha256(canonical(header) + canonical(message)).digest()


def signing_content(created: int, expires: int, digest: bytes) -> bytes:
    return f"(created): {created}\n(expires): {expires}\ndigest: SHA-256={_b64(digest)}".encode()


def sign(*, header: dict, message: dict, key: Ed25519PrivateKey, sender_id: str, key_id: str, now: datetime,
         lifetime: timedelta) -> str:
    """The signature string of an envelope we send."""
    created = int(now.timestamp())
    expires = created + int(lifetime.total_seconds())
    signature = key.sign(signing_content(created, expires, message_digest(header, message)))
    return (f'Signature: namespace="{NAMESPACE}", kidId="{sender_id}|{key_id}|{ALGORITHM}", algorithm="{ALGORITHM}", '
            f'created="{created}", expires="{expires}", headers="{SIGNED_HEADERS}", signature="{_b64(signature)}"')


def envelope(*, header: dict, message: dict, key: Ed25519PrivateKey, key_id: str, now: datetime,
             lifetime: timedelta) -> dict:
    return {"signature": sign(header=header, message=message, key=key, sender_id=header["sender_id"], key_id=key_id,
                              now=now, lifetime=lifetime), "header": header, "message": message}


def parse_signature(text: object) -> SignatureParams:
    """The parameters of a signature string; 401 when there is none or it is not one."""
    if not isinstance(text, str) or not text.strip():
        raise Unauthenticated("exchange.unsigned", "消息未签名：消息应包含「signature」「header」「message」三部分",
                              "the message is not signed: an envelope carries a signature, a header and a message")
    found = dict(_PARAMETER.findall(text[:2_000]))
    kid = found.get("kidId", "").split("|")
    if (len(kid) != 3 or found.get("algorithm", "").lower() != ALGORITHM or kid[2].lower() != ALGORITHM
            or found.get("headers") != SIGNED_HEADERS or not found.get("signature")
            or not (found.get("created", "").isdigit() and found.get("expires", "").isdigit())):
        raise Unauthenticated("exchange.signature_malformed",
                              "签名格式不符：应含「kidId」「algorithm」「created」「expires」「headers」「signature」，算法为 Ed25519",
                              'the signature is not in the DCI form: kidId="{sender}|{key}|ed25519", algorithm, created, '
                              'expires, headers="(created) (expires) digest" and signature are required')
    return SignatureParams(sender_id=kid[0], key_id=kid[1], created=int(found["created"][:12]),
                           expires=int(found["expires"][:12]), signature=found["signature"])


def verify(*, params: SignatureParams, header: object, message: object, public_key: str, key_id: str,
           now: datetime, skew: timedelta) -> None:
    """The signature is the partner's key's, over this header and message, and in force now; else 401."""
    moment = int(now.timestamp())
    if params.key_id != key_id:
        raise _signature_invalid()
    if params.expires <= moment or params.created > moment + skew.total_seconds() \
            or params.expires - params.created > MAX_SIGNATURE_LIFETIME.total_seconds():
        raise Unauthenticated("exchange.signature_expired", "签名不在有效期内（检查「created」「expires」与时钟）",
                              "the signature is not in force now: check created, expires and the sender's clock")
    try:
        digest = message_digest(header, message)
        Ed25519PublicKey.from_public_bytes(_unb64(public_key)).verify(_unb64(params.signature),
                                                                      signing_content(params.created, params.expires, digest))
    except (InvalidSignature, ValueError, TypeError, RecursionError):
        raise _signature_invalid() from None


def _signature_invalid() -> Unauthenticated:
    return Unauthenticated("exchange.signature_invalid", "签名无效：不是该发送方登记的密钥对此消息头和消息体的签名",
                           "the signature is not the registered key's signature of this header and message")


# ------------------------------------------------------------------ the header


def check_header(header: dict, *, partner_code: str, platform_id: str, action: str, now: datetime,
                 window: timedelta) -> DciHeader:
    """A verified header that is for us, for this endpoint, from the signer, and of now (within the window)."""
    try:
        checked = DciHeader.model_validate(header)
    except ValidationError as exc:
        raise invalid_part(exc, "header") from None
    if checked.sender_id != partner_code:
        raise Unauthenticated("exchange.sender_mismatch", "消息头的「sender_id」与签名者不符",
                              "the header's sender_id is not the signer")
    if abs(checked.message_ts - now) > window:
        raise Unauthenticated("exchange.message_stale", f"消息时间「message_ts」与本系统时间相差超过 {int(window.total_seconds())} 秒",
                              f"message_ts is more than {int(window.total_seconds())} seconds from our time")
    if checked.receiver_id != platform_id:
        raise InvalidInput("exchange.receiver", f"消息的接收方应为「{platform_id}」", f"the receiver_id is {platform_id!r}, not ours")
    if checked.action != action:
        raise InvalidInput("exchange.action", f"此地址只接收「{action}」消息", f"this address takes {action!r} messages only")
    if checked.is_msg_encrypted:
        raise InvalidInput("exchange.encrypted", "暂不接收加密的消息体（传输层已加密）",
                           "encrypted message bodies are not taken (the transport is encrypted)")
    return checked


def answer_header(*, action: str, platform_id: str, receiver_id: str, message_id: str, now: datetime,
                  total_count: int, status: str = "succ") -> dict:
    """The header of an answer or a message we send (the callback statuses: rcvd, pdng, succ, rjct)."""
    return {"version": VERSION, "message_id": message_id, "message_ts": timestamp(now), "action": action,
            "status": status, "sender_id": platform_id, "receiver_id": receiver_id, "total_count": total_count,
            "completed_count": total_count, "is_msg_encrypted": False}


def check_count(header: DciHeader, items: int) -> None:
    if header.total_count != items:
        raise InvalidInput("exchange.count_mismatch", f"消息头的「total_count」为 {header.total_count}，消息中实有 {items} 项",
                           f"total_count says {header.total_count} but the message holds {items}")


def check_batch(items: object, limit: int) -> None:
    if isinstance(items, list) and len(items) > limit:
        raise InvalidInput("exchange.batch_too_large", f"一条消息最多 {limit} 项，实有 {len(items)} 项，请分多条发送",
                           f"a message holds at most {limit} items, not {len(items)}: send several", limit=limit)


def invalid_part(exc: ValidationError, part: str) -> InvalidInput:
    """A header or message that does not fit its model, named by its first problem in each language."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in (part, *first.get("loc", ())))
    return InvalidInput(f"exchange.{part}", f"消息内容有误：「{where}」{validation_problem_zh(first.get('type', ''))}",
                        f"invalid {part}: {where}: {first.get('msg', '')}",
                        problems=[{"field": ".".join(str(p) for p in (part, *e.get("loc", ()))), "problem": e.get("msg", "")}
                                  for e in exc.errors()[:20]])


def timestamp(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# ------------------------------------------------------------------ partners and agreements


def parse_public_key(text: str) -> str:
    """An Ed25519 public key given as base64 or base64url of its 32 raw bytes, or as PEM; answered as base64url."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("not Ed25519")
            raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        else:
            raw = _unb64(text.replace("+", "-").replace("/", "_"))
        Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidInput("exchange.public_key", "公钥应为 Ed25519 公钥（32 字节的「base64」编码，或「PEM」格式）",
                           "the public key is an Ed25519 public key: base64 of its 32 bytes, or PEM") from None
    return _b64(raw)


def check_key_id(key_id: str) -> str:
    if not _KEY_ID.match(key_id):
        raise InvalidInput("exchange.key_id", "密钥名只能包含字母、数字和「._:-」，至多 64 个字符",
                           "a key id is at most 64 letters, digits or ._:-")
    return key_id


def agreement_text(department: str, allowed: list[str] | None) -> str:
    """The agreement as stored: the capabilities given, or the department's default ones."""
    if department not in DEPARTMENTS:
        raise InvalidInput("exchange.department", f"部门类别应为：{'、'.join(name for name, _ in DEPARTMENTS.values())}",
                           f"the department is one of {', '.join(DEPARTMENTS)}")
    chosen = DEFAULT_AGREEMENTS[department] if allowed is None else allowed
    unknown = sorted(set(chosen) - set(CAPABILITIES))
    if unknown:
        raise InvalidInput("exchange.capability", f"没有这项权限：「{unknown[0]}」（可选：「{'、'.join(CAPABILITIES)}」）",
                           f"no such capability: {unknown[0]!r} (one of {', '.join(CAPABILITIES)})")
    return ",".join(sorted(set(chosen)))


def require_capability(agreement: str, capability: str) -> None:
    """403, the same for every message of this kind, whatever it names: nothing about a person is judged yet."""
    if capability not in agreement.split(","):
        zh, en = CAPABILITIES[capability]
        raise Forbidden("exchange.not_agreed", f"贵单位的数据交换协议不含此项：{zh}",
                        f"your exchange agreement does not include this: {en}", capability=capability)


# ------------------------------------------------------------------ base64url


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not isinstance(text, str) or len(text) > 200:
        raise ValueError("not base64")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
