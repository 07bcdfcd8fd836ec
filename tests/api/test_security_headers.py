"""Every response carries the security headers; every cookie is HttpOnly with SameSite, and Secure off this machine."""

from shebao.core.http import harden_cookie
from shebao.core.security import Role
from tests.support import PASSWORD, csrf_form, make_user


def test_every_answer_carries_the_security_headers(client):
    for url in ("/", "/login", "/api/v1/health", "/api/v1/persons", "/no/such/page"):
        headers = client.get(url).headers
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'self';" in headers["content-security-policy"]  # no inline script on any page
        assert headers["referrer-policy"] == "no-referrer"
    assert "'unsafe-inline'" in client.get("/docs").headers["content-security-policy"].split("script-src")[1].split(";")[0]


def test_the_login_cookie_is_secure_off_this_machine(client, database, clock):
    make_user(database, clock, "citizen", Role.AUDITOR)
    form = {"username": "citizen", "password": PASSWORD}
    local = client.post("/login", data=csrf_form(client, form), follow_redirects=False)
    remote = client.post("/login", data=csrf_form(client, form), follow_redirects=False,
                         headers={"host": "shebao.example.gov.cn"})
    for response in (local, remote):
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Secure" not in local.headers["set-cookie"] and "Secure" in remote.headers["set-cookie"]
    assert "strict-transport-security" in remote.headers and "strict-transport-security" not in local.headers


def test_a_cookie_without_attributes_gets_them():
    assert harden_cookie(b"lang=zh; Path=/", secure=True) == b"lang=zh; Path=/; HttpOnly; SameSite=Lax; Secure"
    assert harden_cookie(b"t=1; HttpOnly; SameSite=strict", secure=False) == b"t=1; HttpOnly; SameSite=strict"
