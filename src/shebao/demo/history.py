"""A few years of history for the demo province: jobs and flexible work, declared bases, and for each
month the real month-end, the bank's collection file and, each new year, interest crediting — the same
batches an agency runs, so `make run` shows real records and statements."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from shebao.contributions.batch import run_month_end
from shebao.contributions.collection import settle_period_in_full
from shebao.contributions.models import BaseDeclaration
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database
from shebao.core.periods import Period
from shebao.enrollment.models import Participation, ParticipationEvent
from shebao.enrollment.rules import SCHEMES_BY_MODE, Mode, exclusion_group
from shebao.ledger.batch import credit_interest
from shebao.policy.store import default_store
from shebao.registry.models import Employer, Person

Progress = Callable[[str, int, int], None]
EMPLOYED_SHARE, FLEXIBLE_SHARE, JOB_CHANGE_SHARE = 0.70, 0.10, 0.20
UNPAID_EVERY = 12  # in the last months, every 12th payer has not paid yet: arrears and interruptions to show


def enroll_working_population(*, session: Session, province: str, start: Period, now: datetime,
                              random_seed: int = 20240701) -> dict[str, int]:
    """Jobs (some changing employer), flexible work and declared bases for the working-age people."""
    rng = random.Random(random_seed)
    today = china_today(now)
    employers = list(session.execute(select(Employer.id, Employer.region_code).where(Employer.region_code.startswith(province[:2]))))
    people = session.execute(select(Person.id, Person.birth_date, Person.sex, Person.residence_region_code)
                             .where(Person.status == "living", Person.residence_region_code.startswith(province[:2]))
                             .where(~select(Participation.id).where(Participation.person_id == Person.id).exists())).all()
    stamp, first_day = utc_naive(now), start.first_day()
    participations, declarations, counts = [], [], {"employees": 0, "flexible": 0, "job_changes": 0}
    average = default_store().at(province, today).value("wages.average_monthly_fen")
    for person_id, birth, sex, residence in people:
        age = today.year - birth.year
        if not 18 <= age < (60 if sex == "M" else 55):
            continue
        began = max(first_day, date(birth.year + 18, birth.month, min(birth.day, 28)))
        draw = rng.random()
        wage = int(average * rng.lognormvariate(-0.15, 0.45))
        if draw < EMPLOYED_SHARE:
            spells = _job_spells(rng, began, today, employers)
            counts["employees"] += 1
            counts["job_changes"] += len(spells) - 1
            for employer_id, region, spell_start, spell_end in spells:
                participations += _rows(person_id, Mode.EMPLOYER, employer_id, region, province, spell_start, spell_end, stamp)
                declarations += _bases(person_id, "employer", employer_id, Period.of(spell_start), today, wage,
                                       began.year, stamp)
        elif draw < EMPLOYED_SHARE + FLEXIBLE_SHARE:
            counts["flexible"] += 1
            participations += _rows(person_id, Mode.FLEXIBLE, None, residence, province, began, None, stamp)
            declarations += _bases(person_id, "flexible", person_id, Period.of(began), today, int(wage * 0.7),
                                   began.year, stamp)
    if participations:
        _insert_participations(session, participations)
        session.execute(insert(BaseDeclaration), declarations)
    return counts


def _job_spells(rng: random.Random, began: date, today: date, employers: list) -> list[tuple[int, str, date, date | None]]:
    first = rng.choice(employers)
    if rng.random() >= JOB_CHANGE_SHARE or (today - began).days < 120:
        return [(first.id, first.region_code, began, None)]
    switch = began + timedelta(days=rng.randint(60, (today - began).days - 30))
    last_day = date(switch.year, switch.month, 1) - timedelta(days=1)
    second = rng.choice([e for e in employers if e.id != first.id] or employers)
    return [(first.id, first.region_code, began, max(last_day, began)), (second.id, second.region_code, last_day + timedelta(days=1), None)]


def _rows(person_id: int, mode: Mode, employer_id: int | None, region: str, province: str, start: date,
          end: date | None, stamp: datetime) -> list[dict]:
    status = "ended" if end else "active"
    return [{"person_id": person_id, "scheme": scheme.value, "exclusion_group": exclusion_group(scheme), "mode": mode.value,
             "employer_id": employer_id, "region_code": region, "province": province, "start_date": start,
             "end_date": end, "status": status, "created_at": stamp, "updated_at": stamp} for scheme in SCHEMES_BY_MODE[mode]]


def _bases(person_id: int, payer_kind: str, payer_id: int, first: Period, today: date, wage: int, wage_year: int,
           stamp: datetime) -> list[dict]:
    """A declaration when the job starts and every July after, the wage growing about 5% a year from wage_year."""
    periods = [first] + [Period(y, 7) for y in range(first.year, today.year + 1) if Period(y, 7) > first
                         and Period(y, 7) <= Period.of(today)]
    return [{"person_id": person_id, "payer_kind": payer_kind, "payer_id": payer_id, "effective_period": str(p),
             "declared_base_fen": int(wage * 1.05 ** (p.year - wage_year)), "declared_by": "system:demo",
             "declared_at": stamp} for p in periods]


def _insert_participations(session: Session, rows: list[dict]) -> None:
    session.execute(insert(Participation), rows)
    created = session.execute(select(Participation.id, Participation.start_date, Participation.end_date)
                              .where(~select(ParticipationEvent.id)
                                     .where(ParticipationEvent.participation_id == Participation.id).exists())).all()
    stamp = rows[0]["created_at"]
    events = [{"participation_id": pid, "event": "started", "on": start, "reason": "演示数据 demo", "actor": "system:demo",
               "recorded_at": stamp} for pid, start, _ in created]
    events += [{"participation_id": pid, "event": "ended", "on": end, "reason": "演示数据 demo", "actor": "system:demo",
                "recorded_at": stamp} for pid, _, end in created if end is not None]
    session.execute(insert(ParticipationEvent), events)


def run_history(*, database: Database, province: str, start: Period, now: datetime,
                progress: Progress | None = None) -> int:
    """Month-end, collection and interest for every month from start to last month."""
    progress = progress or (lambda _stage, _done, _total: None)
    last = Period.of(china_today(now)).plus_months(-1)
    months = start.months_until(last) + 1
    for index in range(months):
        month = start.plus_months(index)
        run_month_end(database=database, province=province, period=str(month), now=now, actor="system:demo")
        following = month.plus_months(1)
        paid_on = date(following.year, following.month, 10)
        if paid_on <= china_today(now):
            recent = last.months_until(month) > -3
            settle_period_in_full(database=database, province=province, period=str(month), paid_on=paid_on,
                                  actor="system:demo", now=now, unpaid_every=UNPAID_EVERY if recent else 0)
        # December was paid in January: the year is complete, and is credited once its rate is published
        if month.month == 1 and month.year - 1 >= start.year and _rate_published(province, month.year - 1):
            credit_interest(database=database, province=province, year=month.year - 1, now=now, actor="system:demo")
        progress("history", index + 1, months)
    return months


def _rate_published(province: str, year: int) -> bool:
    """Whether the year's crediting rate is loaded: it refuses to be used past its year (policy.value_expired), and a
    demo seeded early in a year, before the ministry announces last year's rate, leaves that year uncredited."""
    known = default_store().known_until(province, "pension.crediting_rate")
    return known is None or known >= date(year, 12, 31)
