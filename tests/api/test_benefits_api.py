"""The benefit endpoints over HTTP: who may do what, the shapes, and bad input refused with nothing written."""

from datetime import date

import pytest
from sqlalchemy import func, select

from shebao.benefits.models import PensionAward
from shebao.core.security import Role
from shebao.risk.models import RiskBlockedAttempt
from tests.integration.test_pension_award_and_payroll import _archive
from tests.support import CHAOYANG, add_test_streets, give_active_card, make_user, register, token_for


@pytest.fixture
def office(client, database, cipher, clock):
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=11)
    _archive(database, clock, person)
    give_active_card(database, cipher, clock, person)
    make_user(database, clock, "clerk", Role.STAFF, region_code=CHAOYANG)
    make_user(database, clock, "province", Role.STAFF, region_code="110000")
    make_user(database, clock, "shanghai", Role.STAFF, region_code="310000")
    make_user(database, clock, "retiree", Role.INSURED, person_id=person)
    tokens = {name: token_for(client, name) for name in ("clerk", "province", "shanghai", "retiree")}
    return {"person": person, "tokens": tokens}


def _apply(client, office, token="clerk", **changes):
    body = {"person_id": office["person"], "retire_date": "2024-06-15", "category": "male", "region_code": CHAOYANG} | changes
    return client.post("/api/v1/retirement/applications", json=body, headers=office["tokens"][token])


def test_a_clerk_awards_and_the_retiree_reads_the_explained_award(client, office):
    awarded = _apply(client, office)
    assert awarded.status_code == 201, awarded.text
    assert awarded.json()["total_fen"] == 697311 and awarded.json()["steps"]
    mine = client.get(f"/api/v1/persons/{office['person']}/pension", headers=office["tokens"]["retiree"])
    assert mine.status_code == 200 and mine.json()["award"]["monthly_fen"] == 697311
    assert mine.json()["explanation"]["divisor"] == 139


def test_bad_applications_are_refused_with_a_reason(client, office):
    early = _apply(client, office, retire_date="2024-01-15")
    assert early.status_code == 422 and early.json()["error"]["code"] == "retirement.before_statutory_date"
    assert _apply(client, office, category="female_worker").status_code == 422
    assert _apply(client, office, token="shanghai").status_code == 404  # not theirs: as if nobody were there
    assert _apply(client, office, token="retiree").status_code == 403  # the role never applies
    assert client.get(f"/api/v1/persons/{office['person']}/pension", headers=office["tokens"]["clerk"]).status_code == 404


def test_a_second_pension_elsewhere_is_blocked_and_the_attempt_kept(client, office, database, clock):
    assert _apply(client, office).status_code == 201
    make_user(database, clock, "root", Role.ADMIN)
    office["tokens"]["root"] = token_for(client, "root")
    again = _apply(client, office, token="root", region_code="310115")
    assert again.status_code == 409 and again.json()["error"]["code"] == "risk.blocked"
    assert again.json()["error"]["details"]["rule_id"] == "R21_second_pension_award"
    with database.unit_of_work() as uow:  # the refusal rolled nothing back that the fund's risk control needs
        assert uow.session.scalar(select(func.count()).select_from(RiskBlockedAttempt)) == 1
        assert uow.session.scalar(select(func.count()).select_from(PensionAward)) == 1


def test_payroll_over_http_and_the_held_report(client, office):
    assert _apply(client, office).status_code == 201
    refused = client.post("/api/v1/payroll/202503?province=110000", headers=office["tokens"]["clerk"])
    assert refused.status_code == 403  # a county clerk does not run a province's payroll
    future = client.post("/api/v1/payroll/202612?province=110000", headers=office["tokens"]["province"])
    assert future.status_code == 422 and future.json()["error"]["code"] == "payroll.period_not_open"
    run = client.post("/api/v1/payroll/202503?province=110000", headers=office["tokens"]["province"])
    assert run.status_code == 200 and run.json()["total_fen"] == 9 * 697311
    held = client.get("/api/v1/payroll/202503/held?province=110000", headers=office["tokens"]["province"])
    assert held.status_code == 200 and held.json()["lines"] == []


def test_self_certification_online_and_not_for_someone_else(client, office):
    assert _apply(client, office).status_code == 201
    body = {"person_id": office["person"], "method": "online_face", "certified_on": "2025-02-20", "evidence": "face-7781"}
    mine = client.post("/api/v1/certifications", json=body, headers=office["tokens"]["retiree"])
    assert mine.status_code == 201 and mine.json()["certified_on"] == "2025-02-20"
    visit = client.post("/api/v1/certifications", headers=office["tokens"]["retiree"], json=body | {"method": "staff_visit"})
    assert visit.status_code == 403
    unknown = client.post("/api/v1/certifications", headers=office["tokens"]["clerk"], json=body | {"person_id": 99999})
    assert unknown.status_code == 404


def test_a_death_record_over_http(client, office):
    assert _apply(client, office).status_code == 201
    client.post("/api/v1/payroll/202503?province=110000", headers=office["tokens"]["province"])
    died = client.post("/api/v1/deaths", headers=office["tokens"]["clerk"],
                       json={"person_id": office["person"], "death_date": "2025-01-05", "source": "民政 2025-17"})
    assert died.status_code == 201 and died.json()["recovery"]["amount_fen"] == 2 * 697311
    twice = client.post("/api/v1/deaths", headers=office["tokens"]["clerk"],
                        json={"person_id": office["person"], "death_date": "2025-01-05", "source": "民政 2025-17"})
    assert twice.status_code == 409


def test_the_estimator_for_oneself(client, office, database, cipher, clock):
    young = register(database, cipher, clock, birth=date(1980, 5, 17), sequence=21, name="赵敏")
    _archive(database, clock, young, deemed_years=0, years=range(2002, 2024), balance=9_000_000)
    make_user(database, clock, "young", Role.INSURED, person_id=young)
    headers = token_for(client, "young")
    estimate = client.post("/api/v1/pension/estimate", headers=headers, json={"person_id": young, "category": "male"})
    assert estimate.status_code == 200, estimate.text
    body = estimate.json()
    assert body["estimate"] and body["total_fen"] > 0 and body["retirement_age"] == {"years": 63, "months": 0}
    other = client.post("/api/v1/pension/estimate", headers=office["tokens"]["retiree"], json={"person_id": young, "category": "male"})
    assert other.status_code == 404
    bad = client.post("/api/v1/pension/estimate", headers=headers, json={"person_id": young, "category": "male", "wage_growth": "x"})
    assert bad.status_code == 422


def test_the_calculator_and_the_retirement_date_endpoints(client):
    date_ = client.get("/api/v1/retirement/date?birth_date=1965-05-10&sex=M&category=male")
    assert date_.status_code == 200 and date_.json()["age"] == {"years": 60, "months": 2}
    case = {"region": "110000", "retire_date": "2025-03-01", "birth_date": "1965-01-01", "sex": "M", "category": "male",
            "contribution_months": 360, "deemed_months": 0, "average_index": "1.2", "personal_account_fen": 20000000,
            "calculation_wage_fen": 1000000}
    calc = client.post("/api/v1/pension/calc", json=case)
    assert calc.status_code == 200 and calc.json()["basic_pension_fen"] == 330000


def test_a_bank_gets_the_payment_instructions_for_its_own_cards_once_a_second_person_released_them(client, office, database,
                                                                                                   clock):
    assert _apply(client, office).status_code == 201
    client.post("/api/v1/payroll/202503?province=110000", headers=office["tokens"]["province"])
    make_user(database, clock, "icbc", Role.BANK, bank_code="ICBC")
    make_user(database, clock, "ccb", Role.BANK, bank_code="CCB")
    make_user(database, clock, "checker", Role.STAFF, region_code="110000")
    bank, other = token_for(client, "icbc"), token_for(client, "ccb")
    batches = client.get("/api/v1/bank-batches?province=110000", headers=office["tokens"]["province"]).json()
    (batch,) = batches
    assert (batch["bank_code"], batch["status"], batch["lines"], batch["total_fen"]) == ("ICBC", "open", 9, 9 * 697311)
    file = f"/api/v1/bank-batches/{batch['id']}/file"
    assert client.get(file, headers=bank).status_code == 404  # not released: the bank sees nothing yet
    assert client.get(file, headers=office["tokens"]["province"]).status_code == 409
    client.post(f"/api/v1/bank-batches/{batch['id']}/prepare", headers=office["tokens"]["province"])
    approved = client.post(f"/api/v1/bank-batches/{batch['id']}/approve", headers=token_for(client, "checker"))
    assert approved.status_code == 200, approved.text
    mine = client.get(file, headers=bank)
    assert mine.status_code == 200
    header, *rows = mine.text.strip().splitlines()
    assert header == "reference,bank_account,account_name,amount_fen,card_number,memo" and len(rows) == 9  # one a month
    cells = [row.split(",") for row in rows]
    assert {(account[:8], int(amount), reference[:3]) for reference, account, _, amount, _, _ in cells} == {("62220200", 697311, "SBP")}
    assert sorted(memo for *_, memo in cells)[0] == "养老金 202407"
    assert client.get(file, headers=other).status_code == 404  # another bank's batch: as if there were none
    assert client.get("/api/v1/bank-batches?province=110000", headers=other).json() == []
    assert client.get(file, headers=office["tokens"]["clerk"]).status_code == 404  # a county does not serve the province


def test_the_county_that_took_the_application_serves_the_receiver(client, office):
    assert _apply(client, office).status_code == 201
    visit = {"person_id": office["person"], "method": "staff_visit", "certified_on": "2025-02-21", "evidence": "officer 0042"}
    assert client.post("/api/v1/certifications", json=visit, headers=office["tokens"]["clerk"]).status_code == 201
    assert client.post("/api/v1/certifications", json=visit | {"evidence": "officer 7"},
                       headers=office["tokens"]["shanghai"]).status_code == 404
    assert client.get(f"/api/v1/persons/{office['person']}/pension", headers=office["tokens"]["clerk"]).status_code == 200
    assert client.get(f"/api/v1/persons/{office['person']}/pension", headers=office["tokens"]["shanghai"]).status_code == 404
