"""Properties of the money core over arbitrary payment sequences: the ledger always balances, cash is
what was paid, and personal accounts plus pooling funds hold exactly what fully paid bills and late fees
brought in."""

import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, cast, func, literal, select

from shebao.contributions import batch
from shebao.contributions.collection import record_payment
from shebao.contributions.models import Bill, Payment, PaymentAllocation
from shebao.core.errors import DomainError
from shebao.ledger import service as ledger
from shebao.ledger.models import JournalEntry
from tests.integration.conftest import PROVINCE

_keys = itertools.count()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payments=st.lists(st.tuples(st.sampled_from(["employer", "flexible"]), st.integers(min_value=1, max_value=3_000_000),
                                   st.integers(min_value=0, max_value=40)), min_size=1, max_size=6))
def test_money_is_conserved_whatever_is_paid(database, province, payments):
    clock = province["clock"]
    batch.run_month_end(database=database, province=PROVINCE, period="202407", now=clock.now(), actor="test")
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
