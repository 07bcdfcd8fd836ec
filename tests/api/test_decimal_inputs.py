"""Every decimal a user types goes through one parser: NaN, sNaN, Infinity and absurd sizes are a 422 with a
reason in both languages, never a 500 (issue 9). Amounts in fen are bounded by MAX_FEN."""

from datetime import date

import pytest

from shebao.core.money import MAX_FEN
from shebao.core.security import Role
from shebao.web.pages import TOKEN_COOKIE
from tests.integration.test_pension_award_and_payroll import _archive
from tests.support import add_test_streets, csrf_form, make_user, register, token_for

HOSTILE_DECIMALS = ["NaN", "sNaN", "-NaN", "Infinity", "-Infinity", "inf", "1e999999999", "-1e-999999999",
                    "1" * 400, "0x1p3", "", " "]

CASE = {"region": "110000", "retire_date": "2025-03-01", "birth_date": "1965-01-01", "sex": "M", "category": "male",
        "contribution_months": 360, "deemed_months": 0, "average_index": "1.2", "personal_account_fen": 20000000,
        "calculation_wage_fen": 1000000}


def _refused_in_both_languages(response) -> dict:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["reason"] and error["reason_en"]
    assert not any("a" <= ch.lower() <= "z" for ch in error["reason"]), error["reason"]  # Chinese terms only
    return error


@pytest.mark.parametrize("text", HOSTILE_DECIMALS)
def test_the_open_calculator_refuses_a_hostile_index(client, text):
    error = _refused_in_both_languages(client.post("/api/v1/pension/calc", json=CASE | {"average_index": text}))
    assert error["code"].startswith("decimal.")


@pytest.mark.parametrize("field", ["personal_account_fen", "calculation_wage_fen"])
@pytest.mark.parametrize("amount", [10**60, MAX_FEN + 1, -(10**60)])
def test_the_open_calculator_bounds_every_amount(client, field, amount):
    response = client.post("/api/v1/pension/calc", json=CASE | {field: amount})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] in ("money.too_large", "request.invalid")


def test_the_calculator_still_takes_a_sane_case_at_the_limit(client):
    assert client.post("/api/v1/pension/calc", json=CASE | {"personal_account_fen": MAX_FEN}).status_code == 200


@pytest.fixture
def saver(client, database, cipher, clock):
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1980, 5, 17), sequence=21, name="赵敏")
    _archive(database, clock, person, deemed_years=0, years=range(2002, 2024), balance=9_000_000)
    make_user(database, clock, "saver", Role.INSURED, person_id=person)
    return {"person": person, "headers": token_for(client, "saver")}


@pytest.mark.parametrize("field", ["wage_growth", "future_index", "account_interest"])
@pytest.mark.parametrize("text", ["NaN", "sNaN", "Infinity", "-Infinity", "1e999999999"])
def test_the_estimator_refuses_hostile_assumptions(client, saver, field, text):
    body = {"person_id": saver["person"], "category": "male", field: text}
    error = _refused_in_both_languages(client.post("/api/v1/pension/estimate", headers=saver["headers"], json=body))
    assert error["code"].startswith("decimal.")


@pytest.mark.parametrize("text", ["NaN", "sNaN", "Infinity", "1e999999"])
def test_the_estimate_form_refuses_hostile_assumptions_with_a_page(client, saver, text):
    client.cookies.set(TOKEN_COOKIE, saver["headers"]["Authorization"].removeprefix("Bearer "))
    for field in ("wage_growth", "future_index"):
        page = client.post("/me/pension/estimate", data=csrf_form(client, {"category": "male", field: text}, page="/me/pension"))
        assert page.status_code == 422 and "<html" in page.text.lower()
        assert "有限" in page.text or "合理范围" in page.text
    client.cookies.clear()


def test_the_estimate_form_still_estimates(client, saver):
    client.cookies.set(TOKEN_COOKIE, saver["headers"]["Authorization"].removeprefix("Bearer "))
    page = client.post("/me/pension/estimate", data=csrf_form(client, {"category": "male", "wage_growth": "0.03", "future_index": "1.0"}, page="/me/pension"))
    client.cookies.clear()
    assert page.status_code == 200


@pytest.mark.parametrize(("field", "value", "words"), [("category", "astronaut", "人员类别"), ("retire_date", "2040-13-01", "退休日期")])
def test_the_estimate_form_names_a_wrong_field_in_chinese(client, saver, field, value, words):
    client.cookies.set(TOKEN_COOKIE, saver["headers"]["Authorization"].removeprefix("Bearer "))
    page = client.post("/me/pension/estimate", data=csrf_form(client, {"category": "male"} | {field: value}, page="/me/pension"))
    client.cookies.clear()
    assert page.status_code == 422 and words in page.text
