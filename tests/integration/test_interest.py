"""Year-end interest crediting: the POLICY formula to the fen, compound year on year, once only."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from shebao.core.errors import Conflict, InvalidInput
from shebao.ledger import service as ledger
from shebao.ledger.batch import credit_interest
from shebao.ledger.models import InterestCredit, JournalEntry
from shebao.ledger.rules import AccountKind, Line

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
    # 2023 at 3.97%: 100,000 x 9/12 + 50,000 x 1/12 of a year -> 2,977.5 + 165.42 = 3,142.92 -> 3,143
    assert credited(database, account, 2023) == 3143
    credit_interest(database=database, province=PROVINCE, year=2024, now=NOW, actor="test")
    # 2024 at 2.62%: opening 153,143 for the whole year + 20,000 x 6/12 -> 4,012.35 + 262 = 4,274.35 -> 4,274
    assert credited(database, account, 2024) == 4274
    with database.unit_of_work() as uow:
        assert ledger.balance(session=uow.session, account_id=account) == -(170_000 + 3143 + 4274)
        assert sum(ledger.trial_balance(session=uow.session).values()) == 0


def test_crediting_a_year_again_adds_nothing(database, account):
    credit_interest(database=database, province=PROVINCE, year=2023, now=NOW, actor="test")
    with database.unit_of_work() as uow:
        entries = uow.session.scalar(select(func.count()).select_from(JournalEntry))
    credit_interest(database=database, province=PROVINCE, year=2023, now=NOW, actor="test")
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(JournalEntry)) == entries
    assert credited(database, account, 2023) == 3143


@pytest.mark.parametrize(("province", "year"), [("110105", 2023), (PROVINCE, 2025), (PROVINCE, 1990)])
def test_bad_requests_are_refused(database, account, province, year):
    with pytest.raises(InvalidInput):
        credit_interest(database=database, province=province, year=year, now=NOW, actor="test")


def test_a_closed_december_refuses_the_years_interest(database, account):
    with database.transaction() as session:
        ledger.close_period(session=session, province=PROVINCE, period="202312", actor="test", now=NOW)
    with pytest.raises(Conflict):
        credit_interest(database=database, province=PROVINCE, year=2023, now=NOW, actor="test")
