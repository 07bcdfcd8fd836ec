"""QR codes verified per second on one core, against raw Ed25519 verifications in the same run."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.common import Result, best_of
from shebao.cards.ecard import ReplayGuard, issue_code, verify_code
from shebao.cards.keys import KeyStore

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def qr_verification(count: int = 5_000) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        keys = KeyStore(folder, "bench")
        keys.init(now=NOW - timedelta(days=1))
        keys.rotate_province(province="110000", now=NOW - timedelta(hours=1))
        trust = keys.trust()
        codes = [issue_code(keys=keys, card_number=f"J{n:08d}", province="110000", device_id="d", now=NOW)
                 for n in range(count)]

        def verify_all() -> None:
            guard = ReplayGuard()
            assert all(verify_code(trust=trust, code=c, now=NOW, replay=guard).valid for c in codes)

        seconds = best_of(3, verify_all)
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    messages = [os.urandom(160) for _ in range(count)]
    signatures = [key.sign(m) for m in messages]
    raw = best_of(3, lambda: [public.verify(s, m) for s, m in zip(signatures, messages)])
    return Result("qr_verify", "QR codes verified offline (chain, revocation list, signature, expiry, replay)", count,
                  seconds, "raw Ed25519 verifications of the same number of messages", raw,
                  note="aim: at least half the raw rate")
