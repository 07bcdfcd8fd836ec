"""A few unemployed people for the demo: laid off three months ago through the one-key application,
with their benefit and the medical contributions the fund paid for them since."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from shebao.accounts.models import User
from shebao.benefits.claims import apply_unemployment, pay_unemployment
from shebao.benefits.schemas import UnemploymentApply
from shebao.core.clock import china_today
from shebao.core.db import Database
from shebao.core.errors import DomainError
from shebao.core.periods import Period
from shebao.core.security import SYSTEM
from shebao.enrollment.models import Participation

LAID_OFF = 5
CANDIDATES = 40


def prepare_demo_unemployed(*, database: Database, province: str, now: datetime) -> int:
    """Registers up to five layoffs (only people the rules accept) and pays their months; returns how many."""
    today = china_today(now)
    separation = Period.of(today).plus_months(-2).first_day() - timedelta(days=1)
    with database.unit_of_work() as uow:
        demo_person = uow.session.scalar(select(User.person_id).where(User.username == "demo.person"))
        candidates = uow.session.execute(
            select(Participation.person_id, Participation.region_code).where(
                Participation.province == province, Participation.mode == "employer", Participation.status == "active",
                Participation.scheme == "unemployment", Participation.start_date <= separation - timedelta(days=365),
                Participation.person_id != (demo_person or 0)).order_by(Participation.person_id).limit(CANDIDATES)).all()
    registered = 0
    for person_id, region in candidates:
        if registered == LAID_OFF:
            break
        try:
            with database.transaction() as session:
                apply_unemployment(session=session, principal=SYSTEM, now=now, command=UnemploymentApply(
                    person_id=person_id, separation_date=separation, reason="employer_terminated", region_code=region))
            registered += 1
        except DomainError:
            continue  # not eligible (too few paid months, …): the rules decide, as at a counter
    month = Period.of(separation).plus_months(1)
    while month <= Period.of(today):
        pay_unemployment(database=database, province=province, period=str(month), now=now, actor="system:demo")
        month = month.plus_months(1)
    return registered
