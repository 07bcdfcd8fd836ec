"""The policy API: each value's validity, and the values in force on a day past it (issue #11)."""


def test_each_value_says_until_when_it_is_known_and_whether_it_is_served_provisionally(client):
    body = client.get("/api/v1/policy/110105/2026-11-01").json()
    paths = {p["path"]: p for p in body["parameters"]}
    floor = paths["contribution.base.floor_fen"]
    assert floor["value"] == 716200 and floor["valid_until"] == "2026-06-30" and floor["provisional"] is True
    assert paths["pension.crediting_rate"]["expired"] is True and paths["pension.crediting_rate"]["provisional"] is False
    assert paths["contribution.pension.employer_rate"]["valid_until"] is None
    within = client.get("/api/v1/policy/110105/2025-08-01").json()
    floor = next(p for p in within["parameters"] if p["path"] == "contribution.base.floor_fen")
    assert floor["valid_until"] == "2026-06-30" and floor["expired"] is False and floor["provisional"] is False


def test_the_values_past_their_validity_on_a_day(client):
    body = client.get("/api/v1/policy/310115/2026-11-01/expired").json()
    assert body["region_code"] == "310115" and body["date"] == "2026-11-01"
    rows = {row["path"]: row for row in body["expired"]}
    assert rows["contribution.base.ceiling_fen"]["value"] == 3730200 and rows["contribution.base.ceiling_fen"]["provisional"]
    assert rows["pension.crediting_rate"]["past_validity"] == "refuse"
    earlier = {row["path"]: row for row in client.get("/api/v1/policy/310115/2026-03-01/expired").json()["expired"]}
    wage = earlier["pension.calculation_wage_fen"]  # Shanghai's 2025 W, served for 2026 until 2026's is published
    assert wage["jurisdiction"] == "310000" and wage["provisional"] and wage["valid_until"] == "2025-12-31"
    assert client.get("/api/v1/policy/310115/2025-03-01/expired").json()["expired"] == []


def test_bad_input_is_a_4xx_with_a_reason(client):
    for url in ("/api/v1/policy/1101/2026-11-01/expired", "/api/v1/policy/110105/2026-13-01/expired",
                "/api/v1/policy/abcdef/2026-11-01/expired"):
        response = client.get(url)
        assert response.status_code == 422 and response.json()["error"]["reason"] and response.json()["error"]["reason_en"]


def test_the_values_not_checked_for_a_year_are_listed_by_region_and_day(client):
    response = client.get("/api/v1/policy/110105/2026-11-01/stale")
    assert response.status_code == 200
    stale = {row["path"]: row for row in response.json()["stale"]}
    assert stale["contribution.base.floor_fen"]["checked"] is None
    assert client.get("/api/v1/policy/110105/not-a-day/stale").status_code == 422
