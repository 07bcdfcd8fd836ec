"""The staff console's queue of receivers suspended for an overdue proof of life: the clerk's region only, masked."""

from datetime import date

import pytest

from shebao.benefits import payroll
from shebao.benefits.receivers import lapsed_receivers
from shebao.core.errors import DomainError
from shebao.core.security import Principal, Role
from tests.integration.test_certification_payroll import BEIJING, _at, retiree  # noqa: F401 - the fixture
from tests.integration.test_pension_award_and_payroll import _apply
from tests.support import CHAOYANG, HAIDIAN


def _clerk(region: str) -> Principal:
    return Principal(user_id=None, username=f"clerk{region}", role=Role.STAFF, region_code=region)


def test_a_lapsed_receiver_is_in_the_queue_of_their_region_only(database, clock, retiree):  # noqa: F811
    _apply(database, clock, retiree)
    with database.unit_of_work() as uow:
        assert lapsed_receivers(session=uow.session, principal=_clerk(CHAOYANG))["total"] == 0
    late = date(2025, 8, 1)  # due 2025-06-15, a month's grace: past it
    payroll.sweep_certifications(database=database, province=BEIJING, on=late, now=_at(late).now(), actor="test")
    with database.unit_of_work() as uow:
        mine = lapsed_receivers(session=uow.session, principal=_clerk(CHAOYANG))
        elsewhere = lapsed_receivers(session=uow.session, principal=_clerk(HAIDIAN))
        province = lapsed_receivers(session=uow.session, principal=_clerk(BEIJING))
        with pytest.raises(DomainError):
            lapsed_receivers(session=uow.session, principal=Principal(user_id=None, username="p", role=Role.INSURED,
                                                                      person_id=retiree))
    assert mine["total"] == 1 and province["total"] == 1 and elsewhere == {"total": 0, "items": []}
    (item,) = mine["items"]
    assert item["person_id"] == retiree and item["certified_on"] == date(2024, 6, 15)
    assert "*" in item["name"] and "*" in item["id_number_masked"]
