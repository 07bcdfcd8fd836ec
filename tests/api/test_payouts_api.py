"""The bank batches over HTTP: maker-checker release, the bank's return file, returned payments and the
reconciliation — refused in both languages when the input is bad or the caller may not, nothing half-written, and
one answer outside the caller's scope whether the batch exists or not."""

from datetime import date

import pytest
from stdnum import luhn

from shebao.core.security import Role
from tests.integration.test_pension_award_and_payroll import _archive
from tests.support import CHAOYANG, add_test_streets, assert_bilingual, give_active_card, make_user, register, token_for

MONTHLY = 697311


@pytest.fixture
def office(client, database, cipher, clock):
    """A receiver of Chaoyang paid nine months into an open ICBC batch; clerks of the county, the province (two),
    Shanghai; an auditor, the bank and the receiver."""
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=11)
    _archive(database, clock, person)
    card = give_active_card(database, cipher, clock, person)
    users = {"clerk": (Role.STAFF, {"region_code": CHAOYANG}), "maker": (Role.STAFF, {"region_code": "110000"}),
             "checker": (Role.STAFF, {"region_code": "110000"}), "shanghai": (Role.STAFF, {"region_code": "310000"}),
             "auditor": (Role.AUDITOR, {}), "icbc": (Role.BANK, {"bank_code": "ICBC"}),
             "retiree": (Role.INSURED, {"person_id": person})}
    for name, (role, binding) in users.items():
        make_user(database, clock, name, role, **binding)
    tokens = {name: token_for(client, name) for name in users}
    applied = client.post("/api/v1/retirement/applications", headers=tokens["clerk"], json={
        "person_id": person, "retire_date": "2024-06-15", "category": "male", "region_code": CHAOYANG})
    assert applied.status_code == 201, applied.text
    assert client.post("/api/v1/payroll/202503?province=110000", headers=tokens["maker"]).status_code == 200
    (batch,) = client.get("/api/v1/bank-batches?province=110000", headers=tokens["maker"]).json()
    return {"person": person, "card": card, "tokens": tokens, "batch": batch["id"]}


def _move(client, office, batch, move, who):
    return client.post(f"/api/v1/bank-batches/{batch}/{move}", headers=office["tokens"][who])


def _release(client, office):
    assert _move(client, office, office["batch"], "prepare", "maker").status_code == 200
    assert _move(client, office, office["batch"], "approve", "checker").status_code == 200


def _error(response) -> dict:
    body = response.json()["error"]
    assert_bilingual(body["reason"], body["reason_en"], body["code"])
    return body


def test_a_stranger_gets_one_answer_whether_the_batch_exists_or_not(client, office):
    for move in ("prepare", "approve"):
        theirs, nowhere = _move(client, office, office["batch"], move, "shanghai"), _move(client, office, 987654, move, "shanghai")
        assert theirs.status_code == nowhere.status_code == 404 and theirs.json() == nowhere.json()
        assert _error(theirs)["code"] == "scope.not_found"
    for path in ("", "/file"):
        theirs = client.get(f"/api/v1/bank-batches/{office['batch']}{path}", headers=office["tokens"]["shanghai"])
        nowhere = client.get(f"/api/v1/bank-batches/987654{path}", headers=office["tokens"]["shanghai"])
        assert theirs.status_code == nowhere.status_code == 404 and theirs.json() == nowhere.json()
    listed = client.get("/api/v1/bank-batches?province=110000", headers=office["tokens"]["shanghai"])
    assert listed.status_code == 403 and _error(listed)["code"] == "scope.outside_region"


def test_maker_checker_the_auditor_reads_but_never_approves(client, office):
    batch = office["batch"]
    assert _error(_move(client, office, batch, "approve", "checker"))["code"] == "payout.cannot_approve"  # not prepared
    prepared = _move(client, office, batch, "prepare", "maker")
    assert prepared.status_code == 200 and prepared.json()["prepared_by"] == "staff:maker"
    own = _move(client, office, batch, "approve", "maker")
    assert own.status_code == 403 and _error(own)["code"] == "payout.four_eyes"
    auditor = _move(client, office, batch, "approve", "auditor")
    assert auditor.status_code == 403 and _error(auditor)["code"] == "auth.role_not_allowed"
    assert client.get(f"/api/v1/bank-batches/{batch}", headers=office["tokens"]["auditor"]).json()["status"] == "prepared"
    county = _move(client, office, batch, "approve", "clerk")  # a county clerk does not serve the province's batch
    assert county.status_code == 404 and _error(county)["code"] == "scope.not_found"
    bank = _move(client, office, batch, "approve", "icbc")
    assert bank.status_code == 403
    released = _move(client, office, batch, "approve", "checker")
    assert released.status_code == 200
    assert (released.json()["status"], released.json()["prepared_by"], released.json()["approved_by"]) == (
        "released", "staff:maker", "staff:checker")
    again = _move(client, office, batch, "approve", "checker")
    assert again.status_code == 409 and _error(again)["code"] == "payout.cannot_approve"


def _file(client, office) -> list[list[str]]:
    text = client.get(f"/api/v1/bank-batches/{office['batch']}/file", headers=office["tokens"]["icbc"]).text
    return [row.split(",") for row in text.strip().splitlines()[1:]]


def _import(client, office, text: str, who="maker", province="110000"):
    return client.post(f"/api/v1/bank-returns?province={province}&file_name=ICBC-return.csv", content=text.encode(),
                       headers=office["tokens"][who] | {"content-type": "text/csv"})


def test_the_return_file_is_taken_whole_once_and_the_receiver_sees_why(client, office):
    _release(client, office)
    rows = sorted(_file(client, office), key=lambda row: row[-1])
    march = next(row for row in rows if row[-1] == "养老金 202503")
    good = f"reference,reason_code,amount_fen\n{march[0]},account_closed,{march[3]}\n"
    refusals = {
        "unknown line": f"reference,reason_code,amount_fen\n{march[0]},account_closed,{march[3]}\nSBP9999999999990,other,1\n",
        "twice": f"reference,reason_code,amount_fen\n{march[0]},account_closed,{march[3]}\n{march[0]},other,{march[3]}\n",
        "reason": f"reference,reason_code,amount_fen\n{march[0]},lost_at_sea,{march[3]}\n",
    }
    for what, text in refusals.items():
        refused = _import(client, office, text)
        assert refused.status_code == 422, what
        assert _error(refused)["code"] == "payout.returns_rejected"
        for row in refused.json()["error"]["details"]["rejected"]:
            assert_bilingual(row["reason"], row["reason_en"], what)
    assert client.get("/api/v1/bank-returns", headers=office["tokens"]["maker"]).json() == []  # nothing half-written
    assert _import(client, office, good, who="clerk").status_code == 403  # a county clerk does not import a province's
    assert _import(client, office, good, who="shanghai").status_code == 403
    first = _import(client, office, good)
    assert first.status_code == 201, first.text
    assert (first.json()["lines"], first.json()["held_payroll_lines"], first.json()["already_imported"]) == (1, 1, False)
    again = _import(client, office, good)
    assert again.status_code == 201 and again.json()["already_imported"] and again.json()["file_id"] == first.json()["file_id"]
    mine = client.get(f"/api/v1/persons/{office['person']}/pension", headers=office["tokens"]["retiree"]).json()
    held = next(line for line in mine["payroll"] if line["for_period"] == "202503")
    assert held["hold_reason"] == "bank_returned" and held["bank_return"]["reason_zh"] == "账户已销户"
    report = client.get("/api/v1/bank-reconciliation/202503?province=110000", headers=office["tokens"]["auditor"]).json()
    (icbc,) = report["banks"]
    assert report["balanced"] and (icbc["sent"], icbc["returned"], icbc["paid"]) == (
        {"lines": 9, "fen": 9 * MONTHLY}, {"lines": 1, "fen": MONTHLY}, {"lines": 8, "fen": 8 * MONTHLY})
    assert client.get("/api/v1/bank-reconciliation/202503?province=110000",
                      headers=office["tokens"]["shanghai"]).status_code == 403


def test_returned_payments_are_listed_in_scope_and_paid_again_once_fixed(client, office):
    _release(client, office)
    march = next(row for row in _file(client, office) if row[-1] == "养老金 202503")
    assert _import(client, office, f"reference,reason_code,amount_fen\n{march[0]},card_frozen,{march[3]}\n").status_code == 201
    (line,) = client.get("/api/v1/bank-returns", headers=office["tokens"]["clerk"]).json()
    assert (line["reason"], line["reason_zh"], line["status"]) == ("card_frozen", "银行卡在银行被冻结", "returned")
    assert client.get("/api/v1/bank-returns", headers=office["tokens"]["shanghai"]).json() == []
    assert len(client.get("/api/v1/bank-returns?province=110000", headers=office["tokens"]["auditor"]).json()) == 1
    fix = f"/api/v1/bank-returns/{line['line_id']}/account-fixed"
    for who in ("shanghai",):
        theirs = client.post(fix, json={"note": "银行已解冻"}, headers=office["tokens"][who])
        nowhere = client.post("/api/v1/bank-returns/987654/account-fixed", json={"note": "银行已解冻"},
                              headers=office["tokens"][who])
        assert theirs.status_code == nowhere.status_code == 404 and theirs.json() == nowhere.json()
    assert client.post(fix, json={"note": "银行已解冻"}, headers=office["tokens"]["auditor"]).status_code == 403
    fixed = client.post(fix, json={"note": "银行已解冻"}, headers=office["tokens"]["clerk"])
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["line"]["status"], fixed.json()["paid_again_fen"]) == ("fixed", MONTHLY)
    assert client.post(fix, json={"note": "再次"}, headers=office["tokens"]["clerk"]).status_code == 409
    assert client.get("/api/v1/bank-returns", headers=office["tokens"]["clerk"]).json() == []  # paid again: resent
    batches = client.get("/api/v1/bank-batches?province=110000&status=open", headers=office["tokens"]["maker"]).json()
    assert [(b["seq"], b["lines"], b["total_fen"]) for b in batches] == [(2, 1, MONTHLY)]


def test_the_bank_binds_a_new_account_to_its_own_card(client, office, database, clock):
    body = "6222020000000000" + "01"
    account = body + luhn.calc_check_digit(body)
    bind = f"/api/v1/cards/{office['card']}/bank-account"
    bound = client.post(bind, json={"bank_code": "ICBC", "bank_account": account, "reason": "原账户销户"},
                        headers=office["tokens"]["icbc"])
    assert bound.status_code == 200, bound.text
    assert bound.json()["bank_account_masked"].endswith(account[-4:])
    other = client.post(bind, json={"bank_code": "CCB", "bank_account": account, "reason": "换行"},
                        headers=office["tokens"]["icbc"])
    assert other.status_code == 403 and _error(other)["code"] == "card.other_bank"
    make_user(database, clock, "ccb", Role.BANK, bank_code="CCB")
    stranger = client.post(bind, json={"bank_code": "CCB", "bank_account": account, "reason": "换行"},
                           headers=token_for(client, "ccb"))
    assert stranger.status_code == 404
