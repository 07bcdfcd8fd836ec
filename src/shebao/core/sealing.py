"""Private keys sealed with a passphrase, as the card keys and the audit key are kept on disk.

AES-256-GCM under a key derived from the passphrase by Argon2id at OWASP's recommended minimum (Password
Storage Cheat Sheet: m = 19 MiB, t = 2, p = 1): about 50 ms and 19 MiB per derivation, done once per salt by
the program, while every guess at a stolen key file costs an attacker the same. Each file states its own
parameters, so they can rise later; a file may not ask beyond KDF_LIMITS (a planted file must not make the
machine spend gigabytes or hours). Binary fields travel as unpadded base64url.
"""

from __future__ import annotations

import base64

from argon2.low_level import Type, hash_secret_raw

KDF_PARAMETERS = {"name": "argon2id", "memory_kib": 19 * 1024, "iterations": 2, "lanes": 1}
KDF_LIMITS = {"memory_kib": (8 * 1024, 4 * 1024 * 1024), "iterations": (1, 64), "lanes": (1, 16)}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def checked_kdf(kdf: object) -> dict:
    """A file's KDF parameters, or ValueError when they are not Argon2id within KDF_LIMITS."""
    if not isinstance(kdf, dict) or kdf.get("name") != "argon2id":
        raise ValueError("unknown key derivation")
    for name, (low, high) in KDF_LIMITS.items():
        value = kdf.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{name} outside {low}..{high}")
    return kdf


def wrapping_key(passphrase: bytes, salt: bytes, kdf: dict) -> bytes:
    """The AES-256 key that seals a private key: Argon2id of the passphrase with the file's parameters."""
    checked = checked_kdf(kdf)
    return hash_secret_raw(passphrase, salt, time_cost=checked["iterations"], memory_cost=checked["memory_kib"],
                           parallelism=checked["lanes"], hash_len=32, type=Type.ID)
