"""The HTTP API end to end: every endpoint, its refusals, and nothing written when it refuses."""

import json

import pytest
from sqlalchemy import func, select

from shebao.core import audit
from shebao.core.migrate import head_revision
from shebao.core.security import Role
from shebao.registry.models import Employer, Person
from tests.support import (
    CHAOYANG,
    HAIDIAN,
    HAIDIAN_STREET,
    PASSWORD,
    add_test_streets,
    id_number,
    make_user,
    person_payload,
    token_for,
)


@pytest.fixture
def staff(client, database, clock):
    add_test_streets(database, clock)
    make_user(database, clock, "chaoyang", Role.STAFF, region_code=CHAOYANG)
    make_user(database, clock, "haidian", Role.STAFF, region_code="110108")
    make_user(database, clock, "beijing", Role.STAFF, region_code="110000")
    make_user(database, clock, "auditor", Role.AUDITOR)
    make_user(database, clock, "root", Role.ADMIN)
    return {name: token_for(client, name) for name in ("chaoyang", "haidian", "beijing", "auditor", "root")}


def rows(database, model=Person):
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def audit_count(database):
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(audit.AuditRecord))


def error_code(response):
    return response.json()["error"]["code"]


def test_health_answers_with_the_schema_revision(client):
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok" and body["database"]["schema_revision"] == head_revision()


def test_the_openapi_document_lists_the_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/persons", "/api/v1/persons/{person_id}", "/api/v1/employers", "/api/v1/regions/{code}",
                 "/api/v1/auth/token", "/api/v1/health"):
        assert path in paths


def test_person_endpoints_need_a_token(client):
    for method, path in (("get", "/api/v1/persons"), ("get", "/api/v1/persons/1"), ("post", "/api/v1/persons")):
        response = getattr(client, method)(path, **({"json": person_payload()} if method == "post" else {}))
        assert response.status_code == 401 and error_code(response) == "auth.required"
    response = client.get("/api/v1/persons", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401 and error_code(response) == "auth.token_invalid"


def test_register_read_change_and_history(client, staff, database):
    created = client.post("/api/v1/persons", json=person_payload(), headers=staff["chaoyang"])
    assert created.status_code == 201, created.text
    person = created.json()
    assert person["id_number"] == id_number() and person["sex"] == "M"
    read = client.get(f"/api/v1/persons/{person['id']}", headers=staff["chaoyang"]).json()
    assert read["residence_region_name"] == "北京市朝阳区建外街道"
    changed = client.patch(f"/api/v1/persons/{person['id']}", headers=staff["chaoyang"],
                           json={"effective_from": "2025-03-01", "reason": "更正电话", "phone": "13911112222"})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    history = client.get(f"/api/v1/persons/{person['id']}/history", headers=staff["chaoyang"]).json()
    assert [h["version"] for h in history] == [1, 2]
    found = client.post("/api/v1/persons/search", json={"id_number": id_number().lower()}, headers=staff["beijing"])
    assert found.status_code == 200 and found.json()["id"] == person["id"]


def test_a_duplicate_registration_is_409_naming_the_region(client, staff, database):
    client.post("/api/v1/persons", json=person_payload(), headers=staff["chaoyang"])
    response = client.post("/api/v1/persons", json=person_payload(residence_region_code=HAIDIAN_STREET, name="张三"),
                           headers=staff["beijing"])
    assert response.status_code == 409
    assert error_code(response) == "person.duplicate"
    assert "北京市朝阳区" in response.json()["error"]["reason"]
    assert rows(database) == 1


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (person_payload(id_number="110105198005171230"), "id_number.checksum"),
        (person_payload(id_number="1101051980"), "id_number.length"),
        (person_payload(id_number=id_number()[:6] + "19800230" + "1235"), "id_number.checksum"),
        (person_payload(name="<script>alert('x')</script>"), "name.characters"),
        (person_payload(name="'; DROP TABLE persons; --"), "name.characters"),
        (person_payload(hukou_region_code="123456"), "region.unknown"),
        (person_payload(residence_region_code="11010"), "region.malformed"),
        (person_payload(birth_date="1980-02-30"), "request.invalid"),
        ({**person_payload(), "is_admin": True}, "request.invalid"),
        ({"name": "张伟"}, "request.invalid"),
    ],
)
def test_bad_person_input_is_a_clear_4xx_and_writes_nothing(client, staff, database, payload, code):
    before = (rows(database), audit_count(database))
    response = client.post("/api/v1/persons", json=payload, headers=staff["chaoyang"])
    assert response.status_code == 422, response.text
    body = response.json()["error"]
    assert body["code"] == code and body["reason"] and body["reason_en"]
    assert (rows(database), audit_count(database)) == before


def test_an_impossible_birth_date_inside_the_number_is_named(client, staff):
    from stdnum.cn import ric

    body = "11010519800230123"
    response = client.post("/api/v1/persons", json=person_payload(id_number=body + ric.calc_check_digit(body + "0")),
                           headers=staff["chaoyang"])
    assert response.status_code == 422 and error_code(response) == "id_number.birth_date"


def test_oversized_and_non_utf8_payloads_are_refused(client, staff, database):
    huge = json.dumps({**person_payload(), "name": "王" * 100_000})
    response = client.post("/api/v1/persons", content=huge, headers={**staff["chaoyang"], "Content-Type": "application/json"})
    assert response.status_code == 413 and error_code(response) == "request.too_large"
    garbage = b'{"id_number": "\xff\xfe", "name": "\xc3\x28"}'
    response = client.post("/api/v1/persons", content=garbage,
                           headers={**staff["chaoyang"], "Content-Type": "application/json"})
    assert response.status_code == 400 and error_code(response) == "request.malformed"
    response = client.post("/api/v1/persons", content=b"not json at all",
                           headers={**staff["chaoyang"], "Content-Type": "application/json"})
    assert response.status_code in (400, 422) and response.json()["error"]["reason_en"]
    assert rows(database) == 0


def test_a_staff_token_outside_its_region_is_refused_everywhere_alike(client, staff, database):
    person = client.post("/api/v1/persons", json=person_payload(), headers=staff["chaoyang"]).json()
    other = staff["haidian"]
    for target in (person["id"], person["id"] + 1000):  # someone outside the region, and nobody at all
        for response in (
            client.get(f"/api/v1/persons/{target}", headers=other),
            client.get(f"/api/v1/persons/{target}/history", headers=other),
            client.patch(f"/api/v1/persons/{target}", headers=other,
                         json={"effective_from": "2025-03-01", "reason": "越权", "name": "李四"}),
        ):
            assert response.status_code == 404, response.text
            assert response.json() == {"error": {"code": "scope.not_found", "reason": "在您可办理的范围内没有找到该人员",
                                                 "reason_en": "no such person within what you may handle"}}
    for response in (
        client.get(f"/api/v1/persons?region_code={CHAOYANG}", headers=other),
        client.post("/api/v1/persons", json=person_payload(id_number=id_number(sequence=11)), headers=other),
    ):
        assert response.status_code == 403, response.text
        assert error_code(response) == "scope.outside_region"
    assert client.post("/api/v1/persons/search", json={"id_number": id_number()}, headers=other).status_code == 404
    assert client.get("/api/v1/persons", headers=other).json()["total"] == 0
    assert client.get(f"/api/v1/persons/{person['id']}", headers=staff["chaoyang"]).json()["name"] == "张伟"


def test_search_lists_masked_numbers_within_the_region(client, staff):
    client.post("/api/v1/persons", json=person_payload(), headers=staff["chaoyang"])
    client.post("/api/v1/persons", json=person_payload(id_number=id_number(sequence=13), name="王芳", hukou_region_code=HAIDIAN,
                                                       residence_region_code=HAIDIAN_STREET), headers=staff["beijing"])
    mine = client.get("/api/v1/persons", headers=staff["chaoyang"]).json()
    province = client.get("/api/v1/persons?name=王", headers=staff["beijing"]).json()
    assert mine["total"] == 1 and "*" in mine["items"][0]["id_number_masked"]
    assert "id_number" not in mine["items"][0] and mine["items"][0]["birth_date"] is None
    assert province["total"] == 1 and province["items"][0]["name"] == "王芳"
    assert client.get("/api/v1/persons?limit=0", headers=staff["beijing"]).status_code == 422


def test_an_insured_person_reads_only_their_own_record(client, staff, database, clock):
    me = client.post("/api/v1/persons", json=person_payload(), headers=staff["chaoyang"]).json()
    other = client.post("/api/v1/persons", json=person_payload(id_number=id_number(sequence=15), name="李娜"),
                        headers=staff["chaoyang"]).json()
    make_user(database, clock, "zhangwei", Role.INSURED, person_id=me["id"])
    token = token_for(client, "zhangwei")
    assert client.get(f"/api/v1/persons/{me['id']}", headers=token).status_code == 200
    assert client.get(f"/api/v1/persons/{other['id']}", headers=token).status_code == 404
    assert client.get("/api/v1/persons", headers=token).status_code == 403


def test_employers_register_read_and_refuse(client, staff, database, clock):
    body = {"uscc": "91110105600037341A", "name": "北京朝阳科技有限公司", "region_code": CHAOYANG, "industry_code": "I64"}
    from stdnum.cn import uscc

    body["uscc"] = body["uscc"][:17] + uscc.calc_check_digit(body["uscc"][:17])
    created = client.post("/api/v1/employers", json=body, headers=staff["chaoyang"])
    assert created.status_code == 201, created.text
    employer = created.json()
    assert client.get(f"/api/v1/employers/{employer['id']}", headers=staff["beijing"]).json()["region_name"] == "北京市朝阳区"
    assert client.get(f"/api/v1/employers/{employer['id']}", headers=staff["haidian"]).status_code == 404
    assert client.post("/api/v1/employers", json=body, headers=staff["chaoyang"]).status_code == 409
    assert client.get("/api/v1/employers?name=朝阳", headers=staff["chaoyang"]).json()["total"] == 1
    assert client.get("/api/v1/employers", headers=staff["haidian"]).json()["total"] == 0
    for bad, code in (({**body, "uscc": "91110105600037341B"}, "uscc.invalid"),
                      ({**body, "uscc": "123"}, "uscc.length"),
                      ({**body, "name": "<b>x</b>公司"}, "employer_name.characters"),
                      ({**body, "industry_code": "ZZ"}, "industry.malformed"),
                      ({**body, "region_code": "999999"}, "region.unknown")):
        response = client.post("/api/v1/employers", json=bad, headers=staff["chaoyang"])
        assert response.status_code == 422 and error_code(response) == code
    suspended = client.patch(f"/api/v1/employers/{employer['id']}", headers=staff["chaoyang"],
                             json={"status": "suspended", "reason": "停业 suspended business"})
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    for bad, status in (({"status": "bankrupt", "reason": "x" * 3}, 422), ({"reason": "无变化"}, 422),
                        ({"industry_code": "??", "reason": "行业"}, 422)):
        assert client.patch(f"/api/v1/employers/{employer['id']}", headers=staff["chaoyang"], json=bad).status_code == status
    assert client.patch(f"/api/v1/employers/{employer['id']}", headers=staff["haidian"],
                        json={"status": "closed", "reason": "越权"}).status_code == 404
    make_user(database, clock, "firm", Role.EMPLOYER, employer_id=employer["id"])
    firm = token_for(client, "firm")
    assert client.get(f"/api/v1/employers/{employer['id']}", headers=firm).status_code == 200
    assert client.get(f"/api/v1/persons/{employer['id']}", headers=firm).status_code == 403
    assert rows(database, Employer) == 1


def test_regions_answer_with_children_and_refuse_junk(client):
    beijing = client.get("/api/v1/regions/110000").json()
    assert beijing["name"] == "北京市" and beijing["parent"]["code"] == "000000"
    assert client.get("/api/v1/regions/110103").json()["last_year"] == 2010
    assert client.get("/api/v1/regions/999999").status_code == 404
    assert client.get("/api/v1/regions/abc").status_code == 422


def test_policy_in_force_with_sources(client):
    body = client.get("/api/v1/policy/110105/2024-08-01").json()
    floor = next(p for p in body["parameters"] if p["path"] == "contribution.base.floor_fen")
    assert floor["value"] == 682100 and floor["jurisdiction"] == "110000" and floor["source"]
    assert client.get("/api/v1/policy/1101/2024-08-01").status_code == 422
    assert client.get("/api/v1/policy/110105/2024-13-01").status_code == 422


def test_login_locks_after_five_failures_and_says_so(client, staff):
    for _ in range(4):
        response = client.post("/api/v1/auth/token", data={"username": "chaoyang", "password": "nope-nope-nope"})
        assert response.status_code == 401 and error_code(response) == "auth.bad_credentials"
    response = client.post("/api/v1/auth/token", data={"username": "chaoyang", "password": "nope-nope-nope"})
    assert response.status_code == 423 and error_code(response) == "auth.locked"
    response = client.post("/api/v1/auth/token", data={"username": "chaoyang", "password": PASSWORD})
    assert response.status_code == 423


def test_logout_revokes_the_token(client, staff):
    assert client.get("/api/v1/auth/me", headers=staff["beijing"]).json()["region_code"] == "110000"
    assert client.post("/api/v1/auth/logout", headers=staff["beijing"]).status_code == 204
    assert client.get("/api/v1/auth/me", headers=staff["beijing"]).status_code == 401


def test_only_administrators_create_users(client, staff):
    body = {"username": "newclerk", "display_name": "新经办", "password": "long-enough-pass", "role": "staff",
            "region_code": CHAOYANG}
    assert client.post("/api/v1/users", json=body, headers=staff["beijing"]).status_code == 403
    assert client.post("/api/v1/users", json=body, headers=staff["root"]).status_code == 201
    assert client.post("/api/v1/users", json=body, headers=staff["root"]).status_code == 409
    assert client.post("/api/v1/users", json={**body, "username": "x"}, headers=staff["root"]).status_code == 422


def test_auditors_verify_the_chain_and_others_may_not(client, staff):
    client.post("/api/v1/persons", json=person_payload(), headers=staff["chaoyang"])
    report = client.get("/api/v1/audit/verify", headers=staff["auditor"]).json()
    assert report["ok"] and report["records"] >= 6
    records = client.get("/api/v1/audit/records?limit=5", headers=staff["auditor"]).json()
    assert records[0]["action"] == "person.registered"
    assert id_number() not in json.dumps(records)
    assert client.get("/api/v1/audit/verify", headers=staff["chaoyang"]).status_code == 403


def test_unknown_addresses_are_a_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and error_code(response) == "http.404"
