"""A transfer over HTTP as the two provinces' clerks handle it: the Shenzhen counter takes the application of a
Beijing insured who shows their ID, Beijing checks and sends, Shenzhen receives; each refused the other's step,
strangers refused with one answer."""

from datetime import date

from shebao.benefits.archive import bring_forward
from shebao.benefits.schemas import ArchiveYear
from shebao.core.security import Role
from tests.support import CHAOYANG, add_test_streets, id_number, make_user, register, token_for

FUTIAN = "440304"


def test_two_provinces_take_their_own_steps(client, database, cipher, clock):
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1985, 3, 1), sequence=31)
    rows = [ArchiveYear(person_id=person, province="110000", year=y, kind="archive", months=12, base_sum_fen=12 * 800_000,
                        average_wage_fen=1_000_000) for y in range(2015, 2024)]
    with database.transaction() as session:
        bring_forward(session=session, province="110000", years=rows, balances={person: 3_000_000}, period="202401",
                      actor="test", now=clock.now())
    make_user(database, clock, "futian", Role.STAFF, region_code=FUTIAN)
    make_user(database, clock, "beijing", Role.STAFF, region_code="110000")
    make_user(database, clock, "pudong", Role.STAFF, region_code="310115")
    futian, beijing, pudong = (token_for(client, name) for name in ("futian", "beijing", "pudong"))
    today = clock.now().date().isoformat()
    body = {"person_id": person, "to_region": FUTIAN, "starts_on": today, "channel": "counter"}
    assert client.post("/api/v1/transfers", json=body, headers=futian).status_code == 404  # no ID shown
    shown = body | {"holder_id_number": id_number(birth=date(1985, 3, 1), sequence=31)}
    applied = client.post("/api/v1/transfers", json=shown, headers=futian)
    assert applied.status_code == 201, applied.text
    transfer = applied.json()["id"]
    url = f"/api/v1/transfers/{transfer}/steps"
    wrong = client.post(url, json={"step": "letter_sent", "on": today}, headers=beijing)
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "transfer.wrong_side"
    assert client.post(url, json={"step": "letter_sent", "on": today}, headers=pudong).status_code == 404
    assert client.post(url, json={"step": "letter_sent", "on": today}, headers=futian).status_code == 200
    checked = client.post(url, json={"step": "checked", "on": today}, headers=beijing).json()
    assert (checked["pooled_fen"], checked["personal_account_fen"]) == (108 * 800_000 * 12 // 100, 3_000_000)
    assert client.post(url, json={"step": "funds_sent", "on": today, "pooled_fen": 1}, headers=beijing).status_code == 409
    assert client.post(url, json={"step": "funds_sent", "on": today}, headers=beijing).status_code == 200
    assert client.post(url, json={"step": "received", "on": today, "amount_fen": checked["total_fen"]},
                       headers=futian).status_code == 200
    done = client.post(url, json={"step": "completed", "on": today}, headers=futian).json()
    assert done["step"] == "completed"
    status = client.get(f"/api/v1/transfers/{transfer}", headers=futian).json()
    assert [n["step"] for n in status["notices"]][-1] == "completed" and status["notices"][0]["text_en"]
    assert client.get(f"/api/v1/transfers/{transfer}", headers=pudong).status_code == 404
    assert [t["id"] for t in client.get("/api/v1/transfers", headers=beijing).json()["transfers"]] == [transfer]
    assert client.get("/api/v1/transfers", headers=pudong).json()["transfers"] == []
    plan = client.get(f"/api/v1/persons/{person}/transfer-plan", params={"to_region": CHAOYANG}, headers=beijing)
    assert plan.status_code == 200 and plan.json()["kind"] == "move"


def test_the_insured_applies_online_for_themselves_only(client, database, cipher, clock):
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1990, 3, 1), sequence=33)
    other = register(database, cipher, clock, birth=date(1990, 4, 1), sequence=35)
    rows = [ArchiveYear(person_id=p, province="110000", year=2020, kind="archive", months=12, base_sum_fen=12 * 800_000,
                        average_wage_fen=1_000_000) for p in (person, other)]
    with database.transaction() as session:
        bring_forward(session=session, province="110000", years=rows, balances={}, period="202401", actor="test",
                      now=clock.now())
    make_user(database, clock, "mover", Role.INSURED, person_id=person)
    token = token_for(client, "mover")
    body = {"to_region": FUTIAN, "starts_on": clock.now().date().isoformat(), "channel": "counter"}
    mine = client.post("/api/v1/transfers", json=body | {"person_id": person}, headers=token)
    assert mine.status_code == 201 and mine.json()["channel"] == "online"
    assert client.post("/api/v1/transfers", json=body | {"person_id": other}, headers=token).status_code == 404
    assert client.get(f"/api/v1/transfers/{mine.json()['id']}", headers=token).status_code == 200
    step = client.post(f"/api/v1/transfers/{mine.json()['id']}/steps", json={"step": "letter_sent", "on": body["starts_on"]},
                       headers=token)
    assert step.status_code == 403  # the person applies; only the provinces take the steps


def test_a_county_clerk_lists_the_transfers_of_the_people_of_the_county(client, database, cipher, clock):
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1988, 3, 1), sequence=37)  # lives in Chaoyang
    rows = [ArchiveYear(person_id=person, province="110000", year=2021, kind="archive", months=12,
                        base_sum_fen=12 * 800_000, average_wage_fen=1_000_000)]
    with database.transaction() as session:
        bring_forward(session=session, province="110000", years=rows, balances={}, period="202401", actor="test",
                      now=clock.now())
    make_user(database, clock, "futian", Role.STAFF, region_code=FUTIAN)
    make_user(database, clock, "chaoyang", Role.STAFF, region_code=CHAOYANG)
    make_user(database, clock, "haidian", Role.STAFF, region_code="110108")
    shown = {"person_id": person, "to_region": FUTIAN, "starts_on": clock.now().date().isoformat(),
             "holder_id_number": id_number(birth=date(1988, 3, 1), sequence=37)}
    transfer = client.post("/api/v1/transfers", json=shown, headers=token_for(client, "futian")).json()["id"]
    listed = client.get("/api/v1/transfers", headers=token_for(client, "chaoyang")).json()["transfers"]
    assert [t["id"] for t in listed] == [transfer]
    assert client.get("/api/v1/transfers", headers=token_for(client, "haidian")).json()["transfers"] == []
