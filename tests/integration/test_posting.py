"""The ledger's set-based posting: entries named in SQL are written whole and balanced, once, into an open
period — or the chunk is refused and nothing of it stays."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import Integer, String, func, literal, select, text, union_all

from shebao.core.errors import Conflict, InvalidInput
from shebao.ledger import chart, posting
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind
from tests.integration.conftest import PROVINCE

PERIOD = "202407"


def movements(rows):
    """(entry, person_id, amount) rows as an SQL source: each entry debits cash and credits its persons."""
    return union_all(*(select(literal(entry, String).label("entry"), literal(person, Integer).label("person_id"),
                              literal(amount, Integer).label("amount")) for entry, person, amount in rows)).cte("movements")


def post(database, clock, rows, *, period=PERIOD, extra=(), opens_accounts=True):
    source = movements(rows)
    key = literal("test:") + source.c.entry
    per_entry = select(source.c.entry).group_by(source.c.entry)
    lines = [posting.Lines(per_entry, key, chart.province_account(AccountKind.CASH, province=PROVINCE),
                           func.sum(source.c.amount)),
             posting.Lines(select(source.c.entry), key, chart.personal_account(source.c.person_id, province=PROVINCE),
                           -source.c.amount, opens_accounts=opens_accounts),
             *(make(source, key) for make in extra)]
    with database.transaction() as session:
        return posting.post_entries(session=session, province=PROVINCE, period=period, kind="test", actor="test",
                                    now=clock.now(), entries=per_entry.with_only_columns(key, literal("测试 test")),
                                    lines=lines)


def journal(database):
    with database.unit_of_work() as uow:
        s = uow.session
        return {"entries": s.scalar(text("SELECT COUNT(*) FROM journal_entries")),
                "lines": s.scalar(text("SELECT COUNT(*) FROM journal_lines")),
                "accounts": s.scalar(text("SELECT COUNT(*) FROM ledger_accounts WHERE kind = 'personal_account'"))}


def held(database, person_id):
    with database.unit_of_work() as uow:
        return ledger.personal_account_balance(session=uow.session, person_id=person_id)


@pytest.fixture
def persons(province):
    return [person_id for person_id, _ in province["people"]]


def test_entries_named_in_sql_are_posted_balanced_and_their_accounts_opened(database, province, persons):
    a, b, c = persons[:3]
    posted = post(database, province["clock"], [("1", a, 300), ("1", b, 200), ("2", c, 50), ("3", a, 7)])
    assert posted == 3
    assert journal(database) == {"entries": 3, "lines": 7, "accounts": 3}
    assert (held(database, a), held(database, b), held(database, c)) == (307, 200, 50)
    with database.unit_of_work() as uow:
        assert ledger.unbalanced_entries(session=uow.session) == []
        assert ledger.trial_balance(session=uow.session) == {"cash": 557, "personal_account": -557}


def test_a_rerun_posts_nothing_twice_and_a_resumed_chunk_only_what_is_missing(database, province, persons):
    a, b = persons[:2]
    clock = province["clock"]
    assert post(database, clock, [("1", a, 100)]) == 1
    assert post(database, clock, [("1", a, 100)]) == 0
    assert post(database, clock, [("1", a, 100), ("2", b, 40)]) == 1
    assert journal(database) == {"entries": 2, "lines": 4, "accounts": 2}
    assert held(database, a) == 100


def test_lines_of_zero_fen_are_left_out(database, province, persons):
    a, b = persons[:2]
    assert post(database, province["clock"], [("1", a, 100), ("1", b, 0)]) == 1
    assert journal(database)["lines"] == 2


def test_an_unbalanced_entry_refuses_the_whole_chunk(database, province, persons):
    a, b = persons[:2]
    one_fen_more = lambda source, key: posting.Lines(  # noqa: E731
        select(source.c.entry).where(source.c.entry == "2"), key,
        chart.province_account(AccountKind.CLEARING, province=PROVINCE), 1)
    with pytest.raises(InvalidInput) as refused:
        post(database, province["clock"], [("1", a, 100), ("2", b, 40)], extra=[one_fen_more])
    assert refused.value.code == "entry.unbalanced" and refused.value.details["key"] == "test:2"
    assert refused.value.details["difference_fen"] == 1
    assert journal(database) == {"entries": 0, "lines": 0, "accounts": 0}  # the accounts it opened went back too


def test_an_entry_of_one_line_refuses_the_whole_chunk(database, province, persons):
    a = persons[0]
    with pytest.raises(InvalidInput) as refused:
        post(database, province["clock"], [("1", a, 100), ("2", a, 0)])  # entry 2: its lines are all zero
    assert refused.value.code == "entry.too_few_lines" and refused.value.details["key"] == "test:2"
    assert journal(database) == {"entries": 0, "lines": 0, "accounts": 0}


def test_lines_that_may_not_open_an_account_refuse_their_chunk_when_it_is_missing(database, province, persons):
    a, b = persons[:2]
    clock = province["clock"]
    post(database, clock, [("1", a, 100)])  # opens a's account
    assert post(database, clock, [("2", a, 30)], opens_accounts=False) == 1
    with pytest.raises(InvalidInput) as refused:
        post(database, clock, [("3", a, 5), ("4", b, 5)], opens_accounts=False)
    assert refused.value.code == "entry.too_few_lines" and refused.value.details["key"] == "test:4"
    assert journal(database) == {"entries": 2, "lines": 4, "accounts": 1}


def test_a_period_closed_between_two_chunks_refuses_the_second(database, province, persons):
    a, b = persons[:2]
    clock = province["clock"]
    assert post(database, clock, [("1", a, 100)]) == 1
    with database.transaction() as session:
        ledger.close_period(session=session, province=PROVINCE, period=PERIOD, actor="test", now=clock.now())
    with pytest.raises(Conflict) as refused:
        post(database, clock, [("2", b, 40)])
    assert refused.value.code == "period.closed"
    assert journal(database) == {"entries": 1, "lines": 2, "accounts": 1}


def test_the_entry_posted_under_a_key_is_found_by_it(database, province, persons):
    post(database, province["clock"], [("1", persons[0], 100)])
    with database.unit_of_work() as uow:
        found = uow.session.scalar(select(posting.entry_id(literal("test:1"))))
        expected = uow.session.scalar(text("SELECT id FROM journal_entries WHERE idempotency_key = 'test:1'"))
    assert found == expected is not None


def test_account_codes_are_the_same_in_python_and_in_sql(database):
    payers = union_all(*(select(literal(kind, String).label("kind"), literal(owner, Integer).label("id"))
                         for kind, owner in (("employer", 7), ("flexible", 42)))).cte("payers")
    in_sql = select(chart.payer_receivable(payers.c.kind, payers.c.id, province=PROVINCE).code,
                    chart.personal_account(payers.c.id, province=PROVINCE).code).order_by(payers.c.id)
    with database.unit_of_work() as uow:
        rows = [tuple(row) for row in uow.session.execute(in_sql)]
    in_python = [(chart.payer_receivable(kind, owner, province=PROVINCE).code,
                  chart.personal_account(owner, province=PROVINCE).code) for kind, owner in (("employer", 7), ("flexible", 42))]
    assert rows == in_python == [("ar:employer:7", "pa:person:7"), ("ar:person:42", "pa:person:42")]


def test_bills_distributed_before_the_migration_take_their_entry(database_url):
    """Migration 0012 gives every bill distributed under the old key convention the id of its entry."""
    from shebao.core.db import Database
    from shebao.core.migrate import downgrade, upgrade

    downgrade(database_url, "0011")
    database = Database(database_url)
    stamp = datetime(2024, 8, 1, tzinfo=UTC).replace(tzinfo=None)
    try:
        with database.transaction() as session:
            for bill in (1, 2):
                session.execute(text(
                    "INSERT INTO bills (id, period, province, payer_kind, payer_id, amount_fen, persons, due_date, kind, "
                    "reference, created_at) VALUES (:id, '202407', :province, 'flexible', :id, 100, 1, '2024-08-15', "
                    "'monthly', '', :stamp)"), {"id": bill, "province": PROVINCE, "stamp": stamp})
            session.execute(text(
                "INSERT INTO journal_entries (id, idempotency_key, province, period, kind, memo, posted_by, posted_at) "
                "VALUES (5, 'distribute:2', :province, '202408', 'distribution', 'old', 'test', :stamp)"),
                {"province": PROVINCE, "stamp": stamp})
        upgrade(database_url)
        with database.unit_of_work() as uow:
            recorded = uow.session.execute(text("SELECT id, distribution_entry_id FROM bills ORDER BY id")).all()
    finally:
        database.dispose()
    assert [tuple(row) for row in recorded] == [(1, None), (2, 5)]
