"""Property-based fuzzing of the whole API against its own OpenAPI document (schemathesis).

For every operation, a bounded number of generated requests — valid and invalid — sent as an
administrator (the widest reach, so the most code runs) into a database holding a few people: no answer
may be a server error, and every answer must be one the document declares, in the shape it declares
(status codes, content types, bodies, timestamps with their timezone).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shebao.app import create_app
from shebao.core.security import Role
from shebao.settings import Settings
from tests.support import add_test_streets, give_active_card, make_user, register, token_for

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _document() -> dict:
    """The document as the running app serves it (the app is built only to describe itself)."""
    return create_app(Settings(environment="test", database_url="sqlite://", log_level="WARNING")).openapi()


schema = schemathesis.openapi.from_dict(_document())


@pytest.fixture
def admin(client, database, cipher, clock):
    """A few people, a card and an administrator's token: enough for generated ids to hit real records."""
    from datetime import date

    add_test_streets(database, clock)
    for sequence in range(1, 6):
        person = register(database, cipher, clock, birth=date(1960 + sequence, 3, 1), sequence=sequence * 2 + 1)
    give_active_card(database, cipher, clock, person)
    make_user(database, clock, "fuzz.admin", Role.ADMIN)
    return token_for(client, "fuzz.admin")


@pytest.mark.filterwarnings("ignore:Setting per-request cookies")
@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_answer_as_documented(case, client, admin):
    request = case.as_transport_kwargs(base_url="http://testserver", headers=admin)
    response = client.request(**_for_httpx(request))
    response.request.read()  # a multipart body (an evidence upload) is sent as a stream: read it for the checks' report
    case.validate_response(response, checks=CHECKS)


def _for_httpx(request: dict) -> dict:
    """schemathesis speaks `requests`; the test client is httpx: raw bodies travel as `content`."""
    request = dict(request)
    if isinstance(request.get("data"), bytes | str):
        request["content"] = request.pop("data")
    if request.get("files"):  # generated multipart parts: httpx encodes text and bytes only (a number as its text)
        request["files"] = [(name, (part[0], part[1] if isinstance(part[1], bytes | str) else str(part[1]), *part[2:]))
                            for name, part in request["files"]]
    return request
