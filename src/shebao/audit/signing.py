"""The audit key: an Ed25519 key that signs checkpoints of the audit chain.

It is its own key, not the ministry key of the card hierarchy: the served app signs a checkpoint every few
minutes, so the key must stay unlocked in the app's memory, while the ministry key certifies every
province's issuing key and is meant to be unlocked only for a rotation. Ed25519 rather than an HMAC:
anyone holding the public key (an auditor, another department) can check checkpoints without being able
to make them.

The key lives in a file outside the database, its private half sealed with AES-256-GCM under a key derived
from the key passphrase by Argon2id (the card keys' standard). The database owner holds neither.
Layout of the audit key directory:
    audit-key.json   {"keys": [...]}: each key's id, public key, creation time and sealed private key;
                     the last one signs, the earlier ones still verify what they signed
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shebao.core.errors import Conflict, InvalidInput
from shebao.core.sealing import KDF_PARAMETERS, b64, checked_kdf, unb64, wrapping_key

KEY_FILE = "audit-key.json"
KDF = KDF_PARAMETERS  # sealed as the card keys are (core/sealing.py); derived once per process


@dataclass(frozen=True)
class SealedKey:
    key_id: str
    public_key: str  # raw Ed25519 public key, base64url
    created: str
    salt: str
    nonce: str
    sealed: str  # the raw private key, AES-GCM under the Argon2id-derived key; the key id and public key bound in
    kdf: dict = field(default_factory=lambda: dict(KDF))

    def associated_data(self) -> bytes:
        return f"{self.key_id}|{self.public_key}".encode()


class AuditKeyring:
    """The audit keys of one installation. Verifying needs only the public keys; signing needs the passphrase.

    Another sealed Ed25519 key of the platform (the exchange's message signing key) is kept the same way by a
    subclass naming its own file, key-id prefix and words."""

    key_file = KEY_FILE
    key_prefix = "audit"
    code = "audit"  # the refusals' code prefix
    name_zh, name_en = "审计密钥", "the audit key"
    purpose_zh, purpose_en = "签署审计检查点", "signing a checkpoint"

    def __init__(self, directory: str | Path, passphrase: str | None = None) -> None:
        self.directory = Path(directory)
        self._passphrase = passphrase.encode() if passphrase is not None else None
        self._signer: tuple[str, Ed25519PrivateKey] | None = None  # unsealing costs Argon2id: once per keyring

    @property
    def path(self) -> Path:
        return self.directory / self.key_file

    def public_keys(self) -> dict[str, str]:
        """Every audit key's public half by id; empty when no key was ever made."""
        return {key.key_id: key.public_key for key in self._read()}

    def signer(self, *, now: datetime) -> tuple[str, Ed25519PrivateKey]:
        """The current signing key, made on first use (the demo and `make run` need no setup step)."""
        if self._signer is None:
            keys = self._read()
            self._signer = self._unseal(keys[-1]) if keys else self._create(now)
        return self._signer

    def _create(self, now: datetime) -> tuple[str, Ed25519PrivateKey]:
        if self._passphrase is None:
            raise self._no_passphrase()
        key = Ed25519PrivateKey.generate()
        key_id = f"{self.key_prefix}-{now:%Y%m%d}-{os.urandom(4).hex()}"
        public = b64(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        salt, nonce = os.urandom(16), os.urandom(12)
        unsealed = SealedKey(key_id, public, now.replace(microsecond=0).isoformat(), b64(salt), b64(nonce), "")
        raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        sealed = AESGCM(self._wrapping_key(salt, KDF)).encrypt(nonce, raw, unsealed.associated_data())
        self._write([SealedKey(**{**asdict(unsealed), "sealed": b64(sealed)})])
        return key_id, key

    def _unseal(self, sealed: SealedKey) -> tuple[str, Ed25519PrivateKey]:
        if self._passphrase is None:
            raise self._no_passphrase()
        try:
            raw = AESGCM(self._wrapping_key(unb64(sealed.salt), sealed.kdf)).decrypt(unb64(sealed.nonce), unb64(sealed.sealed),
                                                                         sealed.associated_data())
        except (InvalidTag, ValueError) as exc:
            raise InvalidInput(f"{self.code}.key_locked", f"{self.name_zh}无法解开：密钥口令不符或密钥文件被改动",
                               f"{self.name_en} cannot be unsealed: wrong key passphrase or an altered key file") from exc
        return sealed.key_id, Ed25519PrivateKey.from_private_bytes(raw)

    def _no_passphrase(self) -> InvalidInput:
        return InvalidInput(f"{self.code}.key_passphrase", f"{self.purpose_zh}需要密钥口令",
                            f"{self.purpose_en} needs the key passphrase")

    def _wrapping_key(self, salt: bytes, kdf: dict) -> bytes:
        return wrapping_key(self._passphrase or b"", salt, _checked_kdf(kdf))

    def _read(self) -> list[SealedKey]:
        if not self.path.exists():
            return []
        try:
            keys = [SealedKey(**entry) for entry in json.loads(self.path.read_text(encoding="utf-8"))["keys"]]
            if all(isinstance(value, str) for key in keys for name, value in asdict(key).items() if name != "kdf"):
                return keys
            raise TypeError("a field is not text")
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            raise Conflict(f"{self.code}.key_file", f"{self.name_zh}文件「{self.key_file}」无法读取",
                           f"{self.name_en} file {self.key_file} cannot be read") from exc

    def _write(self, keys: list[SealedKey]) -> None:
        """Creates the key file only if there is none: two processes racing to make the first key keep one."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        temporary = self.directory / f".{self.key_file}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps({"keys": [asdict(k) for k in keys]}, indent=2), encoding="utf-8")
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, self.path)  # fails if the file exists, unlike a rename
        except FileExistsError as exc:
            raise Conflict(f"{self.code}.key_exists", f"{self.name_zh}已由另一进程生成，请重试",
                           f"another process made {self.name_en}; try again") from exc
        finally:
            temporary.unlink(missing_ok=True)


def _checked_kdf(kdf: object) -> dict:
    """The file's KDF parameters, refused when they are not Argon2id within bounds (a planted file must not
    make the app allocate gigabytes)."""
    try:
        return checked_kdf(kdf)
    except ValueError:
        raise InvalidInput("audit.key_kdf", "审计密钥文件的密钥派生参数无效",
                           "the audit key file's key derivation parameters are invalid") from None


def signature_valid(public_key: str, signature: str, body: bytes) -> bool:
    """Whether `signature` is the key's signature of `body`; anything malformed is simply not valid."""
    try:
        Ed25519PublicKey.from_public_bytes(unb64(public_key)).verify(unb64(signature), body)
        return True
    except (InvalidSignature, ValueError):
        return False


def sign(key: Ed25519PrivateKey, body: bytes) -> str:
    return b64(key.sign(body))
