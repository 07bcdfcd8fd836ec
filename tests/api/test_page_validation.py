"""A page's form the framework refuses before the page runs (a field too long, a field missing) answers with a page in
words, in the reader's language, not JSON; the API's refusal stays JSON."""

from tests.api.test_enrollment_api import setup  # noqa: F401 - the fixture
from tests.api.test_web_pages import _log_in, world  # noqa: F401 - the fixture
from tests.support import csrf_form


def test_a_form_field_too_long_is_refused_in_words_on_a_page(client, world):  # noqa: F811
    _log_in(client, "clerk")
    refused = client.post("/staff/person", data=csrf_form(client, {"id_number": "1" * 41}))
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("text/html")
    assert "请求内容有误" in refused.text and 'href="/staff"' in refused.text and "<main" in refused.text
    english = client.post("/staff/person?lang=en", data=csrf_form(client, {"id_number": "1" * 41}))
    assert english.status_code == 422 and "invalid request" in english.text


def test_the_api_still_answers_json(client, world):  # noqa: F811
    answer = client.post("/api/v1/auth/token", data={"username": "x" * 500, "password": "y"})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "request.invalid"
