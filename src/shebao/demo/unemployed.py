"""A few unemployed people for the demo: laid off three months ago through the one-key application,
with their benefit and the medical contributions the fund paid for them since; and one laid off at the end of last
month whose employer recorded the layoff, who has not applied yet (the demo account `demo.laidoff`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from shebao.accounts.models import User
from shebao.benefits.claims import apply_unemployment, pay_unemployment, unemployment_months
from shebao.benefits.models import PensionAward, UnemploymentClaim
from shebao.benefits.schemas import UnemploymentApply
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database
from shebao.core.errors import DomainError
from shebao.core.periods import Period
from shebao.core.security import SYSTEM, Role, hash_password
from shebao.demo.accounts import DEMO_ACCOUNTS
from shebao.enrollment.models import Participation
from shebao.enrollment.schemas import EmployeeLeave
from shebao.policy.store import default_store
from shebao.registry.models import Person
from shebao.services import employment

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


DEMO_LAID_OFF = next(a for a in DEMO_ACCOUNTS if a.username == "demo.laidoff")
LAYOFF_REASON = "经济性裁员（演示） economic layoff (demo)"


def prepare_demo_laidoff(*, database: Database, province: str, now: datetime) -> int | None:
    """`demo.laidoff`: a worker under 50 with more unemployment months than the minimum, laid off on the last day of
    last month — the employer recorded the leave and its reason — who has not applied yet. Returns the person's id,
    or None when the account exists already or nobody qualifies."""
    today = china_today(now)
    separation = Period.of(today).first_day() - timedelta(days=1)
    with database.transaction() as session:
        if session.scalar(select(User.id).where(User.username == DEMO_LAID_OFF.username)) is not None:
            return None
        taken = select(User.person_id).where(User.person_id.isnot(None))
        claimed = select(UnemploymentClaim.person_id)
        pensioners = select(PensionAward.person_id)
        candidates = session.execute(select(Participation.person_id, Participation.employer_id, Participation.region_code)
                                     .join(Person, Person.id == Participation.person_id).where(
            Participation.province == province, Participation.mode == "employer", Participation.status == "active",
            Participation.scheme == "unemployment", Participation.start_date < separation,
            Person.status == "living", Person.birth_date > date(today.year - 50, 1, 1),
            Participation.person_id.notin_(taken), Participation.person_id.notin_(claimed),
            Participation.person_id.notin_(pensioners)).order_by(Participation.person_id.desc()).limit(CANDIDATES)).all()
        for person_id, employer_id, region in candidates:
            minimum = default_store().at(region, separation).value("unemployment.minimum_contribution_months")
            if unemployment_months(session=session, person_id=person_id) < minimum:
                continue
            trial = session.begin_nested()  # the months as counted once the leave has corrected the months after it
            employment.leave(session=session, principal=SYSTEM, employer_id=employer_id, person_id=person_id,
                             command=EmployeeLeave(end_date=separation, reason=LAYOFF_REASON), now=now)
            if unemployment_months(session=session, person_id=person_id) < minimum:
                trial.rollback()
                continue
            trial.commit()
            session.add(User(username=DEMO_LAID_OFF.username, display_name=DEMO_LAID_OFF.label_zh,
                             role=Role.INSURED.value, person_id=person_id, password_hash=hash_password(DEMO_LAID_OFF.password),
                             failed_logins=0, active=True, created_at=utc_naive(now)))
            return person_id
    return None
