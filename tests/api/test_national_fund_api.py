"""The national adjustment over HTTP: an administrator settles a year, an auditor reads every province's line but
cannot settle, a clerk reads their own province's line only and is refused another's; bad years answer a 4xx with a
reason in both languages, never a 500."""

import pytest

from shebao.core.security import Role
from tests.integration.test_national_fund import HARBIN, build_country
from tests.support import CHAOYANG, assert_bilingual, make_user, token_for

SETTLE, STATEMENT = "/api/v1/national-fund/{}/settlement", "/api/v1/national-fund/{}/statement"


@pytest.fixture
def tokens(client, database, cipher, clock):
    build_country(database, cipher)
    users = {"root": (Role.ADMIN, {}), "auditor": (Role.AUDITOR, {}), "harbin": (Role.STAFF, {"region_code": HARBIN}),
             "chaoyang": (Role.STAFF, {"region_code": CHAOYANG}), "heilongjiang": (Role.STAFF, {"region_code": "230000"})}
    for name, (role, binding) in users.items():
        make_user(database, clock, name, role, **binding)
    return {name: token_for(client, name) for name in users}


def test_settled_by_the_administrator_and_read_by_role(client, tokens):
    assert client.get(STATEMENT.format(2024), headers=tokens["auditor"]).status_code == 404  # not settled yet
    refused = client.post(SETTLE.format(2024), headers=tokens["auditor"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.role_not_allowed"
    assert client.post(SETTLE.format(2024), headers=tokens["heilongjiang"]).status_code == 403
    settled = client.post(SETTLE.format(2024), headers=tokens["root"])
    assert settled.status_code == 200, settled.text
    body = settled.json()
    assert body["newly_settled"] and body["balanced"] and body["national_movement_fen"] == 0
    assert [line["province"] for line in body["lines"]] == ["110000", "230000"]
    again = client.post(SETTLE.format(2024), headers=tokens["root"]).json()
    assert not again["newly_settled"] and again["lines"] == body["lines"]

    everyone = client.get(STATEMENT.format(2024), headers=tokens["auditor"]).json()
    assert [line["province"] for line in everyone["lines"]] == ["110000", "230000"]
    for clerk, province in (("harbin", "230000"), ("heilongjiang", "230000"), ("chaoyang", "110000")):
        mine = client.get(STATEMENT.format(2024), headers=tokens[clerk])
        assert mine.status_code == 200 and [line["province"] for line in mine.json()["lines"]] == [province], clerk
    other = client.get(STATEMENT.format(2024), params={"province": "110000"}, headers=tokens["harbin"])
    assert other.status_code == 403 and other.json()["error"]["code"] == "scope.outside_region"
    assert "110000" not in str([line["province"] for line in other.json().get("lines", [])])
    own = client.get(STATEMENT.format(2024), params={"province": "230000"}, headers=tokens["harbin"]).json()
    assert own["lines"][0]["received_fen"] > own["lines"][0]["remitted_fen"]


@pytest.mark.parametrize(("method", "url", "params", "status", "code"), [
    ("post", SETTLE.format(2026), None, 422, "national_fund.year"),
    ("post", SETTLE.format(2025), None, 422, "national_fund.year"),
    ("post", SETTLE.format(2023), None, 409, "national_fund.no_data"),
    ("get", STATEMENT.format(2023), None, 404, "national_fund.not_settled"),
    ("get", STATEMENT.format(2024), {"province": "110105"}, 422, "national_fund.province"),
])
def test_bad_years_and_provinces_are_refused_with_a_reason(client, tokens, method, url, params, status, code):
    if method == "get":
        client.post(SETTLE.format(2024), headers=tokens["root"])
    answer = client.request(method.upper(), url, params=params, headers=tokens["root"])
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    assert_bilingual(error["reason"], error["reason_en"], code)


@pytest.mark.parametrize("path", ["/api/v1/national-fund/99999/statement", "/api/v1/national-fund/abc/statement",
                                  "/api/v1/national-fund/1997/settlement", f"/api/v1/national-fund/{2**63}/settlement"])
def test_a_year_out_of_range_is_a_4xx(client, tokens, path):
    method = "POST" if path.endswith("settlement") else "GET"
    answer = client.request(method, path, headers=tokens["root"])
    assert 400 <= answer.status_code < 500, answer.text
