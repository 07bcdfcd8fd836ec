"""The passive certification import over HTTP: a missing or malformed date is a row-level reason, not
"Invalid isoformat string" (issue 9)."""

import pytest

from shebao.core.errors import DATE_FORMAT_ZH
from shebao.core.security import Role
from tests.support import CHAOYANG, make_user, token_for


@pytest.mark.parametrize("day", ["", "2025-02-30", "20250201", "2025-W05-1", "01/02/2025"])
def test_a_bad_date_is_refused_row_by_row(client, database, clock, day):
    make_user(database, clock, "clerk", Role.STAFF, region_code=CHAOYANG)
    rows = [{"id_number": "11010519491231002X", "method": "passive_hospital", "date": day, "source": "his-0001"}]
    response = client.post("/api/v1/certifications/import", json=rows, headers=token_for(client, "clerk"))
    assert response.status_code == 422, response.text
    rejected = response.json()["error"]["details"]["rejected"]
    assert rejected == [{"row": 1, "reason": DATE_FORMAT_ZH, "reason_en": "date is YYYY-MM-DD"}]
