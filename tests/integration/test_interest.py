"""Year-end interest crediting: the national method (劳办发〔1997〕116号) to the fen, compound year on year, once only;
credits counted from the month they are for; a year credited under another rule recomputed as corrections."""

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from shebao.core.errors import Conflict, InvalidInput
from shebao.ledger import rules
from shebao.ledger import service as ledger
from shebao.ledger.batch import credit_interest, recompute_interest
from shebao.ledger.models import InterestCorrection, InterestCredit, JournalEntry
from shebao.ledger.rules import AccountKind, Line
from shebao.policy.store import DatedValue, Parameter, ParameterStore, default_store
from tests.support import add_test_streets, register

PROVINCE = "110000"
NOW = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def account(database):
    with database.transaction() as session:
        pa = ledger.open_account(session=session, kind=AccountKind.PERSONAL_ACCOUNT, province=PROVINCE, now=NOW).id
        clearing = ledger.open_account(session=session, kind=AccountKind.CLEARING, province=PROVINCE, now=NOW).id
        for key, period, amount in (("c1", "202303", 100_000), ("c2", "202311", 50_000), ("c3", "202406", 20_000)):
            ledger.post_entry(session=session, key=key, province=PROVINCE, period=period, kind="distribution", memo="",
                              lines=[Line(clearing, amount), Line(pa, -amount)], actor="test", now=NOW)
    return pa


def credited(database, account, year):
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(InterestCredit.interest_fen).where(InterestCredit.account_id == account,
                                                                             InterestCredit.year == year))


def test_interest_follows_the_formula_and_compounds(database, account):
    credit_interest(database=database, province=PROVINCE, year=2023, now=NOW, actor="test")
    # 2023 at 3.97%: March earns 12 − 3 + 1 = 10 months, November 2: (100,000 x 10 + 50,000 x 2) / 12 x 3.97%
    # = 3,639.17 -> 3,639 fen (36.39 yuan; the old count of 12 − n months gave 31.43)
    assert credited(database, account, 2023) == 3639
    credit_interest(database=database, province=PROVINCE, year=2024, now=NOW, actor="test")
    # 2024 at 2.62%: opening 153,639 for the whole year + 20,000 x 7/12 (June) -> 4,025.34 + 305.67 = 4,331.01 -> 4,331
    assert credited(database, account, 2024) == 4331
    with database.unit_of_work() as uow:
        assert ledger.balance(session=uow.session, account_id=account) == -(170_000 + 3639 + 4331)
        assert sum(ledger.trial_balance(session=uow.session).values()) == 0


def test_crediting_a_year_again_adds_nothing(database, account):
    credit_interest(database=database, province=PROVINCE, year=2023, now=NOW, actor="test")
    with database.unit_of_work() as uow:
        entries = uow.session.scalar(select(func.count()).select_from(JournalEntry))
    credit_interest(database=database, province=PROVINCE, year=2023, now=NOW, actor="test")
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(JournalEntry)) == entries
    assert credited(database, account, 2023) == 3639


@pytest.mark.parametrize(("province", "year"), [("110105", 2023), (PROVINCE, 2025), (PROVINCE, 1990)])
def test_bad_requests_are_refused(database, account, province, year):
    with pytest.raises(InvalidInput):
        credit_interest(database=database, province=province, year=year, now=NOW, actor="test")


def test_a_closed_december_refuses_the_years_interest(database, account):
    with database.transaction() as session:
        ledger.close_period(session=session, province=PROVINCE, period="202312", actor="test", now=NOW)
    with pytest.raises(Conflict):
        credit_interest(database=database, province=PROVINCE, year=2023, now=NOW, actor="test")


# --- Credits counted from the month they are for -----------------------------------------------------------------

def rule_store(province: str, **values: str) -> ParameterStore:
    """The parameters in force, with a province's own interest rule (pension.<name>: value) from 1998."""
    base = default_store()
    own = {f"pension.{name}": Parameter(f"pension.{name}", "text", "the test's province rule",
                                        (DatedValue(date(1998, 1, 1), value, "the test's province rule"),))
           for name, value in values.items()}
    return ParameterStore(base.national, dict(base.provinces) | {province: base.provinces.get(province, {}) | own})


OLD_RULE = {"crediting_within_year_rule": "months_remaining_after_credit", "interest_credit_month": "posting_month"}


@pytest.fixture
def person(database, cipher, clock):
    """A new person on each call: a personal account is its person's."""
    add_test_streets(database, clock)
    sequence = iter(range(1, 999, 2))
    return lambda: register(database, cipher, clock, birth=date(1970, 1, 1), sequence=next(sequence))


def post_credits(database, province: str, movements: list[tuple[str, str | None, int]], owner: int) -> int:
    """A personal account with (period posted, month it is for or None, fen) credits (negative: drawn)."""
    with database.transaction() as session:
        pa = ledger.open_account(session=session, kind=AccountKind.PERSONAL_ACCOUNT, province=province, now=NOW,
                                 person_id=owner).id
        clearing = ledger.open_account(session=session, kind=AccountKind.CLEARING, province=province, now=NOW).id
        for number, (period, for_period, amount) in enumerate(movements):
            ledger.post_entry(session=session, key=f"{province}:{pa}:{number}", province=province, period=period,
                              kind="distribution", memo="", lines=[Line(clearing, amount), Line(pa, -amount)],
                              actor="test", now=NOW, for_period=for_period)
    return pa


def test_crediting_again_after_new_lines_records_no_credit_it_would_not_post(database, person):
    """Money posted into a December still open after the year was credited: a second crediting run leaves the chunk
    it already posted alone, so every credit it records is in the journal (the late money is recompute's to find)."""
    post_credits(database, PROVINCE, [("202303", None, 100_000)], person())
    credit_interest(database=database, province=PROVINCE, year=2023, now=NOW, actor="test")
    late = post_credits(database, PROVINCE, [("202312", None, 50_000)], person())
    credit_interest(database=database, province=PROVINCE, year=2023, now=NOW, actor="test")
    with database.unit_of_work() as uow:
        interest = ledger.open_account(session=uow.session, kind=AccountKind.INTEREST, province=PROVINCE, now=NOW).id
        recorded = uow.session.scalar(select(func.sum(InterestCredit.interest_fen)).where(
            InterestCredit.province == PROVINCE, InterestCredit.year == 2023))
        assert recorded == ledger.balance(session=uow.session, account_id=interest) == 3308  # 1,000 x 10/12 x 3.97%
    assert credited(database, late, 2023) is None


def test_a_credit_counts_from_the_month_it_is_for(database, person):
    """A bill for March paid and posted in May earns from March; money for November 2023 paid in February 2024 is
    not 2023's, and earns the whole of 2024."""
    movements = [("202305", "202303", 120_000), ("202402", "202311", 120_000)]
    national = post_credits(database, PROVINCE, movements, person())
    by_posting = post_credits(database, "310000", movements, person())
    posting_month = rule_store("310000", interest_credit_month="posting_month")
    for year in (2023, 2024):
        credit_interest(database=database, province=PROVINCE, year=year, now=NOW, actor="test")
        credit_interest(database=database, province="310000", year=year, now=NOW, actor="test", store=posting_month)
    # 2023 at 3.97%: 1,200.00 for March earns 10 months: 120,000 x 10 / 12 x 3.97% = 3,970 fen; from May, 8: 3,176
    assert credited(database, national, 2023) == 3970 and credited(database, by_posting, 2023) == 3176
    # 2024 at 2.62%: (123,970 + 120,000 for last year, counted from January) x 2.62% = 6,392.01 -> 6,392;
    # from its posting month, February (11 months): 123,176 x 2.62% + 120,000 x 11/12 x 2.62% = 3,227.21 + 2,882 -> 6,109
    assert credited(database, national, 2024) == 6392 and credited(database, by_posting, 2024) == 6109


# --- A year credited under another rule, recomputed ----------------------------------------------------------------

# Two accounts: contributions paid the month after the month they are for; a pension drawn from the second.
MOVEMENTS = [
    [("202212", None, 1_000_000), ("202304", "202303", 100_000), ("202312", "202311", 50_000),
     ("202401", "202312", 80_000), ("202406", "202405", 20_000)],
    [("202212", None, 500_000), ("202306", None, -300_000), ("202402", "202401", 10_000)],
]


def balances(database, accounts: list[int]) -> list[int]:
    with database.unit_of_work() as uow:
        return [-ledger.balance(session=uow.session, account_id=account) for account in accounts]


def counts(database) -> tuple[int, int]:
    with database.unit_of_work() as uow:
        return (uow.session.scalar(select(func.count()).select_from(JournalEntry)),
                uow.session.scalar(select(func.count()).select_from(InterestCorrection)))


def test_a_year_credited_under_the_old_rule_is_recomputed_to_what_the_new_rule_credits(database, person):
    old = rule_store(PROVINCE, **OLD_RULE)
    recomputed = [post_credits(database, PROVINCE, movements, person()) for movements in MOVEMENTS]
    for year in (2023, 2024):
        credit_interest(database=database, province=PROVINCE, year=year, now=NOW, actor="test", store=old)
    with database.transaction() as session:  # the years are closed: corrections go to the open month, never into them
        for period in ("202312", "202412"):
            ledger.close_period(session=session, province=PROVINCE, period=period, actor="test", now=NOW)
    # The same movements, credited under the national rule from the start, in another province.
    right = [post_credits(database, "310000", movements, person()) for movements in MOVEMENTS]
    for year in (2023, 2024):
        credit_interest(database=database, province="310000", year=year, now=NOW, actor="test")
    assert balances(database, recomputed) != balances(database, right)

    first = recompute_interest(database=database, province=PROVINCE, year=2023, now=NOW, actor="test", chunk=1)
    second = recompute_interest(database=database, province=PROVINCE, year=2024, now=NOW, actor="test")
    assert balances(database, recomputed) == balances(database, right)
    assert first.kind == "interest_recompute" and first.persons == 2 and second.persons == 2
    detail = json.loads(first.detail)
    assert detail["raised"] == 1 and detail["lowered"] == 1 and detail["posted_in"] == "202503"
    with database.unit_of_work() as uow:
        fixes = uow.session.scalars(select(InterestCorrection).where(InterestCorrection.year == 2023)
                                    .order_by(InterestCorrection.account_id)).all()
        # 2023 at 3.97%, first account: 1,000,000 x 12 + 100,000 x 10 (March) + 50,000 x 2 (November) over 12 months
        # = 43,339.17 -> 43,339, where the old rule (April, December: 8 and 0 months) had credited 42,346.67 -> 42,347
        assert (fixes[0].interest_fen, fixes[0].credited_fen, fixes[0].difference_fen) == (43_339, 42_347, 992)
        # second: the pension drawn in June counts 7 months, not 6: (500,000 x 12 - 300,000 x 7) x 3.97% / 12 = 12,902.5
        assert (fixes[1].interest_fen, fixes[1].credited_fen, fixes[1].difference_fen) == (12_903, 13_895, -992)
        assert {fix.rule for fix in fixes} == {rules.NATIONAL_RULE.name} and {fix.period for fix in fixes} == {"202503"}
        posted = uow.session.execute(select(JournalEntry.period, JournalEntry.for_period).where(
            JournalEntry.idempotency_key.like("interest-fix:%"))).all()
        assert sorted(set(posted)) == [("202503", "202312"), ("202503", "202412")]
        assert sum(ledger.trial_balance(session=uow.session).values()) == 0

    before = counts(database)  # a rerun finds nothing left to correct, and posts nothing
    again = recompute_interest(database=database, province=PROVINCE, year=2023, now=NOW, actor="test")
    recompute_interest(database=database, province=PROVINCE, year=2024, now=NOW, actor="test")
    assert counts(database) == before and again.persons == 0 and again.total_fen == 0


def test_a_province_that_moves_to_the_yearly_shortcut_has_its_year_recomputed(database, person):
    accounts = [post_credits(database, PROVINCE, movements, person()) for movements in MOVEMENTS]
    credit_interest(database=database, province=PROVINCE, year=2023, now=NOW, actor="test")
    yearly = rule_store(PROVINCE, interest_method="yearly")
    recompute_interest(database=database, province=PROVINCE, year=2023, now=NOW, actor="test", store=yearly)
    right = [post_credits(database, "310000", movements, person()) for movements in MOVEMENTS]
    credit_interest(database=database, province="310000", year=2023, now=NOW, actor="test",
                    store=rule_store("310000", interest_method="yearly"))
    assert balances(database, accounts) == balances(database, right)
    with database.unit_of_work() as uow:
        assert set(uow.session.scalars(select(InterestCorrection.rule))) == {"yearly"}


def test_a_year_never_credited_or_not_over_is_not_recomputed(database, account):
    with pytest.raises(Conflict) as refused:
        recompute_interest(database=database, province=PROVINCE, year=2023, now=NOW, actor="test")
    assert refused.value.code == "interest.not_credited"
    for province, year in (("110105", 2023), (PROVINCE, 2025), (PROVINCE, 1990)):
        with pytest.raises(InvalidInput):
            recompute_interest(database=database, province=province, year=year, now=NOW, actor="test")


def test_entries_and_credits_before_the_migration_say_their_month_and_rule(database_url):
    """Migration 0013 gives a bill's distribution entry and a make-up bill's entry the bill's month, records the old
    rule beside the years credited before, and leaves the journal append-only."""
    from sqlalchemy import text

    from shebao.core.db import Database
    from shebao.core.migrate import downgrade, upgrade

    downgrade(database_url, "0012")
    database = Database(database_url)
    stamp = datetime(2024, 8, 1)
    try:
        with database.transaction() as session:
            for entry, key, period, kind in ((5, "distribute:1", "202408", "distribution"), (6, "bill:2", "202408", "bill"),
                                             (7, "bill:3", "202407", "bill"), (8, "other", "202408", "payment")):
                session.execute(text(
                    "INSERT INTO journal_entries (id, idempotency_key, province, period, kind, memo, posted_by, posted_at) "
                    "VALUES (:id, :key, :province, :period, :kind, 'old', 'test', :stamp)"),
                    {"id": entry, "key": key, "province": PROVINCE, "period": period, "kind": kind, "stamp": stamp})
            for bill, period, kind, distributed in ((1, "202407", "monthly", 5), (2, "202405", "makeup", None),
                                                    (3, "202407", "monthly", None)):
                session.execute(text(
                    "INSERT INTO bills (id, period, province, payer_kind, payer_id, amount_fen, persons, due_date, kind, "
                    "reference, created_at, distribution_entry_id) VALUES (:id, :period, :province, 'flexible', :id, 100, 1, "
                    "'2024-08-15', :kind, '', :stamp, :entry)"),
                    {"id": bill, "period": period, "province": PROVINCE, "kind": kind, "stamp": stamp, "entry": distributed})
            session.execute(text("INSERT INTO ledger_accounts (id, code, kind, province, opened_at) "
                                 "VALUES (1, 'pa:test', 'personal_account', :province, :stamp)"),
                            {"province": PROVINCE, "stamp": stamp})
            session.execute(text(
                "INSERT INTO interest_credits (year, province, account_id, opening_fen, contributions_fen, weighted_fen, "
                "rate_millionths, interest_fen) VALUES (2023, :province, 1, 0, 0, 0, 39700, 0)"), {"province": PROVINCE})
        upgrade(database_url)
        with database.unit_of_work() as uow:
            for_periods = uow.session.execute(text("SELECT id, for_period FROM journal_entries ORDER BY id")).all()
            rule = uow.session.scalar(text("SELECT rule FROM interest_credits"))
        with pytest.raises(Exception, match="append-only"), database.transaction() as session:
            session.execute(text("UPDATE journal_entries SET memo = 'changed' WHERE id = 8"))
    finally:
        database.dispose()
    assert [tuple(row) for row in for_periods] == [(5, "202407"), (6, "202405"), (7, None), (8, None)]
    assert rule == "monthly:months_remaining_after_credit:posting_month"
