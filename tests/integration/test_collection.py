"""Collection: oldest debt first, late fees, only paid contributions reach personal accounts."""

import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import func, select

from shebao.contributions import batch
from shebao.contributions.collection import record_payment
from shebao.contributions.makeup import request_makeup
from shebao.contributions.models import Assessment, Bill, Payment, PaymentAllocation
from shebao.contributions.schemas import MakeupRequest, PaymentCreate
from shebao.contributions.service import take_payment
from shebao.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shebao.core.periods import Period
from shebao.core.security import SYSTEM, Principal, Role
from shebao.ledger import service as ledger
from shebao.ledger.models import JournalEntry, LedgerAccount
from tests.integration.conftest import PROVINCE


def month_end(database, clock, period):
    """Month-end as an agency runs it: early on the first day of the following month (bills are issued then)."""
    batch.run_month_end(database=database, province=PROVINCE, period=period, now=issue_time(period), actor="test")


def issue_time(period):
    following = Period.parse(period).plus_months(1)
    return datetime(following.year, following.month, 1, 1, 0, tzinfo=UTC)


def bill_of(database, payer_kind, period="202407"):
    with database.unit_of_work() as uow:
        bill = uow.session.scalar(select(Bill).where(Bill.payer_kind == payer_kind, Bill.period == period))
        return bill.id, bill.payer_id, bill.amount_fen, bill.due_date


def pay(database, clock, payer_kind, payer_id, amount, key, received_on=date(2024, 8, 10)):
    with database.transaction() as session:
        return record_payment(session=session, key=key, payer_kind=payer_kind, payer_id=payer_id, amount_fen=amount,
                              received_on=received_on, actor="bank", now=clock.now())


def balances_by_kind(database):
    with database.unit_of_work() as uow:
        return ledger.trial_balance(session=uow.session)


def personal_account(database, person_id):
    with database.unit_of_work() as uow:
        account = uow.session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == f"pa:person:{person_id}"))
        return 0 if account is None else -ledger.balance(session=uow.session, account_id=account)


def test_a_bill_paid_on_time_reaches_personal_accounts_and_pools(database, province):
    clock = province["clock"]
    month_end(database, clock, "202407")
    bill_id, employer, amount, _ = bill_of(database, "employer")
    result = pay(database, clock, "employer", employer, amount, "bank-1")
    assert result["completed_bills"] == [bill_id] and result["allocations"][0]["late_fee_fen"] == 0
    with database.unit_of_work() as uow:
        expected = dict(uow.session.execute(select(Assessment.person_id, Assessment.pension_account_fen)
                                            .where(Assessment.payer_kind == "employer")).all())
    for person_id, credited in expected.items():
        assert personal_account(database, person_id) == credited
    kinds = balances_by_kind(database)
    assert kinds["cash"] == amount
    assert kinds["personal_account"] + kinds["pooling_fund"] == -amount  # every fen collected is in an account
    flexible_amount = bill_of(database, "flexible")[2]
    assert kinds["receivable"] == flexible_amount and kinds["clearing"] == -flexible_amount  # the unpaid flexible bill
    assert sum(kinds.values()) == 0


def test_a_distributed_bill_records_its_entry_and_an_unpaid_one_none(database, province):
    clock = province["clock"]
    month_end(database, clock, "202407")
    bill_id, employer, amount, _ = bill_of(database, "employer")
    pay(database, clock, "employer", employer, amount, "bank-entry")
    with database.unit_of_work() as uow:
        recorded = dict(uow.session.execute(select(Bill.payer_kind, Bill.distribution_entry_id)).all())
        entry = uow.session.execute(select(JournalEntry.kind, JournalEntry.idempotency_key, JournalEntry.period,
                                           JournalEntry.for_period).where(JournalEntry.id == recorded["employer"])).one()
    assert recorded["flexible"] is None
    # Posted in August, when it was paid, for July: year-end interest counts the money from July.
    assert tuple(entry) == ("distribution", f"distribute:{bill_id}", "202408", "202407")


def test_a_part_payment_waits_in_clearing_until_the_bill_is_paid(database, province):
    clock = province["clock"]
    month_end(database, clock, "202407")
    bill_id, employer, amount, _ = bill_of(database, "employer")
    first = pay(database, clock, "employer", employer, amount // 2, "bank-a")
    assert first["completed_bills"] == [] and first["unpaid_fen"] == amount - amount // 2
    assert balances_by_kind(database).get("personal_account", 0) == 0
    second = pay(database, clock, "employer", employer, amount - amount // 2, "bank-b")
    assert second["completed_bills"] == [bill_id]
    assert balances_by_kind(database)["personal_account"] < 0


def test_a_late_payment_carries_the_daily_late_fee_into_the_pension_fund(database, province):
    clock = province["clock"]
    clock.advance(timedelta(days=30))
    month_end(database, clock, "202407")
    _, person, amount, due = bill_of(database, "flexible")
    paid_on = due + timedelta(days=10)
    fee = int((Decimal(amount) * Decimal("0.0005") * 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    result = pay(database, clock, "flexible", person, amount + fee, "bank-late", received_on=paid_on)
    assert result["allocations"][0]["days_late"] == 10 and result["allocations"][0]["late_fee_fen"] == fee
    assert result["completed_bills"]


def test_payments_go_to_the_oldest_debt_first(database, province):
    clock = province["clock"]
    clock.advance(timedelta(days=40))
    month_end(database, clock, "202407")
    month_end(database, clock, "202408")
    july, person, july_amount, _ = bill_of(database, "flexible", "202407")
    august, _, _, _ = bill_of(database, "flexible", "202408")
    result = pay(database, clock, "flexible", person, 1000, "bank-old", received_on=date(2024, 8, 15))
    assert [a["bill_id"] for a in result["allocations"]] == [july]


@pytest.mark.parametrize(
    ("amount", "code", "error"),
    [(0, "payment.amount", InvalidInput), (-5, "payment.amount", InvalidInput), (10**12, "payment.exceeds_debt", InvalidInput)],
)
def test_bad_payments_are_refused_and_nothing_is_written(database, province, amount, code, error):
    clock = province["clock"]
    month_end(database, clock, "202407")
    _, employer, _, _ = bill_of(database, "employer")
    entries = _count(database, JournalEntry)
    with pytest.raises(error) as refused:
        pay(database, clock, "employer", employer, amount, "bad")
    assert refused.value.code == code
    assert _count(database, JournalEntry) == entries and _count(database, Payment) == 0


def test_the_same_payment_twice_is_taken_once(database, province):
    clock = province["clock"]
    month_end(database, clock, "202407")
    _, employer, amount, _ = bill_of(database, "employer")
    pay(database, clock, "employer", employer, 1000, "bank-dup")
    with pytest.raises(Conflict) as refused:
        pay(database, clock, "employer", employer, 1000, "bank-dup")
    assert refused.value.code == "payment.duplicate" and _count(database, Payment) == 1


def test_a_payer_with_no_debt_is_told_so(database, province):
    with pytest.raises(NotFound):
        pay(database, province["clock"], "employer", 424242, 100, "bank-x")


def _count(database, model):
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_a_bank_file_settles_a_whole_month_set_based_and_only_once(database, province):
    from shebao.contributions.collection import settle_period_in_full

    clock = province["clock"]
    month_end(database, clock, "202407")
    with database.unit_of_work() as uow:
        billed = uow.session.scalar(select(func.sum(Bill.amount_fen)))
        accounts = dict(uow.session.execute(select(Assessment.person_id, Assessment.pension_account_fen)).all())
    run = settle_period_in_full(database=database, province=PROVINCE, period="202407", paid_on=date(2024, 8, 10),
                                actor="bank", now=clock.now())
    assert run.bills == 2 and run.total_fen == billed
    kinds = balances_by_kind(database)
    assert kinds["cash"] == billed and kinds["receivable"] == 0 and kinds["clearing"] == 0
    assert kinds["personal_account"] + kinds["pooling_fund"] == -billed
    assert all(personal_account(database, person) == credited for person, credited in accounts.items())
    again = settle_period_in_full(database=database, province=PROVINCE, period="202407", paid_on=date(2024, 8, 10),
                                  actor="bank", now=clock.now())
    assert again.bills == 0 and balances_by_kind(database) == kinds
    with pytest.raises(InvalidInput):
        settle_period_in_full(database=database, province=PROVINCE, period="202407", paid_on=date(2024, 8, 16),
                              actor="bank", now=clock.now())


def test_a_province_remits_to_the_national_fund_no_more_than_it_holds(database, province):
    from shebao.contributions.collection import settle_period_in_full

    clock = province["clock"]
    month_end(database, clock, "202407")
    settle_period_in_full(database=database, province=PROVINCE, period="202407", paid_on=date(2024, 8, 10),
                          actor="bank", now=clock.now())
    with database.transaction() as session:
        with pytest.raises(Conflict) as refused:
            ledger.remit_to_national_fund(session=session, province=PROVINCE, insurance="pension", amount_fen=10**12,
                                          period="202408", key="remit-too-much", actor="test", now=clock.now())
        held = refused.value.details["held_fen"]
        ledger.remit_to_national_fund(session=session, province=PROVINCE, insurance="pension", amount_fen=held // 10,
                                      period="202408", key="remit-1", actor="test", now=clock.now())
    kinds = balances_by_kind(database)
    assert kinds["national_fund"] == -(held // 10) and sum(kinds.values()) == 0
    with database.unit_of_work() as uow:
        national = uow.session.scalar(select(LedgerAccount.code).where(LedgerAccount.kind == "national_fund"))
    assert national == "national:pension"


def take(database, clock, principal, body):
    with database.transaction() as session:
        return take_payment(session=session, principal=principal, now=clock.now(), command=PaymentCreate(**body))


def test_only_a_clerk_of_the_payers_region_or_an_administrator_records_a_payment(database, province):
    """Issue 9: an employer recorded its own payment, dated 2015-01-01, and so chose its own late fee."""
    clock = province["clock"]
    month_end(database, clock, "202407")
    employer = province["firm"]
    body = {"idempotency_key": "counter-1", "payer_kind": "employer", "payer_id": employer, "amount_fen": 1000,
            "received_on": date(2024, 8, 10)}
    not_allowed = [
        Principal(user_id=None, username="firm", role=Role.EMPLOYER, employer_id=employer),
        Principal(user_id=None, username="self", role=Role.INSURED, person_id=province["people"][-1][0]),
        Principal(user_id=None, username="audit", role=Role.AUDITOR, region_code="000000"),
        Principal(user_id=None, username="icbc", role=Role.BANK, bank_code="ICBC"),
    ]
    for principal in not_allowed:
        with pytest.raises(Forbidden):
            take(database, clock, principal, body)
    with pytest.raises(NotFound) as elsewhere:  # a clerk of another region: as if the payer did not exist
        take(database, clock, Principal(user_id=None, username="sh", role=Role.STAFF, region_code="310000"), body)
    assert elsewhere.value.code == "scope.not_found"
    assert _count(database, Payment) == 0
    clerk = Principal(user_id=None, username="cy", role=Role.STAFF, region_code="110105")
    assert take(database, clock, clerk, body)["amount_fen"] == 1000
    admin = Principal(user_id=None, username="admin", role=Role.ADMIN, region_code="000000")
    assert take(database, clock, admin, {**body, "idempotency_key": "counter-2"})["amount_fen"] == 1000


def test_a_payment_is_dated_no_earlier_than_the_bill_and_never_after_today_in_china(database, province):
    clock = province["clock"]  # 2024-08-20 10:00 in Beijing; July's bill was issued on 2024-08-01
    month_end(database, clock, "202407")
    _, employer, amount, _ = bill_of(database, "employer")
    entries = _count(database, JournalEntry)
    with pytest.raises(InvalidInput) as too_early:
        pay(database, clock, "employer", employer, amount, "bank-2015", received_on=date(2015, 1, 1))
    assert too_early.value.code == "payment.before_bill"
    assert "2024年8月1日" in too_early.value.reason and "2024-08-01" in too_early.value.reason_en
    with pytest.raises(InvalidInput) as day_before:
        pay(database, clock, "employer", employer, amount, "bank-0731", received_on=date(2024, 7, 31))
    assert day_before.value.code == "payment.before_bill"
    with pytest.raises(InvalidInput) as tomorrow:
        pay(database, clock, "employer", employer, amount, "bank-0821", received_on=date(2024, 8, 21))
    assert tomorrow.value.code == "payment.future"
    assert _count(database, JournalEntry) == entries and _count(database, Payment) == 0
    clock.at = datetime(2024, 8, 20, 17, 0, tzinfo=UTC)  # still the 20th in UTC, already the 21st in Beijing
    assert pay(database, clock, "employer", employer, 1000, "bank-0821", received_on=date(2024, 8, 21))["amount_fen"] == 1000
    assert pay(database, clock, "employer", employer, 1000, "bank-0801", received_on=date(2024, 8, 1))["amount_fen"] == 1000


def test_a_payment_pays_only_the_bills_issued_by_the_day_it_arrived(database, province):
    clock = province["clock"]
    clock.advance(timedelta(days=40))
    month_end(database, clock, "202407")  # issued 2024-08-01
    month_end(database, clock, "202408")  # issued 2024-09-01
    july, person, july_amount, _ = bill_of(database, "flexible", "202407")
    with pytest.raises(InvalidInput) as refused:  # on 15 August only July's bill existed
        pay(database, clock, "flexible", person, july_amount + 1, "bank-0815", received_on=date(2024, 8, 15))
    assert refused.value.code == "payment.exceeds_debt" and refused.value.details == {"owed_fen": july_amount}
    paid = pay(database, clock, "flexible", person, july_amount, "bank-0815", received_on=date(2024, 8, 15))
    assert paid["completed_bills"] == [july] and paid["unpaid_fen"] == bill_of(database, "flexible", "202408")[2]


def test_dating_a_payment_back_does_not_wipe_a_make_up_bills_late_fee(database, province):
    clock = province["clock"]
    flexible = province["people"][-1][0]
    with database.transaction() as session:  # issued today (2024-08-20), due since 2024-06-15
        bill = request_makeup(session=session, principal=SYSTEM, person_id=flexible, now=clock.now(),
                              command=MakeupRequest(periods=["202405"]))[0]
    with pytest.raises(InvalidInput) as refused:
        pay(database, clock, "flexible", flexible, bill.amount_fen, "bank-back", received_on=date(2024, 6, 10))
    assert refused.value.code == "payment.before_bill"
    paid = pay(database, clock, "flexible", flexible, bill.amount_fen, "bank-today", received_on=date(2024, 8, 20))
    assert paid["allocations"][0]["days_late"] == 66 and paid["allocations"][0]["late_fee_fen"] > 0


def test_a_bank_file_dated_in_the_future_is_refused(database, province):
    from shebao.contributions.collection import settle_period_in_full

    clock = province["clock"]  # 2024-08-20 in Beijing
    month_end(database, clock, "202407")
    with pytest.raises(InvalidInput) as refused:
        settle_period_in_full(database=database, province=PROVINCE, period="202407", paid_on=date(2024, 8, 21),
                              actor="bank", now=clock.now())
    assert refused.value.code == "settlement.future" and _count(database, Payment) == 0


def test_two_payments_for_one_payer_at_once_never_pay_the_same_principal_twice(database, province):
    clock = province["clock"]
    month_end(database, clock, "202407")
    bill_id, employer, amount, _ = bill_of(database, "employer")
    first_written, release, results = threading.Event(), threading.Event(), {}

    def first():
        with database.transaction() as session:
            results["first"] = record_payment(session=session, key="counter-a", payer_kind="employer", payer_id=employer,
                                              amount_fen=amount - 100, received_on=date(2024, 8, 10), actor="bank",
                                              now=clock.now())
            first_written.set()
            release.wait(10)

    def second():
        first_written.wait(10)
        try:
            results["second"] = pay(database, clock, "employer", employer, 200, "counter-b")
        except InvalidInput as refused:
            results["second"] = refused

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_written.wait(10)
    time.sleep(0.5)
    assert "second" not in results  # waits for the first payment, then sees what it allocated
    release.set()
    for thread in threads:
        thread.join(30)
    assert isinstance(results["second"], InvalidInput) and results["second"].details == {"owed_fen": 100}
    assert pay(database, clock, "employer", employer, 100, "counter-c")["completed_bills"] == [bill_id]
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.sum(PaymentAllocation.principal_fen))) == amount
