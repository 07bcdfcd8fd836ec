"""Properties of the money core over arbitrary payment sequences: the ledger always balances, cash is
what was paid, and personal accounts plus pooling funds hold exactly what fully paid bills and late fees
brought in."""

import itertools
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, cast, func, literal, select

from shebao.contributions import batch
from shebao.contributions.collection import issued_on, outstanding, record_payment
from shebao.contributions.models import Bill, Payment, PaymentAllocation
from shebao.contributions.rules import late_fee
from shebao.core.errors import DomainError
from shebao.core.periods import Period
from shebao.ledger import service as ledger
from shebao.ledger.models import JournalEntry, JournalLine
from shebao.policy.store import default_store
from tests.integration.conftest import PROVINCE

_keys = itertools.count()
BILLS_ISSUED = datetime(2024, 8, 1, 1, 0, tzinfo=UTC)  # month-end for July runs on the first of August


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payments=st.lists(st.tuples(st.sampled_from(["employer", "flexible"]), st.integers(min_value=1, max_value=3_000_000),
                                   st.integers(min_value=0, max_value=40)), min_size=1, max_size=6))
def test_money_is_conserved_whatever_is_paid(database, province, payments):
    clock = province["clock"]
    batch.run_month_end(database=database, province=PROVINCE, period="202407", now=BILLS_ISSUED, actor="test")
    payers = {"employer": province["firm"], "flexible": province["people"][-1][0]}
    for payer_kind, amount, days_after in payments:
        try:
            with database.transaction() as session:
                record_payment(session=session, key=f"pay-{next(_keys)}", payer_kind=payer_kind, payer_id=payers[payer_kind],
                               amount_fen=amount, received_on=min(date(2024, 8, 1) + timedelta(days=days_after),
                                                                  clock.now().date()), actor="bank", now=clock.now())
        except DomainError:
            pass  # refused payments (over the debt, nothing owed) write nothing
    with database.unit_of_work() as uow:
        s = uow.session
        kinds = ledger.trial_balance(session=s)
        collected = s.scalar(select(func.coalesce(func.sum(Payment.amount_fen), 0)))
        fees = s.scalar(select(func.coalesce(func.sum(PaymentAllocation.late_fee_fen), 0)))
        distributed = s.scalar(select(func.coalesce(func.sum(Bill.amount_fen), 0)).where(
            select(JournalEntry.id).where(JournalEntry.idempotency_key == literal("distribute:") + cast(Bill.id, String)).exists()))
        assert sum(kinds.values()) == 0 and ledger.unbalanced_entries(session=s) == []
    assert kinds.get("cash", 0) == collected
    assert -(kinds.get("personal_account", 0) + kinds.get("pooling_fund", 0)) == distributed + fees


MONTHS = [f"2024{month:02d}" for month in range(1, 8)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payer_kind=st.sampled_from(["employer", "flexible"]), days_after=st.integers(min_value=0, max_value=1400),
       share=st.integers(min_value=1, max_value=1_000_000))
def test_any_part_payment_of_overdue_bills_is_allocated_to_the_fen_and_posts_balanced(database, province, payer_kind,
                                                                                      days_after, share):
    """Issue 9: about half of part payments on overdue bills were refused with entry.unbalanced. Seven monthly
    bills (January to July 2024, each issued on the first of the following month), a payment on any day from
    the first bill's issue to four years on, of any share of all that is owed that day: every fen is allocated,
    oldest first, and the payment's entry balances. Each example is rolled back, so all start from the same
    unpaid bills."""
    clock = province["clock"]
    for month in MONTHS:  # idempotent: only the first example does the work
        following = Period.parse(month).plus_months(1)
        batch.run_month_end(database=database, province=PROVINCE, period=month, actor="test",
                            now=datetime(following.year, following.month, 1, 1, 0, tzinfo=UTC))
    clock.at = datetime(2028, 6, 1, 2, 0, tzinfo=UTC)
    payer_id = {"employer": province["firm"], "flexible": province["people"][-1][0]}[payer_kind]
    with database.unit_of_work() as uow:
        session = uow.session
        unpaid_bills = outstanding(session=session, payer_kind=payer_kind, payer_id=payer_id)
        received_on = min(issued_on(bill) for bill, _ in unpaid_bills) + timedelta(days=days_after)
        debts = [(bill, unpaid) for bill, unpaid in unpaid_bills
                 if issued_on(bill) <= received_on]
        rate = default_store().at(PROVINCE, received_on).value("contribution.late_fee_daily_rate")
        owed = sum(unpaid + late_fee(unpaid, max((received_on - bill.due_date).days, 0), rate) for bill, unpaid in debts)
        amount = max(owed * share // 1_000_000, 1)
        key = f"part-{next(_keys)}"
        result = record_payment(session=session, key=key, payer_kind=payer_kind, payer_id=payer_id,
                                amount_fen=amount, received_on=received_on, actor="bank", now=clock.now())
        allocations = result["allocations"]
        assert sum(a["principal_fen"] + a["late_fee_fen"] for a in allocations) == amount
        assert [a["bill_id"] for a in allocations] == [bill.id for bill, _ in debts[:len(allocations)]]
        assert all(0 < a["principal_fen"] <= unpaid for a, (_, unpaid) in zip(allocations, debts))
        assert all(a["principal_fen"] == unpaid for a, (_, unpaid) in zip(allocations[:-1], debts))
        entry = session.scalar(select(JournalEntry.id).where(JournalEntry.idempotency_key == f"payment:{key}"))
        lines = session.scalars(select(JournalLine.amount_fen).where(JournalLine.entry_id == entry)).all()
        assert sum(lines) == 0 and max(lines) == amount
        assert ledger.unbalanced_entries(session=session) == []
