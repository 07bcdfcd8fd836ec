"""A month billed with a base floor served past its validity is recorded as provisional, and corrected in one
batch once the new floor is loaded; a result whose values are still provisional waits."""

import dataclasses
from datetime import date

from sqlalchemy import select

from shebao.contributions import batch
from shebao.contributions.models import Assessment, Correction
from shebao.core.runs import ProvisionalResult
from shebao.policy.store import ParameterStore, default_store
from shebao.services.provisional import reconcile
from tests.integration.conftest import PROVINCE

LIMITS = ("contribution.base.floor_fen", "contribution.base.ceiling_fen")


def before_july_2024_published() -> ParameterStore:
    """Beijing's base limits as they stood before those of July 2024 were published: the last ones known only
    until June, served provisionally after."""
    base = default_store()
    own = dict(base.provinces[PROVINCE])
    for path in LIMITS:
        known = [v for v in own[path].values if v.since < date(2024, 7, 1)]
        known[-1] = dataclasses.replace(known[-1], until=date(2024, 6, 30))
        own[path] = dataclasses.replace(own[path], values=tuple(known), past_validity="provisional")
    return ParameterStore(base.national, dict(base.provinces) | {PROVINCE: own})


def test_a_provisional_month_is_corrected_once_the_floor_is_loaded(database, province):
    clock = province["clock"]
    early = before_july_2024_published()
    batch.run_month_end(database=database, province=PROVINCE, period="202407", now=clock.now(), actor="test",
                        store=early)
    below_floor = province["people"][0][0]  # declared 5,000 yuan: billed on the floor
    with database.unit_of_work() as uow:
        (result,) = uow.session.scalars(select(ProvisionalResult)).all()
        assert (result.kind, result.period, result.corrected_at) == ("month_end", "202407", None)
        billed = uow.session.scalar(select(Assessment.used_base_fen).where(Assessment.person_id == below_floor))
    assert billed == early.at(PROVINCE, date(2024, 7, 1)).value("contribution.base.floor_fen")

    waiting = reconcile(database=database, now=clock.now(), actor="test", store=early)
    assert waiting["corrected"] == [] and waiting["still_provisional"][0]["period"] == "202407"

    done = reconcile(database=database, now=clock.now(), actor="test")  # the values of July 2024 are loaded
    (month,) = done["corrected"]
    assert month["periods"] == ["202407"] and month["correction"]["cause"] == "parameter"
    floor = default_store().at(PROVINCE, date(2024, 7, 1)).value("contribution.base.floor_fen")
    with database.unit_of_work() as uow:
        current = uow.session.scalars(select(Assessment).where(Assessment.person_id == below_floor,
                                                               Assessment.superseded_by.is_(None))).one()
        assert current.used_base_fen == floor != billed and current.version == 2
        assert uow.session.scalar(select(ProvisionalResult.corrected_by)) == f"correction:{month['correction']['id']}"
        assert len(uow.session.scalars(select(Correction)).all()) == 1
    assert reconcile(database=database, now=clock.now(), actor="test") == {"corrected": [], "still_provisional": []}
