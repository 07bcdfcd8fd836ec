"""A page asked for without a login sends to the login form and, once logged in, back to that page — when the role may
open it; never to another host, a query string or another role's page."""

import pytest

from tests.api.test_enrollment_api import setup  # noqa: F401 - the fixture
from tests.api.test_web_pages import _log_in, world  # noqa: F401 - the fixture


@pytest.mark.parametrize(("asked", "username", "lands"), [
    ("/me/card", "zhangwei", "/me/card"),
    ("/me/reminders", "zhangwei", "/me/reminders"),
    ("/staff/risk", "clerk", "/staff/risk"),
    ("/employer/bills", "firm", "/employer/bills"),
    ("/staff/risk", "zhangwei", "/me"),  # not this role's page: its own landing instead
    ("/cockpit", "clerk", "/staff"),  # a county clerk sees no cockpit
])
def test_the_login_goes_back_to_the_page_asked_for(client, world, asked, username, lands):  # noqa: F811
    away = client.get(asked, follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == "/login"
    done = _log_in(client, username)
    assert done.status_code == 303 and done.headers["location"] == lands
    assert 'after_login=""' in done.headers["set-cookie"]  # spent: the next login lands as usual


def test_only_a_plain_path_is_remembered(client, world):  # noqa: F811
    client.cookies.set("after_login", "//evil.example/me")
    assert _log_in(client, "zhangwei").headers["location"] == "/me"
    client.cookies.clear()
    client.cookies.set("after_login", "/me?id_number=1")
    assert _log_in(client, "zhangwei").headers["location"] == "/me"
    client.cookies.clear()
    answer = client.get("/me?lang=en", follow_redirects=False)
    assert "after_login=/me;" in answer.headers["set-cookie"]  # the path only: the query is not kept
