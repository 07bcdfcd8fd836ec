"""The journal on a real database: balanced, idempotent, append-only, reversible, closable."""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from shebao.core.errors import Conflict, InvalidInput, NotFound
from shebao.ledger import service
from shebao.ledger.models import JournalEntry, JournalLine
from shebao.ledger.rules import AccountKind, Line

PROVINCE = "110000"
_keys = itertools.count()


@pytest.fixture
def accounts(database, clock):
    with database.transaction() as session:
        opened = {
            "cash": service.open_account(session=session, kind=AccountKind.CASH, province=PROVINCE, now=clock.now()),
            "pool": service.open_account(session=session, kind=AccountKind.POOLING_FUND, province=PROVINCE,
                                         insurance="pension", now=clock.now()),
            "clearing": service.open_account(session=session, kind=AccountKind.CLEARING, province=PROVINCE, now=clock.now()),
        }
        return {name: account.id for name, account in opened.items()}


def post(database, clock, key, lines, period="202502"):
    with database.transaction() as session:
        return service.post_entry(session=session, key=key, province=PROVINCE, period=period, kind="payment",
                                  memo="test", lines=lines, actor="test", now=clock.now())


def counts(database):
    with database.unit_of_work() as uow:
        return (uow.session.scalar(select(func.count()).select_from(JournalEntry)),
                uow.session.scalar(select(func.count()).select_from(JournalLine)))


def test_opening_an_account_twice_gives_the_same_account(database, clock, accounts):
    with database.transaction() as session:
        again = service.open_account(session=session, kind=AccountKind.CASH, province=PROVINCE, now=clock.now())
    assert again.id == accounts["cash"]


def test_a_posted_entry_moves_balances_and_the_ledger_sums_to_zero(database, clock, accounts):
    post(database, clock, "pay-1", [Line(accounts["cash"], 10_000), Line(accounts["pool"], -10_000)])
    with database.unit_of_work() as uow:
        assert service.balance(session=uow.session, account_id=accounts["cash"]) == 10_000
        assert service.balance(session=uow.session, account_id=accounts["pool"]) == -10_000
        assert sum(service.trial_balance(session=uow.session).values()) == 0
        assert service.unbalanced_entries(session=uow.session) == []


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        (lambda a: [Line(a["cash"], 100), Line(a["pool"], -99)], "entry.unbalanced"),
        (lambda a: [Line(a["cash"], 100)], "entry.too_few_lines"),
        (lambda a: [Line(a["cash"], 100), Line(999_999, -100)], "account.unknown"),
    ],
)
def test_a_refused_entry_writes_nothing(database, clock, accounts, lines, code):
    with pytest.raises((InvalidInput, NotFound)) as refused:
        post(database, clock, "bad", lines(accounts))
    assert refused.value.code == code
    assert counts(database) == (0, 0)


def test_the_same_idempotency_key_posts_once(database, clock, accounts):
    lines = [Line(accounts["cash"], 500), Line(accounts["pool"], -500)]
    first = post(database, clock, "pay-42", lines)
    with pytest.raises(Conflict) as refused:
        post(database, clock, "pay-42", lines)
    assert refused.value.code == "entry.duplicate" and refused.value.details["entry_id"] == first.id
    assert counts(database) == (1, 2)


def test_a_closed_month_refuses_entries_and_a_month_is_closed_once(database, clock, accounts):
    with database.transaction() as session:
        service.close_period(session=session, province=PROVINCE, period="202501", actor="test", now=clock.now())
    with pytest.raises(Conflict) as refused:
        post(database, clock, "late", [Line(accounts["cash"], 1), Line(accounts["pool"], -1)], period="202501")
    assert refused.value.code == "period.closed"
    with database.transaction() as session, pytest.raises(Conflict):
        service.close_period(session=session, province=PROVINCE, period="202501", actor="test", now=clock.now())
    with database.transaction() as session, pytest.raises(InvalidInput):
        service.close_period(session=session, province=PROVINCE, period="202503", actor="test", now=clock.now())
    post(database, clock, "open", [Line(accounts["cash"], 1), Line(accounts["pool"], -1)], period="202502")


def test_a_correction_is_a_reversing_entry_and_happens_once(database, clock, accounts):
    entry = post(database, clock, "pay-7", [Line(accounts["cash"], 700), Line(accounts["pool"], -700)])
    with database.transaction() as session:
        reversal = service.reverse_entry(session=session, entry_id=entry.id, key="rev-7", period="202502",
                                         reason="重复入账 duplicate deposit", actor="test", now=clock.now())
    assert reversal.lines == (Line(accounts["cash"], -700), Line(accounts["pool"], 700))
    with database.unit_of_work() as uow:
        assert service.balance(session=uow.session, account_id=accounts["cash"]) == 0
    for target, code in ((entry.id, "entry.already_reversed"), (reversal.id, "entry.is_reversal")):
        with database.transaction() as session, pytest.raises(Conflict) as refused:
            service.reverse_entry(session=session, entry_id=target, key=f"again-{target}", period="202502",
                                  reason="again", actor="test", now=clock.now())
        assert refused.value.code == code


def test_the_database_refuses_to_edit_or_delete_the_journal(database, clock, accounts):
    post(database, clock, "pay-9", [Line(accounts["cash"], 900), Line(accounts["pool"], -900)])
    for statement in ("UPDATE journal_lines SET amount_fen = 1", "DELETE FROM journal_lines",
                      "UPDATE journal_entries SET memo = 'x'", "DELETE FROM journal_entries"):
        with pytest.raises(DatabaseError, match="append-only"):
            with database.engine.begin() as connection:
                connection.execute(text(statement))
    assert counts(database) == (1, 2)


def test_balances_through_a_period(database, clock, accounts):
    post(database, clock, "jan", [Line(accounts["cash"], 100), Line(accounts["pool"], -100)], period="202501")
    post(database, clock, "feb", [Line(accounts["cash"], 50), Line(accounts["pool"], -50)], period="202502")
    with database.unit_of_work() as uow:
        assert service.balance(session=uow.session, account_id=accounts["cash"], through_period="202501") == 100
        assert service.balance(session=uow.session, account_id=accounts["cash"]) == 150


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(min_value=1, max_value=10**9), st.integers(min_value=0, max_value=10**9),
                          st.booleans()), min_size=1, max_size=6))
def test_whatever_is_posted_or_refused_the_ledger_always_balances(database, clock, accounts, movements):
    # Each movement is (debit to cash, credit split, balanced?): unbalanced ones must be refused whole.
    for amount, split, balanced in movements:
        to_pool = min(split, amount)
        lines = [Line(accounts["cash"], amount)]
        lines += [Line(accounts["pool"], -to_pool)] if to_pool else []
        lines += [Line(accounts["clearing"], -(amount - to_pool) - (0 if balanced else 1))] if amount - to_pool or not balanced else []
        key = f"p-{next(_keys)}"
        try:
            post(database, clock, key, lines)
        except InvalidInput:
            assert not balanced or len(lines) < 2
    with database.unit_of_work() as uow:
        assert sum(service.trial_balance(session=uow.session).values()) == 0
        assert service.unbalanced_entries(session=uow.session) == []
