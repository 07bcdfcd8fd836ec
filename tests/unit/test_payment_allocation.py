"""Allocation of a payment over overdue bills: every fen assigned, oldest first, fees within the law.

Issue 9 found about half of part payments on overdue bills refused with `entry.unbalanced`: the part
payment's principal was floored and its fee rounded, so a fen or two of the amount was assigned to
nothing (and an amount too small to carry a fen of principal was assigned nowhere at all)."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shebao.contributions.models import Bill
from shebao.contributions.rules import allocate, late_fee, part_payment_principal

DAILY_RATE = Decimal("0.0005")  # Social Insurance Law art. 86


def debts_of(unpaid_and_due: list[tuple[int, date]]) -> list[tuple[Bill, int]]:
    """Bills oldest first, as `outstanding` returns them (transient rows: no database needed)."""
    ordered = sorted(unpaid_and_due, key=lambda pair: pair[1])
    return [(Bill(id=index + 1, period=f"{due.year:04d}{due.month:02d}", due_date=due), unpaid)
            for index, (unpaid, due) in enumerate(ordered)]


def owed(debts: list[tuple[Bill, int]], received_on: date) -> int:
    return sum(unpaid + late_fee(unpaid, max((received_on - bill.due_date).days, 0), DAILY_RATE) for bill, unpaid in debts)


@st.composite
def payments(draw):  # noqa: ANN001, ANN201 - a hypothesis strategy
    """Up to six bills of up to 100,000 yuan due on random days in 2019–2024, a received date from before
    the first due date to ten years after it, and any amount from one fen to all that is owed then."""
    bills = draw(st.lists(st.tuples(st.integers(min_value=1, max_value=10_000_000),
                                    st.dates(min_value=date(2019, 1, 15), max_value=date(2024, 12, 15))),
                          min_size=1, max_size=6))
    debts = debts_of(bills)
    received_on = draw(st.dates(min_value=debts[0][0].due_date - timedelta(days=30),
                                max_value=debts[0][0].due_date + timedelta(days=3650)))
    amount = draw(st.integers(min_value=1, max_value=owed(debts, received_on)))
    return debts, received_on, amount


def check(debts: list[tuple[Bill, int]], received_on: date, amount: int) -> None:
    allocations = allocate(debts, amount, received_on, DAILY_RATE)
    assert sum(a.principal_fen + a.late_fee_fen for a in allocations) == amount  # every fen, no more
    assert [a.bill_id for a in allocations] == [bill.id for bill, _ in debts[:len(allocations)]]  # oldest first
    for index, (allocation, (bill, unpaid)) in enumerate(zip(allocations, debts)):
        days = max((received_on - bill.due_date).days, 0)
        assert allocation.days_late == days
        assert 0 < allocation.principal_fen <= unpaid
        assert 0 <= allocation.late_fee_fen <= late_fee(allocation.principal_fen, days, DAILY_RATE)  # never above the law
        assert allocation.late_fee_fen >= late_fee(allocation.principal_fen - 1, days, DAILY_RATE)  # at most a rounding short
        if index < len(allocations) - 1:  # only the last part may be partial: older bills are paid in full first
            assert allocation.principal_fen == unpaid
            assert allocation.late_fee_fen == late_fee(unpaid, days, DAILY_RATE)


@settings(max_examples=1500, deadline=None)
@given(payments())
def test_every_fen_of_every_payment_is_allocated_oldest_first(case):
    check(*case)


def test_the_amount_that_used_to_leave_a_fen_unassigned():
    # 15 days overdue (0.75% late fee): 8,558,697 fen is exactly 8,494,985 principal + 63,712 fee, but the old
    # code took floor(8,558,697 / 1.0075) = 8,494,984 as the principal and stranded a fen (so for every amount here).
    debts = debts_of([(9_000_000, date(2024, 8, 15))])
    for amount in range(8_558_690, 8_558_710):
        check(debts, date(2024, 8, 30), amount)


def test_an_amount_too_small_to_carry_a_fee_still_clears_a_fen_of_principal():
    # Ten years overdue the fee on one fen rounds to 2 fen; a payment of one or two fen used to allocate nothing.
    debts = debts_of([(500_000, date(2014, 8, 15))])
    for amount in (1, 2, 3):
        allocations = allocate(debts, amount, date(2024, 8, 15), DAILY_RATE)
        assert len(allocations) == 1 and allocations[0].principal_fen >= 1
        assert allocations[0].principal_fen + allocations[0].late_fee_fen == amount


def test_leftover_fen_clear_principal_rather_than_raise_the_fee():
    # 100 days overdue: 5% a fen. 2,100 fen buys 2,000 principal + 100 fee exactly; 2,101 cannot be split exactly.
    assert part_payment_principal(2_100, 100, DAILY_RATE) == 2_000
    principal = part_payment_principal(2_101, 100, DAILY_RATE)
    assert principal == 2_001 and 2_101 - principal == 100 == late_fee(2_001, 100, DAILY_RATE)
    assert part_payment_principal(0, 100, DAILY_RATE) == 0
