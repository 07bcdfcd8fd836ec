"""No personal data in the logs: a clerk's search by ID number and a person's own pages are logged by method, path and
status only — neither the ID number typed, nor the name found, nor the password reaches a log line."""

import logging

import pytest
import structlog
from structlog.testing import capture_logs

from tests.api.test_enrollment_api import setup  # noqa: F401 - the fixture
from tests.api.test_web_pages import _log_in, world  # noqa: F401 - the fixture
from tests.support import PASSWORD, csrf_form, id_number


@pytest.fixture
def info_logged():
    """The requests are logged at INFO; the test settings log warnings only."""
    before = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    yield
    structlog.configure(**before)


def test_searches_and_own_pages_leave_no_personal_data_in_the_log(client, world, info_logged):  # noqa: F811
    with capture_logs() as lines:
        _log_in(client, "clerk")
        found = client.post("/staff/person", data=csrf_form(client, {"id_number": id_number()}))
        assert found.status_code == 200 and "张伟" in found.text
        client.cookies.clear()
        _log_in(client, "zhangwei")
        assert client.get("/me").status_code == 200 and client.get("/me/card").status_code == 200
    assert any(line.get("path") == "/staff/person" for line in lines)  # the requests were logged
    logged = repr(lines)
    for private in (id_number(), "张伟", PASSWORD):
        assert private not in logged, private
