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


def production_batch(cards: int = 100_000) -> Result:
    """A production batch of `cards` applications: submitted with its manifest, and the factory's return
    file recorded (numbers, chips, encrypted bank accounts), against a raw bulk insert of as many card rows."""
    import tempfile as _tempfile
    from pathlib import Path

    from sqlalchemy import text
    from stdnum import luhn

    from bench.common import timed
    from bench.contributions_bench import populate
    from bench.registry_bench import _fresh_database
    from shebao.cards.batch import record_factory_return, submit_batch
    from shebao.core.security import SYSTEM, FieldCipher

    with _tempfile.TemporaryDirectory() as folder:
        database = _fresh_database(None, Path(folder))
        populate(database, cards)
        with database.transaction() as session:
            session.execute(text(
                "INSERT INTO cards (person_id, province, state, pin_failures, applied_region, created_at, updated_at) "
                "SELECT id, '440000', 'applied', 0, '440305', '2025-01-01 00:00:00', '2025-01-01 00:00:00' FROM persons"))
        cipher = FieldCipher("bench")

        def make() -> None:
            with database.transaction() as session:
                batch, manifest = submit_batch(session=session, principal=SYSTEM, region_code="440305", now=NOW)
            lines = ["card_id,card_number,chip_serial,bank_code,bank_account"]
            for row in manifest.splitlines()[1:]:
                card_id = int(row.split(",")[0])
                number, account = f"44{card_id:08d}", f"622202{card_id:010d}"
                lines.append(f"{card_id},{number}{luhn.calc_check_digit(number)},{card_id:08X},ICBC,"
                             f"{account}{luhn.calc_check_digit(account)}")
            with database.transaction() as session:
                record_factory_return(session=session, cipher=cipher, principal=SYSTEM, batch_id=batch.id,
                                      csv_text="\n".join(lines) + "\n", now=NOW)

        seconds = timed(make)
        connection = database.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("CREATE TABLE bench_cards (id INTEGER, card_number TEXT, chip TEXT, bank TEXT, account BLOB)")
            rows = [(n, f"44{n:09d}", f"{n:08X}", "ICBC", os.urandom(40)) for n in range(cards)]
            cursor.execute("BEGIN")
            baseline = timed(lambda: (cursor.executemany("INSERT INTO bench_cards VALUES (?, ?, ?, ?, ?)", rows),
                                      connection.commit()))
        finally:
            connection.close()
        database.dispose()
    return Result("card_batch", f"production batch of {cards:,} cards (submit, manifest, factory return) on sqlite",
                  cards, seconds, f"raw bulk insert of {cards:,} card rows", baseline, note="aim: under 30 s")
