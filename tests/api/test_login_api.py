"""Logins over HTTP: re-entered passwords (e-card, online PIN reset) limited like logins, the client address
counted apart from the account, the TOTP second factor, the web login form, and hostile input."""

from contextlib import contextmanager
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient

from shebao.core.security import Role
from tests.support import CHAOYANG_STREET, PASSWORD, add_test_streets, csrf_form, give_active_card, make_user, register

ATTACKER, OWNER = ("198.51.100.66", 40000), ("203.0.113.10", 40000)


@contextmanager
def client_from(client, address):
    """The same app, seen from another client address."""
    with TestClient(client.app, client=address) as other:
        yield other


def log_in(client, username, password=PASSWORD, **extra):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password, **extra})


def bearer(response):
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def holder(client, database, cipher, clock):
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=clock.now().date().replace(year=1980), sequence=41)
    card = give_active_card(database, cipher, clock, person)
    make_user(database, clock, "zhang", Role.INSURED, person_id=person)
    return {"person": person, "card": card, "token": bearer(log_in(client, "zhang"))}


def test_wrong_passwords_re_entered_to_open_the_e_card_or_reset_the_pin_lock_the_account(client, holder):
    phone = {"device_id": "phone-0001-abcdef"}
    for _ in range(4):
        refused = client.post("/api/v1/ecard/open", json={**phone, "password": "guess"}, headers=holder["token"])
        assert refused.status_code == 401
    reset = {"new_pin": "604913", "password": "guess", "region_code": CHAOYANG_STREET}
    locked = client.post(f"/api/v1/cards/{holder['card']}/pin", json=reset, headers=holder["token"])
    assert locked.status_code == 423, locked.text
    error = locked.json()["error"]
    assert "北京时间 2025-03-01 18:15" in error["reason"] and "18:15 China time" in error["reason_en"]
    right = client.post("/api/v1/ecard/open", json={**phone, "password": PASSWORD}, headers=holder["token"])
    assert right.status_code == 423
    assert log_in(client, "zhang").status_code == 423


def test_an_attacker_cannot_lock_the_administrator_out_from_another_address(client, database, clock):
    make_user(database, clock, "admin", Role.ADMIN)
    with client_from(client, ATTACKER) as attacker, client_from(client, OWNER) as owner:
        answers = [log_in(attacker, "admin", "guess").status_code for _ in range(6)]
        assert answers == [401, 401, 401, 401, 423, 423]
        assert log_in(owner, "admin").status_code == 200


def test_staff_enrol_a_second_factor_and_need_it_at_every_login(client, database, clock):
    make_user(database, clock, "clerk", Role.STAFF, region_code="110105")
    token = bearer(log_in(client, "clerk"))
    assert client.post("/api/v1/auth/totp", json={"password": "guess"}, headers=token).status_code == 401
    started = client.post("/api/v1/auth/totp", json={"password": PASSWORD}, headers=token)
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/") and body["qr_svg"].startswith("<svg")
    totp = pyotp.TOTP(body["secret"])
    assert client.post("/api/v1/auth/totp/confirm", json={"code": "abc"}, headers=token).status_code == 401
    confirmed = client.post("/api/v1/auth/totp/confirm", json={"code": totp.at(clock.now())}, headers=token)
    assert confirmed.status_code == 200 and confirmed.json()["enabled"] is True
    assert confirmed.json()["enabled_at"].endswith(("Z", "+00:00"))
    needed = log_in(client, "clerk")
    assert needed.status_code == 401 and needed.json()["error"]["code"] == "auth.otp_required"
    clock.advance(timedelta(seconds=30))
    granted = log_in(client, "clerk", otp=totp.at(clock.now()))
    assert granted.status_code == 200 and granted.json()["expires_at"].endswith(("Z", "+00:00"))
    assert client.post("/api/v1/auth/totp", json={"password": PASSWORD}, headers=token).status_code == 409


def test_only_staff_auditors_and_administrators_enrol(client, holder):
    assert client.post("/api/v1/auth/totp", json={"password": PASSWORD}, headers=holder["token"]).status_code == 403
    assert client.post("/api/v1/auth/totp", json={"password": PASSWORD}).status_code == 401


@pytest.mark.parametrize("data", [
    {"username": "admin", "password": PASSWORD, "otp": "1" * 13},
    {"username": "a" * 65, "password": PASSWORD},
    {"username": "admin"},
    {"username": "admin\x00", "password": "\x00" * 200, "otp": "\x00"},
])
def test_hostile_login_forms_get_a_clear_refusal(client, database, clock, data):
    make_user(database, clock, "admin", Role.ADMIN)
    answer = client.post("/api/v1/auth/token", data=data)
    assert answer.status_code in (401, 422) and answer.json()["error"]["reason_en"]


@pytest.mark.parametrize("body", [{"password": ""}, {"password": "x" * 201}, {"password": PASSWORD, "extra": 1}, {}, []])
def test_hostile_enrolment_bodies_get_422(client, database, clock, body):
    make_user(database, clock, "admin", Role.ADMIN)
    token = bearer(log_in(client, "admin"))
    assert client.post("/api/v1/auth/totp", json=body, headers=token).status_code == 422
    assert client.post("/api/v1/auth/totp/confirm", json={"code": "1" * 13}, headers=token).status_code == 422


def test_the_web_login_asks_for_the_code_only_when_the_account_has_one_and_tells_locks_in_china_time(client, database, clock):
    make_user(database, clock, "clerk", Role.STAFF, region_code="110105")
    first = client.post("/login", data=csrf_form(client, {"username": "clerk", "password": "guess"}), follow_redirects=False)
    assert first.status_code == 401 and 'name="otp"' not in first.text
    token = bearer(log_in(client, "clerk"))
    secret = client.post("/api/v1/auth/totp", json={"password": PASSWORD}, headers=token).json()["secret"]
    client.post("/api/v1/auth/totp/confirm", json={"code": pyotp.TOTP(secret).at(clock.now())}, headers=token)
    clock.advance(timedelta(seconds=30))
    asked = client.post("/login", data=csrf_form(client, {"username": "clerk", "password": PASSWORD}), follow_redirects=False)
    assert asked.status_code == 401 and 'name="otp"' in asked.text and 'value="clerk"' in asked.text
    done = client.post("/login", data=csrf_form(client, {"username": "clerk", "password": PASSWORD, "otp": pyotp.TOTP(secret).at(clock.now())}),
                       follow_redirects=False)
    assert done.status_code == 303
    for _ in range(5):
        locked = client.post("/login?lang=en", data=csrf_form(client, {"username": "clerk", "password": "guess"}), follow_redirects=False)
    assert locked.status_code == 423 and "China time (UTC+8)" in locked.text
    assert "北京时间" in client.post("/login", data=csrf_form(client, {"username": "clerk", "password": "guess"})).text
