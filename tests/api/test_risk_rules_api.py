"""`GET /api/v1/risk/rules`: the rule catalogue for staff, auditors and administrators, with its parameters' values in
force on a day (issue #15); other roles are refused, bad input answers a 4xx with reasons in both languages."""

import pytest

from shebao.core.security import Role
from shebao.risk.rules import CATALOGUE
from tests.support import CHAOYANG, assert_bilingual, make_user, token_for

URL = "/api/v1/risk/rules"


@pytest.fixture
def tokens(client, database, clock):
    users = {"clerk": (Role.STAFF, {"region_code": CHAOYANG}), "auditor": (Role.AUDITOR, {}), "root": (Role.ADMIN, {}),
             "bank": (Role.BANK, {"bank_code": "ICBC"})}
    for name, (role, binding) in users.items():
        make_user(database, clock, name, role, **binding)
    return {name: token_for(client, name) for name in users}


def test_staff_auditors_and_administrators_read_the_catalogue(client, tokens):
    for name in ("clerk", "auditor", "root"):
        response = client.get(URL, headers=tokens[name])
        assert response.status_code == 200, response.text
        body = response.json()
        assert [r["id"] for r in body["rules"]] == [r.id for r in CATALOGUE]
        assert body["region_code"] == "000000" and body["date"] == "2025-03-01"  # today in China on the test clock
    assert client.get(URL).status_code == 401
    refused = client.get(URL, headers=tokens["bank"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.role_not_allowed"


def test_a_region_and_a_day_give_that_regions_values(client, tokens):
    body = client.get(URL, params={"region": "110105", "on": "2025-08-01"}, headers=tokens["clerk"]).json()
    rule = next(r for r in body["rules"] if r["id"] == "R12_two_employers_full_bases")
    floor = next(p for p in rule["parameters"] if p["path"] == "contribution.base.floor_fen")
    assert floor["value"] == 716200 and floor["state"] == "valid"
    overlap = next(p for p in rule["parameters"] if p["path"] == "risk.two_employers.min_overlap_months")
    assert overlap["value"] == 3 and overlap["range"] == [1, 24] and overlap["jurisdiction"] == "000000"


@pytest.mark.parametrize("params", [{"on": "2025-13-01"}, {"on": "soon"}, {"region": "1101"}, {"region": "abcdef"},
                                    {"region": "9" * 13}])
def test_bad_input_is_a_4xx_with_reasons_in_both_languages(client, tokens, params):
    response = client.get(URL, params=params, headers=tokens["clerk"])
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert_bilingual(error["reason"], error["reason_en"], str(params))
