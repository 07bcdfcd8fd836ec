"""Retirees for the demo province: their archive, their awards, a year of payroll and certifications.

Everyone in the province who reached the statutory age since the calculation wage has been published
(mid-2022) gets a believable archive (deemed years, yearly bases, a personal-account balance), retires
on their statutory date and is awarded by the real batch. Payroll then runs month by month for the
last year, each month's bank batch prepared by the provincial manager and approved by the administrator
(maker-checker) — the last month's waits for its approval; the bank returned two payments of the month before
(account closed, name and account do not match), held until the accounts are fixed. Most receivers were certified
in the past year; a few were not and are suspended by the sweep; a few cards are frozen (held); one receiver dies
and what was paid after the death is recovered.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from stdnum import luhn

from shebao.accounts.models import User
from shebao.benefits import awards, payroll
from shebao.benefits.archive import bring_forward
from shebao.benefits.models import Certification, PensionAward, RetirementApplication
from shebao.benefits.rules import Group, add_months, age_in_months
from shebao.benefits.schemas import ArchiveYear, DeathReport
from shebao.benefits.service import retirement_date
from shebao.cards.models import Card, CardEvent
from shebao.cards.rules import VALID_STATES
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database
from shebao.core.periods import Period
from shebao.core.regions import NATIONAL_REGION
from shebao.core.security import SYSTEM, FieldCipher, Principal, Role, hash_password
from shebao.demo.accounts import DEMO_ACCOUNTS
from shebao.enrollment.models import Participation
from shebao.payouts import service as payouts
from shebao.payouts.models import PayoutLine
from shebao.payouts.rules import line_reference
from shebao.policy.store import default_store
from shebao.registry.models import Person
from shebao.services.bank_returns import import_bank_returns
from shebao.services.deaths import record_death

FIRST_RETIREMENT = date(2022, 8, 1)  # the calculation wage is published from 2022-07
PAYROLL_MONTHS = 12
METHODS = (("online_face", 0.6), ("passive_bank", 0.2), ("passive_hospital", 0.15), ("staff_visit", 0.05))
DEMO_RETIREE = next((a.username, a.password) for a in DEMO_ACCOUNTS if a.username == "demo.retiree")


def prepare_demo_retirees(*, database: Database, cipher: FieldCipher, province: str, now: datetime,
                          random_seed: int = 20240701, progress=None) -> int:  # noqa: ANN001
    """Creates the retirees, awards them and runs the last year of payroll; returns how many were awarded."""
    rng, today = random.Random(random_seed), china_today(now)
    progress = progress or (lambda _stage, _done, _total: None)
    with database.transaction() as session:
        if session.scalar(select(PensionAward.id).where(PensionAward.province == province).limit(1)) is not None:
            return 0
        retirees = _choose(session, province, today)
        _archive(session, rng, province, retirees, now)
        session.execute(insert(RetirementApplication), [
            {"person_id": p, "province": province, "region_code": region, "category": group.value, "retire_date": day,
             "age_months": age_in_months(birth, day), "ground": "statutory",
             "status": "pending", "applied_by": "system:demo", "applied_at": utc_naive(now)}
            for p, birth, region, group, day in retirees])
    run = awards.award_pending(database=database, province=province, now=now, actor="system:demo", progress=progress)
    if today.year > 2025:  # the 2025 rise, for those who retired before it
        payroll.adjust_pensions(database=database, province=province, year=2025, now=now, actor="system:demo")
    first_payroll = Period.of(today).plus_months(1 - PAYROLL_MONTHS)
    with database.transaction() as session:
        # Pensions in payment before the platform's first payroll month were paid by the legacy system.
        session.execute(update(PensionAward).where(PensionAward.province == province,
                                                   PensionAward.first_period < str(first_payroll))
                        .values(first_period=str(first_payroll)))
        _cards(session, cipher, province, [r[0] for r in retirees], now, rng)
        _certifications(session, rng, province, today, now)
        _demo_user(session, province, now)
    for k in range(PAYROLL_MONTHS):
        month = first_payroll.plus_months(k)
        payroll.run_payroll(database=database, province=province, period=str(month), now=now, actor="system:demo")
        _release(database, province, str(month), now, approve=k < PAYROLL_MONTHS - 1)
        if k == PAYROLL_MONTHS - 2:
            _bank_returns(database, province, str(month), now)
        progress("payroll", k + 1, PAYROLL_MONTHS)
    payroll.sweep_certifications(database=database, province=province, on=today, now=now, actor="system:demo")
    _one_death(database, province, today, now)
    return run.persons


def _choose(session, province: str, today: date) -> list[tuple[int, date, str, Group, date]]:  # noqa: ANN001
    """Living people of the province, not working, whose statutory date fell between mid-2022 and today."""
    working = select(Participation.id).where(Participation.person_id == Person.id).exists()
    people = session.execute(select(Person.id, Person.birth_date, Person.sex, Person.residence_region_code)
                             .where(Person.status == "living", Person.hukou_region_code.startswith(province[:2]),
                                    Person.birth_date.between(date(1957, 1, 1), date(1975, 12, 31)), ~working)
                             .order_by(Person.id)).all()
    chosen = []
    for person_id, birth, sex, region in people:
        group = Group.MALE if sex == "M" else Group.FEMALE_CADRE
        day = retirement_date(birth_date=birth, sex=sex, group=group, region=province).statutory_date
        if FIRST_RETIREMENT <= day <= today - timedelta(days=31):
            chosen.append((person_id, birth, region, group, day))
    return chosen


def _archive(session, rng: random.Random, province: str, retirees: list, now: datetime) -> None:  # noqa: ANN001
    store = default_store()
    years, balances = [], {}
    for person_id, birth, _region, _group, day in retirees:
        first_job = birth.year + rng.randint(18, 24)
        index = Decimal(rng.choice(["0.6", "0.8", "1.0", "1.0", "1.2", "1.5", "2.0"]))
        balance = Decimal(0)
        for year in range(first_job, day.year):
            wage = int(1_000_000 * 1.08 ** (year - 2022))  # an average wage growing 8% a year to 10,000 yuan in 2022
            if year < 1996:
                years.append(ArchiveYear(person_id=person_id, province=province, year=year, kind="deemed", months=12))
                continue
            months = 12 if rng.random() > 0.06 else rng.randint(3, 11)
            base = int(wage * index * months)
            years.append(ArchiveYear(person_id=person_id, province=province, year=year, kind="archive", months=months,
                                     base_sum_fen=base, average_wage_fen=wage))
            credited = store.at(province, date(max(year, 1998), 7, 1)).value("contribution.pension.personal_account_rate")
            balance = balance * Decimal("1.04") + base * credited  # a demo's 4% a year, the credit as the law set it
        balances[person_id] = max(int(balance), 100)
    bring_forward(session=session, province=province, years=years, balances=balances, period=str(Period.of(now.date())),
                  actor="system:demo", now=now)


def _cards(session, cipher: FieldCipher, province: str, persons: list[int], now: datetime,  # noqa: ANN001
           rng: random.Random) -> None:
    """Every retiree's card is active with a bank account (taken over from the legacy card system); a few are frozen."""
    stamp = utc_naive(now)
    valid = [state.value for state in VALID_STATES]
    cards = dict(session.execute(select(Card.person_id, Card.id).where(
        Card.person_id.in_(persons), Card.state.in_(valid), Card.state != "frozen")).all())
    frozen = set(session.scalars(select(Card.person_id).where(Card.person_id.in_(persons), Card.state == "frozen")))
    rows, changes = [], []
    for person_id in persons:
        number, account = f"{province[:2]}{person_id + 70_000_000:08d}", f"62220400{person_id:07d}"
        row = {"state": "frozen" if rng.random() < 0.02 else "active", "bank_code": "ICBC",
               "card_number": number + luhn.calc_check_digit(number), "chip_serial": f"{person_id:08X}",
               "bank_account_enc": cipher.encrypt("bank_account", account + luhn.calc_check_digit(account)),
               "issue_date": stamp.date(), "expiry_date": add_months(stamp.date(), 120), "updated_at": stamp}
        if person_id in cards:
            changes.append(row | {"id": cards[person_id]})
        elif person_id not in frozen:
            rows.append(row | {"person_id": person_id, "province": province, "pin_failures": 0, "applied_region": province,
                               "created_at": stamp})
    if changes:
        session.execute(update(Card), changes)  # one executemany by primary key
    if rows:
        session.execute(insert(Card), rows)
    events = select(Card.id, Card.state).where(Card.person_id.in_(persons))
    session.execute(insert(CardEvent), [{"card_id": card_id, "move": "take_over", "from_state": None, "to_state": state,
                                         "actor": "system:demo", "region_code": province, "at": stamp,
                                         "reason": "从原社保卡系统接管 taken over from the legacy card system"}
                                        for card_id, state in session.execute(events)])


def _certifications(session, rng: random.Random, province: str, today: date, now: datetime) -> None:  # noqa: ANN001
    """Most receivers certified within the year (online, bank, hospital, visit); about 3% never did."""
    rows, certified = [], []
    for award_id, person_id, retired in session.execute(select(PensionAward.id, PensionAward.person_id, PensionAward.retire_date)
                                                        .where(PensionAward.province == province)):
        if rng.random() < 0.03:
            continue
        method = rng.choices([m for m, _ in METHODS], [w for _, w in METHODS])[0]
        day = max(retired, today - timedelta(days=rng.randint(5, 330)))
        rows.append({"person_id": person_id, "method": method, "certified_on": day, "evidence": f"demo-{method}-{award_id}",
                     "recorded_by": "system:demo", "recorded_at": utc_naive(now)})
        certified.append({"id": award_id, "certified_on": day})
    if rows:
        session.execute(insert(Certification), rows)
        session.execute(update(PensionAward), certified)  # one executemany by primary key


def _demo_user(session, province: str, now: datetime) -> None:  # noqa: ANN001
    username, password = DEMO_RETIREE
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        return
    person_id = session.scalar(select(PensionAward.person_id).where(PensionAward.province == province)
                               .order_by(PensionAward.id).limit(1))
    if person_id is None:
        return
    session.add(User(username=username, display_name="退休人员", role=Role.INSURED.value, person_id=person_id,
                     password_hash=hash_password(password), failed_logins=0, active=True, created_at=utc_naive(now)))


MAKER = Principal(user_id=None, username="demo.province", role=Role.STAFF)
CHECKER = Principal(user_id=None, username="admin", role=Role.ADMIN, region_code=NATIONAL_REGION)


def _release(database: Database, province: str, period: str, now: datetime, *, approve: bool) -> None:
    """The month's bank batches prepared by the provincial manager and, but for the last month's, approved by the
    administrator: a second person, as every release needs."""
    maker = replace(MAKER, region_code=province)
    with database.transaction() as session:
        for batch in payouts.batches(session=session, principal=CHECKER, province=province, period=period, status="open"):
            payouts.prepare_batch(session=session, principal=maker, batch_id=batch.id, now=now)
            if approve:
                payouts.approve_batch(session=session, principal=CHECKER, batch_id=batch.id, now=now)


def _bank_returns(database: Database, province: str, period: str, now: datetime) -> None:
    """The bank sends back two payments of the month (the demo retiree's stay paid): an account closed, a name
    that does not match the account. They are owed again, held until the accounts are fixed."""
    with database.transaction() as session:
        first = session.scalar(select(func.min(PensionAward.person_id)).where(PensionAward.province == province))
        released = [batch.id for batch in payouts.batches(session=session, principal=CHECKER, province=province,
                                                          period=period, status="released")]
        lines = session.execute(select(PayoutLine.id, PayoutLine.amount_fen).where(
            PayoutLine.batch_id.in_(released), PayoutLine.person_id != first).order_by(PayoutLine.id.desc()).limit(2)).all()
        if len(lines) < 2:
            return
        rows = [f"{line_reference(line_id)},{reason},{amount}" for (line_id, amount), reason
                in zip(lines, ("account_closed", "name_mismatch"))]
        import_bank_returns(session=session, principal=CHECKER, province=province, file_name=f"ICBC-return-{period}.csv",
                            csv_text="reference,reason_code,amount_fen\n" + "\n".join(rows) + "\n", now=now)


def _one_death(database: Database, province: str, today: date, now: datetime) -> None:
    """A receiver last proved alive before it died early two months ago: every context reacts — payment stops and
    what was paid since is recovered, the card is cancelled, the family is offered the survivor benefits."""
    died = add_months(today.replace(day=3), -2)
    with database.transaction() as session:
        first = session.scalar(select(func.min(PensionAward.id)).where(PensionAward.province == province))
        person_id = session.scalar(select(PensionAward.person_id).where(
            PensionAward.province == province, PensionAward.status == "paying", PensionAward.id != first,
            PensionAward.certified_on < died).order_by(PensionAward.id.desc()).limit(1))  # the demo retiree stays alive
        if person_id is None:
            return
        record_death(session=session, principal=SYSTEM, now=now,
                     command=DeathReport(person_id=person_id, death_date=died, source="民政部门死亡登记（演示）"))
