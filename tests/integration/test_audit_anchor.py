"""Signed checkpoints anchor the audit chain outside the database: each test is an attack by someone who owns
the database (or can edit the checkpoint file) and must now be caught, or an honest chain that must pass."""

import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from shebao.app import create_app
from shebao.audit.checkpoints import Anchor, Checkpoint, checkpoint_if_grown, write_checkpoint
from shebao.audit.signing import sign
from shebao.audit.timer import CheckpointTimer
from shebao.audit.verification import verify_anchored
from shebao.core import audit
from shebao.core.errors import Conflict, InvalidInput
from shebao.core.security import Role
from tests.integration.test_audit_chain import _drop_guard
from tests.support import make_user, token_for


@pytest.fixture
def anchor(settings, database):
    return Anchor.for_settings(settings, database.url)


def append(database, clock, count, start=0):
    with database.transaction() as session:
        for index in range(start, start + count):
            audit.append(session, actor="test", action="thing.done", subject=f"thing:{index}", now=clock.now(), n=index)


def verify(database, anchor):
    with database.unit_of_work() as uow:
        return verify_anchored(session=uow.session, anchor=anchor).as_dict()


def chain_alone(database):
    with database.unit_of_work() as uow:
        return audit.verify(uow.session)


def rewrite_from(database, seq):
    """Drop the guard, alter one record, recompute every later hash and move the head: the chain walks clean."""
    with database.unit_of_work() as uow:
        rows = uow.session.scalars(select(audit.AuditRecord).order_by(audit.AuditRecord.seq)).all()
        uow.session.expunge_all()  # read as they are now, before the attacker's writes
    prev = audit.GENESIS_HASH
    with database.engine.begin() as connection:
        _drop_guard(connection)
        for row in rows:
            if row.seq < seq:
                prev = row.hash
                continue
            detail = '{"n":99}' if row.seq == seq else row.detail
            digest = audit.record_hash(seq=row.seq, at=row.at, actor=row.actor, action=row.action, subject=row.subject,
                                       detail=detail, prev_hash=prev)
            connection.execute(text("UPDATE audit_records SET detail = :d, prev_hash = :p, hash = :h WHERE seq = :s"),
                               {"d": detail, "p": prev, "h": digest, "s": row.seq})
            prev = digest
        connection.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": rows[-1].seq, "h": prev})


def cut_after(database, seq):
    """Drop the guard, delete the newest records and rewind the head to the last one kept."""
    with database.engine.begin() as connection:
        _drop_guard(connection)
        kept = connection.execute(text("SELECT hash FROM audit_records WHERE seq = :s"), {"s": seq}).scalar_one()
        connection.execute(text("DELETE FROM audit_records WHERE seq > :s"), {"s": seq})
        connection.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": seq, "h": kept})


def lines(anchor):
    return anchor.file.path.read_text(encoding="utf-8").splitlines()


def test_an_untouched_chain_with_checkpoints_verifies(database, clock, anchor):
    append(database, clock, 3)
    first = write_checkpoint(database=database, anchor=anchor, now=clock.now())
    append(database, clock, 2, start=3)
    second = write_checkpoint(database=database, anchor=anchor, now=clock.now())
    assert (first.number, first.seq, second.number, second.seq) == (1, 3, 2, 5)
    report = verify(database, anchor)
    assert report["ok"] and report["problem"] is None and report["records"] == 5
    assert report["anchor"]["checkpoints"] == 2 and report["anchor"]["unanchored_records"] == 0
    assert report["anchor"]["newest"]["hash"] == second.hash and report["anchor"]["newest"]["at"].endswith("+00:00")


def test_records_appended_after_a_checkpoint_still_verify(database, clock, anchor):
    append(database, clock, 3)
    write_checkpoint(database=database, anchor=anchor, now=clock.now())
    append(database, clock, 4, start=3)
    report = verify(database, anchor)
    assert report["ok"] and report["records"] == 7 and report["anchor"]["unanchored_records"] == 4


def test_a_chain_never_checkpointed_verifies_with_a_warning(database, clock, anchor):
    append(database, clock, 2)
    report = verify(database, anchor)
    assert report["ok"] and report["anchor"]["checkpoints"] == 0
    assert report["anchor"]["warning"] and report["anchor"]["warning_zh"]


def test_a_rewritten_chain_walks_clean_but_its_checkpoint_catches_it(database, clock, anchor):
    append(database, clock, 5)
    write_checkpoint(database=database, anchor=anchor, now=clock.now())
    rewrite_from(database, 2)
    assert chain_alone(database).ok  # the attack the chain alone cannot see
    report = verify(database, anchor)
    assert not report["ok"] and report["code"] == "checkpoint.chain_rewritten"
    assert report["first_broken_seq"] == 5 and report["first_bad_checkpoint"] == 1
    assert "rewritten" in report["problem"] and "改写" in report["problem_zh"]


def test_cutting_the_newest_records_and_rewinding_the_head_is_caught(database, clock, anchor):
    append(database, clock, 5)
    write_checkpoint(database=database, anchor=anchor, now=clock.now())
    cut_after(database, 3)
    assert chain_alone(database).ok
    report = verify(database, anchor)
    assert not report["ok"] and report["code"] == "checkpoint.chain_cut"
    assert report["first_broken_seq"] == 4 and report["records"] == 3
    assert "removed" in report["problem"] and "删除" in report["problem_zh"]


def test_a_cut_then_regrown_chain_is_still_caught(database, clock, anchor):
    """Cut to 3 and append 4 new records: the chain is longer than the checkpoint, but record 5 is not the one signed."""
    append(database, clock, 5)
    write_checkpoint(database=database, anchor=anchor, now=clock.now())
    cut_after(database, 3)
    append(database, clock, 4, start=100)
    report = verify(database, anchor)
    assert not report["ok"] and report["code"] == "checkpoint.chain_rewritten" and report["first_broken_seq"] == 5


def test_no_checkpoint_is_signed_over_a_cut_or_rewritten_chain(database, clock, anchor):
    append(database, clock, 5)
    write_checkpoint(database=database, anchor=anchor, now=clock.now())
    cut_after(database, 3)
    with pytest.raises(Conflict) as refused:
        write_checkpoint(database=database, anchor=anchor, now=clock.now())
    assert refused.value.code == "audit.chain_cut" and refused.value.reason and refused.value.reason_en
    append(database, clock, 4, start=100)
    with pytest.raises(Conflict) as refused:
        checkpoint_if_grown(database=database, anchor=anchor, now=clock.now())
    assert refused.value.code == "audit.chain_rewritten"
    assert len(lines(anchor)) == 1


def test_no_first_checkpoint_is_signed_over_a_broken_chain(database, clock, anchor):
    append(database, clock, 3)
    with database.engine.begin() as connection:
        _drop_guard(connection)
        connection.execute(text("UPDATE audit_records SET actor = 'mallory' WHERE seq = 2"))
    with pytest.raises(Conflict) as refused:
        write_checkpoint(database=database, anchor=anchor, now=clock.now())
    assert refused.value.code == "audit.chain_broken"
    assert not anchor.file.path.exists()


def _forge(anchor, *, key, key_id, **fields):
    """A checkpoint the attacker signs over the chain as it now stands, appended to the file."""
    newest = Checkpoint.parse(json.loads(lines(anchor)[-1]))
    unsigned = Checkpoint(**{**newest.as_dict(), "number": newest.number + 1, "key_id": key_id, "prev": newest.digest(),
                             "signature": "", **fields})
    forged = Checkpoint(**{**unsigned.as_dict(), "signature": sign(key, unsigned.body())})
    anchor.file.append(forged)


@pytest.mark.parametrize("claimed_key", ["mallory-key", "the real key id"])
def test_a_checkpoint_forged_with_another_key_is_caught(database, clock, anchor, claimed_key):
    append(database, clock, 5)
    real = write_checkpoint(database=database, anchor=anchor, now=clock.now())
    rewrite_from(database, 2)
    with database.unit_of_work() as uow:
        seq, digest = audit.head(uow.session)
    key_id = real.key_id if claimed_key == "the real key id" else claimed_key
    _forge(anchor, key=Ed25519PrivateKey.generate(), key_id=key_id, seq=seq, records=seq, hash=digest)
    report = verify(database, anchor)
    assert not report["ok"] and report["first_bad_checkpoint"] == 2
    assert report["code"] == ("checkpoint.forged" if key_id == real.key_id else "checkpoint.unknown_key")


def test_a_replaced_audit_key_is_caught_by_the_copies_or_by_a_pinned_key(database, clock, anchor, settings):
    """The attacker swaps in their own audit key and signs a fresh file over a rewritten chain."""
    append(database, clock, 5)
    write_checkpoint(database=database, anchor=anchor, now=clock.now())
    pinned = anchor.keyring.public_keys()
    rewrite_from(database, 2)
    anchor.keyring.path.unlink()
    anchor.file.path.unlink()
    mallory = Anchor.for_settings(settings.model_copy(update={"key_passphrase": "mallory-passphrase"}), database.url)
    # Checkpoint 1 of the attacker's file has the number of the original, which the database's copy keeps.
    checkpoint_file = mallory.file
    key_id, key = mallory.keyring.signer(now=clock.now())
    with database.unit_of_work() as uow:
        seq, digest = audit.head(uow.session)
    forged = Checkpoint(1, seq, digest, seq, clock.now().isoformat(), key_id, "0" * 64)
    checkpoint_file.append(Checkpoint(**{**forged.as_dict(), "signature": sign(key, forged.body())}))
    report = verify(database, Anchor.for_settings(settings, database.url))
    assert not report["ok"] and report["code"] == "checkpoint.copy_forged"
    pinned_anchor = Anchor.for_settings(settings, database.url)
    pinned_anchor.trusted = pinned
    assert verify(database, pinned_anchor)["code"] == "checkpoint.unknown_key"


def test_an_edited_checkpoint_line_fails_its_signature(database, clock, anchor):
    append(database, clock, 5)
    write_checkpoint(database=database, anchor=anchor, now=clock.now())
    cut_after(database, 3)
    with database.unit_of_work() as uow:
        _, digest = audit.head(uow.session)
    edited = json.loads(lines(anchor)[0]) | {"seq": 3, "records": 3, "hash": digest}
    anchor.file.path.write_text(json.dumps(edited) + "\n", encoding="utf-8")
    report = verify(database, anchor)
    assert not report["ok"] and report["code"] == "checkpoint.forged" and report["first_bad_checkpoint"] == 1
    assert report["problem_zh"] and report["problem"]


def test_a_checkpoint_removed_from_the_middle_of_the_file_is_named(database, clock, anchor):
    for start in (0, 2, 4):
        append(database, clock, 2, start=start)
        write_checkpoint(database=database, anchor=anchor, now=clock.now())
    first, _, third = lines(anchor)
    anchor.file.path.write_text(first + "\n" + third + "\n", encoding="utf-8")
    report = verify(database, anchor)
    assert not report["ok"] and report["code"] == "checkpoint.missing" and report["first_bad_checkpoint"] == 2


def test_the_files_newest_checkpoints_cut_show_against_the_databases_copy(database, clock, anchor):
    append(database, clock, 3)
    write_checkpoint(database=database, anchor=anchor, now=clock.now())
    append(database, clock, 2, start=3)
    write_checkpoint(database=database, anchor=anchor, now=clock.now())
    cut_after(database, 3)
    anchor.file.path.write_text(lines(anchor)[0] + "\n", encoding="utf-8")
    report = verify(database, anchor)
    assert not report["ok"] and report["code"] == "checkpoint.file_cut" and report["first_bad_checkpoint"] == 2


@pytest.mark.parametrize("garbage", [b"not json", b"\xff\xfe", b"[1, 2]", b'{"number": 1e400}',
                                     b'{"number": 99999999999999999999999, "seq": 1}', b"[" * 100_000])
def test_an_unreadable_checkpoint_line_is_named_not_a_traceback(database, clock, anchor, garbage):
    append(database, clock, 2)
    write_checkpoint(database=database, anchor=anchor, now=clock.now())
    with open(anchor.file.path, "ab") as out:
        out.write(garbage + b"\n")
    report = verify(database, anchor)
    assert not report["ok"] and report["code"] == "checkpoint.unreadable" and "line 2" in report["problem"]
    with pytest.raises(Conflict):
        write_checkpoint(database=database, anchor=anchor, now=clock.now())


@pytest.mark.parametrize("content", [b"not json", b'{"keys": [{"key_id": 1}]}', b"\xff", b"[" * 100_000,
                                     b'{"keys": [{"key_id": "k", "public_key": 7, "created": "", "salt": "", "nonce": "", "sealed": ""}]}'])
def test_a_damaged_audit_key_file_is_a_refusal_not_a_crash(database, clock, anchor, content):
    append(database, clock, 2)
    write_checkpoint(database=database, anchor=anchor, now=clock.now())
    anchor.keyring.path.write_bytes(content)
    damaged = Anchor(anchor.file, type(anchor.keyring)(anchor.keyring.directory, "test-key-passphrase"))
    with pytest.raises(Conflict) as refused:
        verify(database, damaged)
    assert refused.value.code == "audit.key_file"
    with pytest.raises(Conflict):
        write_checkpoint(database=database, anchor=damaged, now=clock.now())


def test_a_checkpoint_file_that_cannot_be_read_is_named(database, clock, anchor):
    append(database, clock, 2)
    anchor.file.path.mkdir(parents=True)
    report = verify(database, anchor)
    assert not report["ok"] and report["code"] == "checkpoint.file_unreadable"


def test_a_wrong_passphrase_cannot_sign(database, clock, anchor, settings):
    append(database, clock, 2)
    write_checkpoint(database=database, anchor=anchor, now=clock.now())
    stranger = Anchor.for_settings(settings.model_copy(update={"key_passphrase": "not-the-passphrase"}), database.url)
    with pytest.raises(InvalidInput) as refused:
        write_checkpoint(database=database, anchor=stranger, now=clock.now())
    assert refused.value.code == "audit.key_locked" and refused.value.reason and refused.value.reason_en


def test_the_timer_signs_only_when_the_chain_grew_and_never_over_tampering(database, clock, anchor):
    timer = CheckpointTimer(database=database, anchor=anchor, clock=clock, minutes=10)
    assert timer.tick() is None  # an empty chain: nothing to sign
    append(database, clock, 3)
    assert timer.tick().seq == 3
    assert timer.tick() is None
    append(database, clock, 1, start=3)
    assert timer.tick().number == 2
    cut_after(database, 2)
    append(database, clock, 3, start=10)
    assert timer.tick() is None  # refused and logged, not raised
    assert len(lines(anchor)) == 2


def test_the_served_app_signs_a_checkpoint_when_it_starts(database, clock, settings):
    append(database, clock, 3)
    app = create_app(settings, database=database, clock=clock)
    anchor = Anchor.for_settings(settings, database.url)
    with TestClient(app):
        for _ in range(100):
            if anchor.file.path.exists() and lines(anchor):
                break
            time.sleep(0.05)
    assert Checkpoint.parse(json.loads(lines(anchor)[0])).seq == 3


def test_the_api_names_a_cut_chain(database, clock, settings):
    quiet = settings.model_copy(update={"audit_checkpoint_minutes": 0})
    make_user(database, clock, "auditor", Role.AUDITOR)
    with TestClient(create_app(quiet, database=database, clock=clock)) as client:
        headers = token_for(client, "auditor")
        append(database, clock, 3)
        write_checkpoint(database=database, anchor=Anchor.for_settings(quiet, database.url), now=clock.now())
        healthy = client.get("/api/v1/audit/verify", headers=headers).json()
        assert healthy["ok"] and healthy["anchor"]["checkpoints"] == 1 and "file" not in healthy["anchor"]
        with database.unit_of_work() as uow:
            seq, _ = audit.head(uow.session)
        cut_after(database, seq - 1)
        response = client.get("/api/v1/audit/verify", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert not body["ok"] and body["code"] == "checkpoint.chain_cut" and body["first_broken_seq"] == seq
    assert body["problem"] and body["problem_zh"]
