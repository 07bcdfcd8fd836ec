"""The interest calculator over HTTP (POST /api/v1/interest/calc): open to everyone like the pension calculator, the
same figures as `shebao interest calc` and the year-end batch, and a 422 in both languages for what it cannot take."""

import re

import pytest

from shebao.core.money import MAX_FEN

CASE = {"opening_fen": 10_000_000, "credits": [{"month": 3, "fen": 100_000}, {"month": 11, "fen": 50_000}],
        "rate": "0.0397", "method": "monthly"}


def _refused_in_both_languages(response) -> dict:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["reason"] and error["reason_en"]
    said = re.sub(r"「[^」]*」", "", error["reason"])  # what the user typed is quoted; the rest is Chinese only
    assert not any("a" <= ch.lower() <= "z" for ch in said), error["reason"]
    return error


def test_the_calculator_needs_no_login_and_explains_each_figure(client):
    response = client.post("/api/v1/interest/calc", json=CASE)
    assert response.status_code == 200, response.text
    body = response.json()
    # 100,000.00 × 3.97% + (1,000 × 10 + 500 × 2) × 3.97% / 12 = 3,970.00 + 36.3917 → 4,006.39
    assert (body["interest_fen"], body["closing_fen"], body["interest_yuan"]) == (400_639, 10_550_639, "4006.39")
    assert [step["step"] for step in body["steps"]] == [
        "rate", "opening_product", "credit_month_3", "credit_month_11", "products", "interest", "closing"]
    assert all(step["how"] and step["how_zh"] for step in body["steps"])
    assert body["steps"][2]["how_zh"].startswith("3 月记账 1000.00 元，计息 12 − 3 + 1 = 10 个月")
    yearly = client.post("/api/v1/interest/calc", json=CASE | {"method": "yearly"}).json()
    # 3,970.00 + 1,500 × 3.97% × 1.083 × ½ = 3,970.00 + 32.2459 → 4,002.25
    assert yearly["interest_fen"] == 400_225 and yearly["rule"] == "yearly"


def test_the_calculator_is_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "422" in paths["/api/v1/interest/calc"]["post"]["responses"]


@pytest.mark.parametrize(("change", "code"), [
    ({"credits": [{"month": 13, "fen": 100}]}, "request.invalid"),
    ({"credits": [{"month": 0, "fen": 100}]}, "request.invalid"),
    ({"credits": [{"month": "3", "fen": 100}]}, "request.invalid"),
    ({"credits": [{"month": 3, "fen": 1.5}]}, "request.invalid"),
    ({"credits": [{"month": 3, "fen": "100"}]}, "request.invalid"),
    ({"credits": [{"month": 3}]}, "request.invalid"),
    ({"credits": [{"month": 3, "fen": 100}] * 121}, "request.invalid"),
    ({"opening_fen": -1}, "request.invalid"),
    ({"opening_fen": MAX_FEN + 1}, "money.too_large"),
    ({"rate": 0.0262}, "request.invalid"),
    ({"rate": "0.02625001"}, "interest.rate_precision"),
    ({"rate": "1.5"}, "interest.rate"),
    ({"rate": "-0.01"}, "interest.rate"),
    ({"rate": "NaN"}, "decimal.not_finite"),
    ({"rate": "2.62%"}, "decimal.malformed"),
    ({"method": "quarterly"}, "request.invalid"),
    ({"within_year_rule": "whenever"}, "request.invalid"),
    ({"extra": 1}, "request.invalid"),
])
def test_what_the_calculator_cannot_take_is_a_422_in_both_languages(client, change, code):
    error = _refused_in_both_languages(client.post("/api/v1/interest/calc", json=CASE | change))
    assert error["code"] == code


def test_a_body_that_is_not_json_is_refused_not_crashed_on(client):
    response = client.post("/api/v1/interest/calc", content=b"{not json", headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
