"""A hire: one event that the insurances and a running unemployment benefit both react to.

The employer (or a clerk) registers the employee; the five insurances start on the hire date (enrollment),
and an unemployment benefit being drawn stops from that date (benefits), in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from shebao.benefits import claims
from shebao.core.security import FieldCipher, Principal
from shebao.enrollment import service as enrollment
from shebao.enrollment.schemas import EmployeeHire, ParticipationRead


def hire(*, session: Session, cipher: FieldCipher, principal: Principal, employer_id: int, command: EmployeeHire,
         now: datetime) -> list[ParticipationRead]:
    """An employer registers an employee: the insurances start, and unemployment benefit stops."""
    started = enrollment.hire(session=session, cipher=cipher, principal=principal, employer_id=employer_id,
                              command=command, now=now)
    claims.stop_on_reemployment(session=session, person_id=started[0].person_id, start=command.start_date, now=now)
    return started
