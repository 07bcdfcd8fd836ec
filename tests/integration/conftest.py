"""Fixtures shared by the money tests: a small billed province."""

import random
from datetime import UTC, date, datetime

import pytest

from shebao.contributions.schemas import BaseDeclare
from shebao.contributions.service import declare_base
from shebao.core.clock import FixedClock
from shebao.core.security import SYSTEM
from shebao.demo.seed import demo_credit_code
from shebao.enrollment import service as enrollment
from shebao.enrollment.schemas import EmployeeHire, ParticipationCreate
from shebao.registry import service as registry
from shebao.registry.schemas import EmployerCreate, PersonCreate
from tests.support import (
    CHAOYANG,
    CHAOYANG_STREET,
    HAIDIAN_STREET,
    add_test_streets,
    id_number,
)

PROVINCE, PERIOD = "110000", "202407"
BASES = [500000, 1234500, 9000000, None]  # below the floor, inside, above the ceiling, never declared


@pytest.fixture
def province(database, cipher):
    clock = FixedClock(datetime(2024, 8, 20, 2, 0, tzinfo=UTC))
    add_test_streets(database, clock)
    people = []
    with database.transaction() as session:
        firm = registry.register_employer(session=session, principal=SYSTEM, now=clock.now(), command=EmployerCreate(
            uscc=demo_credit_code(CHAOYANG, random.Random(1)), name="朝阳建筑工程有限公司", region_code=CHAOYANG,
            industry_code="E47"))
        for index, base in enumerate(BASES + [700000]):
            number = id_number(birth=date(1970 + index, 1, 1), sequence=100 + index)
            person = registry.register_person(session=session, cipher=cipher, principal=SYSTEM, now=clock.now(),
                                              command=PersonCreate(id_number=number, name=f"职工{'甲乙丙丁戊'[index]}",
                                                                   hukou_region_code=CHAOYANG,
                                                                   residence_region_code=CHAOYANG_STREET))
            if index < len(BASES):
                enrollment.hire(session=session, cipher=cipher, principal=SYSTEM, employer_id=firm.id, now=clock.now(),
                                command=EmployeeHire(id_number=number, start_date=date(2024, 1, 1)))
            else:
                enrollment.enroll(session=session, principal=SYSTEM, person_id=person.id, now=clock.now(),
                                  command=ParticipationCreate(mode="flexible", region_code=HAIDIAN_STREET, start_date=date(2024, 3, 1)))
            if base is not None:
                declare_base(session=session, principal=SYSTEM, now=clock.now(), command=BaseDeclare(
                    person_id=person.id, effective_period="202401", declared_base_fen=base))
            people.append((person.id, base))
    return {"clock": clock, "firm": firm.id, "people": people}


