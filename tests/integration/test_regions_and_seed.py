"""Regions from python-stdnum, streets by import, the demo province, and migrations both ways."""

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from shebao.core import audit
from shebao.core.errors import InvalidInput
from shebao.core.migrate import downgrade, upgrade
from shebao.demo.seed import seed_demo
from shebao.registry import service
from shebao.registry.models import Employer, Person, Region
from shebao.registry.rules import parse_credit_code, parse_id_number
from tests.support import add_test_streets


def test_every_level_is_loaded_with_parents_and_children(database, clock):
    add_test_streets(database, clock)
    with database.unit_of_work() as uow:
        levels = Counter(uow.session.scalars(select(Region.level)))
        chaoyang = service.describe_region(session=uow.session, code="110105")
        beijing = service.describe_region(session=uow.session, code="110000")
        country = service.describe_region(session=uow.session, code="000000")
        with_past = service.describe_region(session=uow.session, code="110100", include_historical=True)
        current = service.describe_region(session=uow.session, code="110100")
    assert levels[0] == 1 and levels[1] >= 34 and levels[2] > 300 and levels[3] > 5000 and levels[4] == 2
    assert chaoyang.parent.code == "110100"
    assert [c.code for c in chaoyang.children] == ["110105001"]
    assert "110100" in [c.code for c in beijing.children]
    assert "110000" in [c.code for c in country.children]
    assert "110103" in [c.code for c in with_past.children] and "110103" not in [c.code for c in current.children]


def test_streets_are_imported_all_or_nothing(database, clock):
    with database.transaction() as session, pytest.raises(InvalidInput) as refused:
        service.add_streets(session=session, origin="import", actor="test", now=clock.now(),
                            streets=[("110105001", "建外街道"), ("110103001", "旧街道"), ("11010500", "短"),
                                     ("999999001", "无县街道")])
    rejected = refused.value.details["rejected"]
    assert [r["row"] for r in rejected] == [2, 3, 4]
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Region).where(Region.level == 4)) == 0


def test_the_demo_province_is_believable(database, cipher, clock):
    with database.transaction() as session:
        report = seed_demo(session=session, cipher=cipher, province="110000", persons=600, now=clock.now(), random_seed=7)
    assert report.persons == 600 and report.migrants > 30 and report.employers >= 12
    today = date(2025, 3, 1)
    with database.unit_of_work() as uow:
        people = uow.session.scalars(select(Person)).all()
        employers = uow.session.scalars(select(Employer)).all()
        streets = set(uow.session.scalars(select(Region.code).where(Region.level == 4)))
        chain = audit.verify(uow.session)
    ages = [(today - p.birth_date).days // 365 for p in people]
    assert min(ages) <= 3 and max(ages) >= 80
    assert sum(a < 16 for a in ages) > 30 and sum(a >= 60 for a in ages) > 30
    for person in people:
        parsed = parse_id_number(cipher.decrypt("id_number", person.id_number_enc), today=today)
        assert (parsed.birth_date, parsed.sex.value) == (person.birth_date, person.sex)
        assert person.residence_region_code in streets
    assert sum(not p.hukou_region_code.startswith("11") for p in people) == report.migrants
    assert len({e.industry_code[0] for e in employers}) >= 5
    assert all(parse_credit_code(e.uscc) for e in employers)
    assert chain.ok


def test_seeding_twice_adds_people_without_clashing(database, cipher, clock):
    for seed in (1, 2):
        with database.transaction() as session:
            seed_demo(session=session, cipher=cipher, province="310000", persons=50, now=clock.now(), random_seed=seed)
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Person)) == 100


@pytest.mark.parametrize(("province", "persons"), [("110105", 10), ("990000", 10), ("110000", 0)])
def test_bad_seed_requests_are_refused(database, cipher, clock, province, persons):
    with database.transaction() as session, pytest.raises(InvalidInput):
        seed_demo(session=session, cipher=cipher, province=province, persons=persons, now=clock.now())


def test_migrations_go_down_and_up_again(database_url):
    downgrade(database_url, "base")
    upgrade(database_url)
