"""Retirement as one use case across contexts: the place of benefit decided by the transfer rules over the whole
history (temporary accounts included), every other province's part gathered there first, then the award."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from shebao.benefits import service as benefits
from shebao.benefits.schemas import RetirementApply
from shebao.core.security import Principal
from shebao.policy.store import ParameterStore, default_store
from shebao.registry.models import Person
from shebao.transfers import service as transfers


def place_of(store: ParameterStore) -> benefits.PlaceOf:
    """The place of benefit as benefits asks for it: the province, why, the months by province, and the provinces
    that still hold part of the record or funds."""
    def decide(session: Session, person: Person, day: date) -> benefits.BenefitPlace:
        place = transfers.benefit_place_of(session=session, person=person, day=day, store=store)
        left = transfers.ungathered(session=session, person_id=person.id, place=place.province, store=store)
        return benefits.BenefitPlace(place.province, place.reason, place.reason_en, place.months_by_province,
                                     tuple(part["province"] for part in left))
    return decide


def apply_for_retirement(*, session: Session, principal: Principal, command: RetirementApply, now: datetime,
                         store: ParameterStore | None = None) -> benefits.RetirementOutcome:
    """Retires a person from their own record where the transfer rules say, once every other province's part is
    gathered there (`shebao transfer gather`)."""
    store = store or default_store()
    return benefits.apply_for_retirement(session=session, principal=principal, command=command, now=now,
                                         place_of=place_of(store), store=store)
