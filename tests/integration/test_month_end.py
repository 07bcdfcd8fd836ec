"""Month-end over a small province: to the fen against the calculator, balanced, and idempotent."""

from datetime import date

import pytest
from sqlalchemy import func, select

from shebao.contributions import batch
from shebao.contributions.models import Assessment, Bill
from shebao.contributions.rules import Category, assess_month
from shebao.core.errors import Conflict, InvalidInput
from shebao.core.runs import BatchRun
from shebao.ledger import service as ledger
from shebao.ledger.models import JournalEntry, JournalLine
from shebao.policy.store import default_store
from tests.integration.conftest import BASES, PERIOD, PROVINCE


def run(database, clock, **kwargs):
    return batch.run_month_end(database=database, province=PROVINCE, period=PERIOD, now=clock.now(), actor="test", **kwargs)


def snapshot(database):
    with database.unit_of_work() as uow:
        s = uow.session
        return {"assessments": s.scalar(select(func.count()).select_from(Assessment)),
                "bills": s.scalar(select(func.count()).select_from(Bill)),
                "entries": s.scalar(select(func.count()).select_from(JournalEntry)),
                "lines": s.scalar(select(func.count()).select_from(JournalLine)),
                "sum": s.scalar(select(func.coalesce(func.sum(JournalLine.amount_fen), 0)))}


def test_month_end_assesses_every_person_to_the_fen_of_the_calculator(database, province):
    result = run(database, province["clock"])
    assert result.status == "done" and result.persons == 5 and result.bills == 2
    params = default_store().at(PROVINCE, date(2024, 7, 1))
    with database.unit_of_work() as uow:
        rows = {a.person_id: a for a in uow.session.scalars(select(Assessment))}
        uow.session.expunge_all()
    for index, (person_id, base) in enumerate(province["people"]):
        flexible = index == len(BASES)
        expected = assess_month(params, category=Category.FLEXIBLE if flexible else Category.EMPLOYEE,
                                declared_base_fen=base or 1, work_injury_class=6)
        row = rows[person_id]
        assert row.used_base_fen == expected.used_base_fen and row.declared_base_fen == base
        items = {i.insurance.value: i for i in expected.items}
        assert row.pension_employer_fen == items["pension"].employer_fen
        assert row.pension_individual_fen == items["pension"].individual_fen
        assert row.pension_account_fen == items["pension"].personal_account_fen
        assert row.medical_individual_fen == items["medical"].individual_fen
        if not flexible:
            assert row.work_injury_employer_fen == items["work_injury"].employer_fen  # construction: class 6
            assert row.unemployment_individual_fen == items["unemployment"].individual_fen
        assert row.total_fen == expected.total_fen


def test_bills_are_posted_as_balanced_receivables(database, province):
    run(database, province["clock"])
    with database.unit_of_work() as uow:
        bills = uow.session.scalars(select(Bill).order_by(Bill.payer_kind)).all()
        assert [(b.payer_kind, b.persons) for b in bills] == [("employer", 4), ("flexible", 1)]
        assert all(b.due_date == date(2024, 8, 15) for b in bills)
        total = sum(b.amount_fen for b in bills)
        assert total == uow.session.scalar(select(func.sum(Assessment.total_fen)))
        assert ledger.unbalanced_entries(session=uow.session) == []
        balances = ledger.trial_balance(session=uow.session)
    assert balances == {"receivable": total, "clearing": -total}


def test_running_again_posts_nothing_twice(database, province):
    run(database, province["clock"])
    before = snapshot(database)
    again = run(database, province["clock"])
    assert again.status == "done" and snapshot(database) == before


def test_a_run_killed_halfway_resumes_and_posts_each_fen_once(database, province):
    class Killed(Exception):
        pass

    def die_after_two_chunks(stage, done, total):
        if stage == "assess" and done == 2:
            raise Killed

    with pytest.raises(Killed):
        run(database, province["clock"], person_chunk=1, progress=die_after_two_chunks)
    partial = snapshot(database)
    assert 0 < partial["assessments"] < 5 and partial["entries"] == 0
    resumed = run(database, province["clock"], person_chunk=1)
    with database.unit_of_work() as uow:
        run_ids = list(uow.session.scalars(select(BatchRun.id)))
    assert run_ids == [resumed.id] and resumed.persons == 5
    complete = snapshot(database)
    assert complete["assessments"] == 5 and complete["entries"] == 2 and complete["lines"] == 4 and complete["sum"] == 0


def test_month_end_refuses_bad_requests(database, province):
    clock = province["clock"]
    with pytest.raises(InvalidInput):
        batch.run_month_end(database=database, province="110105", period=PERIOD, now=clock.now(), actor="t")
    with pytest.raises(InvalidInput):
        batch.run_month_end(database=database, province=PROVINCE, period="202409", now=clock.now(), actor="t")
    with database.transaction() as session:
        ledger.close_period(session=session, province=PROVINCE, period=PERIOD, actor="t", now=clock.now())
    with pytest.raises(Conflict):
        run(database, clock)
    assert snapshot(database)["assessments"] == 0


def test_a_month_closed_while_month_end_runs_refuses_its_next_posting_chunk(database, province):
    clock = province["clock"]

    def close_once_assessed(stage, done, total):
        if stage == "assess" and done == total:
            with database.transaction() as session:
                ledger.close_period(session=session, province=PROVINCE, period=PERIOD, actor="t", now=clock.now())

    with pytest.raises(Conflict) as refused:
        run(database, clock, progress=close_once_assessed)
    assert refused.value.code == "period.closed"
    assert snapshot(database)["entries"] == 0  # billed, but nothing posted into the closed month
