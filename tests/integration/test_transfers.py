"""Transfer and continuation between provinces, on a real database: the steps in order, the money through the
in-transit account, temporary accounts, the place of benefit, gathering, and every refusal leaving nothing moved."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from shebao.benefits.archive import bring_forward
from shebao.benefits.schemas import ArchiveYear
from shebao.core.clock import FixedClock
from shebao.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shebao.core.security import SYSTEM, Principal, Role
from shebao.enrollment import service as enrollment
from shebao.enrollment.models import Participation
from shebao.enrollment.schemas import ParticipationCreate
from shebao.ledger import chart
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind
from shebao.policy.store import default_store
from shebao.registry.models import Person
from shebao.transfers import service
from shebao.transfers.models import TemporaryAccount, Transfer, TransferNotice
from shebao.transfers.schemas import GatherRequest, TransferApply, TransferStepTake
from tests.support import CHAOYANG, CHAOYANG_STREET, add_test_streets, register

BEIJING, GUANGDONG, SHANGHAI = "110000", "440000", "310000"
FUTIAN, PUDONG = "440304", "310115"
NOW = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return FixedClock(NOW)


def _archive(database, clock, person, province, years, *, base=600_000, balance=0):
    rows = [ArchiveYear(person_id=person, province=province, year=y, kind="archive", months=12,
                        base_sum_fen=12 * base, average_wage_fen=1_000_000) for y in years]
    with database.transaction() as session:
        bring_forward(session=session, province=province, years=rows, balances={person: balance} if balance else {},
                      period="202401", actor="test", now=clock.now())


@pytest.fixture
def mover(database, cipher, clock):
    """Born 1985, hukou and life in Beijing, ten archive years there (2014–2023, base 6,000) and 80,000 yuan in the
    personal account, a flexible worker in Beijing since 2024."""
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1985, 3, 1), sequence=21)
    _archive(database, clock, person, BEIJING, range(2014, 2024), balance=8_000_000)
    with database.transaction() as session:
        enrollment.enroll(session=session, principal=SYSTEM, person_id=person, now=clock.now(), command=ParticipationCreate(
            mode="flexible", region_code=CHAOYANG_STREET, start_date=date(2024, 1, 1)))
    return person


def _apply(database, cipher, clock, person, to=FUTIAN, starts_on=date(2025, 5, 1), principal=SYSTEM, **extra):
    with database.transaction() as session:
        return service.apply(session=session, principal=principal, cipher=cipher, now=clock.now(),
                             command=TransferApply(person_id=person, to_region=to, starts_on=starts_on, **extra))


def _step(database, clock, transfer_id, step, on=date(2025, 6, 2), principal=SYSTEM, **extra):
    with database.transaction() as session:
        return service.take_step(session=session, principal=principal, transfer_id=transfer_id, now=clock.now(),
                                 command=TransferStepTake(step=step, on=on, **extra))


def _country(database):
    """The country's fund liabilities (pension pools + personal accounts) and its money (cash + transit)."""
    with database.unit_of_work() as uow:
        totals = ledger.trial_balance(session=uow.session)
    return totals.get("personal_account", 0) + totals.get("pooling_fund", 0), \
        totals.get("cash", 0) + totals.get("transfer_transit", 0) + totals.get("brought_forward", 0)


def _transit(database):
    with database.unit_of_work() as uow:
        account = ledger.find_account(session=uow.session,
                                      account=chart.province_account(AccountKind.TRANSFER_TRANSIT, province="000000"))
        return ledger.balance(session=uow.session, account_id=account) if account else 0


def test_a_move_goes_through_every_step_and_the_money_arrives(database, cipher, clock, mover):
    before = _country(database)
    applied = _apply(database, cipher, clock, mover)
    assert (applied["kind"], applied["from_province"], applied["to_province"], applied["step"]) == (
        "move", BEIJING, GUANGDONG, "applied")
    assert applied["due_on"] == "2025-06-23"  # 15 working days after the application on 2025-06-02
    with database.unit_of_work() as uow:
        beijing = uow.session.scalars(select(Participation).where(Participation.person_id == mover)).all()
        assert all(p.status == "ended" and p.end_date == date(2025, 4, 30) for p in beijing)
    _step(database, clock, applied["id"], "letter_sent")
    checked = _step(database, clock, applied["id"], "checked")
    assert checked["pooled_fen"] == 120 * 600_000 * 12 // 100 == 8_640_000
    assert checked["personal_account_fen"] == 8_000_000 and checked["months_counted"] == 120
    sent = _step(database, clock, applied["id"], "funds_sent", pooled_fen=8_640_000, personal_account_fen=8_000_000)
    assert sent["step"] == "funds_sent" and _transit(database) == 16_640_000
    assert _country(database) == before
    _step(database, clock, applied["id"], "received", amount_fen=16_640_000)
    done = _step(database, clock, applied["id"], "completed")
    assert done["step"] == "completed" and not done["open"] and _transit(database) == 0
    assert _country(database) == before
    with database.unit_of_work() as uow:
        assert ledger.unbalanced_entries(session=uow.session) == []
        held = service.holdings(session=uow.session, store=default_store(), person_id=mover)
        assert held[GUANGDONG].base_sum_fen == 120 * 600_000 and BEIJING not in held
        assert ledger.personal_account_balance(session=uow.session, person_id=mover) == 8_000_000
        pool = {p: ledger.balance(session=uow.session, account_id=ledger.find_account(
            session=uow.session, account=chart.pooling_fund("pension", province=p))) for p in (BEIJING, GUANGDONG)}
        assert pool == {BEIJING: 8_640_000, GUANGDONG: -8_640_000}
        notices = uow.session.scalars(select(TransferNotice.step).where(TransferNotice.transfer_id == applied["id"])).all()
        assert notices == ["applied", "letter_sent", "checked", "funds_sent", "received", "completed"]
    with database.transaction() as session:  # the person can now be enrolled in Shenzhen
        enrollment.enroll(session=session, principal=SYSTEM, person_id=mover, now=clock.now(), command=ParticipationCreate(
            mode="flexible", region_code=FUTIAN, start_date=date(2025, 5, 1)))


def test_steps_out_of_order_and_wrong_side_are_refused_and_move_nothing(database, cipher, clock, mover):
    applied = _apply(database, cipher, clock, mover)
    with pytest.raises(Conflict) as refused:
        _step(database, clock, applied["id"], "funds_sent")
    assert refused.value.code == "transfer.out_of_order" and refused.value.details["allowed"] == ["letter_sent", "refused"]
    beijing_clerk = Principal(user_id=1, username="bj", role=Role.STAFF, region_code=BEIJING)
    with pytest.raises(Forbidden) as wrong:  # a letter from a province that is not the applicant's new one
        _step(database, clock, applied["id"], "letter_sent", principal=beijing_clerk)
    assert wrong.value.code == "transfer.wrong_side"
    _step(database, clock, applied["id"], "letter_sent")
    _step(database, clock, applied["id"], "checked")
    with pytest.raises(Conflict) as mismatch:
        _step(database, clock, applied["id"], "funds_sent", pooled_fen=1)
    assert mismatch.value.code == "transfer.amount_mismatch"
    assert _transit(database) == 0
    with pytest.raises(InvalidInput):
        _step(database, clock, applied["id"], "funds_sent", on=date(2025, 5, 1))  # before the previous step
    with pytest.raises(InvalidInput) as reason:
        _step(database, clock, applied["id"], "refused")
    assert reason.value.code == "transfer.refusal_reason"
    refused_now = _step(database, clock, applied["id"], "refused", note="缴费记录有误，请先更正")
    assert refused_now["step"] == "refused" and not refused_now["open"] and _transit(database) == 0


def test_bad_applications_are_refused_with_nothing_written(database, cipher, clock, mover):
    with pytest.raises(Conflict) as same:
        _apply(database, cipher, clock, mover, to=CHAOYANG)
    assert same.value.code == "transfer.same_province"
    with pytest.raises(InvalidInput):
        _apply(database, cipher, clock, mover, to="999999")
    stranger = Principal(user_id=2, username="sh", role=Role.STAFF, region_code=PUDONG)
    with pytest.raises(NotFound):  # a clerk elsewhere, without the applicant's ID shown
        _apply(database, cipher, clock, mover, to=PUDONG, principal=stranger)
    _apply(database, cipher, clock, mover)
    with pytest.raises(Conflict) as second:
        _apply(database, cipher, clock, mover, to=PUDONG)
    assert second.value.code == "transfer.open"
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Transfer)) == 1


def test_an_older_man_moving_outside_his_hukou_province_gets_a_temporary_account(database, cipher, clock):
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1970, 3, 1), sequence=23)  # 55 in 2025, hukou Beijing
    _archive(database, clock, person, BEIJING, range(2000, 2024), balance=5_000_000)
    applied = _apply(database, cipher, clock, person, to=FUTIAN)
    assert applied["kind"] == "temporary" and applied["from_province"] == BEIJING
    for step in ("letter_sent", "checked", "funds_sent", "received", "completed"):
        result = _step(database, clock, applied["id"], step)
    assert result["total_fen"] == 0 and _transit(database) == 0
    with database.unit_of_work() as uow:
        account = uow.session.scalar(select(TemporaryAccount))
        assert (account.province, account.relationship_province, account.is_open) == (GUANGDONG, BEIJING, True)
        assert service.relationship_of(session=uow.session, person=uow.session.get(Person, person)) == BEIJING


def test_gathering_moves_another_province_s_funds_to_the_place_of_benefit(database, cipher, clock):
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1966, 3, 1), sequence=25)  # hukou Beijing
    _archive(database, clock, person, SHANGHAI, range(2000, 2006), balance=1_000_000)  # 6 years in Shanghai
    _archive(database, clock, person, BEIJING, range(2006, 2024), base=700_000)  # then 18 years at home
    with database.transaction() as session:
        started = service.gather(session=session, principal=SYSTEM, now=clock.now(),
                                 command=GatherRequest(person_id=person, on=date(2025, 6, 1)))
    assert started["benefit_place"]["province"] == BEIJING and started["benefit_place"]["rule"] == 1
    [gathering] = started["started"]
    assert (gathering["kind"], gathering["from_province"], gathering["to_province"]) == ("gather", SHANGHAI, BEIJING)
    for step in ("letter_sent", "checked", "funds_sent", "received", "completed"):
        result = _step(database, clock, gathering["id"], step)
    assert result["pooled_fen"] == 72 * 600_000 * 12 // 100 and result["personal_account_fen"] == 1_000_000
    with database.unit_of_work() as uow:
        assert service.ungathered(session=uow.session, person_id=person, place=BEIJING) == []


def test_the_overdue_list_shows_a_letter_not_sent_in_time(database, cipher, clock, mover):
    applied = _apply(database, cipher, clock, mover)
    later = FixedClock(datetime(2025, 7, 15, 2, 0, tzinfo=UTC))
    with database.unit_of_work() as uow:
        overdue = service.list_transfers(session=uow.session, principal=SYSTEM, now=later.now(), overdue=True)
        on_time = service.list_transfers(session=uow.session, principal=SYSTEM, now=clock.now(), overdue=True)
    assert [t["id"] for t in overdue] == [applied["id"]] and overdue[0]["overdue_working_days"] > 0 and on_time == []


def test_the_award_waits_until_other_provinces_parts_are_gathered(database, cipher, clock):
    from shebao.benefits.schemas import RetirementApply
    from shebao.services.retirement import apply_for_retirement

    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=27)  # hukou Beijing, 60 in 2024
    _archive(database, clock, person, SHANGHAI, range(1999, 2005), balance=1_000_000)
    _archive(database, clock, person, BEIJING, range(2005, 2024), base=700_000)

    def retire():
        with database.unit_of_work() as uow:
            outcome = apply_for_retirement(session=uow.session, principal=SYSTEM, now=clock.now(), command=RetirementApply(
                person_id=person, retire_date=date(2024, 6, 15), category="male", region_code=CHAOYANG))
            uow.commit()
        if outcome.error is not None:
            raise outcome.error
        return outcome.award

    with pytest.raises(Conflict) as waiting:
        retire()
    assert waiting.value.code == "retirement.gather_first" and waiting.value.details["provinces"] == [SHANGHAI]
    with database.transaction() as session:
        [gathering] = service.gather(session=session, principal=SYSTEM, now=clock.now(),
                                     command=GatherRequest(person_id=person, on=date(2025, 6, 1)))["started"]
    for step in ("letter_sent", "checked", "funds_sent", "received", "completed"):
        _step(database, clock, gathering["id"], step)
    award = retire()
    assert award.province == BEIJING and award.benefit_place.province == BEIJING
    assert award.benefit_place.months_by_province == {SHANGHAI: 72, BEIJING: 228}
    with pytest.raises(Conflict) as drawing:  # a pensioner's relationship no longer moves
        _apply(database, cipher, clock, person, to=FUTIAN)
    assert (drawing.value.code, drawing.value.details["rule_id"]) == ("risk.blocked", "R23_transfer_while_drawing")


def test_a_completed_move_takes_every_month_and_the_relationship_with_it(database, cipher, clock):
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1975, 3, 1), sequence=29)  # hukou Beijing, 50 in 2025
    _archive(database, clock, person, SHANGHAI, range(1995, 2011), balance=2_000_000)  # 16 years, 3 before 1998
    applied = _apply(database, cipher, clock, person, to=CHAOYANG)
    assert (applied["kind"], applied["from_province"]) == ("move", SHANGHAI)  # going home: no temporary account
    for step in ("letter_sent", "checked", "funds_sent", "received", "completed"):
        done = _step(database, clock, applied["id"], step)
    assert done["months_counted"] == 156 and done["pooled_fen"] == 156 * 600_000 * 12 // 100
    assert [i["months"] for i in done["items"] if i["insurance"] == "employee_pension"] == [192]
    with database.unit_of_work() as uow:
        held = service.holdings(session=uow.session, store=default_store(), person_id=person)
        assert SHANGHAI not in held and held[BEIJING].all_months == 192
        assert service.ungathered(session=uow.session, person_id=person, place=BEIJING) == []
        place = service.benefit_place_of(session=uow.session, person=uow.session.get(Person, person), day=date(2035, 3, 1))
    assert (place.province, place.rule) == (BEIJING, 1)  # the relationship came home before a month was paid there
