"""The three-level key hierarchy for the electronic card: a national root key signs the ministry key,
which signs each province's issuing key (Ed25519). Certificates and the revocation list are public and
travel to terminals as the trust file; private keys stay on disk, encrypted with a passphrase, and
never enter the database or a log.

Layout of the key directory:
    trust.json             the public chain: root key, certificates, signed revocation list
    private/<key_id>.key   the private key sealed with AES-256-GCM under a key derived from the passphrase
                           by Argon2id; the file states its KDF parameters, so they can rise later
    private/<key_id>.pem   (older installations) PKCS#8 with PBKDF2 at 2,048 rounds: still opened, and
                           rewritten as a .key file the first time it is
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shebao.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shebao.core.regions import is_province
from shebao.core.sealing import KDF_LIMITS, KDF_PARAMETERS, b64, checked_kdf, unb64, wrapping_key

ROOT_YEARS, MINISTRY_YEARS, PROVINCE_DAYS = 20, 10, 730
ROTATION_OVERLAP = timedelta(minutes=5)  # codes signed just before a rotation still verify for a while

KEY_FILE_FORMAT = "shebao-private-key/2"  # sealed as core/sealing.py says; the old PEM files used PBKDF2 at 2,048 rounds


def canonical(value: dict) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Certificate:
    """A public key, what it may do, when, and the signature of the key above it."""

    key_id: str
    level: str  # ministry | province (the root is the trust anchor itself)
    province: str | None
    public_key: str
    valid_from: str
    valid_to: str
    issuer: str
    signature: str = ""

    def body(self) -> bytes:
        fields = asdict(self)
        fields.pop("signature")
        return canonical(fields)

    def valid_at(self, when: datetime) -> bool:
        return datetime.fromisoformat(self.valid_from) <= when <= datetime.fromisoformat(self.valid_to)


@dataclass
class TrustFile:
    """What a terminal holds to verify codes offline.

    The signatures of the chain and of the revocation list do not depend on the code being checked,
    so each is verified once per trust file and remembered: a code then costs one Ed25519 verification.
    """

    root_key_id: str
    root_public_key: str
    certificates: dict[str, Certificate]
    revoked: dict[str, str]  # key id -> when revoked (ISO)
    revocation_signature: str  # by the ministry key over the sorted revocation list
    _signed: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)
    _windows: dict[str, tuple[datetime, datetime]] = field(default_factory=dict, repr=False, compare=False)

    def as_json(self) -> str:
        return json.dumps({"root_key_id": self.root_key_id, "root_public_key": self.root_public_key,
                           "certificates": [asdict(c) for c in self.certificates.values()],
                           "revoked": self.revoked, "revocation_signature": self.revocation_signature},
                          ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> "TrustFile":
        """Reads a trust file, checking every field's type and every time's form here, so that a
        terminal never meets a number where a date belongs halfway through a verification."""
        try:
            data = json.loads(text)
            certificates = {c["key_id"]: _checked_certificate(c) for c in data["certificates"]}
            revoked = dict(data["revoked"])
            _require_text(data["root_key_id"], data["root_public_key"], data["revocation_signature"], *revoked)
            for when in revoked.values():
                _aware_time(when)
            return cls(data["root_key_id"], data["root_public_key"], certificates, revoked, data["revocation_signature"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidInput("trust.malformed", "信任文件格式错误", f"the trust file is malformed: {exc}") from exc

    def revocation_body(self) -> bytes:
        return canonical({"revoked": dict(sorted(self.revoked.items()))})

    def ministry(self) -> Certificate | None:
        return next((c for c in self.certificates.values() if c.level == "ministry" and c.key_id not in self.revoked), None)


class KeyStore:
    """The keys of one installation, kept in a directory."""

    def __init__(self, directory: str | Path, passphrase: str) -> None:
        self.directory = Path(directory)
        self._passphrase = passphrase.encode()
        self._unlocked: dict[str, Ed25519PrivateKey] = {}  # deriving a sealing key is slow; keep unlocked keys in memory
        self._sealing_keys: dict[tuple, bytes] = {}  # (salt, parameters) -> derived key: one derivation per salt
        self._salt = os.urandom(16)  # the files this store writes share it, so writing three keys derives once

    @property
    def trust_path(self) -> Path:
        return self.directory / "trust.json"

    def exists(self) -> bool:
        return self.trust_path.exists()

    def trust(self) -> TrustFile:
        if not self.exists():
            raise NotFound("keys.not_initialised", "密钥体系尚未初始化，请先运行「shebao keys init」",
                           "the key hierarchy is not initialised: run shebao keys init")
        return TrustFile.from_json(self.trust_path.read_text(encoding="utf-8"))

    def init(self, *, now: datetime) -> TrustFile:
        """Creates the national root key and the ministry key it signs."""
        if self.exists():
            raise Conflict("keys.exist", "密钥体系已存在，不能重复初始化", "the key hierarchy already exists")
        root = Ed25519PrivateKey.generate()
        root_id = _key_id("root", now)
        self._save_private(root_id, root)
        trust = TrustFile(root_id, b64(_raw_public(root)), {}, {}, "")
        ministry_id = _key_id("ministry", now)
        ministry = Ed25519PrivateKey.generate()
        self._save_private(ministry_id, ministry)
        trust.certificates[ministry_id] = _certify(ministry_id, "ministry", None, ministry, now,
                                                   now + timedelta(days=365 * MINISTRY_YEARS), root_id, root)
        trust.revocation_signature = b64(ministry.sign(trust.revocation_body()))
        self._write(trust)
        return trust

    def rotate_province(self, *, province: str, now: datetime) -> Certificate:
        """A new issuing key for a province; the previous one stays valid a few minutes, then expires."""
        if not is_province(province):
            raise InvalidInput("keys.province", f"「{province}」不是省级区划代码", f"{province} is not a province code")
        trust = self.trust()
        ministry_cert = trust.ministry()
        if ministry_cert is None:
            raise Conflict("keys.no_ministry", "没有有效的部级密钥", "there is no valid ministry key")
        ministry = self._load_private(ministry_cert.key_id)
        for cert in list(trust.certificates.values()):
            if cert.province == province and cert.key_id not in trust.revoked and cert.valid_at(now):
                trust.certificates[cert.key_id] = _certify(cert.key_id, cert.level, province, None, datetime.fromisoformat(
                    cert.valid_from), now + ROTATION_OVERLAP, ministry_cert.key_id, ministry, public_key=cert.public_key)
        key = Ed25519PrivateKey.generate()
        key_id = _key_id(f"prov-{province}", now)
        self._save_private(key_id, key)
        cert = _certify(key_id, "province", province, key, now, now + timedelta(days=PROVINCE_DAYS),
                        ministry_cert.key_id, ministry)
        trust.certificates[key_id] = cert
        self._write(trust)
        return cert

    def revoke(self, *, key_id: str, now: datetime) -> None:
        """Publishes a key as revoked; terminals refuse its codes once they hold the new trust file."""
        trust = self.trust()
        if key_id not in trust.certificates:
            raise NotFound("keys.unknown", f"密钥「{key_id}」不存在", f"no key {key_id}")
        if key_id in trust.revoked:
            raise Conflict("keys.already_revoked", f"密钥「{key_id}」已吊销", f"key {key_id} is already revoked")
        trust.revoked[key_id] = now.isoformat()
        signer = trust.ministry() if trust.certificates[key_id].level != "ministry" else None
        signer_key = self._load_private(signer.key_id) if signer else self._load_private(trust.root_key_id)
        trust.revocation_signature = b64(signer_key.sign(trust.revocation_body()))
        self._write(trust)

    def signing_key(self, *, province: str, now: datetime) -> tuple[str, Ed25519PrivateKey]:
        """The province's current issuing key (the newest valid, unrevoked one)."""
        trust = self.trust()
        candidates = sorted((c for c in trust.certificates.values() if c.province == province and c.level == "province"
                             and c.key_id not in trust.revoked and c.valid_at(now)), key=lambda c: c.valid_from)
        if not candidates:
            raise NotFound("keys.no_province_key", f"{province} 没有有效的签发密钥，请运行「shebao keys rotate --province {province}」",
                           f"{province} has no valid issuing key: run shebao keys rotate --province {province}")
        return candidates[-1].key_id, self._load_private(candidates[-1].key_id)

    def _save_private(self, key_id: str, key: Ed25519PrivateKey) -> None:
        folder = self.directory / "private"
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        os.chmod(folder, 0o700)
        kdf = {**KDF_PARAMETERS, "salt": b64(self._salt)}
        nonce = os.urandom(12)
        raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        sealed = AESGCM(self._sealing_key(kdf)).encrypt(nonce, raw, key_id.encode())  # the key id is bound to the file
        document = {"format": KEY_FILE_FORMAT, "key_id": key_id, "kdf": kdf, "cipher": "AES-256-GCM",
                    "nonce": b64(nonce), "ciphertext": b64(sealed)}
        path = folder / f"{key_id}.key"
        temporary = folder / f".{key_id}.{os.getpid()}.{os.urandom(4).hex()}.tmp"  # two processes may rewrite one PEM at once
        temporary.write_text(json.dumps(document, indent=2), encoding="utf-8")
        os.chmod(temporary, 0o600)
        temporary.replace(path)

    def _load_private(self, key_id: str) -> Ed25519PrivateKey:
        if key_id in self._unlocked:
            return self._unlocked[key_id]
        folder = self.directory / "private"
        if (folder / f"{key_id}.key").exists():
            key = self._open_key_file(key_id, folder / f"{key_id}.key")
        elif (folder / f"{key_id}.pem").exists():
            key = self._open_legacy_pem(key_id, folder / f"{key_id}.pem")
        else:
            raise NotFound("keys.private_missing", f"私钥「{key_id}」不在本机", f"the private key {key_id} is not on this machine")
        self._unlocked[key_id] = key
        return key

    def _open_key_file(self, key_id: str, path: Path) -> Ed25519PrivateKey:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            kdf = _checked_kdf(document["kdf"])
            if document["format"] != KEY_FILE_FORMAT or document["key_id"] != key_id or document["cipher"] != "AES-256-GCM":
                raise ValueError("not a key file of this format")
            sealed, nonce = unb64(document["ciphertext"]), unb64(document["nonce"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidInput("keys.file_malformed", f"私钥文件「{key_id}」已损坏或格式不符",
                               f"the private key file of {key_id} is damaged or of an unknown format") from exc
        try:
            raw = AESGCM(self._sealing_key(kdf)).decrypt(nonce, sealed, key_id.encode())
        except (InvalidTag, ValueError):
            raise _wrong_passphrase(key_id) from None
        return Ed25519PrivateKey.from_private_bytes(raw)

    def _open_legacy_pem(self, key_id: str, path: Path) -> Ed25519PrivateKey:
        """A key written before the KDF was raised: opened, then rewritten in the new format (the PEM is
        removed only once the new file is in place; a read-only key directory keeps the PEM)."""
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=self._passphrase)
        except (ValueError, TypeError):
            raise _wrong_passphrase(key_id) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidInput("keys.wrong_type", f"「{key_id}」不是 Ed25519 私钥", f"{key_id} is not an Ed25519 key")
        try:
            self._save_private(key_id, key)
            path.unlink()
        except OSError:
            pass
        return key

    def _sealing_key(self, kdf: dict) -> bytes:
        """The AES key derived from the passphrase with the file's own parameters (cached per salt)."""
        cache_key = tuple(sorted(kdf.items()))
        if cache_key not in self._sealing_keys:
            self._sealing_keys[cache_key] = wrapping_key(self._passphrase, unb64(kdf["salt"]), kdf)
        return self._sealing_keys[cache_key]

    def _write(self, trust: TrustFile) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = self.trust_path.with_suffix(".tmp")
        temporary.write_text(trust.as_json(), encoding="utf-8")
        temporary.replace(self.trust_path)


def _require_text(*values: object) -> None:
    if not all(isinstance(value, str) for value in values):
        raise TypeError("a key id, key, signature or time is text")


def _aware_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time without a timezone: {text}")
    return moment


def _checked_certificate(fields: dict) -> Certificate:
    certificate = Certificate(**fields)
    _require_text(certificate.key_id, certificate.level, certificate.public_key, certificate.valid_from,
                  certificate.valid_to, certificate.issuer, certificate.signature)
    if certificate.province is not None:
        _require_text(certificate.province)
    _aware_time(certificate.valid_from)
    _aware_time(certificate.valid_to)
    return certificate


def _wrong_passphrase(key_id: str) -> Forbidden:
    return Forbidden("keys.wrong_passphrase", f"卡密钥口令不正确，无法打开私钥「{key_id}」",
                     f"the key passphrase does not open the private key {key_id} (SHEBAO_KEY_PASSPHRASE)")


def _checked_kdf(kdf: object) -> dict:
    """A key file's KDF parameters (with its salt), refused when unknown or outside the limits."""
    checked = checked_kdf(kdf)
    if not isinstance(checked.get("salt"), str) or len(unb64(checked["salt"])) < 16:
        raise ValueError("salt missing or too short")
    return {key: checked[key] for key in ("name", "salt", *KDF_LIMITS)}


def _key_id(kind: str, now: datetime) -> str:
    """Readable and unique across installations: the kind, the date and a random tag."""
    return f"{kind}-{now:%Y%m%d}-{os.urandom(4).hex()}"


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _certify(key_id: str, level: str, province: str | None, key: Ed25519PrivateKey | None, valid_from: datetime,
             valid_to: datetime, issuer_id: str, issuer: Ed25519PrivateKey, public_key: str | None = None) -> Certificate:
    # Whole seconds: a code's issue time is in whole seconds too, and must not fall before its key's start.
    unsigned = Certificate(key_id, level, province, public_key or b64(_raw_public(key)),
                           valid_from.replace(microsecond=0).isoformat(), valid_to.replace(microsecond=0).isoformat(),
                           issuer_id)
    return Certificate(**{**asdict(unsigned), "signature": b64(issuer.sign(unsigned.body()))})


def public_key(encoded: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(unb64(encoded))


def chain_problem(trust: TrustFile, key_id: str, when: datetime) -> str | None:
    """Why a key may not be trusted at a moment (None when it may): a forged revocation list, an
    unknown or revoked key, a key out of its validity, or a broken signature anywhere up to the root."""
    if not _signature_ok(trust, "#revocations", _revocations_intact):
        return "revocation_list_forged"
    current, depth = key_id, 0
    while current != trust.root_key_id:
        cert = trust.certificates.get(current)
        if cert is None:
            return "unknown_key"
        if current in trust.revoked:
            return "revoked_key"
        start, end = trust._windows.get(current) or trust._windows.setdefault(
            current, (datetime.fromisoformat(cert.valid_from), datetime.fromisoformat(cert.valid_to)))
        if not start <= when <= end:
            return "key_not_valid_then"
        if not _signature_ok(trust, current, lambda t, c=cert: _certificate_intact(t, c)):
            return "broken_chain"
        current, depth = cert.issuer, depth + 1
        if depth > 3:
            return "broken_chain"
    return None


def _signature_ok(trust: TrustFile, name: str, check) -> bool:  # noqa: ANN001 - check(trust) -> bool
    if name not in trust._signed:
        trust._signed[name] = check(trust)
    return trust._signed[name]


def _revocations_intact(trust: TrustFile) -> bool:
    ministry = trust.ministry()
    signer = ministry.public_key if ministry is not None else trust.root_public_key
    return _verifies(signer, trust.revocation_signature, trust.revocation_body())


def _certificate_intact(trust: TrustFile, cert: Certificate) -> bool:
    issuer = trust.root_public_key if cert.issuer == trust.root_key_id else \
        getattr(trust.certificates.get(cert.issuer), "public_key", None)
    return issuer is not None and _verifies(issuer, cert.signature, cert.body())


def _verifies(encoded_key: str, signature: str, body: bytes) -> bool:
    try:
        public_key(encoded_key).verify(unb64(signature), body)
        return True
    except (InvalidSignature, ValueError):
        return False
