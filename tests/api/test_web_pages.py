"""Every web page's foundation (web/kit.py): each role lands on its own page, every form carries a CSRF token and is
refused without it, the session cookie's flags, a form submitted twice does its work once, large text and language."""

import pytest
from sqlalchemy import func, select

from shebao.core.audit import AuditRecord
from shebao.core.security import Role
from shebao.services.permissions import PAGES
from shebao.web import citizen_apply_pages, citizen_selfpay_pages, employer_pages, pages, staff_pages, staff_queue_pages
from shebao.web.kit import CSRF_COOKIE
from tests.api.test_enrollment_api import setup  # noqa: F401 - the fixture
from tests.support import CHAOYANG, HAIDIAN, PASSWORD, csrf_form, give_active_card, id_number, make_user

PAGE_ROUTERS = (pages.router, employer_pages.router, staff_pages.router, staff_queue_pages.router,
                citizen_apply_pages.router, citizen_selfpay_pages.router)
POST_PAGES = sorted({route.path for router in PAGE_ROUTERS for route in router.routes if "POST" in route.methods})
REFUSED = 'data-message="csrf_refused"'


@pytest.fixture
def world(client, database, clock, cipher, setup):  # noqa: F811 - the enrollment API's clerk, firm and person
    make_user(database, clock, "manager", Role.STAFF, region_code="110000")
    make_user(database, clock, "auditor", Role.AUDITOR)
    make_user(database, clock, "root", Role.ADMIN)
    hired = client.post(f"/api/v1/employers/{setup['employer']}/employees", headers=setup["firm"],
                        json={"id_number": id_number(), "start_date": "2024-01-01"})
    assert hired.status_code == 201, hired.text
    return {"person": {"id": setup["person"]}, "firm": {"id": setup["employer"]}, "cipher": cipher, "clock": clock}


def _log_in(client, username: str):
    return client.post("/login", data=csrf_form(client, {"username": username, "password": PASSWORD}),
                       follow_redirects=False)


@pytest.mark.parametrize(("username", "landing", "heading", "links", "not_links"), [
    ("zhangwei", "/me", "我的社保档案", ["/me/pension", "/ecard"], ["/staff", "/employer", "/cockpit"]),
    ("firm", "/employer", "单位大厅", ["/employer"], ["/me", "/staff", "/cockpit"]),
    ("clerk", "/staff", "经办工作台", ["/staff"], ["/cockpit", "/me", "/employer"]),
    ("manager", "/staff", "经办工作台", ["/staff", "/cockpit"], ["/me", "/employer"]),
    ("auditor", "/staff", "经办工作台", ["/staff", "/cockpit"], ["/me"]),
    ("root", "/staff", "经办工作台", ["/staff", "/cockpit"], ["/me"]),
])
def test_each_role_lands_on_its_own_page_not_the_login_form(client, world, username, landing, heading, links, not_links):
    done = _log_in(client, username)
    assert done.status_code == 303 and done.headers["location"] == landing
    page = client.get(landing)
    assert page.status_code == 200 and heading in page.text
    assert 'name="password"' not in page.text  # not sent back to the login form
    nav = page.text.split('<nav aria-label="主导航"', 1)[1].split("</nav>", 1)[0]
    for href in links:
        assert f'href="{href}"' in nav, href
    for href in not_links:
        assert f'href="{href}"' not in nav, href
    assert 'action="/logout"' in page.text and 'href="#main"' in page.text and '<main id="main"' in page.text
    # Another role's page sends this one home, not to the login form.
    for other in {"/me", "/employer", "/staff"} - {landing}:
        away = client.get(other, follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"] == landing, other


def test_the_employer_hall_shows_the_employers_own_record_employees_and_bills(client, world):
    _log_in(client, "firm")
    page = client.get("/employer")
    assert "朝阳商贸有限公司" in page.text and "统一社会信用代码" in page.text
    assert 'data-stat="employees">1<' in page.text
    assert "张*" in page.text and id_number() not in page.text  # masked: neither the name nor the number whole
    assert 'data-arrears="0"' in page.text
    english = client.get("/employer?lang=en")
    assert "Employer hall" in english.text and "Employees insured" in english.text


def test_the_staff_console_counts_its_queues_and_finds_a_person_in_its_region_only(client, world, database):
    _log_in(client, "clerk")
    page = client.get("/staff")
    assert f'data-region="{CHAOYANG}"' in page.text
    for queue in ("queue_comparison", "queue_risk", "queue_transfers", "queue_certification"):
        assert f'data-queue="{queue}">0<' in page.text, queue
    assert 'action="/staff/person"' in page.text  # the ID number goes in the body, never the address

    def views() -> int:
        with database.unit_of_work() as uow:
            return uow.session.scalar(select(func.count()).select_from(AuditRecord)
                                      .where(AuditRecord.action.in_(("person.viewed", "person.record_viewed"))))

    before = views()
    found = client.post("/staff/person", data=csrf_form(client, {"id_number": id_number()}))
    assert found.status_code == 200 and "张伟" in found.text and "data-found" in found.text
    assert views() == before + 2  # the lookup and the record, both audited
    bad = client.post("/staff/person", data=csrf_form(client, {"id_number": "11010519800517123"}))
    assert bad.status_code == 422 and 'id="id_number_error"' in bad.text and "data-found" not in bad.text
    nobody = client.post("/staff/person", data=csrf_form(client, {"id_number": id_number(sequence=77)}))
    assert nobody.status_code == 404
    assert views() == before + 2
    # A clerk of another county gets the same answer for a stranger's number as for a number nobody has.
    make_user(database, world["clock"], "haidian", Role.STAFF, region_code=HAIDIAN)
    client.cookies.clear()
    _log_in(client, "haidian")
    outside = client.post("/staff/person", data=csrf_form(client, {"id_number": id_number()}))
    assert outside.status_code == 404 and "张伟" not in outside.text
    assert outside.text.count("role=\"alert\"") == nobody.text.count("role=\"alert\"")


@pytest.mark.parametrize("path", POST_PAGES)
def test_every_page_form_is_refused_without_the_right_csrf_token(client, world, path):
    _log_in(client, "zhangwei")
    token = client.cookies.get(CSRF_COOKIE)
    fields = {"username": "zhangwei", "password": PASSWORD, "category": "male", "id_number": id_number()}
    missing = client.post(path, data=fields, follow_redirects=False)
    wrong = client.post(path, data=fields | {"csrf": "x" * 43}, follow_redirects=False)
    for refused in (missing, wrong):
        assert refused.status_code == 403 and REFUSED in refused.text
        assert "表单已过期" in refused.text and "重新打开页面" in refused.text
        back = refused.text.split('<p><a href="', 1)[1].split('"', 1)[0]
        assert client.get(back).status_code == 200, back  # the way back is a page that shows the form again
    english = client.post(path + "?lang=en", data=fields, follow_redirects=False)
    assert english.status_code == 403 and "This form has expired" in english.text
    json_body = client.post(path, json=fields | {"csrf": token}, follow_redirects=False)
    assert json_body.status_code == 403  # the token is read from a form only
    right = client.post(path, data=fields | {"csrf": token}, follow_redirects=False)
    assert right.status_code != 403 and REFUSED not in right.text


def test_every_form_on_every_page_carries_the_token(client, world):
    token = client.cookies.get(CSRF_COOKIE) or (client.get("/login") and client.cookies.get(CSRF_COOKIE))
    assert f'name="csrf" value="{token}"' in client.get("/login").text
    _log_in(client, "zhangwei")
    token = client.cookies.get(CSRF_COOKIE)
    for url in ("/me", "/me/pension", "/ecard"):
        text = client.get(url).text
        assert text.count("<form") == text.count(f'name="csrf" value="{token}"') >= 1, url


def test_cookies_are_httponly_strict_and_secure_off_this_machine(client, world):
    for host, secure in (("127.0.0.1", False), ("localhost:8000", False), ("shebao.example.gov.cn", True)):
        client.cookies.clear()
        first = client.get("/login", headers={"host": host})
        csrf = first.headers["set-cookie"]
        assert csrf.startswith(CSRF_COOKIE + "=") and "HttpOnly" in csrf and "SameSite=Strict" in csrf
        token = csrf.split(";", 1)[0].split("=", 1)[1]
        client.cookies.clear()  # a Secure cookie is not sent back over http: send it as the browser would over https
        done = client.post("/login", data={"username": "zhangwei", "password": PASSWORD, "csrf": token},
                           headers={"host": host, "cookie": f"{CSRF_COOKIE}={token}"}, follow_redirects=False)
        assert done.status_code == 303
        session = [c for c in done.headers.get_list("set-cookie") if c.startswith("shebao_token=")][0]
        assert "HttpOnly" in session and "samesite=strict" in session.lower()
        assert ("Secure" in session) is secure and ("Secure" in csrf) is secure, host


def test_logging_in_gives_a_new_csrf_token(client, world):
    client.get("/login")
    before = client.cookies.get(CSRF_COOKIE)
    _log_in(client, "zhangwei")
    assert client.cookies.get(CSRF_COOKIE) != before


def test_a_form_submitted_twice_does_its_work_once(client, world, database):
    give_active_card(database, world["cipher"], world["clock"], world["person"]["id"])
    _log_in(client, "zhangwei")
    form = client.get("/ecard").text
    once = form.split('name="once" value="', 1)[1].split('"', 1)[0]
    assert len(once) >= 16

    def opened() -> int:
        with database.unit_of_work() as uow:
            return uow.session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "ecard.opened"))

    wrong = client.post("/ecard/open", data=csrf_form(client, {"password": "not-it", "once": once}), follow_redirects=False)
    assert wrong.status_code == 401 and opened() == 0, wrong.text[-1500:]  # refused: the token is given back with the rollback
    first = client.post("/ecard/open", data=csrf_form(client, {"password": PASSWORD, "once": once}), follow_redirects=False)
    assert first.status_code == 303 and opened() == 1
    second = client.post("/ecard/open", data=csrf_form(client, {"password": PASSWORD, "once": once}), follow_redirects=False)
    assert second.status_code == 409 and 'data-message="already_done"' in second.text and opened() == 1
    for bad in ("", "short", "x" * 70, "中文中文中文中文中文中文中文中文"):
        refused = client.post("/ecard/open", data=csrf_form(client, {"password": PASSWORD, "once": bad}),
                              follow_redirects=False)
        assert refused.status_code == 422 and "表单已失效" in refused.text, bad
    assert opened() == 1


def test_large_text_and_language_are_one_click_and_remembered(client, world):
    assert 'class="large-text"' not in client.get("/login").text
    switched = client.get("/login?text=large")
    assert 'class="large-text"' in switched.text and "text_size=large" in switched.headers["set-cookie"]
    assert 'class="large-text"' in client.get("/").text and 'href="?text=normal"' in client.get("/").text
    client.get("/?text=normal")
    assert 'class="large-text"' not in client.get("/login").text
    english = client.get("/login?lang=en")
    assert "lang=en" in english.headers["set-cookie"]
    assert "Log in" in client.get("/login").text and 'lang="en"' in client.get("/login").text
    client.get("/login?lang=zh")
    assert "登录" in client.get("/login").text


def test_no_id_number_in_any_page_address():
    for router in PAGE_ROUTERS:
        for route in router.routes:
            assert "id_number" not in route.path and "{" not in route.path, route.path


def test_every_page_route_is_in_the_permission_table():
    routes = {f"{method} {route.path}" for router in PAGE_ROUTERS for route in router.routes
              for method in route.methods if method != "HEAD"}
    assert sorted(routes - set(PAGES)) == []
    for key in ("GET /employer", "GET /staff", "POST /staff/person"):
        assert not PAGES[key].writes and Role.AUDITOR not in PAGES[key].roles or not PAGES[key].writes


def test_pages_without_a_login_send_to_the_login_form(client):
    for url in ("/me", "/employer", "/staff"):
        answer = client.get(url, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login", url
    refused = client.post("/staff/person", data=csrf_form(client, {"id_number": id_number()}), follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == "/login"
