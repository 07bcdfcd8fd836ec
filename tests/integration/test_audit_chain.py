"""The audit chain: every write appends, the database refuses edits, and verify finds tampering."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from shebao.core import audit


def append_three(database, clock):
    with database.transaction() as session:
        for index in range(3):
            audit.append(session, actor="test", action="thing.done", subject=f"thing:{index}", now=clock.now(), n=index)


def verify(database):
    with database.unit_of_work() as uow:
        return audit.verify(uow.session)


def test_an_untouched_chain_verifies(database, clock):
    append_three(database, clock)
    report = verify(database)
    assert report.ok and report.records == 3


def test_each_record_carries_the_hash_of_the_previous_one(database, clock):
    append_three(database, clock)
    with database.unit_of_work() as uow:
        records = [(r.prev_hash, r.hash) for r in sorted(audit.recent(uow.session), key=lambda r: r.seq)]
    assert records[0][0] == audit.GENESIS_HASH
    assert [prev for prev, _ in records[1:]] == [digest for _, digest in records[:-1]]


def test_the_database_refuses_to_update_or_delete_audit_records(database, clock):
    append_three(database, clock)
    for statement in ("UPDATE audit_records SET actor = 'mallory' WHERE seq = 2", "DELETE FROM audit_records WHERE seq = 2"):
        with pytest.raises(DatabaseError, match="append-only"):
            with database.engine.begin() as connection:
                connection.execute(text(statement))
    assert verify(database).ok


def _drop_guard(connection) -> None:
    """What an attacker with the database owner's rights would do first."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("DROP TRIGGER audit_records_no_change ON audit_records"))
    else:
        connection.execute(text("DROP TRIGGER audit_records_no_update"))
        connection.execute(text("DROP TRIGGER audit_records_no_delete"))


def test_an_altered_record_is_named(database, clock):
    append_three(database, clock)
    with database.engine.begin() as connection:
        _drop_guard(connection)
        connection.execute(text("UPDATE audit_records SET detail = :d WHERE seq = 2"), {"d": '{"n":99}'})
    report = verify(database)
    assert not report.ok and report.first_broken_seq == 2
    assert "hash" in report.problem


def test_a_deleted_record_is_named(database, clock):
    append_three(database, clock)
    with database.engine.begin() as connection:
        _drop_guard(connection)
        connection.execute(text("DELETE FROM audit_records WHERE seq = 2"))
    report = verify(database)
    assert not report.ok and report.first_broken_seq == 2
    assert "missing" in report.problem


def test_a_deleted_tail_is_noticed_through_the_head(database, clock):
    append_three(database, clock)
    with database.engine.begin() as connection:
        _drop_guard(connection)
        connection.execute(text("DELETE FROM audit_records WHERE seq = 3"))
    report = verify(database)
    assert not report.ok and report.first_broken_seq == 3


def test_a_rehashed_forgery_still_breaks_the_link_to_the_next_record(database, clock):
    append_three(database, clock)
    with database.unit_of_work() as uow:
        second = next(r for r in audit.recent(uow.session) if r.seq == 2)
        forged_hash = audit.record_hash(seq=2, at=second.at, actor="mallory", action=second.action,
                                        subject=second.subject, detail=second.detail, prev_hash=second.prev_hash)
    with database.engine.begin() as connection:
        _drop_guard(connection)
        connection.execute(text("UPDATE audit_records SET actor = 'mallory', hash = :h WHERE seq = 2"), {"h": forged_hash})
    report = verify(database)
    assert not report.ok and report.first_broken_seq == 3
