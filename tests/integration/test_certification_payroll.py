"""Proof of life and payroll agree by construction: a month is paid only to a receiver whose certification is in
date on the day of paying (CertificationTerms.in_date), whether or not the sweep has run; the sweep suspends exactly
those the rule calls overdue; a certification in date pays what was held, once."""

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from shebao.benefits import payroll
from shebao.benefits.models import PayrollLine, PensionAward
from shebao.benefits.receivers import certify, resume_pension
from shebao.benefits.rules import CertificationTerms
from shebao.benefits.schemas import CertificationCreate
from shebao.core.audit import AuditRecord
from shebao.core.clock import FixedClock
from shebao.core.periods import Period
from shebao.core.runs import BatchRun
from shebao.core.security import SYSTEM
from shebao.policy.store import default_store
from tests.integration.test_pension_award_and_payroll import _apply, _archive
from tests.support import add_test_streets, give_active_card, register

BEIJING, MONTHLY = "110000", 697311
RETIRED = date(2024, 6, 15)  # the award counts as the first certification: due 2025-06-15, grace to 2025-07-15
_evidence = itertools.count(1)


def _at(day: date) -> FixedClock:
    return FixedClock(datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC))  # 10:00 in Beijing, the same day


def _payroll(database, period: str, day: date):
    return payroll.run_payroll(database=database, province=BEIJING, period=period, now=_at(day).now(), actor="test")


def _certify(database, person: int, on: date, today: date) -> dict:
    with database.transaction() as session:
        return certify(session=session, principal=SYSTEM, now=_at(today).now(), command=CertificationCreate(
            person_id=person, method="staff_visit", certified_on=on, evidence=f"visit {next(_evidence)}"))


def _lines(database, person: int, status: str) -> list[tuple[str, str]]:
    with database.unit_of_work() as uow:
        return uow.session.execute(select(PayrollLine.for_period, PayrollLine.hold_reason).where(
            PayrollLine.person_id == person, PayrollLine.status == status).order_by(PayrollLine.for_period)).all()


@pytest.fixture
def retiree(database, cipher, clock):
    """A man retired on 2024-06-15 with an active card, awarded 4,500.01 yuan a month from July 2024."""
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=11)
    _archive(database, clock, person)
    give_active_card(database, cipher, clock, person)
    return person


def test_an_overdue_receiver_never_swept_is_held_and_paid_once_on_certifying(database, clock, retiree):
    _apply(database, clock, retiree)
    assert _payroll(database, "202503", date(2025, 3, 1)).persons == 9
    assert _payroll(database, "202507", date(2025, 7, 15)).persons == 1  # the last day of the grace still pays
    for period, day in (("202508", date(2025, 8, 10)), ("202509", date(2025, 9, 10))):  # no sweep ever runs
        run = _payroll(database, period, day)
        assert (run.persons, run.total_fen) == (0, 0) and '"certification_lapsed": 1' in run.detail
    assert _lines(database, retiree, "held") == [("202508", "certification_lapsed"), ("202509", "certification_lapsed")]
    with database.unit_of_work() as uow:
        award = uow.session.scalar(select(PensionAward))
        assert (award.status, award.status_reason) == ("suspended", payroll.LAPSED)  # as the sweep would have left it
        assert uow.session.scalar(select(func.count()).where(AuditRecord.action == "certification.lapsed")) == 1
    result = _certify(database, retiree, date(2025, 9, 12), date(2025, 9, 12))
    assert result.resumed and (result.arrears_lines, result.arrears_fen) == (2, 2 * MONTHLY)
    assert _payroll(database, "202510", date(2025, 10, 10)).total_fen == MONTHLY  # October only: nothing twice
    paid = [period for period, _ in _lines(database, retiree, "paid")]
    assert paid == sorted(set(paid)) and len(paid) == 9 + 1 + 2 + 1


def test_the_day_after_the_grace_nothing_is_paid_until_a_certification_in_date(database, clock, retiree):
    _apply(database, clock, retiree)
    july_16 = date(2025, 7, 16)
    run = _payroll(database, "202507", july_16)  # a first payroll, late: July 2024 to July 2025 are owed
    assert (run.persons, run.total_fen) == (0, 0)  # judged on the day of paying, not on each month's first day
    assert {reason for _, reason in _lines(database, retiree, "held")} == {"certification_lapsed"}
    too_old = _certify(database, retiree, RETIRED, july_16)  # a proof of life that leaves it overdue resumes nothing
    assert (too_old.resumed, too_old.arrears_lines, too_old.status) == (False, 0, "suspended")
    with database.transaction() as session:  # staff lift the suspension, but the proof of life is still overdue
        resumed = resume_pension(session=session, principal=SYSTEM, person_id=retiree, now=_at(july_16).now())
    assert resumed["arrears_lines"] == 0 and len(_lines(database, retiree, "held")) == 13
    in_date = _certify(database, retiree, july_16, july_16)  # the award is paying already: the held months go now
    assert (in_date.arrears_lines, in_date.arrears_fen) == (13, 13 * MONTHLY) and not _lines(database, retiree, "held")


# --- the property: random certification dates, payroll months and days, sweeps ---

event = st.one_of(
    st.tuples(st.just("wait"), st.integers(1, 120)),  # days pass
    st.tuples(st.just("payroll"), st.integers(0, 2)),  # this month's payroll, or one of the two before, run today
    st.tuples(st.just("sweep"), st.just(0)),
    st.tuples(st.just("certify"), st.integers(0, 2), st.integers(0, 500)),  # who, certified how many days ago
)
_sequence = itertools.count(201, 2)


def _state(database, people: list[int]) -> dict[int, dict]:
    with database.unit_of_work() as uow:
        s = uow.session
        awards = s.execute(select(PensionAward.person_id, PensionAward.status, PensionAward.status_reason,
                                  PensionAward.certified_on).where(PensionAward.person_id.in_(people))).all()
        state = {a.person_id: {"status": a.status, "reason": a.status_reason, "certified_on": a.certified_on,
                               "paid": set(), "open": set()} for a in awards}
        for person, period, status in s.execute(select(PayrollLine.person_id, PayrollLine.for_period, PayrollLine.status)
                                                .where(PayrollLine.person_id.in_(people), PayrollLine.kind == "monthly")):
            if status == "paid":
                state[person]["paid"].add(period)
            elif status in payroll.OPEN:
                state[person]["open"].add(period)
    return state


def _receivers(database, clock, today: date, days_ago: list[int]) -> list[int]:
    people = []
    for ago in days_ago:
        person = register(database, clock=clock, cipher=database._cipher, birth=date(1964, 6, 15),
                          sequence=next(_sequence) % 1000)
        _archive(database, clock, person)
        give_active_card(database, database._cipher, clock, person)
        _apply(database, clock, person)
        _certify(database, person, max(RETIRED, today - timedelta(days=ago)), today)
        people.append(person)
    return people


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Overdue and held; a proof of life too old to bring it in date; then one in date: the held months are paid then.
@example(start=0, certified=[400, 0, 0], events=[("wait", 120), ("wait", 120), ("payroll", 0), ("certify", 0, 500),
                                                  ("certify", 0, 0)])
@given(start=st.integers(0, 540), certified=st.lists(st.integers(0, 500), min_size=3, max_size=3),
       events=st.lists(event, min_size=1, max_size=10))
def test_payroll_pays_only_the_certified_and_the_sweep_suspends_only_the_overdue(database, cipher, clock, start, certified,
                                                                                  events):
    if not getattr(database, "_cipher", None):  # the database lives across the examples: streets once
        add_test_streets(database, clock)
        database._cipher = cipher
    with database.transaction() as session:  # earlier examples' payroll months would count as done and be skipped
        session.execute(delete(BatchRun).where(BatchRun.kind == "payroll"))
    today = clock.now().date() + timedelta(days=start)
    people = _receivers(database, clock, today, certified)
    run_this_example = set()
    for step in events:
        if step[0] == "wait":
            today += timedelta(days=step[1])
            continue
        before = _state(database, people)
        month = Period.of(today)
        if step[0] == "payroll":
            month = month.plus_months(-step[1])
            _payroll(database, str(month), today)
        elif step[0] == "sweep":
            payroll.sweep_certifications(database=database, province=BEIJING, on=today, now=_at(today).now(), actor="t")
        else:
            person, ago = people[step[1]], step[2]
            _certify(database, person, max(RETIRED, today - timedelta(days=ago)), today)
        after = _state(database, people)
        terms = CertificationTerms.in_force(default_store().at(BEIJING, today))
        for person in people:
            was, now = before[person], after[person]
            in_date = terms.in_date(now["certified_on"], today)
            newly_paid = now["paid"] - was["paid"]
            assert not newly_paid or in_date, f"paid {sorted(newly_paid)} on {today} though certified {now['certified_on']}"
            assert now["paid"] >= was["paid"] and not (now["paid"] & now["open"])  # nothing unpaid, nothing twice
            swept = step[0] == "sweep" or (step[0] == "payroll" and str(month) not in run_this_example)
            if swept:  # the sweep and the payroll suspend exactly those the rule calls overdue today
                assert (now["status"] == "suspended") == (not in_date), (step, today, now)
            if step[0] == "sweep" and was["status"] == "paying":
                assert now["status"] == ("paying" if terms.in_date(was["certified_on"], today) else "suspended")
            if in_date and now["status"] == "paying" and (swept or step[0] == "certify"):
                assert not {p for p in now["open"] if p <= str(Period.of(today))}, "in date, yet a month stays held"
        if step[0] == "payroll":
            run_this_example.add(str(month))
