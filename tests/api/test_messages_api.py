"""Refusals over HTTP speak one language per field (issue 9): a representative set — a card move from a wrong
state, a role and a scope refused, request validation, an unauthenticated call, rejected rows of each import —
each answers a Chinese reason with Chinese names and an English reason in English (tests/support.py says what a
Chinese reason may hold in Latin letters)."""

import pytest
from stdnum import luhn

from shebao.core.errors import DomainError
from shebao.core.security import Role
from shebao.registry.service import add_streets
from tests.support import (
    CHAOYANG,
    CHAOYANG_STREET,
    add_test_streets,
    assert_bilingual,
    id_number,
    make_user,
    person_payload,
    token_for,
)


@pytest.fixture
def people(client, database, clock):
    add_test_streets(database, clock)
    make_user(database, clock, "clerk", Role.STAFF, region_code=CHAOYANG)
    make_user(database, clock, "shanghai", Role.STAFF, region_code="310000")
    clerk = token_for(client, "clerk")
    me = client.post("/api/v1/persons", json=person_payload(), headers=clerk).json()
    make_user(database, clock, "zhangwei", Role.INSURED, person_id=me["id"])
    return {"clerk": clerk, "shanghai": token_for(client, "shanghai"), "me": token_for(client, "zhangwei"),
            "person": me["id"]}


def refusal(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert code is None or error["code"] == code, error
    assert_bilingual(error["reason"], error["reason_en"], error["code"])
    return error


def test_a_card_move_from_a_wrong_state_names_the_state_and_the_move_in_chinese(client, people):
    card = client.post("/api/v1/cards", json={"person_id": people["person"], "region_code": CHAOYANG_STREET},
                       headers=people["clerk"]).json()
    error = refusal(client.post(f"/api/v1/cards/{card['id']}/report-lost", headers=people["clerk"],
                                json={"region_code": CHAOYANG, "reason": "测试 test"}), 409, "card.move_not_allowed")
    assert error["reason"] == "社保卡状态为“已申领”，不能办理挂失（可办理：送厂制卡、即时制卡、注销）"
    assert error["details"]["state"] == "applied" and error["details"]["move"] == "report_lost"
    again = refusal(client.post("/api/v1/cards", json={"person_id": people["person"], "region_code": CHAOYANG_STREET},
                                headers=people["clerk"]), 409, "card.exists")
    assert "已申领" in again["reason"] and "applied" in again["reason_en"]


def test_a_role_and_a_scope_refused(client, people):
    role = refusal(client.post("/api/v1/persons", json=person_payload(id_number=id_number(sequence=41)),
                               headers=people["me"]), 403, "auth.role_not_allowed")
    assert role["reason"] == "参保人账号不能办理此项业务"
    refusal(client.post("/api/v1/persons", json=person_payload(id_number=id_number(sequence=43)),
                        headers=people["shanghai"]), 403, "scope.outside_region")
    refusal(client.get(f"/api/v1/persons/{people['person']}", headers=people["shanghai"]), 404, "scope.not_found")
    refusal(client.get(f"/api/v1/persons/{people['person']}"), 401, "auth.required")


@pytest.mark.parametrize(("payload", "field"), [
    ({"name": "张伟"}, "id_number"),  # missing
    ({"hukou_region_code": 110105}, "hukou_region_code"),  # a number where text belongs
    ({"name": "张" * 500}, "name"),  # too long
    ({"nickname": "x"}, "nickname"),  # not a field
])
def test_request_validation_reads_in_chinese_naming_the_field_as_typed(client, people, payload, field):
    body = {k: v for k, v in person_payload(id_number=id_number(sequence=45), **payload).items()
            if not (field == "id_number" and k == "id_number")}
    error = refusal(client.post("/api/v1/persons", json=body, headers=people["clerk"]), 422, "request.invalid")
    assert error["reason"].startswith("请求内容有误：请求正文中的「") and f"「{field}」" in error["reason"]
    assert error["reason_en"].startswith(f"invalid request: body.{field}")


def test_query_and_path_validation_and_a_kind_of_payer_read_in_chinese(client, people):
    error = refusal(client.get("/api/v1/persons/abc", headers=people["clerk"]), 422, "request.invalid")
    assert "「person_id」应为整数" in error["reason"]
    error = refusal(client.get("/api/v1/bills?payer_kind=bank&payer_id=1", headers=people["clerk"]), 422, "request.invalid")
    assert "「employer」（单位）" in error["reason"]


def test_certification_import_rows_give_a_chinese_and_an_english_reason(client, people):
    rows = [{"id_number": "11010519491231002X", "method": "telepathy", "date": "2025-02-01", "source": "his-0001"},
            {"id_number": "11010519491231002X", "method": "passive_bank", "date": "2025/02/01", "source": "bank-0001"},
            {"id_number": "11010519491231002X", "method": "passive_bank", "date": "2025-02-01", "source": "bank-0002"},
            {"id_number": "110105194912310021", "method": "passive_bank", "date": "2025-02-01", "source": "bank-0003"}]
    error = refusal(client.post("/api/v1/certifications/import", json=rows, headers=people["clerk"]), 422)
    rejected = error["details"]["rejected"]
    assert [r["row"] for r in rejected] == [1, 2, 3, 4]
    for row in rejected:
        assert_bilingual(row["reason"], row["reason_en"], f"row {row['row']}")
    assert "「passive_hospital」（就医记录（无感认证））" in rejected[0]["reason"]


def test_factory_return_rows_give_a_chinese_and_an_english_reason(client, people):
    clerk = people["clerk"]
    assert client.post("/api/v1/cards", json={"person_id": people["person"], "region_code": CHAOYANG_STREET},
                       headers=clerk).status_code == 201
    batch = client.post("/api/v1/card-batches", json={"region_code": CHAOYANG, "reason": "月度制卡"}, headers=clerk).json()["id"]
    card_id = client.get(f"/api/v1/card-batches/{batch}/manifest", headers=clerk).text.splitlines()[1].split(",")[0]
    number = "31" + "00000001"
    account = "622202123456780"
    lines = ["card_id,card_number,chip_serial,bank_code,bank_account",
             f"{card_id},{number}{luhn.calc_check_digit(number)},C0FFEE,ICBC,{account}{luhn.calc_check_digit(account)}",
             f"999999,{number}{luhn.calc_check_digit(number)},xyz,icbc,1"]
    error = refusal(client.post(f"/api/v1/card-batches/{batch}/return", content="\n".join(lines) + "\n",
                                headers={**clerk, "Content-Type": "text/csv"}), 422, "batch.return_rejected")
    for row in error["details"]["rejected"]:
        assert row["problem"] == row["reason_en"]
        assert_bilingual(row["reason"], row["reason_en"], f"line {row['line']}")


def test_street_import_rows_give_a_chinese_and_an_english_reason(database, clock):
    with database.transaction() as session, pytest.raises(DomainError) as refused:
        add_streets(session=session, streets=[("11010500", "短码"), ("999999001", "无此区县街道"), ("110105009", "<b>")],
                    origin="import", actor="test", now=clock.now())
    assert_bilingual(refused.value.reason, refused.value.reason_en, refused.value.code)
    rows = refused.value.details["rejected"]
    assert len(rows) == 3
    for row in rows:
        assert row["problem"] == row["reason_en"]
        assert_bilingual(row["reason"], row["reason_en"], f"row {row['row']}")
