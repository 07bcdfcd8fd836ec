"""The electronic card's QR code: a short-lived payload signed by the province's issuing key, naming
the card (never the ID number in clear), and verified offline by a terminal holding the trust file.

    code = "SB1." + base64url(payload JSON) + "." + base64url(Ed25519 signature of those bytes)

A terminal refuses a code that is malformed, signed by an unknown, revoked, expired or other-province
key, forged, expired, issued in the future, valid for longer than allowed, or already seen. What it has
seen it keeps in a replay store, a small JSON file (SeenCodes), so that a code shown twice is refused
even across runs of `shebao ecard verify`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.cards.keys import KeyStore, TrustFile, b64, chain_problem, public_key, unb64
from shebao.cards.models import Card
from shebao.cards.rules import CardState, state_name
from shebao.core.errors import Conflict, InvalidInput, NotFound

PREFIX = "SB1"
LIFETIME_SECONDS = 60
CLOCK_SKEW_SECONDS = 5
MAX_CODE_LENGTH = 1024
# A code's times are Unix seconds within what a datetime can hold (up to 9999-12-31); beyond it,
# turning them into dates raised before the signature was even checked.
MAX_TIMESTAMP = 253_402_300_799
SEEN_FILE_NAME = "seen-codes.json"  # the replay store's default name, beside the trust file
MAX_SEEN_FILE_BYTES = 16 * 1024 * 1024


def device_tag(device_id: str) -> str:
    """The device a code is bound to, as a short hash (the device id itself is not in the code)."""
    return hashlib.sha256(device_id.encode()).hexdigest()[:16]


def issue_code_for_card(*, session: Session, keys: KeyStore, card_number: str, device_id: str, now: datetime,
                        province: str | None = None) -> str:
    """Signs a code for a card the database holds and that is active, with its own province's key.

    A counter or a test terminal names the card by number (and may name the province it expects); a
    number nobody holds, a card of another province, or one frozen, cancelled or not yet activated,
    gets no code."""
    card = session.scalar(select(Card).where(Card.card_number == card_number.strip()[:20]))
    if card is None:
        raise NotFound("ecard.unknown_card", "没有这个卡号的社保卡", "no card has this number")
    if province is not None and province != card.province:
        raise Conflict("ecard.wrong_province", f"这张社保卡由 {card.province} 签发，不是 {province[:6]}",
                       f"the card belongs to province {card.province}, not {province[:6]}")
    if card.state != CardState.ACTIVE:
        state_zh, state_en = state_name(card.state)
        raise Conflict("ecard.card_not_active", f"这张社保卡状态为“{state_zh}”，只有已启用的卡才能签发电子社保卡二维码",
                       f"the card is {state_en}: codes are issued for active cards only", state=card.state)
    return issue_code(keys=keys, card_number=card.card_number, province=card.province, device_id=device_id, now=now)


def issue_code(*, keys: KeyStore, card_number: str, province: str, device_id: str, now: datetime) -> str:
    """Signs a code for a card on a device, valid for LIFETIME_SECONDS from now."""
    key_id, key = keys.signing_key(province=province, now=now)
    issued = int(now.timestamp())
    payload = json.dumps({"v": 1, "c": card_number, "p": province, "d": device_tag(device_id), "iat": issued,
                          "exp": issued + LIFETIME_SECONDS, "n": b64(os.urandom(12)), "k": key_id},
                         separators=(",", ":")).encode()
    return f"{PREFIX}.{b64(payload)}.{b64(key.sign(payload))}"


@dataclass
class ReplayGuard:
    """Nonces a terminal has accepted, kept until their code would have expired anyway.

    Nonces are forgotten oldest first as they expire, so each check costs O(1) on average."""

    seen: dict[str, int] = field(default_factory=dict)
    _order: deque = field(default_factory=deque, repr=False)

    def __post_init__(self) -> None:
        self._order.extend(sorted((exp, nonce) for nonce, exp in self.seen.items()))

    def check_and_remember(self, nonce: str, expires: int, now: int) -> bool:
        while self._order and self._order[0][0] < now:
            _, old = self._order.popleft()
            self.seen.pop(old, None)
        if nonce in self.seen:
            return False
        self.seen[nonce] = expires
        self._order.append((expires, nonce))
        return True


class SeenCodes:
    """The replay store of a terminal: the nonces of codes it accepted, in a JSON file.

    `open()` locks the file for the whole check (two verifications at once cannot both accept one
    code), and saves what was accepted atomically. A damaged store is refused, never silently
    emptied: an empty store would accept every replay."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def beside(cls, trust_file: Path) -> "SeenCodes":
        return cls(trust_file.parent / SEEN_FILE_NAME)

    @contextmanager
    def open(self) -> Iterator[ReplayGuard]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            lock = open(lock_path, "a")  # held for the whole check, closed by the with below
        except OSError as exc:
            raise _store_problem(self.path, exc.strerror or "cannot be opened") from None
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            guard = ReplayGuard(self._read())
            remembered = dict(guard.seen)
            yield guard
            if guard.seen != remembered:
                self._write(guard.seen)

    def _read(self) -> dict[str, int]:
        if not self.path.exists():
            return {}
        try:
            if self.path.stat().st_size > MAX_SEEN_FILE_BYTES:
                raise ValueError("too large")
            seen = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise _store_problem(self.path, "is damaged") from exc
        if not isinstance(seen, dict) or not all(isinstance(k, str) and type(v) is int for k, v in seen.items()):
            raise _store_problem(self.path, "is damaged")
        return seen

    def _write(self, seen: dict[str, int]) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            temporary.write_text(json.dumps(seen), encoding="utf-8")
            temporary.replace(self.path)
        except OSError as exc:
            raise _store_problem(self.path, exc.strerror or "cannot be written") from None


def _store_problem(path: Path, problem: str) -> InvalidInput:
    return InvalidInput("ecard.replay_store", f"重放记录文件「{path}」无法使用（请检查或删除后重试）",
                        f"the replay store {path} {problem}: check it, or remove it and try again", path=str(path))


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str
    card_number: str | None = None
    province: str | None = None
    device: str | None = None
    key_id: str | None = None
    expires_at: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None or k in ("valid", "reason")}


REASONS_ZH = {
    "ok": "有效", "malformed": "格式错误", "unsupported_version": "版本不支持", "unknown_key": "签发密钥未知",
    "revoked_key": "签发密钥已吊销", "key_not_valid_then": "签发密钥不在有效期内", "broken_chain": "证书链无效",
    "revocation_list_forged": "吊销列表签名无效", "wrong_province": "密钥与签发省份不符", "bad_signature": "签名无效（伪造或篡改）",
    "expired": "二维码已过期", "not_yet_valid": "二维码签发时间晚于当前时间", "too_long_lived": "有效期超过规定",
    "replayed": "二维码已被使用（重放）",
}


def verify_code(*, trust: TrustFile, code: str, now: datetime, replay: ReplayGuard | None = None) -> Verdict:
    """A terminal's offline check of a code; the reason names what was refused."""
    parsed = _parse(code)
    if isinstance(parsed, Verdict):
        return parsed
    payload_bytes, signature, payload = parsed
    key_id, province = payload["k"], payload["p"]
    base = {"card_number": payload["c"], "province": province, "device": payload["d"], "key_id": key_id,
            "expires_at": datetime.fromtimestamp(payload["exp"], UTC).isoformat()}
    issued_at = datetime.fromtimestamp(payload["iat"], UTC)
    problem = chain_problem(trust, key_id, issued_at)
    if problem:
        return Verdict(False, problem, **base)
    certificate = trust.certificates[key_id]
    if certificate.level != "province" or certificate.province != province:
        return Verdict(False, "wrong_province", **base)
    try:
        public_key(certificate.public_key).verify(signature, payload_bytes)
    except (InvalidSignature, ValueError):
        return Verdict(False, "bad_signature", **base)
    moment = int(now.timestamp())
    if payload["exp"] - payload["iat"] > LIFETIME_SECONDS:
        return Verdict(False, "too_long_lived", **base)
    if payload["iat"] > moment + CLOCK_SKEW_SECONDS:
        return Verdict(False, "not_yet_valid", **base)
    if moment > payload["exp"]:
        return Verdict(False, "expired", **base)
    if replay is not None and not replay.check_and_remember(payload["n"], payload["exp"], moment):
        return Verdict(False, "replayed", **base)
    return Verdict(True, "ok", **base)


def _parse(code: str) -> tuple[bytes, bytes, dict] | Verdict:
    if not isinstance(code, str) or len(code) > MAX_CODE_LENGTH:
        return Verdict(False, "malformed")
    parts = code.strip().split(".")
    if len(parts) != 3:
        return Verdict(False, "malformed")
    if parts[0] != PREFIX:
        return Verdict(False, "unsupported_version")
    try:
        payload_bytes, signature = unb64(parts[1]), unb64(parts[2])
        payload = json.loads(payload_bytes)
        fields = {"v": int, "c": str, "p": str, "d": str, "iat": int, "exp": int, "n": str, "k": str}
        if not isinstance(payload, dict) or any(not isinstance(payload.get(k), t) or isinstance(payload.get(k), bool)
                                                for k, t in fields.items()):
            return Verdict(False, "malformed")
    except (ValueError, TypeError):
        return Verdict(False, "malformed")
    if not all(0 <= payload[name] <= MAX_TIMESTAMP for name in ("iat", "exp")):
        return Verdict(False, "malformed")
    if payload["v"] != 1:
        return Verdict(False, "unsupported_version")
    if len(signature) != 64:
        return Verdict(False, "bad_signature")
    return payload_bytes, signature, payload
