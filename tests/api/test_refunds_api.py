"""Refunds over HTTP: what a payer paid and does not owe is its credit; a refund is asked for within it, decided
by a clerk of the payer's region who did not ask, and paid out through a payable or offset against the bills."""

from sqlalchemy import select

from shebao.contributions.batch import run_month_end
from shebao.core.security import Role
from shebao.ledger import service as ledger
from shebao.ledger.models import LedgerAccount
from tests.api.test_money_api import JULY_BILLED, clock, firm  # noqa: F401 - fixtures
from tests.support import make_user, token_for


def _july_paid_twice(client, database, firm):  # noqa: F811
    tokens = firm["tokens"]
    client.post("/api/v1/bases", headers=tokens["firm"],
                json={"person_id": firm["person"], "effective_period": "202407", "declared_base_fen": 1234500})
    run_month_end(database=database, province="110000", period="202407", now=JULY_BILLED, actor="test")
    bill = client.get(f"/api/v1/bills?payer_kind=employer&payer_id={firm['employer']}", headers=tokens["firm"]).json()[0]
    body = {"payer_kind": "employer", "payer_id": firm["employer"], "amount_fen": bill["amount_fen"],
            "received_on": "2024-08-10"}
    assert client.post("/api/v1/payments", headers=tokens["clerk"], json=body | {"idempotency_key": "b1"}).status_code == 201
    refused = client.post("/api/v1/payments", headers=tokens["clerk"], json=body | {"idempotency_key": "b2"})
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "payment.no_debt"
    second = client.post("/api/v1/payments", headers=tokens["clerk"],
                         json=body | {"idempotency_key": "b2", "accept_excess": True})  # the bank took it twice
    assert second.status_code == 201 and second.json()["credit_fen"] == bill["amount_fen"]
    return bill["amount_fen"]


def test_a_payment_made_twice_is_refunded_to_the_bank_after_a_second_clerk_approves(client, database, clock, firm):  # noqa: F811
    tokens = firm["tokens"]
    paid = _july_paid_twice(client, database, firm)
    credit = client.get(f"/api/v1/refunds?payer_kind=employer&payer_id={firm['employer']}", headers=tokens["firm"]).json()
    assert credit["credit_fen"] == paid and credit["refunds"] == []
    ask = {"payer_kind": "employer", "payer_id": firm["employer"], "method": "bank", "reason": "重复缴费",
           "bank_code": "ICBC", "bank_account": "6222020200112233"}
    too_much = client.post("/api/v1/refunds", headers=tokens["firm"], json=ask | {"amount_fen": paid + 1})
    assert too_much.status_code == 409 and too_much.json()["error"]["code"] == "refund.exceeds_credit"
    assert too_much.json()["error"]["details"]["credit_fen"] == paid and "超过多缴可退金额" in too_much.json()["error"]["reason"]
    no_account = client.post("/api/v1/refunds", headers=tokens["firm"],
                             json=ask | {"amount_fen": paid, "bank_account": None})
    assert no_account.status_code == 422 and no_account.json()["error"]["code"] == "refund.account"
    asked = client.post("/api/v1/refunds", headers=tokens["clerk"], json=ask | {"amount_fen": paid})
    assert asked.status_code == 201 and asked.json()["status"] == "requested"
    assert asked.json()["bank_account_masked"] == "************2233"
    again = client.post("/api/v1/refunds", headers=tokens["firm"], json=ask | {"amount_fen": 1})
    assert again.status_code == 409  # the amount asked for is reserved
    refund = asked.json()["id"]
    decision = {"approve": True, "reason": "核实为重复缴费"}
    own = client.post(f"/api/v1/refunds/{refund}/decision", headers=tokens["clerk"], json=decision)
    assert own.status_code == 403 and own.json()["error"]["code"] == "refund.same_person"
    elsewhere = client.post(f"/api/v1/refunds/{refund}/decision", headers=tokens["other"], json=decision)
    nowhere = client.post("/api/v1/refunds/999999/decision", headers=tokens["other"], json=decision)
    assert elsewhere.status_code == nowhere.status_code == 404
    make_user(database, clock, "auditor", Role.AUDITOR)
    make_user(database, clock, "clerk2", Role.STAFF, region_code="110105")
    assert client.post(f"/api/v1/refunds/{refund}/decision", headers=token_for(client, "auditor"),
                       json=decision).status_code == 403
    approved = client.post(f"/api/v1/refunds/{refund}/decision", headers=token_for(client, "clerk2"), json=decision)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    with database.unit_of_work() as uow:
        receivable = uow.session.scalar(select(LedgerAccount.id).where(
            LedgerAccount.code == f"ar:employer:{firm['employer']}"))
        assert ledger.balance(session=uow.session, account_id=receivable) == 0
    twice = client.post(f"/api/v1/refunds/{refund}/decision", headers=token_for(client, "clerk2"), json=decision)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "refund.decided"
    assert approved.json()["payout_status"] == "pending"  # in the bank's open batch: it leaves cash once released

    # the batch goes to the bank only when a second person approves what the first prepared
    make_user(database, clock, "province", Role.STAFF, region_code="110000")
    make_user(database, clock, "province2", Role.STAFF, region_code="110000")
    maker, checker = token_for(client, "province"), token_for(client, "province2")
    batches = client.get("/api/v1/bank-batches?province=110000", headers=maker).json()
    (batch,) = [b for b in batches if b["source"] == "refund"]
    assert batch["bank_code"] == "ICBC" and batch["total_fen"] == paid
    prepared = client.post(f"/api/v1/bank-batches/{batch['id']}/prepare", headers=maker)
    assert prepared.status_code == 200, prepared.text
    same = client.post(f"/api/v1/bank-batches/{batch['id']}/approve", headers=maker)
    assert same.status_code == 403
    released = client.post(f"/api/v1/bank-batches/{batch['id']}/approve", headers=checker)
    assert released.status_code == 200, released.text
    credit = client.get(f"/api/v1/refunds?payer_kind=employer&payer_id={firm['employer']}", headers=tokens["firm"]).json()
    assert credit["credit_fen"] == 0 and credit["refunds"][0]["payout_status"] == "sent"
    with database.unit_of_work() as uow:
        payable = uow.session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == "refund_payable:110000"))
        assert ledger.balance(session=uow.session, account_id=payable) == 0


def test_a_credit_taken_as_an_offset_pays_the_next_bill_when_month_end_issues_it(client, database, clock, firm):  # noqa: F811
    tokens = firm["tokens"]
    paid = _july_paid_twice(client, database, firm)
    asked = client.post("/api/v1/refunds", headers=tokens["firm"], json={
        "payer_kind": "employer", "payer_id": firm["employer"], "method": "offset", "reason": "抵缴下月", "amount_fen": paid})
    assert asked.status_code == 201
    decided = client.post(f"/api/v1/refunds/{asked.json()['id']}/decision", headers=tokens["clerk"],
                          json={"approve": True, "reason": "同意抵缴"})
    assert decided.status_code == 200 and decided.json()["status"] == "approved" and decided.json()["offset_fen"] == 0
    run_month_end(database=database, province="110000", period="202408", now=clock.now().replace(month=9, day=1),
                  actor="test")
    credit = client.get(f"/api/v1/refunds?payer_kind=employer&payer_id={firm['employer']}", headers=tokens["firm"]).json()
    assert credit["refunds"][0]["status"] == "offset" and credit["refunds"][0]["offset_fen"] == paid
    bills = client.get(f"/api/v1/bills?payer_kind=employer&payer_id={firm['employer']}", headers=tokens["firm"]).json()
    assert bills[0]["period"] == "202408" and bills[0]["unpaid_fen"] == 0  # August paid by July's second payment
    record = client.get(f"/api/v1/persons/{firm['person']}/record", headers=tokens["me"]).json()
    assert [m["paid"] for m in record["months"]] == [True, True]
