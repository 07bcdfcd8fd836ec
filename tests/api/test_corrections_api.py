"""Corrections over HTTP: a clerk recomputes billed months; scope judged on the stored person or employer; an
auditor reads but never corrects; undoing goes in reverse order; closed months need an administrator."""

from sqlalchemy import select

from shebao.contributions.batch import run_month_end
from shebao.contributions.models import Assessment
from shebao.core.security import Role
from shebao.ledger import service as ledger
from tests.api.test_money_api import JULY_BILLED, clock, firm  # noqa: F401 - fixtures
from tests.support import make_user, token_for


def _billed_july(client, database, firm):  # noqa: F811
    tokens = firm["tokens"]
    client.post("/api/v1/bases", headers=tokens["firm"],
                json={"person_id": firm["person"], "effective_period": "202407", "declared_base_fen": 1234500})
    run_month_end(database=database, province="110000", period="202407", now=JULY_BILLED, actor="test")


def test_a_clerk_corrects_an_employers_months_after_a_leave_and_undoes_it_in_order(client, database, clock, firm):  # noqa: F811
    tokens = firm["tokens"]
    _billed_july(client, database, firm)
    left = client.post(f"/api/v1/employers/{firm['employer']}/employees/{firm['person']}/leave", headers=tokens["firm"],
                       json={"end_date": "2024-07-01", "reason": "辞退"})
    assert left.status_code == 200, left.text  # still covered on 1 July: July stands, nothing to correct
    body = {"employer_id": firm["employer"], "since": "202407", "reason": "稽核复核"}
    done = client.post("/api/v1/corrections", headers=tokens["clerk"], json=body)
    assert done.status_code == 201, done.text
    first = done.json()[0]
    assert (first["cause"], first["months"], first["difference_fen"]) == ("review", 0, 0)

    # the auditor reads, never writes; a clerk of another province gets the one answer of "not yours"
    make_user(database, clock, "auditor", Role.AUDITOR)
    auditor = token_for(client, "auditor")
    assert client.post("/api/v1/corrections", headers=auditor, json=body).status_code == 403
    assert client.get(f"/api/v1/corrections?person_id={firm['person']}", headers=auditor).status_code == 200
    elsewhere = client.post("/api/v1/corrections", headers=tokens["other"], json=body)
    nobody = client.post("/api/v1/corrections", headers=tokens["other"], json=body | {"employer_id": 999_999})
    assert elsewhere.status_code == nobody.status_code == 404
    assert elsewhere.json()["error"]["code"] == nobody.json()["error"]["code"] == "scope.not_found"

    base = client.get(f"/api/v1/bases?person_id={firm['person']}", headers=tokens["clerk"]).json()[0]
    raised = client.post(f"/api/v1/bases/{base['id']}/corrections", headers=tokens["clerk"],
                         json={"declared_base_fen": 1500000})
    assert raised.status_code == 201
    again = client.post(f"/api/v1/bases/{raised.json()['id']}/corrections", headers=tokens["clerk"],
                        json={"declared_base_fen": 1600000})
    assert again.status_code == 201
    listed = client.get(f"/api/v1/corrections?person_id={firm['person']}", headers=tokens["me"]).json()
    assert [c["cause"] for c in listed][:2] == ["base", "base"] and listed[0]["difference_fen"] > 0
    newest, older = listed[0]["id"], listed[1]["id"]
    out_of_order = client.post(f"/api/v1/corrections/{older}/reversal", headers=tokens["clerk"], json={"reason": "录入错误"})
    assert out_of_order.status_code == 409 and out_of_order.json()["error"]["code"] == "correction.out_of_order"
    assert out_of_order.json()["error"]["details"]["later"] == [newest]
    undone = client.post(f"/api/v1/corrections/{newest}/reversal", headers=tokens["clerk"], json={"reason": "录入错误"})
    assert undone.status_code == 201 and undone.json()["difference_fen"] == -listed[0]["difference_fen"]
    with database.unit_of_work() as uow:
        current = uow.session.scalars(select(Assessment).where(Assessment.person_id == firm["person"],
                                                               Assessment.superseded_by.is_(None))).one()
        assert current.used_base_fen == 1500000 and current.version == 4
    twice = client.post(f"/api/v1/corrections/{newest}/reversal", headers=tokens["clerk"], json={"reason": "录入错误"})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "correction.already_reversed"


def test_bad_corrections_are_refused_with_reasons_and_nothing_posted(client, database, clock, firm):  # noqa: F811
    tokens = firm["tokens"]
    nothing = client.post("/api/v1/corrections", headers=tokens["clerk"],
                          json={"person_id": firm["person"], "since": "202407", "reason": "复核"})
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "correction.nothing_billed"
    both = client.post("/api/v1/corrections", headers=tokens["clerk"],
                       json={"person_id": firm["person"], "employer_id": firm["employer"], "since": "202407",
                             "reason": "复核"})
    assert both.status_code == 422 and both.json()["error"]["code"] == "correction.subject"
    _billed_july(client, database, firm)
    with database.transaction() as session:
        ledger.close_period(session=session, province="110000", period="202407", actor="test", now=clock.now())
    closed = client.post("/api/v1/corrections", headers=tokens["clerk"],
                         json={"person_id": firm["person"], "since": "202407", "reason": "复核"})
    assert closed.status_code == 403 and closed.json()["error"]["code"] == "correction.closed_period"
    assert "管理员" in closed.json()["error"]["reason"] and "administrator" in closed.json()["error"]["reason_en"]
    assert client.get(f"/api/v1/corrections?person_id={firm['person']}", headers=tokens["clerk"]).json() == []
