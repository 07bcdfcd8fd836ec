"""The money endpoints over HTTP: bases, bills, payments, batch runs and the electronic archive."""

import random
from datetime import UTC, datetime

import pytest

from shebao.contributions.batch import run_month_end
from shebao.core.clock import FixedClock
from shebao.core.security import Role
from shebao.demo.seed import demo_credit_code
from tests.support import (
    CHAOYANG,
    add_test_streets,
    id_number,
    make_user,
    person_payload,
    token_for,
)


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
    run_month_end(database=database, province="110000", period="202407", now=clock.now(), actor="test")
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
    run_month_end(database=database, province="110000", period="202407", now=clock.now(), actor="test")
    base = {"idempotency_key": "k1", "payer_kind": "employer", "payer_id": firm["employer"], "received_on": "2024-08-10"}
    for body, status, code in (({**base, "amount_fen": 10**11}, 422, "payment.exceeds_debt"),
                               ({**base, "amount_fen": 0}, 422, "payment.amount"),
                               ({**base, "bill_id": 999999, "amount_fen": 100}, 404, "scope.not_found"),
                               ({**base, "payer_id": 424242, "amount_fen": 100}, 404, "scope.not_found")):
        response = client.post("/api/v1/payments", headers=tokens["clerk"], json=body)
        assert response.status_code == status and response.json()["error"]["code"] == code, response.text
    assert client.post("/api/v1/payments", headers=tokens["other"], json={**base, "amount_fen": 100}).status_code == 404


def test_the_record_is_private(client, firm):
    assert client.get(f"/api/v1/persons/{firm['person']}/record", headers=firm["tokens"]["other"]).status_code == 404
    assert client.get(f"/api/v1/persons/{firm['person']}/record", headers=firm["tokens"]["firm"]).status_code == 403
