"""Registering a person as one use case across contexts: the registry records the person (one person, one number),
then the linkage (comparison) looks for a likely existing record under another number — the same name, birth date
and sex, a legacy or mistyped form of a number — and warns. The registration stands either way; the pair waits in
the linkage review queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from shebao.comparison import linkage
from shebao.core.security import FieldCipher, Principal
from shebao.policy.store import ParameterStore
from shebao.registry import service as registry
from shebao.registry.schemas import PersonCreate, PersonRegistered, RegistrationWarning


def register_person(*, session: Session, cipher: FieldCipher, principal: Principal, command: PersonCreate,
                    now: datetime, store: ParameterStore | None = None) -> PersonRegistered:
    """Registers a person under their citizen ID number and says which existing records they may duplicate."""
    person = registry.register_person(session=session, cipher=cipher, principal=principal, command=command, now=now)
    warnings = linkage.registration_warnings(session=session, cipher=cipher, person_id=person.id, actor=principal.actor,
                                             now=now, store=store)
    return PersonRegistered(**person.model_dump(), warnings=[RegistrationWarning(**w) for w in warnings])
