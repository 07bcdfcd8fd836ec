"""Security primitives: field encryption (AES-GCM), lookup hashes (HMAC), passwords (argon2),
bearer tokens, and the principal whose role and region scope confine every query."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shebao.core.errors import Forbidden
from shebao.core.regions import NATIONAL_REGION, region_within


def _derive(secret: str, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"shebao/v1", info=label).derive(secret.encode())


def purpose_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose (e.g. "statement-verification"), derived from the settings secret (HKDF-SHA256):
    each use has its own key, so a code made for one purpose is worthless for another."""
    return _derive(secret, purpose.encode())


class FieldCipher:
    """Encrypts personal data at rest: key id byte | 12-byte nonce | AES-GCM ciphertext.

    The field name is authenticated data, so a phone ciphertext cannot be passed off as an ID number.
    """

    KEY_ID = 1

    def __init__(self, secret: str) -> None:
        self._aead = AESGCM(_derive(secret, b"field-encryption"))
        self._lookup_key = _derive(secret, b"lookup-hmac")

    def encrypt(self, field: str, plaintext: str) -> bytes:
        nonce = os.urandom(12)
        return bytes([self.KEY_ID]) + nonce + self._aead.encrypt(nonce, plaintext.encode(), field.encode())

    def decrypt(self, field: str, blob: bytes) -> str:
        if not blob or blob[0] != self.KEY_ID:
            raise ValueError("unknown key id")
        return self._aead.decrypt(blob[1:13], blob[13:], field.encode()).decode()

    def lookup_hash(self, value: str) -> str:
        """Keyed hash for equality lookups of an encrypted value (the ID number)."""
        return hmac.new(self._lookup_key, value.encode(), hashlib.sha256).hexdigest()


_password_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are stored only as their SHA-256 digest."""
    return hashlib.sha256(token.encode()).hexdigest()


class Role(StrEnum):
    INSURED = "insured"
    EMPLOYER = "employer"
    STAFF = "staff"
    AUDITOR = "auditor"
    ADMIN = "admin"
    BANK = "bank"  # a bank providing the card's financial function


ROLE_NAMES = {Role.INSURED: ("参保人", "insured person"), Role.EMPLOYER: ("参保单位", "employer"),
              Role.STAFF: ("经办人员", "agency staff"), Role.AUDITOR: ("审计", "auditor"),
              Role.ADMIN: ("管理员", "administrator"), Role.BANK: ("银行", "bank")}


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user with a role, and for staff the region they may see."""

    user_id: int | None
    username: str
    role: Role
    region_code: str | None = None
    person_id: int | None = None
    employer_id: int | None = None
    bank_code: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role == Role.STAFF

    def can_see_region(self, code: str) -> bool:
        """Admins and auditors see the whole country; staff their region and below; others no region."""
        if self.role in (Role.ADMIN, Role.AUDITOR):
            return True
        if self.role == Role.STAFF and self.region_code:
            return region_within(code, self.region_code)
        return False

    def serves(self, *regions: str | None) -> bool:
        """Whether a subject belonging to these regions (a person's residence and hukou, an employer's
        seat) lies within what this principal handles: the country for admins and auditors, the region
        for staff, nothing for the other roles (they are judged on ownership, not region)."""
        if self.role in (Role.ADMIN, Role.AUDITOR):
            return True
        return (self.role == Role.STAFF and bool(self.region_code)
                and any(region_within(code, self.region_code) for code in regions if code))

    def require_region(self, code: str) -> None:
        if not self.can_see_region(code):
            raise Forbidden("scope.outside_region", f"区划 {code} 不在您的管辖范围内" if code else "该区划不在您的管辖范围内",
                            f"region {code} is outside your jurisdiction" if code else "that region is outside your jurisdiction",
                            region_code=code)

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            zh, en = ROLE_NAMES[self.role]
            raise Forbidden("auth.role_not_allowed", f"{zh}账号不能办理此项业务", f"this {en} account may not do this")

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.username}"


# The operator at the command line, and batch jobs: acts for the whole country.
SYSTEM = Principal(user_id=None, username="system", role=Role.ADMIN, region_code=NATIONAL_REGION)
