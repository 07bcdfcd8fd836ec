"""Risk cases and recoveries over HTTP (issue #15): a clerk of the case's region assigns, notes, files evidence
(multipart), confirms and records a repayment and a write-off; auditors read and never write; a clerk elsewhere gets
one 404; every bad input is a 4xx with reasons in both languages and writes nothing."""

import pytest
from sqlalchemy import func, select

from shebao.core.security import Role
from shebao.risk.models import RiskCaseEvent, RiskEvidence
from tests.integration.test_risk_cases import PDF, open_case
from tests.support import CHAOYANG, HAIDIAN, add_test_streets, assert_bilingual, make_user, register, token_for

CASES = "/api/v1/risk/cases"


@pytest.fixture
def setup(client, database, cipher, clock):
    add_test_streets(database, clock)
    from datetime import date

    person = register(database, cipher, clock, birth=date(1958, 3, 2), sequence=21)
    users = {"clerk": (Role.STAFF, {"region_code": CHAOYANG}), "haidian": (Role.STAFF, {"region_code": HAIDIAN}),
             "auditor": (Role.AUDITOR, {}), "root": (Role.ADMIN, {})}
    for name, (role, binding) in users.items():
        make_user(database, clock, name, role, **binding)
    with database.transaction() as session:
        case_id = open_case(session, clock, person_id=person, amount_fen=50_000)
    return {"case": case_id, "tokens": {name: token_for(client, name) for name in users}}


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert_bilingual(error["reason"], error["reason_en"], error["code"])
    return error


def test_a_case_worked_to_a_settled_recovery_over_http(client, setup):
    case, tokens = setup["case"], setup["tokens"]
    clerk = tokens["clerk"]
    listed = client.get(CASES, params={"region": CHAOYANG, "status": "open"}, headers=clerk)
    assert listed.status_code == 200 and [c["id"] for c in listed.json()["cases"]] == [case]
    assert client.post(f"{CASES}/{case}/assign", json={"to": "clerk"}, headers=clerk).json()["status"] == "assigned"
    noted = client.post(f"{CASES}/{case}/notes", json={"note": "已调取死亡证明"}, headers=clerk)
    assert noted.status_code == 200 and noted.json()["status"] == "investigating"
    filed = client.post(f"{CASES}/{case}/evidence", files={"file": ("证明.pdf", PDF, "image/png")},
                        data={"note": "民政火化记录"}, headers=clerk)
    assert filed.status_code == 200, filed.text
    assert filed.json()["evidence"][0]["content_type"] == "application/pdf"  # sniffed, not as the sender claimed
    evidence = filed.json()["evidence"][0]["id"]
    saved = client.get(f"{CASES}/{case}/evidence/{evidence}", headers=tokens["auditor"])  # an auditor reads it too
    assert saved.status_code == 200 and saved.content == PDF and saved.headers["cache-control"] == "no-store"
    assert saved.headers["content-disposition"].startswith('attachment; filename="__.pdf"')
    outside = client.get(f"{CASES}/{case}/evidence/{evidence}", headers=tokens["haidian"])
    nothing = client.get(f"{CASES}/{case}/evidence/{evidence + 1000}", headers=clerk)
    assert outside.status_code == nothing.status_code == 404
    done = client.post(f"{CASES}/{case}/conclusion", json={"outcome": "confirmed", "overpaid_fen": 50_000},
                       headers=clerk)
    assert done.status_code == 200, done.text
    recovery = done.json()["recovery"]
    assert recovery["amount_fen"] == 50_000 and recovery["outstanding_fen"] == 50_000
    url = f"/api/v1/risk/recoveries/{recovery['id']}"
    repaid = client.post(f"{url}/repayments", json={"amount_fen": 20_000, "reference": "ICBC0001"}, headers=clerk)
    assert repaid.status_code == 200 and repaid.json()["outstanding_fen"] == 30_000
    error = _error(client.post(f"{url}/write-offs", json={"amount_fen": 30_001, "reason": "无力偿还"}, headers=clerk), 422)
    assert error["code"] == "risk.more_than_owed"
    settled = client.post(f"{url}/write-offs", json={"amount_fen": 30_000, "reason": "无力偿还"}, headers=clerk)
    assert settled.json()["status"] == "settled"
    again = _error(client.post(f"{CASES}/{case}/conclusion", json={"outcome": "cleared", "reason": "重复"},
                               headers=clerk), 409)
    assert again["code"] == "risk.case_concluded"
    shown = client.get(f"{CASES}/{case}", headers=tokens["auditor"])
    assert shown.status_code == 200 and [m["kind"] for m in shown.json()["recovery"]["movements"]] == [
        "repayment", "write_off"]
    refused = client.post(f"{url}/repayments", json={"amount_fen": 1, "reference": "x"}, headers=tokens["auditor"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.role_not_allowed"


def test_outside_the_region_is_one_404(client, setup):
    case, haidian = setup["case"], setup["tokens"]["haidian"]
    outside = client.get(f"{CASES}/{case}", headers=haidian)
    nowhere = client.get(f"{CASES}/999999", headers=haidian)
    assert outside.status_code == nowhere.status_code == 404 and outside.json() == nowhere.json()
    assert client.post(f"{CASES}/{case}/notes", json={"note": "x"}, headers=haidian).json() == nowhere.json()


@pytest.mark.parametrize(("route", "body", "status", "code"), [
    ("assign", {"to": "haidian"}, 422, "risk.assignee"),
    ("assign", {"to": ""}, 422, None),
    ("assign", {"to": "clerk", "extra": 1}, 422, None),
    ("notes", {"note": " "}, 422, "risk.note"),
    ("notes", {}, 422, None),
    ("conclusion", {"outcome": "confirmed"}, 409, "risk.case_not_assigned"),
    ("conclusion", {"outcome": "maybe"}, 422, None),
    ("conclusion", {"outcome": "confirmed", "overpaid_fen": -5}, 422, None),
    ("conclusion", {"outcome": "confirmed", "overpaid_fen": 10**30}, 422, None),
])
def test_bad_input_is_a_4xx_with_reasons_and_writes_nothing(client, database, setup, route, body, status, code):
    case = setup["case"]
    error = _error(client.post(f"{CASES}/{case}/{route}", json=body, headers=setup["tokens"]["clerk"]), status)
    assert code is None or error["code"] == code
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(RiskCaseEvent)) == 0


@pytest.mark.parametrize(("files", "code"), [
    ({"file": ("a.pdf", b"", "application/pdf")}, "risk.evidence_empty"),
    ({"file": ("a.exe", b"MZ\x90\x00\x03", "application/pdf")}, "risk.evidence_type"),
    (None, None),
])
def test_bad_evidence_over_http(client, database, setup, files, code):
    case, clerk = setup["case"], setup["tokens"]["clerk"]
    client.post(f"{CASES}/{case}/assign", json={"to": "clerk"}, headers=clerk)
    response = client.post(f"{CASES}/{case}/evidence", files=files, headers=clerk) if files else \
        client.post(f"{CASES}/{case}/evidence", data={"note": "没有文件"}, headers=clerk)
    error = _error(response, 422)
    assert code is None or error["code"] == code
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(RiskEvidence)) == 0


@pytest.mark.parametrize("params", [{"region": "1101"}, {"region": CHAOYANG, "status": "gone"},
                                    {"region": CHAOYANG, "rule": "R99"}, {"region": CHAOYANG, "severity": "x"},
                                    {"region": CHAOYANG, "limit": 0}, {}])
def test_bad_list_queries(client, setup, params):
    _error(client.get(CASES, params=params, headers=setup["tokens"]["clerk"]), 422)
