"""The fund projection over HTTP: staff of the province or above, auditors and administrators read it and its chart;
a county's clerk or another province's is refused; assumptions out of range, a bad horizon, an unknown province or
parameter answer a 4xx with the reason in both languages, never a 500."""

import xml.etree.ElementTree as ET

import pytest

from shebao.core.security import Role
from tests.integration.test_national_fund import build_country
from tests.support import CHAOYANG, assert_bilingual, make_user, token_for

URL, SVG = "/api/v1/fund/projection", "/api/v1/fund/projection.svg"
QUERY = {"province": "110000", "years": 30, "as_of": "2024-12-31"}


@pytest.fixture
def tokens(client, database, cipher, clock):
    build_country(database, cipher)
    users = {"root": (Role.ADMIN, {}), "auditor": (Role.AUDITOR, {}), "beijing": (Role.STAFF, {"region_code": "110000"}),
             "chaoyang": (Role.STAFF, {"region_code": CHAOYANG}), "heilongjiang": (Role.STAFF, {"region_code": "230000"})}
    for name, (role, binding) in users.items():
        make_user(database, clock, name, role, **binding)
    return {name: token_for(client, name) for name in users}


def test_read_by_the_province_and_above_refused_below_and_beside(client, tokens):
    for reader in ("beijing", "auditor", "root"):
        answer = client.get(URL, params=QUERY | {"wage_growth": "0.03"}, headers=tokens[reader])
        assert answer.status_code == 200, (reader, answer.text)
        body = answer.json()
        assert len(body["with_reform"]["years"]) == 30 and len(body["without_reform"]["years"]) == 30
        assert {"year", "contributors", "receivers", "dependency_ratio", "income_fen", "spending_fen", "balance_fen",
                "months_of_spending_covered"} <= set(body["with_reform"]["years"][0])
        assert next(a for a in body["assumptions"] if a["name"] == "wage_growth")["overridden"]
        assert body["starting_point"]["contributors"] == 4 and "reform_effect" in body
    for outsider in ("chaoyang", "heilongjiang"):
        refused = client.get(URL, params=QUERY, headers=tokens[outsider])
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "scope.outside_region", outsider


def test_the_chart_is_svg_for_the_cockpit(client, tokens):
    answer = client.get(SVG, params=QUERY, headers=tokens["beijing"])
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(answer.text)
    assert root.tag.endswith("svg") and "养老保险统筹基金预测" in answer.text
    assert client.get(SVG, params=QUERY, headers=tokens["chaoyang"]).status_code == 403


@pytest.mark.parametrize(("params", "code"), [
    ({"wage_growth": "5.0"}, "projection.assumption"),
    ({"interest_rate": "abc"}, "projection.assumption"),
    ({"mortality_basis": "census"}, "projection.assumption"),
    ({"years": 0}, "projection.years"),
    ({"years": 200}, "projection.years"),
    ({"years": 2**63}, "projection.years"),
    ({"province": "990000"}, "projection.province"),
    ({"as_of": "2025-03-02"}, "projection.as_of"),
    ({"inflation": "0.02"}, "request.invalid"),
    ({"as_of": "2024-13-01"}, "request.invalid"),
    ({"province": "11"}, "request.invalid"),
])
def test_bad_input_answers_4xx_with_a_reason_in_both_languages(client, tokens, params, code):
    for url in (URL, SVG):
        answer = client.get(url, params=QUERY | params, headers=tokens["root"])
        assert 400 <= answer.status_code < 500, answer.text
        error = answer.json()["error"]
        assert error["code"] == code, answer.text
        assert_bilingual(error["reason"], error["reason_en"])
