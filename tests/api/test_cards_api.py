"""The card's life over HTTP: one card per person, instant issue, activation, loss anywhere, replacement."""

import json

import pytest
from stdnum import luhn

from shebao.core.security import Role
from tests.support import CHAOYANG, CHAOYANG_STREET, add_test_streets, id_number, make_user, person_payload, token_for


def card_number(serial: int, province: str = "11") -> str:
    body = f"{province}{serial:08d}"
    return body + luhn.calc_check_digit(body)


BANK = "6222021234567890" + luhn.calc_check_digit("6222021234567890")


@pytest.fixture
def people(client, database, clock):
    add_test_streets(database, clock)
    make_user(database, clock, "clerk", Role.STAFF, region_code=CHAOYANG)
    make_user(database, clock, "shanghai", Role.STAFF, region_code="310000")
    clerk = token_for(client, "clerk")
    me = client.post("/api/v1/persons", json=person_payload(), headers=clerk).json()
    other = client.post("/api/v1/persons", json=person_payload(id_number=id_number(sequence=31), name="王芳"), headers=clerk).json()
    make_user(database, clock, "zhangwei", Role.INSURED, person_id=me["id"])
    make_user(database, clock, "wangfang", Role.INSURED, person_id=other["id"])
    make_user(database, clock, "icbc", Role.BANK, bank_code="ICBC")
    return {"clerk": clerk, "shanghai": token_for(client, "shanghai"), "me": token_for(client, "zhangwei"),
            "icbc": token_for(client, "icbc"),
            "other": token_for(client, "wangfang"), "person": me["id"], "other_person": other["id"]}


def move(client, token, card_id, action, **body):
    payload = {"region_code": CHAOYANG, "reason": "测试 test", **body}
    return client.post(f"/api/v1/cards/{card_id}/{action}", json=payload, headers=token)


def issued_card(client, people):
    card = client.post("/api/v1/cards", json={"person_id": people["person"], "region_code": CHAOYANG_STREET},
                       headers=people["clerk"]).json()
    issued = client.post(f"/api/v1/cards/{card['id']}/issue", headers=people["clerk"], json={
        "card_number": card_number(1), "chip_serial": "A1B2C3D4", "bank_code": "ICBC", "bank_account": BANK,
        "region_code": CHAOYANG})
    assert issued.status_code == 200, issued.text
    return issued.json()


def test_a_card_is_applied_for_issued_activated_lost_found_and_replaced(client, people):
    card = issued_card(client, people)
    assert card["state"] == "issued" and card["expiry_date"][:4] == str(int(card["issue_date"][:4]) + 10)
    assert client.post(f"/api/v1/cards/{card['id']}/activate", json={"pin": "123456"}, headers=people["me"]).status_code == 422
    active = client.post(f"/api/v1/cards/{card['id']}/activate", json={"pin": "730294"}, headers=people["me"]).json()
    assert active["state"] == "active" and active["financial_function"] is True
    assert move(client, people["shanghai"], card["id"], "report-lost", region_code="310115").status_code == 404
    lost = move(client, people["shanghai"], card["id"], "report-lost", region_code="310115",
                holder_id_number=id_number())  # any counter in the country, with the holder and their ID there
    assert lost.status_code == 200 and lost.json()["state"] == "frozen" and lost.json()["financial_function"] is False
    found = move(client, people["me"], card["id"], "unfreeze")
    assert found.json()["state"] == "active" and found.json()["financial_function"] is False  # the bank's freeze stays
    released = client.post(f"/api/v1/bank/cards/{card['card_number']}/release", headers=people["icbc"])
    assert released.status_code == 200 and released.json()["financial_function"] is True
    new = move(client, people["clerk"], card["id"], "replace", region_code=CHAOYANG_STREET).json()
    assert new["state"] == "applied" and new["replaces_card_id"] == card["id"]
    cards = client.get(f"/api/v1/persons/{people['person']}/cards", headers=people["me"]).json()
    assert [c["state"] for c in cards] == ["applied", "replaced"]
    assert [e["move"] for e in cards[1]["events"]] == ["apply", "issue_on_the_spot", "activate", "report_lost",
                                                       "unfreeze", "replace"]
    assert cards[1]["events"][3]["region_code"] == "310115"
    assert cards[1]["bank_account_masked"].startswith("6222") and "*" in cards[1]["bank_account_masked"]


def test_one_person_holds_one_valid_card_in_the_whole_country(client, people):
    client.post("/api/v1/cards", json={"person_id": people["person"], "region_code": CHAOYANG_STREET}, headers=people["clerk"])
    again = client.post("/api/v1/cards", json={"person_id": people["person"], "region_code": CHAOYANG_STREET},
                        headers=people["clerk"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "card.exists"


def test_moves_outside_the_table_are_refused(client, people):
    card = client.post("/api/v1/cards", json={"person_id": people["person"], "region_code": CHAOYANG_STREET},
                       headers=people["clerk"]).json()
    for action in ("unfreeze", "report-lost"):
        response = move(client, people["clerk"], card["id"], action)
        assert response.status_code == 409 and response.json()["error"]["code"] == "card.move_not_allowed"
    assert client.post(f"/api/v1/cards/{card['id']}/activate", json={"pin": "730294"}, headers=people["me"]).status_code == 409


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("card_number", card_number(2)[:-1] + str((int(card_number(2)[-1]) + 1) % 10), "card.number_checksum"),
        ("card_number", card_number(2, "31"), "card.number_province"),
        ("bank_account", BANK[:-1] + str((int(BANK[-1]) + 1) % 10), "bank_account.checksum"),
    ],
)
def test_bad_numbers_are_refused_and_the_card_stays_applied(client, people, field, value, code):
    card = client.post("/api/v1/cards", json={"person_id": people["person"], "region_code": CHAOYANG_STREET},
                       headers=people["clerk"]).json()
    body = {"card_number": card_number(2), "chip_serial": "A1B2", "bank_code": "ICBC", "bank_account": BANK,
            "region_code": CHAOYANG, field: value}
    response = client.post(f"/api/v1/cards/{card['id']}/issue", json=body, headers=people["clerk"])
    assert response.json()["error"]["code"] == code
    assert client.get(f"/api/v1/persons/{people['person']}/cards", headers=people["me"]).json()[0]["state"] == "applied"


def test_nobody_reports_or_activates_someone_elses_card(client, people):
    card = issued_card(client, people)
    assert move(client, people["other"], card["id"], "report-lost").status_code == 404
    assert client.post(f"/api/v1/cards/{card['id']}/activate", json={"pin": "730294"}, headers=people["other"]).status_code == 404
    assert client.get(f"/api/v1/persons/{people['person']}/cards", headers=people["other"]).status_code == 404
    assert move(client, people["clerk"], 999999, "report-lost").status_code == 404


def test_three_wrong_pins_lock_and_only_a_checked_reset_unlocks(client, people):
    card = issued_card(client, people)
    client.post(f"/api/v1/cards/{card['id']}/activate", json={"pin": "730294"}, headers=people["me"])
    check = lambda pin: client.post("/api/v1/cards/pin-check", json={"card_number": card["card_number"], "pin": pin},  # noqa: E731
                                    headers=people["clerk"])
    assert check("730294").json() == {"ok": True, "attempts_left": 3, "locked": False}
    assert [check("111222").json()["attempts_left"] for _ in range(3)] == [2, 1, 0]
    locked = check("730294")
    assert locked.status_code == 423 and locked.json()["error"]["code"] == "pin.locked"
    reset = lambda token, **body: client.post(f"/api/v1/cards/{card['id']}/pin", headers=token,  # noqa: E731
                                              json={"new_pin": "582047", "region_code": CHAOYANG, **body})
    assert reset(people["clerk"]).json()["error"]["code"] == "pin.identity_unchecked"
    assert reset(people["me"]).status_code == 401
    assert reset(people["me"], password="wrong-password").status_code == 401
    assert reset(people["other"], password="correct-horse-battery").status_code == 404
    assert reset(people["me"], password="correct-horse-battery", new_pin="123456").status_code == 422
    assert reset(people["me"], password="correct-horse-battery").status_code == 200
    assert check("582047").json()["ok"] is True
    assert reset(people["clerk"], identity_checked=True, new_pin="604913").status_code == 200
    assert check("000000").status_code == 200 and check("604913").json()["ok"] is True


def test_banks_see_their_cards_and_are_told_of_every_freeze_restriction_and_release(client, people, database, clock):
    make_user(database, clock, "abc.bank", Role.BANK, bank_code="ABC")
    icbc, abc = people["icbc"], token_for(client, "abc.bank")
    card = issued_card(client, people)
    number = card["card_number"]
    client.post(f"/api/v1/cards/{card['id']}/activate", json={"pin": "730294"}, headers=people["me"])
    assert client.get(f"/api/v1/bank/cards/{number}", headers=icbc).json()["financial_function"] is True
    assert client.get(f"/api/v1/bank/cards/{number}", headers=abc).status_code == 404
    listed = client.post("/api/v1/blacklist", headers=people["clerk"], json={
        "subject_kind": "person", "subject_id": people["person"], "ground": "malicious_arrears",
        "reason": "恶意欠费三个月", "listed_on": "2025-02-20"})
    assert listed.status_code == 201
    status = client.get(f"/api/v1/bank/cards/{number}", headers=icbc).json()
    assert status == {"card_number": number, "state": "active", "financial_function": False, "restrictions": ["blacklisted"]}
    assert client.post(f"/api/v1/blacklist/{listed.json()['id']}/release", headers=people["clerk"],
                       json={"reason": "已补缴全部欠费", "released_on": "2025-02-28"}).status_code == 204
    move(client, people["me"], card["id"], "report-lost")
    notices = client.get("/api/v1/bank/notices", headers=icbc).json()
    assert [(n["event"], n["financial_function"]) for n in notices] == [
        ("enabled", True), ("restricted", False), ("released", True), ("frozen", False)]
    assert client.get(f"/api/v1/bank/notices?after={notices[1]['id']}", headers=icbc).json()[0]["event"] == "released"
    assert client.get("/api/v1/bank/notices", headers=abc).json() == []
    assert client.get("/api/v1/bank/notices", headers=people["clerk"]).status_code == 403


def test_only_staff_of_the_region_list_and_only_real_subjects(client, people):
    body = {"subject_kind": "person", "subject_id": people["person"], "ground": "refused_to_insure",
            "reason": "拒不参保登记", "listed_on": "2025-02-20"}
    assert client.post("/api/v1/blacklist", headers=people["shanghai"], json=body).status_code == 404
    assert client.post("/api/v1/blacklist", headers=people["me"], json=body).status_code == 403
    assert client.post("/api/v1/blacklist", headers=people["clerk"], json={**body, "ground": "rude"}).status_code == 422
    assert client.post("/api/v1/blacklist", headers=people["clerk"], json={**body, "subject_id": 999999}).status_code == 404
    assert client.post("/api/v1/blacklist", headers=people["clerk"], json={**body, "listed_on": "2031-01-01"}).status_code == 422


def test_the_holder_opens_the_electronic_card_on_one_device_and_a_terminal_verifies_its_code(client, people, settings, clock):
    from shebao.cards.ecard import ReplayGuard, verify_code
    from shebao.cards.keys import KeyStore, TrustFile

    keys = KeyStore(settings.key_dir, settings.key_passphrase)
    keys.init(now=clock.now())
    keys.rotate_province(province="110000", now=clock.now())
    card = issued_card(client, people)
    client.post(f"/api/v1/cards/{card['id']}/activate", json={"pin": "730294"}, headers=people["me"])
    phone, tablet = "phone-0001-abcdef", "tablet-0002-abcdef"
    assert client.post("/api/v1/ecard/open", json={"device_id": phone, "password": "wrong"}, headers=people["me"]).status_code == 401
    assert client.get(f"/api/v1/ecard/code?device_id={phone}", headers=people["me"]).json()["error"]["code"] == "ecard.not_open"
    assert client.post("/api/v1/ecard/open", json={"device_id": phone, "password": "correct-horse-battery"},
                       headers=people["me"]).status_code == 200
    code = client.get(f"/api/v1/ecard/code?device_id={phone}", headers=people["me"]).json()
    trust = TrustFile.from_json(json.dumps(client.get("/api/v1/ecard/trust").json()))
    guard = ReplayGuard()
    verdict = verify_code(trust=trust, code=code["code"], now=clock.now(), replay=guard)
    assert verdict.valid and verdict.card_number == card["card_number"]
    assert not verify_code(trust=trust, code=code["code"], now=clock.now(), replay=guard).valid
    assert client.get(f"/api/v1/ecard/code?device_id={tablet}", headers=people["me"]).status_code == 403
    assert client.get(f"/api/v1/ecard/code?device_id={phone}", headers=people["clerk"]).status_code == 403
    move(client, people["me"], card["id"], "report-lost")
    blocked = client.get(f"/api/v1/ecard/code?device_id={phone}", headers=people["me"])
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "ecard.card_not_usable"


def test_a_production_batch_goes_to_the_factory_comes_back_and_is_handed_out(client, people):
    clerk = people["clerk"]
    for person in (people["person"], people["other_person"]):
        assert client.post("/api/v1/cards", json={"person_id": person, "region_code": CHAOYANG_STREET},
                           headers=clerk).status_code == 201
    submitted = client.post("/api/v1/card-batches", json={"region_code": CHAOYANG, "reason": "月度制卡"}, headers=clerk)
    assert submitted.status_code == 201 and submitted.json()["cards"] == 2
    batch = submitted.json()["id"]
    manifest = client.get(f"/api/v1/card-batches/{batch}/manifest", headers=clerk).text.splitlines()
    assert manifest[0] == "card_id,id_number_masked,name,deliver_to" and len(manifest) == 3
    card_ids = [line.split(",")[0] for line in manifest[1:]]
    bad_accounts = "card_id,card_number,chip_serial,bank_code,bank_account\n" + "".join(
        f"{cid},{card_number(100 + i)},C0FFEE{i:02d},ICBC,{BANK[:-3]}{i}{i}\n" for i, cid in enumerate(card_ids))
    rows = ["card_id,card_number,chip_serial,bank_code,bank_account"]
    for i, cid in enumerate(card_ids):
        account = f"62220212345678{i:02d}"
        rows.append(f"{cid},{card_number(100 + i)},C0FFEE{i:02d},ICBC,{account}{luhn.calc_check_digit(account)}")
    bad = "\n".join(rows[:1] + [rows[1].replace("C0FFEE00", "xyz")] + rows[2:]) + "\n"
    rejected = client.post(f"/api/v1/card-batches/{batch}/return", content=bad, headers={**clerk, "Content-Type": "text/csv"})
    assert rejected.status_code == 422 and rejected.json()["error"]["details"]["rejected"][0]["line"] == 2
    assert client.get(f"/api/v1/card-batches/{batch}", headers=clerk).json()["made"] == 0
    assert client.post(f"/api/v1/card-batches/{batch}/return", content=bad_accounts,
                       headers={**clerk, "Content-Type": "text/csv"}).status_code == 422
    returned = client.post(f"/api/v1/card-batches/{batch}/return", content="\n".join(rows) + "\n",
                           headers={**clerk, "Content-Type": "text/csv"})
    assert returned.status_code == 200 and returned.json()["made"] == 2 and returned.json()["not_collected"] == 2
    assert client.post(f"/api/v1/card-batches/{batch}/return", content="\n".join(rows) + "\n",
                       headers={**clerk, "Content-Type": "text/csv"}).status_code == 409
    handed = move(client, clerk, int(card_ids[0]), "hand-out")
    assert handed.status_code == 200 and handed.json()["state"] == "issued"
    progress = client.get(f"/api/v1/card-batches/{batch}", headers=clerk).json()
    assert (progress["handed_out"], progress["not_collected"]) == (1, 1)
    assert client.get(f"/api/v1/card-batches/{batch}", headers=people["shanghai"]).status_code == 404
    assert client.post("/api/v1/card-batches", json={"region_code": CHAOYANG, "reason": "再次"}, headers=clerk).status_code == 404
