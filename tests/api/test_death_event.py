"""A death is one event that every context reacts to: pension, cards and their banks, participations,
logins, survivor benefits — or a review, when the person was proved alive after the date reported."""

from datetime import date

import pytest

from shebao.core.security import Role
from tests.integration.test_pension_award_and_payroll import _archive
from tests.support import CHAOYANG, CHAOYANG_STREET, add_test_streets, give_active_card, make_user, register, token_for

FUNERAL_GRANT_2025 = 903_133  # 2 × 5,418,800 fen ÷ 12, half up: 人社部发〔2021〕18号 on the 2024 income


@pytest.fixture
def town(client, database, cipher, clock):
    add_test_streets(database, clock)
    retiree = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=11)
    _archive(database, clock, retiree)
    give_active_card(database, cipher, clock, retiree)
    worker = register(database, cipher, clock, birth=date(1985, 3, 2), sequence=13, name="灵活就业")
    for name, role, binding in (("clerk", Role.STAFF, {"region_code": CHAOYANG}),
                                ("second", Role.STAFF, {"region_code": "110000"}),
                                ("shanghai", Role.STAFF, {"region_code": "310000"}),
                                ("icbc", Role.BANK, {"bank_code": "ICBC"}),
                                ("retiree", Role.INSURED, {"person_id": retiree}),
                                ("worker", Role.INSURED, {"person_id": worker})):
        make_user(database, clock, name, role, **binding)
    tokens = {name: token_for(client, name) for name in ("clerk", "second", "shanghai", "icbc", "retiree", "worker")}
    applied = client.post("/api/v1/retirement/applications", headers=tokens["clerk"], json={
        "person_id": retiree, "retire_date": "2024-06-15", "category": "male", "region_code": CHAOYANG})
    assert applied.status_code == 201, applied.text
    assert client.post("/api/v1/payroll/202503?province=110000", headers=tokens["second"]).status_code == 200
    enrolled = client.post(f"/api/v1/persons/{worker}/participations", headers=tokens["clerk"], json={
        "mode": "flexible", "region_code": CHAOYANG_STREET, "start_date": "2024-01-01"})
    assert enrolled.status_code == 201, enrolled.text
    return {"retiree": retiree, "worker": worker, "tokens": tokens, "monthly": applied.json()["total_fen"]}


def death(client, town, person, day, token="clerk"):
    return client.post("/api/v1/deaths", headers=town["tokens"][token],
                       json={"person_id": person, "death_date": day, "source": "民政 2025-0042"})


def test_every_context_reacts_to_a_receivers_death(client, town):
    tokens, retiree = town["tokens"], town["retiree"]
    recorded = death(client, town, retiree, "2025-01-10")
    assert recorded.status_code == 201, recorded.text
    body = recorded.json()
    assert body["status"] == "recorded" and body["award"]["stop_period"] == "202502"
    assert body["recovery"]["amount_fen"] == 2 * town["monthly"] and body["recovery"]["months"] == 2
    cards = client.get(f"/api/v1/persons/{retiree}/cards", headers=tokens["clerk"]).json()
    assert [c["state"] for c in cards] == ["cancelled"] and cards[0]["financial_function"] is False
    notices = client.get("/api/v1/bank/notices", headers=tokens["icbc"]).json()
    assert (notices[-1]["event"], notices[-1]["financial_function"]) == ("closed", False)
    assert client.get("/api/v1/auth/me", headers=tokens["retiree"]).status_code == 401  # the login stopped
    person = client.get(f"/api/v1/persons/{retiree}", headers=tokens["clerk"]).json()
    assert (person["status"], person["death_date"]) == ("deceased", "2025-01-10")
    offered = {o["kind"]: o for o in client.get(f"/api/v1/persons/{retiree}/survivor-benefits",
                                                headers=tokens["clerk"]).json()}
    assert offered["funeral_grant"]["amount_fen"] == FUNERAL_GRANT_2025
    assert offered["account_inheritance"]["amount_fen"] > 0 and offered["funeral_grant"]["name"] == "丧葬补助金"
    assert any("人社部发〔2021〕18号" in step.get("source", "") for step in offered["funeral_grant"]["steps"])
    again = death(client, town, retiree, "2025-01-10")
    assert again.status_code == 409 and again.json()["error"]["code"] == "person.already_deceased"


def test_a_workers_death_ends_their_participations_and_contributions(client, town):
    tokens, worker = town["tokens"], town["worker"]
    assert death(client, town, worker, "2025-02-14").status_code == 201
    participations = client.get(f"/api/v1/persons/{worker}/participations", headers=tokens["clerk"]).json()
    assert participations and all(p["status"] == "ended" and p["end_date"] == "2025-02-14" for p in participations)
    assert [o["kind"] for o in client.get(f"/api/v1/persons/{worker}/survivor-benefits",
                                          headers=tokens["clerk"]).json()] == ["funeral_grant"]


def test_a_death_outside_the_clerks_region_is_refused_as_if_nobody_were_there(client, town):
    outside = death(client, town, town["retiree"], "2025-01-10", token="shanghai")
    nobody = death(client, town, 999_999, "2025-01-10", token="shanghai")
    assert outside.status_code == nobody.status_code == 404 and outside.json() == nobody.json()
    assert client.get(f"/api/v1/persons/{town['retiree']}/pension", headers=town["tokens"]["clerk"]).json()[
        "award"]["status"] == "paying"


def test_a_death_before_a_proof_of_life_is_held_for_a_second_clerk(client, town):
    tokens, retiree = town["tokens"], town["retiree"]
    certified = client.post("/api/v1/certifications", headers=tokens["clerk"], json={
        "person_id": retiree, "method": "staff_visit", "certified_on": "2025-02-21", "evidence": "上门认证 0042"})
    assert certified.status_code == 201, certified.text
    held = death(client, town, retiree, "2025-02-01")
    assert held.status_code == 201 and held.json()["status"] == "review" and "2025-02-21" in held.json()["conflict"]
    assert client.get(f"/api/v1/persons/{retiree}", headers=tokens["clerk"]).json()["status"] == "living"
    assert client.get(f"/api/v1/persons/{retiree}/cards", headers=tokens["clerk"]).json()[0]["state"] == "active"
    review = held.json()["review_id"]
    assert [r["review_id"] for r in client.get("/api/v1/death-reviews", headers=tokens["second"]).json()] == [review]
    assert client.get("/api/v1/death-reviews", headers=tokens["shanghai"]).json() == []
    decide = lambda token, decision: client.post(f"/api/v1/death-reviews/{review}/decision", headers=tokens[token],  # noqa: E731
                                                 json={"decision": decision, "reason": "核对火化记录与认证录像"})
    four_eyes = decide("clerk", "confirm")
    assert four_eyes.status_code == 403 and four_eyes.json()["error"]["code"] == "death.review_four_eyes"
    assert decide("shanghai", "confirm").status_code == 404
    confirmed = decide("second", "confirm")
    assert confirmed.status_code == 200 and confirmed.json()["death"]["status"] == "recorded"
    assert client.get(f"/api/v1/persons/{retiree}/cards", headers=tokens["clerk"]).json()[0]["state"] == "cancelled"
    assert decide("second", "reject").status_code == 409


def test_a_rejected_report_changes_nothing(client, town):
    tokens, retiree = town["tokens"], town["retiree"]
    client.post("/api/v1/certifications", headers=tokens["clerk"], json={
        "person_id": retiree, "method": "staff_visit", "certified_on": "2025-02-21", "evidence": "上门认证 0042"})
    review = death(client, town, retiree, "2025-02-01").json()["review_id"]
    rejected = client.post(f"/api/v1/death-reviews/{review}/decision", headers=tokens["second"],
                           json={"decision": "reject", "reason": "重名误报，本人已到场"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert client.get(f"/api/v1/persons/{retiree}/pension", headers=tokens["clerk"]).json()["award"]["status"] == "paying"
    assert client.get("/api/v1/auth/me", headers=tokens["retiree"]).status_code == 200


def test_the_status_is_not_edited_to_deceased(client, town):
    refused = client.patch(f"/api/v1/persons/{town['retiree']}", headers=town["tokens"]["clerk"], json={
        "effective_from": "2025-02-01", "reason": "死亡", "status": "deceased", "death_date": "2025-02-01"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "person.status_by_event"
    assert client.get(f"/api/v1/persons/{town['retiree']}/cards", headers=town["tokens"]["clerk"]).json()[0]["state"] == "active"
