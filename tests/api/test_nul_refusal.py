"""A NUL character cannot be stored in a PostgreSQL text column: a JSON body or a query string holding one is refused
with one clear 422 before any endpoint sees it, on both databases, and nothing is written."""

from sqlalchemy import func, select

from shebao.accounts.models import User
from shebao.core.security import Role
from tests.support import make_user, token_for


def test_a_nul_in_a_json_body_or_a_query_is_refused_and_nothing_is_written(client, database, clock):
    make_user(database, clock, "root", Role.ADMIN)
    headers = token_for(client, "root")
    with database.unit_of_work() as uow:
        users = uow.session.scalar(select(func.count()).select_from(User))
    body = '{"username": "nul.user", "display_name": "a\\u0000b", "password": "a-long-password-2024", "role": "auditor"}'
    refused = client.post("/api/v1/users", content=body, headers=headers | {"content-type": "application/json"})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "request.nul_character" and "空字符" in error["reason"] and "NUL" in error["reason_en"]
    assert client.get("/api/v1/risk/cases?region=110000%00", headers=headers).status_code == 422
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(User)) == users


def test_a_control_character_in_a_display_name_is_refused_as_invalid(client, database, clock):
    make_user(database, clock, "root", Role.ADMIN)
    refused = client.post("/api/v1/users", headers=token_for(client, "root"),
                          json={"username": "bell.user", "display_name": "a\x07b", "password": "a-long-password-2024",
                                "role": "auditor"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "request.invalid"


def test_an_empty_region_on_an_account_without_one_is_stored_as_none(client, database, clock):
    make_user(database, clock, "root", Role.ADMIN)
    made = client.post("/api/v1/users", headers=token_for(client, "root"),
                       json={"username": "plain.auditor", "display_name": "审计", "password": "a-long-password-2024",
                             "role": "auditor", "region_code": ""})
    assert made.status_code == 201, made.text
    assert made.json()["region_code"] is None
