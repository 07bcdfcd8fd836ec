"""Payroll over arbitrary sequences of months, deaths, suspensions and resumptions: nobody deceased or
suspended is paid, no month is paid twice, the ledger holds exactly what was paid — in transit to the banks
until a second person releases the batches, then out of cash — and the benefit payable exactly what is still
owed."""

import itertools
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from shebao.benefits import payroll
from shebao.benefits.models import BenefitRecovery, PayrollLine, PensionAward
from shebao.benefits.receivers import resume_pension, suspend_pension
from shebao.benefits.schemas import DeathReport
from shebao.core.errors import DomainError
from shebao.core.runs import BatchRun
from shebao.core.security import SYSTEM
from shebao.ledger import service as ledger
from shebao.ledger.models import JournalEntry, JournalLine, LedgerAccount
from shebao.services.deaths import record_death
from tests.integration.test_pension_award_and_payroll import _apply, _archive
from tests.support import add_test_streets, give_active_card, register

PERIODS = ["202407", "202408", "202409", "202410", "202411", "202412", "202501", "202502", "202503"]
_sequence = itertools.count(101, 2)
event = st.one_of(
    st.tuples(st.just("payroll"), st.sampled_from(PERIODS)),
    st.tuples(st.just("death"), st.integers(0, 2), st.sampled_from(PERIODS)),
    st.tuples(st.just("suspend"), st.integers(0, 2)),
    st.tuples(st.just("resume"), st.integers(0, 2)),
)


def _paid(session, person):
    return set(session.scalars(select(PayrollLine.id).where(PayrollLine.person_id == person, PayrollLine.status == "paid")))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(event, min_size=1, max_size=8))
def test_payroll_never_pays_the_deceased_or_suspended_and_never_twice(database, cipher, clock, events):
    if not getattr(database, "_streets", False):  # the database lives across the examples: add the streets once
        add_test_streets(database, clock)
        database._streets = True
    with database.transaction() as session:  # else a month an earlier example ran counts as done and is skipped
        session.execute(delete(BatchRun).where(BatchRun.kind == "payroll"))
    people = []
    for _ in range(3):
        person = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=next(_sequence) % 1000)
        _archive(database, clock, person)
        give_active_card(database, cipher, clock, person)
        _apply(database, clock, person)
        people.append(person)
    dead, suspended = set(), set()
    for step in events:
        with database.unit_of_work() as uow:
            before = {p: _paid(uow.session, p) for p in people}
        try:
            if step[0] == "payroll":
                payroll.run_payroll(database=database, province="110000", period=step[1], now=clock.now(), actor="t")
            else:
                person = people[step[1]]
                with database.transaction() as session:
                    if step[0] == "death":
                        day = date(int(step[2][:4]), int(step[2][4:]), 9)
                        record_death(session=session, principal=SYSTEM, now=clock.now(),
                                     command=DeathReport(person_id=person, death_date=day, source="civil affairs"))
                        dead.add(person)
                    elif step[0] == "suspend":
                        suspend_pension(session=session, principal=SYSTEM, person_id=person, reason="去向不明", now=clock.now())
                        suspended.add(person)
                    else:
                        resume_pension(session=session, principal=SYSTEM, person_id=person, now=clock.now())
                        suspended.discard(person)
        except DomainError:
            pass  # refused moves (a second death, resuming what is not suspended) write nothing
        with database.unit_of_work() as uow:
            for p in dead | suspended:
                assert _paid(uow.session, p) == before[p], f"paid {p} while deceased or suspended"
    with database.unit_of_work() as uow:
        s = uow.session
        twice = s.execute(select(PayrollLine.award_id, PayrollLine.for_period, PayrollLine.kind).where(PayrollLine.status == "paid")
                          .group_by(PayrollLine.award_id, PayrollLine.for_period, PayrollLine.kind)
                          .having(func.count() > 1)).all()
        assert twice == []
        paid = s.scalar(select(func.coalesce(func.sum(PayrollLine.amount_fen), 0)).where(PayrollLine.status == "paid"))

        def moved(kind: str, account_kind: str) -> int:
            return s.scalar(select(func.coalesce(func.sum(JournalLine.amount_fen), 0)).join(JournalEntry)
                            .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
                            .where(JournalEntry.kind == kind, LedgerAccount.kind == account_kind))

        assert -moved("pension_payroll", "payout_transit") == paid and moved("pension_payroll", "cash") == 0
        assert ledger.unbalanced_entries(session=s) == []
        owed = s.scalar(select(func.coalesce(func.sum(PayrollLine.amount_fen), 0)).where(PayrollLine.status.in_(("due", "held"))))
        assert -ledger.trial_balance(session=s).get("benefit_payable", 0) == owed  # what is held is still owed
        for award in s.scalars(select(PensionAward).where(PensionAward.status == "stopped")):
            after_death = s.scalar(select(func.coalesce(func.sum(PayrollLine.amount_fen), 0)).where(
                PayrollLine.award_id == award.id, PayrollLine.status == "paid", PayrollLine.for_period >= award.stop_period))
            recovered = s.scalar(select(func.coalesce(func.sum(BenefitRecovery.amount_fen), 0)).where(
                BenefitRecovery.award_id == award.id))
            assert after_death == recovered
    release_every_batch(database, clock)
    with database.unit_of_work() as uow:  # released by a second person: now, and only now, out of cash
        kinds = ledger.trial_balance(session=uow.session)
        assert -kinds.get("cash", 0) == paid and kinds.get("payout_transit", 0) == 0


def release_every_batch(database, clock) -> None:
    """Every open payroll batch prepared by one clerk of the province and approved by another."""
    from shebao.core.security import Principal, Role
    from shebao.payouts import service as payouts
    from shebao.payouts.models import PayoutBatch

    maker = Principal(user_id=1, username="maker", role=Role.STAFF, region_code="110000")
    checker = Principal(user_id=2, username="checker", role=Role.STAFF, region_code="110000")
    with database.transaction() as session:
        for batch_id in session.scalars(select(PayoutBatch.id).where(PayoutBatch.status == "open")).all():
            payouts.prepare_batch(session=session, principal=maker, batch_id=batch_id, now=clock.now())
            payouts.approve_batch(session=session, principal=checker, batch_id=batch_id, now=clock.now())
