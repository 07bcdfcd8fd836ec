"""Registering, reading, changing and finding persons on a real database."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from shebao.core import audit
from shebao.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shebao.core.security import SYSTEM, Principal, Role
from shebao.registry import service
from shebao.registry.models import Person, PersonVersion
from shebao.registry.schemas import PersonChange, PersonCreate
from tests.support import (
    CHAOYANG,
    CHAOYANG_STREET,
    HAIDIAN_STREET,
    add_test_streets,
    id_number,
)

CLERK = Principal(user_id=10, username="clerk", role=Role.STAFF, region_code=CHAOYANG)
OTHER_CLERK = Principal(user_id=11, username="haidian", role=Role.STAFF, region_code="110108")
CITY_CLERK = Principal(user_id=12, username="beijing", role=Role.STAFF, region_code="110100")


@pytest.fixture(autouse=True)
def streets(database, clock):
    add_test_streets(database, clock)


def register(database, cipher, clock, principal=CLERK, **overrides):
    fields = {"id_number": id_number(), "name": "张伟", "hukou_region_code": CHAOYANG,
              "residence_region_code": CHAOYANG_STREET, "phone": "13800138000", "effective_from": "2020-01-01"}
    fields.update(overrides)
    with database.transaction() as session:
        return service.register_person(session=session, cipher=cipher, principal=principal,
                                       command=PersonCreate(**fields), now=clock.now())


def counts(database):
    with database.unit_of_work() as uow:
        persons = uow.session.scalar(select(func.count()).select_from(Person))
        versions = uow.session.scalar(select(func.count()).select_from(PersonVersion))
        records = uow.session.scalar(select(func.count()).select_from(audit.AuditRecord))
    return persons, versions, records


def test_a_registered_person_is_stored_encrypted_and_read_back(database, cipher, clock):
    person = register(database, cipher, clock)
    assert person.id_number == id_number()
    assert person.birth_date == date(1980, 5, 17) and person.sex == "M"
    assert person.residence_region_name == "北京市朝阳区建外街道"
    with database.unit_of_work() as uow:
        row = uow.session.get(Person, person.id)
        assert id_number().encode() not in row.id_number_enc
        assert b"13800138000" not in row.phone_enc
        assert row.id_number_hash == cipher.lookup_hash(id_number())


def test_a_second_registration_of_the_same_number_is_refused_naming_the_region(database, cipher, clock):
    register(database, cipher, clock)
    before = counts(database)
    with pytest.raises(Conflict) as refused:
        register(database, cipher, clock, principal=SYSTEM, name="张三", residence_region_code=HAIDIAN_STREET)
    assert refused.value.code == "person.duplicate"
    assert "北京市朝阳区建外街道" in refused.value.reason
    assert refused.value.details["existing_region_code"] == CHAOYANG_STREET
    assert counts(database) == before


def test_the_legacy_number_of_a_registered_person_is_the_same_person(database, cipher, clock):
    register(database, cipher, clock, id_number="11010519491231002X", name="李秀英")
    with pytest.raises(Conflict):
        register(database, cipher, clock, id_number="110105491231002", name="李秀英")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"id_number": "110105198005171234"}, "id_number.checksum"),
        ({"sex": "F"}, "person.sex_mismatch"),
        ({"birth_date": "1980-05-18"}, "person.birth_date_mismatch"),
        ({"name": "<img src=x onerror=alert(1)>"}, "name.characters"),
        ({"name": "x'); DELETE FROM persons; --"}, "name.characters"),
        ({"hukou_region_code": "999999"}, "region.unknown"),
        ({"residence_region_code": "110103"}, "region.abolished"),
        ({"residence_region_code": "110000"}, "region.too_coarse"),
        ({"phone": "12345"}, "phone.malformed"),
        ({"effective_from": "2030-01-01"}, "person.effective_in_future"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(database, cipher, clock, overrides, code):
    before = counts(database)
    with pytest.raises(InvalidInput) as refused:
        register(database, cipher, clock, **overrides)
    assert refused.value.code == code
    assert counts(database) == before


def test_a_clerk_cannot_register_a_person_living_in_another_county(database, cipher, clock):
    before = counts(database)
    with pytest.raises(Forbidden) as refused:
        register(database, cipher, clock, principal=OTHER_CLERK)
    assert refused.value.code == "scope.outside_region"
    assert counts(database) == before


def test_a_clerk_cannot_read_or_find_another_countys_people(database, cipher, clock):
    person = register(database, cipher, clock)
    with database.transaction() as session:
        with pytest.raises(NotFound) as outside:
            service.get_person(session=session, cipher=cipher, principal=OTHER_CLERK, person_id=person.id, now=clock.now())
        with pytest.raises(NotFound) as nobody:
            service.get_person(session=session, cipher=cipher, principal=OTHER_CLERK, person_id=person.id + 99, now=clock.now())
        assert outside.value.as_dict() == nobody.value.as_dict()  # the same answer whether the person exists or not
        with pytest.raises(NotFound):
            service.find_person_by_id_number(session=session, cipher=cipher, principal=OTHER_CLERK,
                                             id_number=id_number(), now=clock.now())
        assert service.search_persons(session=session, principal=OTHER_CLERK, now=clock.now()).total == 0
        with pytest.raises(Forbidden):
            service.search_persons(session=session, principal=OTHER_CLERK, region_code=CHAOYANG, now=clock.now())
        with pytest.raises(NotFound):
            service.person_history(session=session, principal=OTHER_CLERK, person_id=person.id, now=clock.now())


def test_search_is_confined_to_the_clerks_region(database, cipher, clock):
    register(database, cipher, clock)
    register(database, cipher, clock, principal=SYSTEM, id_number=id_number(sequence=125), name="张强",
             residence_region_code=HAIDIAN_STREET, hukou_region_code="110108")
    register(database, cipher, clock, principal=SYSTEM, id_number=id_number(sequence=129), name="张敏",
             residence_region_code=HAIDIAN_STREET)  # lives in Haidian, hukou in Chaoyang: Chaoyang serves them too
    with database.transaction() as session:
        mine = service.search_persons(session=session, principal=CLERK, name="张", now=clock.now())
        everyone = service.search_persons(session=session, principal=SYSTEM, name="张", now=clock.now())
    assert [p.name for p in mine.items] == ["张伟", "张敏"]
    assert mine.items[0].id_number_masked == id_number()[:6] + "*" * 8 + id_number()[-4:]
    assert mine.items[0].birth_date is None  # beside the masked number it would rebuild the whole ID number
    assert everyone.total == 3


def test_a_staff_view_of_personal_data_is_audited(database, cipher, clock):
    person = register(database, cipher, clock)
    with database.transaction() as session:
        service.get_person(session=session, cipher=cipher, principal=CLERK, person_id=person.id, now=clock.now())
    with database.unit_of_work() as uow:
        actions = [r.action for r in audit.recent(uow.session)]
    assert actions[:2] == ["person.viewed", "person.registered"]


def test_a_change_is_effective_dated_kept_as_history_and_seen_at_once(database, cipher, clock):
    person = register(database, cipher, clock)
    moved_on = date(2025, 2, 1)
    with database.transaction() as session:
        changed = service.change_person(session=session, cipher=cipher, principal=CITY_CLERK, person_id=person.id,
                                        now=clock.now(), command=PersonChange(effective_from=moved_on, reason="迁居 moved",
                                                             residence_region_code=HAIDIAN_STREET, name="张伟民"))
    assert changed.version == 2 and changed.residence_region_code == HAIDIAN_STREET and changed.name == "张伟民"
    with database.transaction() as session:
        history = service.person_history(session=session, principal=SYSTEM, person_id=person.id, now=clock.now())
        then = service.person_as_of(session=session, person_id=person.id, day=moved_on - timedelta(days=1))
        now = service.person_as_of(session=session, person_id=person.id, day=moved_on)
    assert [h.version for h in history] == [1, 2]
    assert then.residence_region_code == CHAOYANG_STREET and then.name == "张伟"
    assert now.residence_region_code == HAIDIAN_STREET and now.name == "张伟民"


def test_a_clerk_cannot_move_a_person_out_of_their_region(database, cipher, clock):
    person = register(database, cipher, clock)
    before = counts(database)
    with database.transaction() as session, pytest.raises(Forbidden) as refused:
        service.change_person(session=session, cipher=cipher, principal=CLERK, person_id=person.id, now=clock.now(),
                              command=PersonChange(effective_from=date(2025, 2, 1), reason="迁居",
                                                   residence_region_code=HAIDIAN_STREET))
    assert refused.value.code == "person.move_outside_region" and "迁入地" in refused.value.reason
    assert counts(database) == before


def test_after_moving_away_the_old_county_no_longer_sees_the_person(database, cipher, clock):
    person = register(database, cipher, clock, hukou_region_code="110108")
    with database.transaction() as session:
        service.change_person(session=session, cipher=cipher, principal=CITY_CLERK, person_id=person.id, now=clock.now(),
                              command=PersonChange(effective_from=date(2025, 2, 1), reason="迁居",
                                                   residence_region_code=HAIDIAN_STREET))
    with database.transaction() as session, pytest.raises(NotFound):
        service.get_person(session=session, cipher=cipher, principal=CLERK, person_id=person.id, now=clock.now())
    with database.transaction() as session:
        assert service.get_person(session=session, cipher=cipher, principal=OTHER_CLERK, person_id=person.id,
                                  now=clock.now()).residence_region_code == HAIDIAN_STREET


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"effective_from": date(2030, 1, 1), "name": "王五"}, "person.effective_in_future"),
        ({"effective_from": date(1970, 1, 1), "name": "王五"}, "person.effective_before_birth"),
        ({"effective_from": date(2025, 1, 1), "name": "张伟"}, "person.no_change"),
        ({"effective_from": date(2025, 1, 1), "status": "deceased"}, "person.status_by_event"),
        ({"effective_from": date(2025, 1, 1), "status": "deceased", "death_date": date(2025, 1, 1)}, "person.status_by_event"),
        ({"effective_from": date(2025, 1, 1), "death_date": date(2025, 1, 1)}, "person.status_by_event"),
        ({"effective_from": date(2025, 1, 1), "residence_region_code": "110103"}, "region.abolished"),
    ],
)
def test_bad_changes_are_refused_and_nothing_is_written(database, cipher, clock, change, code):
    person = register(database, cipher, clock)
    before = counts(database)
    with database.transaction() as session, pytest.raises(InvalidInput) as refused:
        service.change_person(session=session, cipher=cipher, principal=CLERK, person_id=person.id, now=clock.now(),
                              command=PersonChange(reason="测试 test", **change))
    assert refused.value.code == code
    assert counts(database) == before


def test_a_back_dated_change_before_the_latest_one_is_refused(database, cipher, clock):
    person = register(database, cipher, clock, effective_from=date(2025, 2, 1))
    with database.transaction() as session, pytest.raises(InvalidInput) as refused:
        service.change_person(session=session, cipher=cipher, principal=CLERK, person_id=person.id, now=clock.now(),
                              command=PersonChange(effective_from=date(2025, 1, 1), reason="更正", name="张卫"))
    assert refused.value.code == "person.effective_before_latest"


def test_a_death_is_not_an_edit_of_the_status(database, cipher, clock):
    person = register(database, cipher, clock)
    before = counts(database)
    with database.transaction() as session, pytest.raises(InvalidInput) as refused:
        service.change_person(session=session, cipher=cipher, principal=CLERK, person_id=person.id, now=clock.now(),
                              command=PersonChange(effective_from=date(2025, 2, 10), reason="民政死亡信息",
                                                   status="deceased", death_date=date(2025, 2, 10)))
    assert refused.value.code == "person.status_by_event" and "死亡登记" in refused.value.reason
    assert counts(database) == before


def test_an_insured_person_sees_only_themselves_and_may_change_only_the_phone(database, cipher, clock):
    person = register(database, cipher, clock)
    other = register(database, cipher, clock, id_number=id_number(sequence=127), name="王芳")
    me = Principal(user_id=20, username="me", role=Role.INSURED, person_id=person.id)
    with database.transaction() as session:
        assert service.get_person(session=session, cipher=cipher, principal=me, person_id=person.id, now=clock.now()).name == "张伟"
        with pytest.raises(NotFound):
            service.get_person(session=session, cipher=cipher, principal=me, person_id=other.id, now=clock.now())
        with pytest.raises(Forbidden) as limited:
            service.change_person(session=session, cipher=cipher, principal=me, person_id=person.id, now=clock.now(),
                                  command=PersonChange(effective_from=date(2025, 3, 1), reason="改名", name="张大伟"))
        assert limited.value.code == "person.self_service_limited"
        changed = service.change_person(session=session, cipher=cipher, principal=me, person_id=person.id, now=clock.now(),
                                        command=PersonChange(effective_from=date(2025, 3, 1), reason="换号",
                                                             phone="13900139000"))
    assert changed.phone == "13900139000"
