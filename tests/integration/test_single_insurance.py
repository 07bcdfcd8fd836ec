"""Each insurance is billed from its own participation: an employee insured for work injury alone, a flexible
worker for medical alone or whose pension is suspended while medical goes on; a set the rules do not allow is
refused in both languages."""

from datetime import date

import pytest
from sqlalchemy import select

from shebao.contributions import batch
from shebao.contributions.models import Assessment
from shebao.core.errors import InvalidInput
from shebao.core.security import SYSTEM
from shebao.enrollment.schemas import EmployeeHire, ParticipationCreate, ParticipationMoveRequest
from shebao.services import employment
from tests.integration.conftest import PROVINCE
from tests.support import HAIDIAN_STREET, id_number, register

PARTS = ("pension_employer_fen", "pension_individual_fen", "medical_employer_fen", "medical_individual_fen",
         "unemployment_employer_fen", "unemployment_individual_fen", "work_injury_employer_fen", "maternity_employer_fen")


def billed(database, person_id, period="202407"):
    with database.unit_of_work() as uow:
        row = uow.session.scalars(select(Assessment).where(Assessment.person_id == person_id,
                                                           Assessment.period == period,
                                                           Assessment.superseded_by.is_(None))).one()
        return {part for part in PARTS if getattr(row, part)}, row.total_fen


def test_each_insurance_is_billed_from_its_own_participation(database, cipher, province):
    clock = province["clock"]
    rehired = register(database, cipher, clock, birth=date(1960, 3, 1), sequence=301)  # past retirement age
    medical_only = register(database, cipher, clock, birth=date(1990, 3, 1), sequence=303)
    paused = register(database, cipher, clock, birth=date(1991, 3, 1), sequence=305)
    with database.transaction() as session:
        employment.hire(session=session, cipher=cipher, principal=SYSTEM, employer_id=province["firm"], now=clock.now(),
                        command=EmployeeHire(id_number=id_number(birth=date(1960, 3, 1), sequence=301),
                                             start_date=date(2024, 7, 1), schemes=["work_injury"]))
        employment.enroll(session=session, principal=SYSTEM, person_id=medical_only, now=clock.now(),
                          command=ParticipationCreate(mode="flexible", region_code=HAIDIAN_STREET,
                                                      start_date=date(2024, 7, 1), schemes=["medical"]))
        both = employment.enroll(session=session, principal=SYSTEM, person_id=paused, now=clock.now(),
                                 command=ParticipationCreate(mode="flexible", region_code=HAIDIAN_STREET,
                                                             start_date=date(2024, 6, 1)))
        pension = next(p for p in both if p.scheme == "employee_pension")
        employment.suspend(session=session, principal=SYSTEM, participation_id=pension.id, now=clock.now(),
                           command=ParticipationMoveRequest(on=date(2024, 7, 1), reason="暂停缴费"))
    batch.run_month_end(database=database, province=PROVINCE, period="202407", now=clock.now(), actor="test")
    assert billed(database, rehired)[0] == {"work_injury_employer_fen"}
    assert billed(database, medical_only)[0] == {"medical_individual_fen"}
    assert billed(database, paused)[0] == {"medical_individual_fen"}  # pension suspended all July, medical goes on
    assert billed(database, province["people"][1][0])[0] == set(PARTS)  # an ordinary employee: all five


@pytest.mark.parametrize(("mode", "schemes"), [("flexible", ["unemployment"]), ("flexible", ["work_injury"]),
                                               ("flexible", ["employee_pension", "maternity"])])
def test_a_set_of_insurances_the_rules_do_not_allow_is_refused(database, cipher, province, mode, schemes):
    clock = province["clock"]
    person = register(database, cipher, clock, birth=date(1990, 3, 1), sequence=307)
    with pytest.raises(InvalidInput) as refused, database.transaction() as session:
        employment.enroll(session=session, principal=SYSTEM, person_id=person, now=clock.now(),
                          command=ParticipationCreate(mode=mode, region_code=HAIDIAN_STREET, start_date=date(2024, 7, 1),
                                                      schemes=schemes))
    assert refused.value.code == "participation.schemes" and "险种组合" in refused.value.reason
    assert "sets of insurances" in refused.value.reason_en


def test_an_employer_may_not_pick_some_of_the_five(database, cipher, province):
    clock = province["clock"]
    register(database, cipher, clock, birth=date(1985, 3, 1), sequence=309)
    with pytest.raises(InvalidInput) as refused, database.transaction() as session:
        employment.hire(session=session, cipher=cipher, principal=SYSTEM, employer_id=province["firm"], now=clock.now(),
                        command=EmployeeHire(id_number=id_number(birth=date(1985, 3, 1), sequence=309),
                                             start_date=date(2024, 7, 1), schemes=["medical", "work_injury"]))
    assert refused.value.code == "participation.schemes"
