"""Enrollment over HTTP: an employer hires and lets go; a person enrolls as a flexible worker."""

import random

import pytest

from shebao.core.security import Role
from shebao.demo.seed import demo_credit_code
from tests.support import (
    CHAOYANG,
    CHAOYANG_STREET,
    HAIDIAN_STREET,
    add_test_streets,
    id_number,
    make_user,
    person_payload,
    token_for,
)


@pytest.fixture
def setup(client, database, clock):
    add_test_streets(database, clock)
    make_user(database, clock, "clerk", Role.STAFF, region_code=CHAOYANG)
    clerk = token_for(client, "clerk")
    person = client.post("/api/v1/persons", json=person_payload(effective_from="2020-01-01"), headers=clerk).json()
    firm = client.post("/api/v1/employers", headers=clerk, json={
        "uscc": demo_credit_code(CHAOYANG, random.Random(5)), "name": "朝阳商贸有限公司", "region_code": CHAOYANG,
        "industry_code": "F51"}).json()
    make_user(database, clock, "firm", Role.EMPLOYER, employer_id=firm["id"])
    make_user(database, clock, "zhangwei", Role.INSURED, person_id=person["id"])
    return {"clerk": clerk, "firm": token_for(client, "firm"), "me": token_for(client, "zhangwei"),
            "person": person["id"], "employer": firm["id"]}


def test_an_employer_hires_lists_and_lets_go(client, setup):
    url = f"/api/v1/employers/{setup['employer']}/employees"
    hired = client.post(url, json={"id_number": id_number(), "start_date": "2024-01-01"}, headers=setup["firm"])
    assert hired.status_code == 201 and len(hired.json()) == 5
    again = client.post(url, json={"id_number": id_number(), "start_date": "2024-02-01"}, headers=setup["firm"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "participation.overlap"
    assert [p["person_id"] for p in client.get(url, headers=setup["firm"]).json()] == [setup["person"]]
    left = client.post(f"{url}/{setup['person']}/leave", json={"end_date": "2024-12-31", "reason": "合同到期"},
                       headers=setup["firm"])
    assert left.status_code == 200 and {p["status"] for p in left.json()} == {"ended"}
    assert client.get(url, headers=setup["firm"]).json() == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"id_number": "123", "start_date": "2024-01-01"}, 422, "id_number.length"),
        ({"id_number": id_number(sequence=77), "start_date": "2024-01-01"}, 404, "person.unregistered"),
        ({"id_number": id_number(), "start_date": "2031-01-01"}, 422, "participation.start_in_future"),
        ({"id_number": id_number(), "start_date": "not a date"}, 422, "request.invalid"),
    ],
)
def test_bad_hires_are_refused(client, setup, body, status, code):
    response = client.post(f"/api/v1/employers/{setup['employer']}/employees", json=body, headers=setup["firm"])
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert client.get(f"/api/v1/persons/{setup['person']}/participations", headers=setup["clerk"]).json() == []


def test_a_person_enrolls_as_a_flexible_worker_online_and_sees_their_history(client, setup):
    url = f"/api/v1/persons/{setup['person']}/participations"
    enrolled = client.post(url, json={"mode": "flexible", "region_code": HAIDIAN_STREET, "start_date": "2024-04-01"},
                           headers=setup["me"])
    assert enrolled.status_code == 201 and {p["scheme"] for p in enrolled.json()} == {"employee_pension", "medical"}
    pension = next(p for p in enrolled.json() if p["scheme"] == "employee_pension")
    paused = client.post(f"/api/v1/participations/{pension['id']}/suspend", json={"on": "2024-10-01", "reason": "暂停"},
                         headers=setup["me"])
    assert paused.status_code == 200 and paused.json()["status"] == "suspended"
    mine = client.get(url, headers=setup["me"]).json()
    assert len(mine) == 2
    employer_mode = client.post(url, json={"mode": "employer", "region_code": CHAOYANG_STREET, "start_date": "2024-04-01"},
                                headers=setup["me"])
    assert employer_mode.status_code == 422


def test_an_employer_cannot_read_a_persons_participations(client, setup):
    response = client.get(f"/api/v1/persons/{setup['person']}/participations", headers=setup["firm"])
    assert response.status_code == 403
