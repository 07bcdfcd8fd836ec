"""Enrollment: hire and leave, one participation per insurance at a time, flexible and resident schemes."""

import random
from datetime import date

import pytest

from shebao.core.errors import Conflict, InvalidInput, NotFound
from shebao.core.security import SYSTEM, Principal, Role
from shebao.demo.seed import demo_credit_code
from shebao.enrollment import service
from shebao.enrollment.schemas import (
    EmployeeHire,
    EmployeeLeave,
    ParticipationCreate,
    ParticipationMoveRequest,
)
from shebao.registry import service as registry
from shebao.registry.schemas import EmployerCreate, PersonCreate
from tests.conftest import TEST_NOW
from tests.support import (
    CHAOYANG,
    CHAOYANG_STREET,
    HAIDIAN_STREET,
    add_test_streets,
    id_number,
)

CLERK = Principal(user_id=10, username="clerk", role=Role.STAFF, region_code=CHAOYANG)


@pytest.fixture
def world(database, cipher, clock):
    add_test_streets(database, clock)
    rng = random.Random(3)
    with database.transaction() as session:
        adult = registry.register_person(session=session, cipher=cipher, principal=SYSTEM, now=clock.now(), command=PersonCreate(
            id_number=id_number(), name="张伟", hukou_region_code=CHAOYANG, residence_region_code=CHAOYANG_STREET,
            effective_from=date(2020, 1, 1)))
        registry.register_person(session=session, cipher=cipher, principal=SYSTEM, now=clock.now(), command=PersonCreate(
            id_number=id_number(birth=date(2012, 3, 3), sequence=21), name="张小明", hukou_region_code=CHAOYANG,
            residence_region_code=CHAOYANG_STREET))
        firms = [registry.register_employer(session=session, principal=SYSTEM, now=clock.now(), command=EmployerCreate(
            uscc=demo_credit_code(region, rng), name=name, region_code=region, industry_code="I64"))
            for region, name in ((CHAOYANG, "朝阳科技有限公司"), ("110108", "海淀软件有限公司"))]
    return {"adult": adult.id, "adult_number": id_number(), "child_number": id_number(birth=date(2012, 3, 3), sequence=21),
            "firm": firms[0].id, "other_firm": firms[1].id}


def hire(database, cipher, clock, world, firm="firm", start=date(2024, 1, 1), number=None, principal=SYSTEM):
    with database.transaction() as session:
        return service.hire(session=session, cipher=cipher, principal=principal, employer_id=world[firm], now=clock.now(),
                            command=EmployeeHire(id_number=number or world["adult_number"], start_date=start))


def history(database, world):
    with database.transaction() as session:
        return service.participations_of(session=session, principal=SYSTEM, person_id=world["adult"], now=TEST_NOW)


def test_a_hire_starts_all_five_insurances(database, cipher, clock, world):
    started = hire(database, cipher, clock, world)
    assert sorted(p.scheme for p in started) == ["employee_pension", "maternity", "medical", "unemployment", "work_injury"]
    assert all(p.status == "active" and p.events[0].event == "started" for p in started)


def test_a_second_employer_cannot_insure_the_same_person_at_the_same_time(database, cipher, clock, world):
    hire(database, cipher, clock, world)
    with pytest.raises(Conflict) as refused:
        hire(database, cipher, clock, world, firm="other_firm", start=date(2024, 6, 1))
    assert refused.value.code == "participation.overlap"
    assert "110105" in refused.value.reason_en
    assert len(history(database, world)) == 5


def test_after_leaving_the_next_employer_may_hire_and_history_spans_both(database, cipher, clock, world):
    hire(database, cipher, clock, world)
    with database.transaction() as session:
        ended = service.leave(session=session, principal=SYSTEM, employer_id=world["firm"], person_id=world["adult"],
                              command=EmployeeLeave(end_date=date(2024, 5, 31), reason="辞职 resigned"), now=clock.now())
    assert {p.end_date for p in ended} == {date(2024, 5, 31)}
    with pytest.raises(Conflict):  # the last day employed still belongs to the first employer
        hire(database, cipher, clock, world, firm="other_firm", start=date(2024, 5, 31))
    hire(database, cipher, clock, world, firm="other_firm", start=date(2024, 6, 1))
    spans = [(p.employer_id, p.start_date, p.end_date) for p in history(database, world) if p.scheme == "employee_pension"]
    assert spans == [(world["firm"], date(2024, 1, 1), date(2024, 5, 31)), (world["other_firm"], date(2024, 6, 1), None)]


def test_employee_and_resident_pensions_exclude_each_other(database, cipher, clock, world):
    hire(database, cipher, clock, world)
    with database.transaction() as session, pytest.raises(Conflict) as refused:
        service.enroll(session=session, principal=SYSTEM, person_id=world["adult"], now=clock.now(),
                       command=ParticipationCreate(mode="resident", region_code=CHAOYANG_STREET, start_date=date(2024, 7, 1)))
    assert refused.value.details["scheme"] == "employee_pension"


def test_a_flexible_worker_enrolls_where_they_work_and_can_suspend_and_resume(database, cipher, clock, world):
    with database.transaction() as session:
        started = service.enroll(session=session, principal=SYSTEM, person_id=world["adult"], now=clock.now(),
                                 command=ParticipationCreate(mode="flexible", region_code=HAIDIAN_STREET, start_date=date(2024, 3, 1)))
    assert sorted(p.scheme for p in started) == ["employee_pension", "medical"]
    pension = next(p for p in started if p.scheme == "employee_pension")
    with database.transaction() as session:
        paused = service.suspend(session=session, principal=SYSTEM, participation_id=pension.id, now=clock.now(),
                                 command=ParticipationMoveRequest(on=date(2024, 9, 1), reason="暂停缴费"))
        resumed = service.resume(session=session, principal=SYSTEM, participation_id=pension.id, now=clock.now(),
                                 command=ParticipationMoveRequest(on=date(2025, 1, 1), reason="恢复缴费"))
    assert paused.status == "suspended" and resumed.status == "active"
    assert [e.event for e in resumed.events] == ["started", "suspended", "resumed"]
    with database.transaction() as session, pytest.raises(Conflict):
        service.resume(session=session, principal=SYSTEM, participation_id=pension.id, now=clock.now(),
                       command=ParticipationMoveRequest(on=date(2025, 2, 1), reason="再次恢复"))


@pytest.mark.parametrize(
    ("start", "number_key", "code"),
    [
        (date(2026, 1, 1), "adult_number", "participation.start_in_future"),
        (date(2024, 1, 1), "child_number", "participation.too_young"),
    ],
)
def test_bad_hires_are_refused_and_nothing_is_written(database, cipher, clock, world, start, number_key, code):
    with pytest.raises(InvalidInput) as refused:
        hire(database, cipher, clock, world, start=start, number=world[number_key])
    assert refused.value.code == code
    assert history(database, world) == []


def test_an_unregistered_number_cannot_be_hired(database, cipher, clock, world):
    with pytest.raises(NotFound) as refused:
        hire(database, cipher, clock, world, number=id_number(sequence=99))
    assert refused.value.code == "person.unregistered"


def test_a_clerk_acts_only_for_employers_of_their_county(database, cipher, clock, world):
    hire(database, cipher, clock, world, principal=CLERK)
    with pytest.raises(NotFound) as refused:
        hire(database, cipher, clock, world, firm="other_firm", start=date(2024, 6, 1), principal=CLERK)
    assert refused.value.code == "scope.not_found"  # the same answer as for an employer that does not exist


def test_an_employer_acts_only_for_itself(database, cipher, clock, world):
    firm = Principal(user_id=30, username="firm", role=Role.EMPLOYER, employer_id=world["firm"])
    hire(database, cipher, clock, world, principal=firm)
    with database.transaction() as session:
        assert len(service.employees_of(session=session, principal=firm, employer_id=world["firm"])) == 1
        with pytest.raises(NotFound):
            service.employees_of(session=session, principal=firm, employer_id=world["other_firm"])


def test_leave_dates_are_checked(database, cipher, clock, world):
    hire(database, cipher, clock, world)
    for last_day, code in ((date(2023, 12, 31), "participation.end_before_start"),
                           (date(2026, 1, 1), "participation.end_in_future")):
        with database.transaction() as session, pytest.raises(InvalidInput) as refused:
            service.leave(session=session, principal=SYSTEM, employer_id=world["firm"], person_id=world["adult"],
                          command=EmployeeLeave(end_date=last_day, reason="离职"), now=clock.now())
        assert refused.value.code == code
    with database.transaction() as session, pytest.raises(NotFound):
        service.leave(session=session, principal=SYSTEM, employer_id=world["other_firm"], person_id=world["adult"],
                      command=EmployeeLeave(end_date=date(2024, 5, 31), reason="离职"), now=clock.now())
