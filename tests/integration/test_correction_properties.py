"""Property: facts reported late, once corrected, leave everything as if they had been known from the start.

Each example draws careers for pairs of twins — the same person twice, employed by two employers of the same
industry. For the "known" twin every fact (the hire, the declared base, a corrected base, a leave or a death) is
recorded before month-end bills the months; for the "late" twin the same facts arrive after the months were
billed and paid (a hire dated back, a base declared and corrected for billed months, a leave or a death dated
back) and are corrected. Then, twin against twin: every current assessment of every month, the personal account,
the months counted and each employer's net bill per month are equal; the late employer's credit is exactly what
it paid too much; and the ledger balances.
"""

import random
import shutil
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from shebao.benefits import record
from shebao.benefits.schemas import DeathReport
from shebao.contributions import batch
from shebao.contributions.collection import outstanding, record_payment, settle_period_in_full
from shebao.contributions.models import Assessment, BaseDeclaration, Bill, Payment, PaymentAllocation
from shebao.contributions.rules import late_fee
from shebao.contributions.schemas import BaseCorrect, BaseDeclare
from shebao.contributions.service import correct_base, declare_base
from shebao.core.clock import FixedClock
from shebao.core.db import Database
from shebao.core.errors import NotFound
from shebao.core.periods import Period
from shebao.core.security import SYSTEM
from shebao.demo.seed import demo_credit_code
from shebao.enrollment.schemas import EmployeeHire, EmployeeLeave
from shebao.ledger import service as ledger
from shebao.ledger.models import JournalLine
from shebao.policy.store import default_store
from shebao.registry import service as registry
from shebao.registry.schemas import EmployerCreate, PersonCreate
from shebao.services import deaths, employment
from tests.conftest import _reset_postgres
from tests.support import CHAOYANG, CHAOYANG_STREET, add_test_streets, id_number

PROVINCE = "110000"
MONTHS = [Period(2024, 9).plus_months(k) for k in range(6)]  # 202409 … 202502, billed and paid each month
TODAY = datetime(2025, 3, 20, 2, 0, tzinfo=UTC)
PARTS = ("used_base_fen", "pension_employer_fen", "pension_individual_fen", "pension_account_fen",
         "medical_employer_fen", "medical_individual_fen", "unemployment_employer_fen", "unemployment_individual_fen",
         "work_injury_employer_fen", "maternity_employer_fen", "total_fen")


def _last_day(month: Period) -> date:
    return month.plus_months(1).first_day() - timedelta(days=1)


career = st.fixed_dictionaries({
    "start": st.integers(0, 2), "start_day": st.sampled_from([1, 16]),
    "late_hire": st.booleans(),  # the late twin's hire is recorded after the months were billed
    "base": st.sampled_from([None, 500_000, 1_200_000, 2_500_000, 5_000_000]),
    "corrected_base": st.sampled_from([None, 900_000, 1_800_000, 4_000_000]),
    "ends": st.sampled_from([None, "leave", "death"]), "end": st.integers(0, 5), "end_day": st.sampled_from([5, 31]),
})


def _fresh(request, database_url: str, tmp_path, counter=[0]) -> Database:  # noqa: B006 - a counter across examples
    if database_url.startswith("sqlite"):
        counter[0] += 1
        target = tmp_path / f"example{counter[0]}.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return Database(f"sqlite:///{target}")
    _reset_postgres(database_url)
    return Database(database_url)


def _setup(database, clock, cipher, careers):
    add_test_streets(database, clock)
    with database.transaction() as session:
        firms = [registry.register_employer(session=session, principal=SYSTEM, now=clock.now(), command=EmployerCreate(
            uscc=demo_credit_code(CHAOYANG, random.Random(k)), name=f"孪生测试{'甲乙'[k]}有限公司", region_code=CHAOYANG,
            industry_code="E47")).id for k in range(2)]
        twins = []
        for index, _ in enumerate(careers):
            pair = []
            for twin in range(2):
                number = id_number(birth=date(1975 + index, 3, 1), sequence=200 + 10 * index + twin)
                registry.register_person(session=session, cipher=cipher, principal=SYSTEM, now=clock.now(),
                                         command=PersonCreate(id_number=number, name=f"孪生{'一二三'[index]}{'甲乙'[twin]}",
                                                              hukou_region_code=CHAOYANG,
                                                              residence_region_code=CHAOYANG_STREET))
                pair.append(number)
            twins.append(pair)
    return firms, twins


def _person(database, cipher, number):
    with database.unit_of_work() as uow:
        return registry.person_by_id_number(session=uow.session, cipher=cipher, id_number=number,
                                            today=TODAY.date()).id


def _facts(database, clock, cipher, firm, number, plan, *, hire=True, rest=True):
    """Records the career's facts for one twin: the hire (and its base) and/or the rest (a corrected base, an end)."""
    start = MONTHS[plan["start"]].first_day().replace(day=plan["start_day"])
    person = _person(database, cipher, number)
    if hire:
        with database.transaction() as session:
            employment.hire(session=session, cipher=cipher, principal=SYSTEM, employer_id=firm, now=clock.now(),
                            command=EmployeeHire(id_number=number, start_date=start))
        if plan["base"] is not None:
            with database.transaction() as session:
                declare_base(session=session, principal=SYSTEM, now=clock.now(), command=BaseDeclare(
                    person_id=person, effective_period=str(Period.of(start)), declared_base_fen=plan["base"]))
    if not rest:
        return
    if plan["corrected_base"] is not None and plan["base"] is not None and plan["corrected_base"] != plan["base"]:
        with database.transaction() as session:
            declaration = session.scalar(select(BaseDeclaration.id).where(BaseDeclaration.person_id == person))
            correct_base(session=session, principal=SYSTEM, declaration_id=declaration, now=clock.now(),
                         command=BaseCorrect(declared_base_fen=plan["corrected_base"]))
    end_month = MONTHS[max(plan["end"], plan["start"])]
    last_day = min(_last_day(end_month), end_month.first_day().replace(day=plan["end_day"] if plan["end_day"] < 28 else 28))
    last_day = max(last_day, start)
    if plan["ends"] == "leave":
        with database.transaction() as session:
            employment.leave(session=session, principal=SYSTEM, employer_id=firm, person_id=person, now=clock.now(),
                             command=EmployeeLeave(end_date=last_day, reason="离职"))
    elif plan["ends"] == "death":
        with database.transaction() as session:
            deaths.record_death(session=session, principal=SYSTEM, now=clock.now(),
                                command=DeathReport(person_id=person, death_date=last_day, source="civil_affairs"))


def _bill_and_pay_every_month(database, clock):
    for month in MONTHS:
        batch.run_month_end(database=database, province=PROVINCE, period=str(month), now=clock.now(), actor="test")
        following = month.plus_months(1)
        with suppress(NotFound):  # a month no one was insured in has no bills
            settle_period_in_full(database=database, province=PROVINCE, period=str(month), actor="test",
                                  now=clock.now(), paid_on=date(following.year, following.month, 10))


def _pay_what_is_owed(database, clock, firm):
    today = TODAY.date()
    rate = default_store().at(PROVINCE, today).value("contribution.late_fee_daily_rate")
    with database.transaction() as session:
        debts = outstanding(session=session, payer_kind="employer", payer_id=firm)
        owed = sum(unpaid + late_fee(unpaid, max((today - bill.due_date).days, 0), rate) for bill, unpaid in debts)
        if owed:
            record_payment(session=session, key=f"final:{firm}", payer_kind="employer", payer_id=firm, amount_fen=owed,
                           received_on=today, actor="test", now=clock.now())


def _figures(database, person):
    with database.unit_of_work() as uow:
        s = uow.session
        rows = {a.period: tuple(getattr(a, p) for p in PARTS) for a in s.scalars(select(Assessment).where(
            Assessment.person_id == person, Assessment.superseded_by.is_(None), Assessment.total_fen != 0))}
        counted = s.scalar(select(func.count(func.distinct(Assessment.period))).where(
            Assessment.person_id == person, Assessment.pension_account_fen > 0, record._paid()))
        return {"months": rows, "counted": counted,
                "account": ledger.personal_account_balance(session=s, person_id=person)}


def _net_bills(database, firm):
    with database.unit_of_work() as uow:
        return dict(uow.session.execute(select(Bill.period, func.sum(Bill.amount_fen)).where(
            Bill.payer_kind == "employer", Bill.payer_id == firm).group_by(Bill.period)).all())


def _principal_paid_and_credit_left(database, firm):
    with database.unit_of_work() as uow:
        s = uow.session
        allocated = (select(PaymentAllocation.payment_id, func.sum(PaymentAllocation.principal_fen).label("fen"))
                     .group_by(PaymentAllocation.payment_id).subquery())
        by_method = dict(s.execute(select(Payment.method, func.coalesce(func.sum(allocated.c.fen), 0))
                                   .outerjoin(allocated, allocated.c.payment_id == Payment.id)
                                   .where(Payment.payer_kind == "employer", Payment.payer_id == firm)
                                   .group_by(Payment.method)).all())
        credits = s.scalar(select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
            Payment.payer_kind == "employer", Payment.payer_id == firm, Payment.method == "credit"))
        return int(by_method.get("bank", 0)), int(credits) - int(by_method.get("credit", 0))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(careers=st.lists(career, min_size=1, max_size=3))
def test_late_facts_corrected_equal_facts_known_from_the_start(request, database_url, tmp_path, cipher, careers):
    database = _fresh(request, database_url, tmp_path)
    try:
        clock = FixedClock(TODAY)
        (late_firm, known_firm), twins = _setup(database, clock, cipher, careers)
        for plan, (late, known) in zip(careers, twins):
            _facts(database, clock, cipher, known_firm, known, plan)
            _facts(database, clock, cipher, late_firm, late, plan, hire=not plan["late_hire"], rest=False)
        _bill_and_pay_every_month(database, clock)
        for plan, (late, _) in zip(careers, twins):  # the late facts arrive, dated back into billed, paid months
            _facts(database, clock, cipher, late_firm, late, plan, hire=plan["late_hire"], rest=True)
        _pay_what_is_owed(database, clock, late_firm)

        for plan, (late, known) in zip(careers, twins):
            assert _figures(database, _person(database, cipher, late)) == \
                _figures(database, _person(database, cipher, known)), plan
        late_bills, known_bills = _net_bills(database, late_firm), _net_bills(database, known_firm)
        assert {p: v for p, v in late_bills.items() if v} == {p: v for p, v in known_bills.items() if v}
        late_paid, late_credit = _principal_paid_and_credit_left(database, late_firm)
        known_paid, known_credit = _principal_paid_and_credit_left(database, known_firm)
        assert known_credit == 0 and late_paid - late_credit == known_paid
        with database.unit_of_work() as uow:
            assert uow.session.scalar(select(func.coalesce(func.sum(JournalLine.amount_fen), 0))) == 0
            assert ledger.unbalanced_entries(session=uow.session) == []
    finally:
        database.dispose()
