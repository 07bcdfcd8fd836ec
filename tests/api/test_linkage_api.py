"""The linkage review queue over HTTP: staff see the pairs of the persons they handle (as stored) and decide them with a
reason, never a pair about their own record; auditors read and never decide; a registration's answer carries the
warnings of a likely existing record; bad requests are refused with reasons."""

from __future__ import annotations

from datetime import date

import pytest

from shebao.accounts.models import User
from shebao.comparison import linkage
from shebao.core.security import Role
from tests.support import LINK_PROVINCE, id_number, linkage_world, make_user, token_for


@pytest.fixture
def queue(client, database, cipher, clock, tmp_path):
    world = linkage_world(database, cipher, clock, tmp_path)
    linkage.run_province(database=database, cipher=cipher, province=LINK_PROVINCE, actor="test", now=clock.now())
    users = {"hebei": LINK_PROVINCE, "tangshan": "130203", "shijiazhuang": "130100", "beijing": "110105",
             "himself": LINK_PROVINCE}
    for name, region in users.items():
        make_user(database, clock, name, Role.STAFF, region_code=region)
    make_user(database, clock, "auditor", Role.AUDITOR)
    with database.transaction() as session:  # a clerk whose account names their own record (real-name staff)
        session.query(User).filter(User.username == "himself").update({"person_id": world["ids"]["zhang2"]})
    tokens = {name: token_for(client, name) for name in [*users, "auditor"]}
    listed = client.get("/api/v1/linkage/candidates", headers=tokens["hebei"]).json()
    return {"world": world, "tokens": tokens, "candidate": listed["items"][0]["candidate_id"], "listed": listed}


def test_staff_see_the_pairs_of_their_persons_only(client, queue):
    tokens = queue["tokens"]
    assert queue["listed"]["total"] == 1 and queue["listed"]["items"][0]["left"]["name"] == "张建国"
    assert client.get("/api/v1/linkage/candidates", headers=tokens["tangshan"]).json()["total"] == 1
    assert client.get("/api/v1/linkage/candidates", headers=tokens["beijing"]).json()["total"] == 0
    assert client.get("/api/v1/linkage/candidates?status=linked", headers=tokens["auditor"]).json()["total"] == 3
    one = client.get(f"/api/v1/linkage/candidates/{queue['candidate']}", headers=tokens["hebei"])
    assert one.status_code == 200 and one.json()["left"]["birth_date"] == "1985-01-20"
    stranger = client.get(f"/api/v1/linkage/candidates/{queue['candidate']}", headers=tokens["beijing"])
    nowhere = client.get("/api/v1/linkage/candidates/999999", headers=tokens["beijing"])
    assert stranger.status_code == nowhere.status_code == 404 and stranger.json() == nowhere.json()


def test_a_decision_with_its_reason_and_never_about_oneself(client, queue):
    tokens, url = queue["tokens"], f"/api/v1/linkage/candidates/{queue['candidate']}/decision"
    own = client.post(url, headers=tokens["himself"], json={"decision": "confirm", "reason": "这是我本人的记录"})
    assert own.status_code == 403 and own.json()["error"]["code"] == "linkage.own_record"
    assert client.post(url, headers=tokens["auditor"], json={"decision": "confirm", "reason": "审计不办理"}).status_code == 403
    done = client.post(url, headers=tokens["tangshan"], json={"decision": "confirm", "reason": "调取户籍档案核实"})
    assert done.status_code == 200 and done.json()["status"] == "confirmed"
    again = client.post(url, headers=tokens["hebei"], json={"decision": "reject", "reason": "再次核查一次"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "linkage.decided"


@pytest.mark.parametrize("body", [{}, {"decision": "maybe", "reason": "不确定是否同一人"}, {"decision": "confirm"},
                                  {"decision": "confirm", "reason": "短"}, {"decision": "confirm", "reason": "x" * 201},
                                  {"decision": "confirm", "reason": "核实无误的记录", "extra": 1}])
def test_a_bad_decision_is_refused_and_decides_nothing(client, queue, body):
    tokens, url = queue["tokens"], f"/api/v1/linkage/candidates/{queue['candidate']}/decision"
    assert client.post(url, headers=tokens["hebei"], json=body).status_code == 422
    assert client.get("/api/v1/linkage/candidates", headers=tokens["hebei"]).json()["total"] == 1


def test_bad_queue_requests_are_refused(client, queue):
    hebei = queue["tokens"]["hebei"]
    for query, status in (("status=maybe", 422), ("region_code=13", 422), ("region_code=110105", 403),
                          ("limit=0", 422), ("limit=201", 422), ("offset=-1", 422)):
        answer = client.get(f"/api/v1/linkage/candidates?{query}", headers=hebei)
        assert answer.status_code == status, (query, answer.text)
        assert {"code", "reason", "reason_en"} <= set(answer.json()["error"]), query


def test_a_registration_answers_with_its_warnings(client, queue):
    hebei = queue["tokens"]["hebei"]
    near = client.post("/api/v1/persons", headers=hebei, json={
        "id_number": id_number("130181", date(1980, 5, 17), 999), "name": "王晓铭", "hukou_region_code": "130102",
        "residence_region_code": "130102"})
    assert near.status_code == 201, near.text
    warnings = near.json()["warnings"]
    assert len(warnings) == 2 and all(w["code"] == "linkage.likely_existing" and w["probability"] >= 0.6
                                      for w in warnings)
    assert all("*" in w["candidate_id_number_masked"] and w["reason_en"] for w in warnings)
    stranger = client.post("/api/v1/persons", headers=hebei, json={
        "id_number": id_number("130183", date(1999, 9, 9), 11), "name": "周杰", "hukou_region_code": "130183",
        "residence_region_code": "130183"})
    assert stranger.status_code == 201 and stranger.json()["warnings"] == []
    queued = client.get("/api/v1/linkage/candidates?status=linked", headers=hebei).json()["total"]
    assert queued == 3 + sum(w["status"] == "linked" for w in warnings)
    url = f"/api/v1/linkage/candidates/{warnings[0]['link_candidate_id']}/decision"
    mine = client.post(url, headers=hebei, json={"decision": "reject", "reason": "我登记的，我说不是"})
    assert mine.status_code == 403 and mine.json()["error"]["code"] == "linkage.four_eyes"
    other = client.post(url, headers=queue["tokens"]["shijiazhuang"], json={"decision": "reject", "reason": "核实为两个人"})
    assert other.status_code == 200 and other.json()["status"] == "rejected"
