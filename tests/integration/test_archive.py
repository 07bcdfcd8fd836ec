"""The electronic archive reads the same figures as the bills and the ledger."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from shebao.contributions import batch
from shebao.contributions.collection import settle_period_in_full
from shebao.contributions.models import Assessment
from shebao.core.errors import NotFound
from shebao.core.security import SYSTEM, Principal, Role
from shebao.ledger.batch import credit_interest
from shebao.services.archive import person_record
from tests.integration.conftest import PROVINCE


def test_the_record_shows_paid_months_gaps_and_the_account_year_by_year(database, province):
    clock = province["clock"]
    for period, paid_on in (("202406", date(2024, 7, 10)), ("202407", date(2024, 8, 10))):
        batch.run_month_end(database=database, province=PROVINCE, period=period, now=clock.now(), actor="test")
        if period == "202407":
            settle_period_in_full(database=database, province=PROVINCE, period=period, paid_on=paid_on, actor="bank",
                                  now=clock.now())
    clock.advance(timedelta(days=200))  # into 2025, so that 2024's interest can be credited
    credit_interest(database=database, province=PROVINCE, year=2024, now=clock.now(), actor="test")
    person_id = province["people"][1][0]  # declared 12,345 yuan, hired 2024-01-01
    with database.transaction() as session:
        record = person_record(session=session, principal=SYSTEM, person_id=person_id, now=clock.now())
        july = session.scalar(select(Assessment.pension_account_fen).where(Assessment.person_id == person_id,
                                                                          Assessment.period == "202407"))
    assert [(m.period, m.paid) for m in record.months] == [("202406", False), ("202407", True)]
    assert record.paid_months == 1 and record.years_counted == {"years": 0, "months": 1}
    assert record.interrupted_spans[0] == "202401-202406" and "202407" not in record.interrupted_months
    year = record.statement[0]
    assert (year.year, year.opening_fen, year.contributions_fen) == (2024, 0, july)
    assert year.interest_fen > 0 and year.closing_fen == july + year.interest_fen
    assert record.months[1].payer_name == "朝阳建筑工程有限公司"


def test_only_the_person_and_their_region_see_the_record(database, province):
    person_id = province["people"][0][0]
    stranger = Principal(user_id=9, username="x", role=Role.STAFF, region_code="310000")
    with database.transaction() as session, pytest.raises(NotFound):
        person_record(session=session, principal=stranger, person_id=person_id, now=province["clock"].now())
    me = Principal(user_id=8, username="me", role=Role.INSURED, person_id=person_id)
    with database.transaction() as session:
        assert person_record(session=session, principal=me, person_id=person_id, now=province["clock"].now()).months == []
