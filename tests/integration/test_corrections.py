"""Retroactive corrections: a fact dated back into billed months corrects them — never edits them — and the
result is what a run with the fact known from the start would have produced."""

import shutil
from datetime import date

import pytest
from sqlalchemy import func, select

from shebao.benefits.models import UnemploymentClaim, UnemploymentPayment
from shebao.contributions import batch
from shebao.contributions.collection import record_payment, settle_period_in_full
from shebao.contributions.models import Assessment, Bill, Correction, Payment
from shebao.contributions.rules import late_fee
from shebao.core.db import Database
from shebao.core.errors import Forbidden
from shebao.core.periods import Period
from shebao.core.security import SYSTEM, FieldCipher, Principal, Role
from shebao.demo import history
from shebao.demo.seed import seed_demo
from shebao.demo.unemployed import prepare_demo_unemployed
from shebao.enrollment.models import Participation
from shebao.enrollment.schemas import EmployeeHire, EmployeeLeave
from shebao.ledger import service as ledger
from shebao.ledger.models import JournalEntry, JournalLine
from shebao.policy.store import default_store
from shebao.registry.models import Person
from shebao.services import employment
from shebao.services.archive import person_record
from tests.conftest import TEST_NOW, TEST_SECRET
from tests.integration.conftest import PROVINCE

MONTHS = ["202405", "202406", "202407"]


def bill_and_pay(database, clock, months=MONTHS, pay=True):
    for period in months:
        batch.run_month_end(database=database, province=PROVINCE, period=period, now=clock.now(), actor="test")
        if pay:
            following = int(period) + 1 if period[4:] != "12" else int(period) + 89
            settle_period_in_full(database=database, province=PROVINCE, period=period, actor="test", now=clock.now(),
                                  paid_on=date(following // 100, following % 100, 10))


def leave(database, clock, firm, person_id, last_day, principal=SYSTEM):
    with database.transaction() as session:
        return employment.leave(session=session, principal=principal, employer_id=firm, person_id=person_id,
                                now=clock.now(), command=EmployeeLeave(end_date=last_day, reason="合同到期"))


def current_rows(database, person_id):
    with database.unit_of_work() as uow:
        rows = uow.session.scalars(select(Assessment).where(Assessment.person_id == person_id,
                                                            Assessment.superseded_by.is_(None))
                                   .order_by(Assessment.period)).all()
        uow.session.expunge_all()
        return {r.period: r for r in rows}


def personal_account(database, person_id):
    with database.unit_of_work() as uow:
        return ledger.personal_account_balance(session=uow.session, person_id=person_id)


def test_a_leave_dated_back_gives_back_the_months_billed_and_paid_after_it(database, province):
    clock, firm = province["clock"], province["firm"]
    person = province["people"][1][0]
    bill_and_pay(database, clock)
    before = current_rows(database, person)
    account_before = personal_account(database, person)
    leave(database, clock, firm, person, date(2024, 5, 31))

    after = current_rows(database, person)
    assert after["202405"].total_fen == before["202405"].total_fen and after["202405"].version == 1
    for period in ("202406", "202407"):
        assert after[period].total_fen == 0 and after[period].pension_account_fen == 0 and after[period].version == 2
    assert personal_account(database, person) == account_before - sum(before[p].pension_account_fen
                                                                       for p in ("202406", "202407"))
    with database.unit_of_work() as uow:
        s = uow.session
        correction = s.scalars(select(Correction)).one()
        assert (correction.cause, correction.first_period, correction.last_period, correction.posted_period) == \
            ("end", "202405", "202407", "202408")
        assert correction.months == 2 and correction.persons == 1
        bills = s.scalars(select(Bill).where(Bill.correction_id == correction.id).order_by(Bill.period)).all()
        assert [(b.period, b.amount_fen) for b in bills] == [(p, -before[p].total_fen) for p in ("202406", "202407")]
        assert all(b.distribution_entry_id for b in bills)
        credit = s.scalar(select(func.sum(Payment.amount_fen)).where(Payment.method == "credit"))
        assert credit == before["202406"].total_fen + before["202407"].total_fen  # the originals were paid: all of it is owed back
        # the old versions stay, superseded, and nothing of a closed month was touched
        assert s.scalar(select(func.count()).select_from(Assessment).where(Assessment.superseded_by == correction.id)) == 2
        assert s.scalar(select(func.coalesce(func.sum(JournalLine.amount_fen), 0))) == 0


def test_a_correction_of_an_unpaid_month_reduces_what_is_owed_instead(database, province):
    clock, firm = province["clock"], province["firm"]
    person = province["people"][1][0]
    bill_and_pay(database, clock, MONTHS[:2])
    bill_and_pay(database, clock, MONTHS[2:], pay=False)
    before = current_rows(database, person)
    leave(database, clock, firm, person, date(2024, 6, 30))
    with database.unit_of_work() as uow:
        s = uow.session
        july = s.scalars(select(Bill).where(Bill.period == "202407", Bill.payer_kind == "employer")
                         .order_by(Bill.id)).all()
        original, correction = july
        assert correction.amount_fen == -before["202407"].total_fen
        owed = original.amount_fen + correction.amount_fen
        due = original.due_date
    # the employer pays what it owes now (late since the due date: the fee runs on the reduced debt only), and the
    # month is complete and distributed without the leaver
    rate = default_store().at(PROVINCE, date(2024, 8, 20)).value("contribution.late_fee_daily_rate")
    fee = late_fee(owed, (date(2024, 8, 20) - due).days, rate)
    with database.transaction() as session:
        paid = record_payment(session=session, key="july", payer_kind="employer", payer_id=firm, amount_fen=owed + fee,
                              received_on=date(2024, 8, 20), actor="test", now=clock.now())
    assert paid["unpaid_fen"] == 0
    with database.unit_of_work() as uow:
        assert all(b.distribution_entry_id for b in uow.session.scalars(
            select(Bill).where(Bill.period == "202407", Bill.payer_kind == "employer")))
    assert current_rows(database, person)["202407"].total_fen == 0


def test_a_clerk_cannot_reach_into_a_closed_period_and_nothing_is_written(database, province):
    clock, firm = province["clock"], province["firm"]
    person = province["people"][1][0]
    bill_and_pay(database, clock)
    with database.transaction() as session:
        ledger.close_period(session=session, province=PROVINCE, period="202406", actor="test", now=clock.now())
    clerk = Principal(user_id=9, username="clerk", role=Role.STAFF, region_code="110105")
    with pytest.raises(Forbidden) as refused:
        leave(database, clock, firm, person, date(2024, 5, 31), principal=clerk)
    assert refused.value.code == "correction.closed_period" and "202406" in refused.value.details["closed"]
    assert current_rows(database, person)["202406"].version == 1
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Correction)) == 0
    leave(database, clock, firm, person, date(2024, 5, 31))  # an administrator may reopen it: posted in the open month
    assert current_rows(database, person)["202406"].total_fen == 0


def test_the_demos_laid_off_people_are_no_longer_billed_after_their_separation(tmp_path, sqlite_template):
    """The one-key unemployment application dated back: months billed after the separation are corrected away,
    the months counted are the ones insured, and the archive says so."""
    shutil.copyfile(sqlite_template, tmp_path / "demo.db")
    database = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    with database.transaction() as session:
        seed_demo(session=session, cipher=FieldCipher(TEST_SECRET), province=PROVINCE, persons=150, now=TEST_NOW,
                  history_start=Period(2023, 1))
    history.run_history(database=database, province=PROVINCE, start=Period(2023, 1), now=TEST_NOW)
    assert prepare_demo_unemployed(database=database, province=PROVINCE, now=TEST_NOW) > 0
    with database.unit_of_work() as uow:
        s = uow.session
        claims = s.scalars(select(UnemploymentClaim)).all()
        for claim in claims:
            after = str(Period.of(claim.separation_date).plus_months(1))
            rows = s.scalars(select(Assessment).where(Assessment.person_id == claim.person_id,
                                                      Assessment.superseded_by.is_(None))).all()
            assert all(r.total_fen == 0 and r.version == 2 for r in rows if r.period >= after)
            counted = sum(1 for r in rows if r.period < after and r.unemployment_employer_fen > 0)
            assert claim.contribution_months == counted  # the benefit counted the months really insured
            archive = person_record(session=s, principal=SYSTEM, person_id=claim.person_id, now=TEST_NOW)
            note = archive.corrections[0]
            assert (note.cause, note.periods, note.months_after) == ("end", ["202501", "202502"], 0)
            assert note.months_before == 2 and note.personal_account_change_fen < 0 and "失业登记" in note.reason
            assert archive.paid_months == sum(1 for r in rows if r.period < after and r.pension_account_fen > 0
                                              and any(m.period == r.period and m.paid for m in archive.months))
        assert s.scalar(select(func.coalesce(func.sum(JournalLine.amount_fen), 0))) == 0
        rehired, employer = claims[0].person_id, s.scalar(select(Participation.employer_id).where(
            Participation.person_id == claims[0].person_id, Participation.employer_id.isnot(None)))
        number_enc = s.get(Person, rehired).id_number_enc
        claim_id = claims[0].id
        fund_paid = s.scalar(select(func.sum(UnemploymentPayment.medical_fen)).where(
            UnemploymentPayment.claim_id == claim_id, UnemploymentPayment.period >= "202501"))
    # taken back on the first of January, reported now: the employer is billed for January and February again,
    # and the medical the fund paid for those months goes back to the unemployment fund
    cipher = FieldCipher(TEST_SECRET)
    with database.transaction() as session:
        employment.hire(session=session, cipher=cipher, principal=SYSTEM, employer_id=employer, now=TEST_NOW,
                        command=EmployeeHire(id_number=cipher.decrypt("id_number", number_enc),
                                             start_date=date(2025, 1, 1)))
    with database.unit_of_work() as uow:
        s = uow.session
        returned = s.scalar(select(JournalEntry).where(JournalEntry.idempotency_key ==
                                                       f"unemployment-medical-returned:{claim_id}"))
        lines = {line.amount_fen for line in s.scalars(select(JournalLine).where(JournalLine.entry_id == returned.id))}
        assert fund_paid > 0 and lines == {fund_paid, -fund_paid}
        rows = s.scalars(select(Assessment).where(Assessment.person_id == rehired, Assessment.superseded_by.is_(None),
                                                  Assessment.period >= "202501")).all()
        assert [(r.period, r.version, r.total_fen > 0) for r in rows] == [("202501", 3, True), ("202502", 3, True)]
    database.dispose()
