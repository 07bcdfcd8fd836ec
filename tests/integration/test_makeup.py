"""Make-up payments: past months never assessed, billed as they stood, late fee from the original due date."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from shebao.contributions import batch
from shebao.contributions.collection import record_payment
from shebao.contributions.makeup import request_makeup
from shebao.contributions.models import Bill
from shebao.contributions.schemas import MakeupRequest
from shebao.core.errors import Conflict, InvalidInput
from shebao.core.security import SYSTEM
from shebao.ledger.models import JournalEntry
from shebao.services.archive import person_record
from tests.integration.conftest import PROVINCE


def makeup(database, clock, person_id, periods):
    with database.transaction() as session:
        return request_makeup(session=session, principal=SYSTEM, person_id=person_id, now=clock.now(),
                              command=MakeupRequest(periods=periods))


def test_a_flexible_workers_gap_is_made_up_and_then_counts(database, province):
    clock = province["clock"]
    flexible = province["people"][-1][0]  # enrolled 2024-03-01, base 7,000 yuan
    batch.run_month_end(database=database, province=PROVINCE, period="202407", now=clock.now(), actor="test")
    bills = makeup(database, clock, flexible, ["202405"])
    assert [(b.period, b.payer_kind, b.due_date) for b in bills] == [("202405", "flexible", "2024-06-15")]
    assert bills[0].used_base_fen == 700000 and bills[0].amount_fen == 700000 * 28 // 100  # 20% pension + 8% medical
    with database.transaction() as session:
        paid = record_payment(session=session, key="bank-makeup", payer_kind="flexible", payer_id=flexible,
                              amount_fen=bills[0].amount_fen * 2, received_on=date(2024, 8, 20), actor="bank",
                              now=clock.now())
    makeup_part = next(a for a in paid["allocations"] if a["bill_id"] == bills[0].bill_id)
    assert makeup_part["days_late"] == 66 and makeup_part["late_fee_fen"] > 0
    with database.transaction() as session:
        record = person_record(session=session, principal=SYSTEM, person_id=flexible, now=clock.now())
    assert ("202405", True) in [(m.period, m.paid) for m in record.months]
    assert "202405" not in record.interrupted_months
    with database.unit_of_work() as uow:  # billed and distributed later, both for May: interest counts from May
        bill = uow.session.get(Bill, bills[0].bill_id)
        entries = uow.session.execute(select(JournalEntry.kind, JournalEntry.for_period).where(
            JournalEntry.id.in_([bill.distribution_entry_id, select(JournalEntry.id).where(
                JournalEntry.idempotency_key == f"bill:{bill.id}").scalar_subquery()]))).all()
    assert sorted(tuple(entry) for entry in entries) == [("bill", "202405"), ("distribution", "202405")]


@pytest.mark.parametrize(
    ("periods", "error", "code"),
    [
        (["202407"], Conflict, "makeup.already_assessed"),
        (["202408"], InvalidInput, "makeup.not_past"),
        (["202402"], InvalidInput, "makeup.not_insured"),
        (["2024-05"], InvalidInput, "period.malformed"),
    ],
)
def test_make_up_is_refused_where_the_rules_do_not_allow_it(database, province, periods, error, code):
    clock = province["clock"]
    flexible = province["people"][-1][0]
    batch.run_month_end(database=database, province=PROVINCE, period="202407", now=clock.now(), actor="test")
    with database.unit_of_work() as uow:
        before = len(uow.session.scalars(select(Bill.id)).all())
    with pytest.raises(error) as refused:
        makeup(database, clock, flexible, ["202405", *periods])
    assert refused.value.code == code
    with database.unit_of_work() as uow:
        assert len(uow.session.scalars(select(Bill.id)).all()) == before  # all or none


def test_make_up_reaches_back_only_as_far_as_the_parameters_allow(database, province):
    clock = province["clock"]
    clock.at = datetime(2028, 1, 10, tzinfo=UTC)
    with pytest.raises(InvalidInput) as refused:
        makeup(database, clock, province["people"][-1][0], ["202405"])
    assert refused.value.code == "makeup.too_old"
