"""The money endpoints over HTTP: bases, bills, payments, batch runs and the electronic archive."""

import random
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from shebao.contributions.batch import run_month_end
from shebao.contributions.models import Assessment
from shebao.core.clock import FixedClock
from shebao.core.security import Role
from shebao.demo.seed import demo_credit_code
from tests.support import (
    CHAOYANG,
    CHAOYANG_STREET,
    add_test_streets,
    id_number,
    make_user,
    person_payload,
    token_for,
)

JULY_BILLED = datetime(2024, 8, 1, 1, 0, tzinfo=UTC)  # month-end for July runs on the first of August


@pytest.fixture
def clock():
    return FixedClock(datetime(2024, 8, 20, 2, 0, tzinfo=UTC))


@pytest.fixture
def firm(client, database, clock):
    add_test_streets(database, clock)
    make_user(database, clock, "clerk", Role.STAFF, region_code=CHAOYANG)
    make_user(database, clock, "other", Role.STAFF, region_code="310000")
    clerk = token_for(client, "clerk")
    person = client.post("/api/v1/persons", json=person_payload(effective_from="2020-01-01"), headers=clerk).json()
    employer = client.post("/api/v1/employers", headers=clerk, json={
        "uscc": demo_credit_code(CHAOYANG, random.Random(9)), "name": "朝阳物流有限公司", "region_code": CHAOYANG,
        "industry_code": "G54"}).json()
    make_user(database, clock, "firm", Role.EMPLOYER, employer_id=employer["id"])
    make_user(database, clock, "zhangwei", Role.INSURED, person_id=person["id"])
    tokens = {"clerk": clerk, "other": token_for(client, "other"), "firm": token_for(client, "firm"),
              "me": token_for(client, "zhangwei")}
    hired = client.post(f"/api/v1/employers/{employer['id']}/employees", headers=tokens["firm"],
                        json={"id_number": id_number(), "start_date": "2024-07-01"})
    assert hired.status_code == 201
    return {"tokens": tokens, "person": person["id"], "employer": employer["id"]}


def test_an_employer_declares_a_base_pays_its_bill_and_the_person_sees_it(client, database, clock, firm):
    tokens = firm["tokens"]
    declared = client.post("/api/v1/bases", headers=tokens["firm"],
                           json={"person_id": firm["person"], "effective_period": "202407", "declared_base_fen": 1234500})
    assert declared.status_code == 201 and declared.json()["used_base_fen"] == 1234500
    run_month_end(database=database, province="110000", period="202407", now=JULY_BILLED, actor="test")
    bills = client.get(f"/api/v1/bills?payer_kind=employer&payer_id={firm['employer']}", headers=tokens["firm"]).json()
    assert len(bills) == 1 and bills[0]["unpaid_fen"] == bills[0]["amount_fen"] > 0
    body = {"idempotency_key": "bank-20240810-1", "payer_kind": "employer", "bill_id": bills[0]["id"],
            "amount_fen": bills[0]["amount_fen"], "received_on": "2024-08-10"}
    paid = client.post("/api/v1/payments", headers=tokens["clerk"], json=body)
    assert paid.status_code == 201 and paid.json()["completed_bills"] == [bills[0]["id"]]
    again = client.post("/api/v1/payments", headers=tokens["clerk"], json=body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "payment.duplicate"
    record = client.get(f"/api/v1/persons/{firm['person']}/record", headers=tokens["me"]).json()
    assert record["paid_months"] == 1 and record["months"][0]["paid"] is True
    assert record["statement"][0]["contributions_fen"] == 98760  # 8% of 12,345 yuan
    runs = client.get("/api/v1/batch-runs", headers=tokens["clerk"]).json()
    assert runs[0]["kind"] == "month_end" and runs[0]["status"] == "done"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"effective_period": "202407", "declared_base_fen": -1}, 422, "base.not_positive"),
        ({"effective_period": "202407", "declared_base_fen": "12345"}, 422, "request.invalid"),
        ({"effective_period": "202407", "declared_base_fen": 10**13}, 422, "base.absurd"),
        ({"effective_period": "202512", "declared_base_fen": 1234500}, 422, "period.future"),
        ({"effective_period": "2024-07", "declared_base_fen": 1234500}, 422, "period.malformed"),
        ({"effective_period": "199001", "declared_base_fen": 1234500}, 422, "period.before_sixteen"),
    ],
)
def test_bad_bases_are_refused(client, firm, body, status, code):
    response = client.post("/api/v1/bases", headers=firm["tokens"]["firm"], json={"person_id": firm["person"], **body})
    assert response.status_code == status and response.json()["error"]["code"] == code


def test_bad_payments_are_refused(client, database, clock, firm):
    tokens = firm["tokens"]
    run_month_end(database=database, province="110000", period="202407", now=JULY_BILLED, actor="test")
    base = {"idempotency_key": "k1", "payer_kind": "employer", "payer_id": firm["employer"], "received_on": "2024-08-10"}
    for body, status, code in (({**base, "amount_fen": 10**11}, 422, "payment.exceeds_debt"),
                               ({**base, "amount_fen": 0}, 422, "payment.amount"),
                               ({**base, "amount_fen": 100, "payer_id": 2**63}, 422, "request.invalid"),
                               ({**base, "amount_fen": 100, "bill_id": 2**64}, 422, "request.invalid"),
                               ({**base, "amount_fen": 100, "idempotency_key": "k\u0000"}, 422, "request.nul_character"),
                               ({**base, "amount_fen": 10**30}, 422, "payment.exceeds_debt")):
        response = client.post("/api/v1/payments", headers=tokens["clerk"], json=body)
        assert response.status_code == status and response.json()["error"]["code"] == code, response.text
    # Outside one's scope the answer is the same whether the payer or the bill exists or not.
    bill = client.get(f"/api/v1/bills?payer_kind=employer&payer_id={firm['employer']}", headers=tokens["clerk"]).json()[0]
    answers = [client.post("/api/v1/payments", headers=tokens[who], json={**base, **extra, "amount_fen": 100})
               for who, extra in (("clerk", {"bill_id": 999999}), ("clerk", {"payer_id": 424242}), ("other", {}),
                                  ("other", {"bill_id": bill["id"]}))]
    assert {(a.status_code, a.json()["error"]["code"], a.json()["error"]["reason"]) for a in answers} == {
        (404, "scope.not_found", "在您可办理的范围内没有找到该缴费主体")}
    assert client.get(f"/api/v1/bills?payer_kind=employer&payer_id={firm['employer']}", headers=tokens["other"]).json() \
        == client.get("/api/v1/bills?payer_kind=employer&payer_id=424242", headers=tokens["other"]).json()


def test_the_record_is_private(client, firm):
    assert client.get(f"/api/v1/persons/{firm['person']}/record", headers=firm["tokens"]["other"]).status_code == 404
    assert client.get(f"/api/v1/persons/{firm['person']}/record", headers=firm["tokens"]["firm"]).status_code == 403


def test_only_staff_of_the_payers_region_record_a_payment_and_never_with_any_date(client, database, clock, firm):
    """Issue 9: an employer's POST /payments dated 2015-01-01 was accepted and cut its late fees."""
    tokens = firm["tokens"]
    make_user(database, clock, "auditor", Role.AUDITOR)
    run_month_end(database=database, province="110000", period="202407", now=JULY_BILLED, actor="test")
    body = {"idempotency_key": "counter-1", "payer_kind": "employer", "payer_id": firm["employer"], "amount_fen": 100,
            "received_on": "2015-01-01"}
    for who in ("firm", "me"):
        refused = client.post("/api/v1/payments", headers=tokens[who], json=body)
        assert refused.status_code == 403, (who, refused.text)
    assert client.post("/api/v1/payments", headers=tokens["other"], json=body).status_code == 404  # outside its region
    assert client.post("/api/v1/payments", headers=token_for(client, "auditor"), json=body).status_code == 403
    too_early = client.post("/api/v1/payments", headers=tokens["clerk"], json=body)
    assert too_early.status_code == 422 and too_early.json()["error"]["code"] == "payment.before_bill"
    future = client.post("/api/v1/payments", headers=tokens["clerk"], json={**body, "received_on": "2024-08-21"})
    assert future.status_code == 422 and future.json()["error"]["code"] == "payment.future"
    bills = client.get(f"/api/v1/bills?payer_kind=employer&payer_id={firm['employer']}", headers=tokens["firm"]).json()
    assert bills[0]["unpaid_fen"] == bills[0]["amount_fen"]  # nothing was taken
    taken = client.post("/api/v1/payments", headers=tokens["clerk"], json={**body, "received_on": "2024-08-20"})
    assert taken.status_code == 201 and taken.json()["amount_fen"] == 100


def test_a_flexible_workers_base_outside_the_range_is_refused_over_http(client, firm):
    clerk = firm["tokens"]["clerk"]
    person = client.post("/api/v1/persons", headers=clerk, json=person_payload(
        id_number=id_number(birth=date(1988, 3, 3), sequence=211), name="李明", effective_from="2020-01-01")).json()
    enrolled = client.post(f"/api/v1/persons/{person['id']}/participations", headers=clerk,
                           json={"mode": "flexible", "region_code": CHAOYANG_STREET, "start_date": "2024-07-01"})
    assert enrolled.status_code == 201, enrolled.text
    for base in (500_000, 4_000_000):
        refused = client.post("/api/v1/bases", headers=clerk, json={"person_id": person["id"], "effective_period": "202408",
                                                                   "declared_base_fen": base})
        error = refused.json()["error"]
        assert refused.status_code == 422 and error["code"] == "base.outside_range"
        assert "6821.00 元至 35283.00 元" in error["reason"] and "6821.00 and 35283.00 yuan" in error["reason_en"]
    chosen = client.post("/api/v1/bases", headers=clerk, json={"person_id": person["id"], "effective_period": "202408",
                                                               "declared_base_fen": 700_000})
    assert chosen.status_code == 201 and chosen.json()["used_base_fen"] == 700_000


def test_a_declared_base_is_corrected_over_http_until_its_month_is_billed(client, database, clock, firm):
    tokens = firm["tokens"]
    declared = client.post("/api/v1/bases", headers=tokens["firm"], json={
        "person_id": firm["person"], "effective_period": "202407", "declared_base_fen": 1_234_500}).json()
    assert declared["version"] == 1
    again = client.post("/api/v1/bases", headers=tokens["firm"], json={
        "person_id": firm["person"], "effective_period": "202407", "declared_base_fen": 1_300_000})
    assert again.status_code == 409 and again.json()["error"]["details"] == {"declaration_id": declared["id"]}
    url = f"/api/v1/bases/{declared['id']}/corrections"
    unknown = client.post("/api/v1/bases/999999/corrections", headers=tokens["other"], json={"declared_base_fen": 1_300_000})
    outside = client.post(url, headers=tokens["other"], json={"declared_base_fen": 1_300_000})
    assert unknown.status_code == outside.status_code == 404
    assert unknown.json()["error"]["code"] == outside.json()["error"]["code"] == "scope.not_found"
    assert client.post(url, headers=tokens["me"], json={"declared_base_fen": 1_300_000}).status_code == 404
    for bad_id in ("0", "-1", str(2**63), "abc"):
        response = client.post(f"/api/v1/bases/{bad_id}/corrections", headers=tokens["firm"], json={"declared_base_fen": 1})
        assert response.status_code == 422, (bad_id, response.text)
    for bad_body in ({"declared_base_fen": "1300000"}, {"declared_base_fen": 1_300_000, "extra": 1}, {}):
        assert client.post(url, headers=tokens["firm"], json=bad_body).status_code == 422
    corrected = client.post(url, headers=tokens["firm"], json={"declared_base_fen": 1_300_000})
    assert corrected.status_code == 201, corrected.text
    assert (corrected.json()["version"], corrected.json()["declared_base_fen"]) == (2, 1_300_000)
    history = client.get(f"/api/v1/bases?person_id={firm['person']}", headers=tokens["clerk"]).json()
    assert [(v["version"], v["declared_base_fen"], v["superseded_by"]) for v in history] == [
        (2, 1_300_000, None), (1, 1_234_500, "employer:firm")]
    assert client.get(f"/api/v1/bases?person_id={firm['person']}", headers=tokens["other"]).json() == []
    stale = client.post(url, headers=tokens["firm"], json={"declared_base_fen": 1_400_000})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "base.superseded"
    run_month_end(database=database, province="110000", period="202407", now=clock.now(), actor="test")
    with database.unit_of_work() as uow:  # month-end used the corrected base
        assert uow.session.scalar(select(Assessment.used_base_fen).where(Assessment.person_id == firm["person"])) == 1_300_000
    lowered = client.post(f"/api/v1/bases/{corrected.json()['id']}/corrections", headers=tokens["firm"],
                          json={"declared_base_fen": 1_200_000})
    assert lowered.status_code == 403 and lowered.json()["error"]["code"] == "base.lower_billed_needs_review"
    billed = client.post(f"/api/v1/bases/{corrected.json()['id']}/corrections", headers=tokens["firm"],
                         json={"declared_base_fen": 1_400_000})
    assert billed.status_code == 201, billed.text  # a billed month raised: corrected, the difference billed
