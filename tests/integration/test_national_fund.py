"""The national adjustment's yearly settlement on a real database: two provinces billed by month-end and with
retirees on their rolls — Beijing (many well-paid workers, one retiree) and Heilongjiang (few workers, many
retirees) — settled through the ledger: Σ received = Σ remitted, the national account back at zero, the trial
balance sound, a rerun posting nothing, bad years refused with nothing written."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, inspect, select

from shebao.benefits.models import PensionAward, RetirementApplication
from shebao.contributions.batch import run_month_end
from shebao.contributions.schemas import BaseDeclare
from shebao.contributions.service import declare_base
from shebao.core.clock import FixedClock, utc_naive
from shebao.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shebao.core.security import SYSTEM, Principal, Role
from shebao.demo.seed import demo_credit_code
from shebao.enrollment import service as enrollment
from shebao.enrollment.schemas import EmployeeHire
from shebao.ledger import national_fund
from shebao.ledger import service as ledger
from shebao.ledger.models import JournalEntry, NationalSettlement
from shebao.ledger.rules import remittance_fen
from shebao.registry import service as registry
from shebao.registry.schemas import EmployerCreate, PersonCreate
from tests.support import CHAOYANG, CHAOYANG_STREET, add_test_streets, id_number

BEIJING, HEILONGJIANG, HARBIN = "110000", "230000", "230102"
YEAR, MONTHS = 2024, ("202401", "202402", "202403")
BILLED = FixedClock(datetime(2024, 8, 20, 2, 0, tzinfo=UTC))
NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)  # 2024 is over
RATE_2024 = 45_000  # 4.5% in millionths (national_fund.yaml)


def _workers(database, cipher, region: str, residence: str, bases: list[int], sequence: int) -> None:
    with database.transaction() as session:
        firm = registry.register_employer(session=session, principal=SYSTEM, now=BILLED.now(), command=EmployerCreate(
            uscc=demo_credit_code(region, random.Random(region)), name=f"测试{region}有限公司", region_code=region,
            industry_code="E47"))
        for index, base in enumerate(bases):
            number = id_number(region, date(1980 + index, 1, 1), sequence + 2 * index + 1)
            person = registry.register_person(session=session, cipher=cipher, principal=SYSTEM, now=BILLED.now(),
                                              command=PersonCreate(id_number=number, name="职工", hukou_region_code=region,
                                                                   residence_region_code=residence))
            enrollment.hire(session=session, cipher=cipher, principal=SYSTEM, employer_id=firm.id, now=BILLED.now(),
                            command=EmployeeHire(id_number=number, start_date=date(2024, 1, 1)))
            declare_base(session=session, principal=SYSTEM, now=BILLED.now(), command=BaseDeclare(
                person_id=person.id, effective_period="202401", declared_base_fen=base))


def _retirees(database, cipher, region: str, residence: str, count: int, sequence: int, *, first_period: str = "202301",
              stop_period: str | None = None, status: str = "paying") -> None:
    """Awards on the province's rolls, as the award batch would have left them (the figures do not matter here)."""
    with database.transaction() as session:
        for index in range(count):
            person = registry.register_person(session=session, cipher=cipher, principal=SYSTEM, now=BILLED.now(),
                                              command=PersonCreate(id_number=id_number(region, date(1960, 1, 1),
                                                                                       sequence + 2 * index + 1),
                                                                   name="退休职工", hukou_region_code=region,
                                                                   residence_region_code=residence))
            application = RetirementApplication(
                person_id=person.id, province=region[:2] + "0000", region_code=region, category="male",
                retire_date=date(2020, 1, 1), age_months=720, ground="statutory", status="awarded", applied_by="test",
                applied_at=utc_naive(BILLED.now()))
            session.add(application)
            session.flush()
            session.add(PensionAward(
                person_id=person.id, application_id=application.id, province=region[:2] + "0000",
                retire_date=date(2020, 1, 1), first_period=first_period, age_months=720, contribution_months=360,
                deemed_months=0, index_ten_thousandths=10000, personal_account_fen=0, calculation_wage_fen=1_000_000,
                divisor_units=139 * 600, basic_fen=300_000, account_fen=0, transitional_fen=0, monthly_fen=300_000,
                account_remaining_fen=0, status=status, stop_period=stop_period, certified_on=date(2024, 1, 1),
                awarded_by="test", awarded_at=utc_naive(BILLED.now())))


@pytest.fixture
def country(database, cipher):
    build_country(database, cipher)


def build_country(database, cipher) -> None:
    """Beijing: four workers billed January to March 2024, one retiree; Heilongjiang: one worker, three retirees."""
    add_test_streets(database, BILLED)
    _workers(database, cipher, CHAOYANG, CHAOYANG_STREET, [1_200_000, 2_000_000, 3_000_000, 800_000], 100)
    _workers(database, cipher, HARBIN, HARBIN, [600_000], 200)
    _retirees(database, cipher, CHAOYANG, CHAOYANG_STREET, 1, 300)
    _retirees(database, cipher, HARBIN, HARBIN, 3, 400)
    # Not on the rolls in December 2024: awarded from 2025, and stopped (deceased) from 2024-06.
    _retirees(database, cipher, HARBIN, HARBIN, 1, 500, first_period="202501")
    _retirees(database, cipher, HARBIN, HARBIN, 1, 600, stop_period="202406", status="stopped")
    for province in (BEIJING, HEILONGJIANG):
        for month in MONTHS:
            run_month_end(database=database, province=province, period=month, now=BILLED.now(), actor="test")


def _settle(database, *, principal=SYSTEM, year=YEAR, now=NOW):
    with database.transaction() as session:
        return national_fund.settle(session=session, principal=principal, year=year, now=now)


def _expected_bases(database) -> dict[str, tuple[int, int]]:
    from shebao.contributions.models import Assessment

    with database.unit_of_work() as uow:
        rows = uow.session.execute(select(Assessment.province, func.sum(Assessment.used_base_fen), func.count())
                                   .where(Assessment.superseded_by.is_(None), Assessment.pension_employer_fen > 0)
                                   .group_by(Assessment.province)).all()
    return {province: (int(total), count) for province, total, count in rows}


def test_the_settlement_balances_and_the_deficit_province_gains(database, country):
    result = _settle(database)
    bases = _expected_bases(database)
    lines = {line.province: line for line in result.lines}
    assert set(lines) == {BEIJING, HEILONGJIANG} and result.newly_settled
    for province, line in lines.items():
        assert (line.base_fen, line.assessments) == bases[province]
        assert line.remitted_fen == remittance_fen(line.base_fen, RATE_2024)
    assert (lines[BEIJING].retirees, lines[HEILONGJIANG].retirees) == (1, 3)
    pot = lines[BEIJING].remitted_fen + lines[HEILONGJIANG].remitted_fen
    assert result.remitted_fen == result.received_fen == pot
    assert lines[BEIJING].received_fen + lines[HEILONGJIANG].received_fen == pot
    assert abs(lines[HEILONGJIANG].received_fen - pot * 3 / 4) <= 1
    assert lines[HEILONGJIANG].net_fen > 0 > lines[BEIJING].net_fen  # the deficit province gains, Beijing pays in
    assert lines[HEILONGJIANG].received_fen > lines[HEILONGJIANG].remitted_fen
    assert result.national_movement_fen == 0 and result.national_balance_fen == 0 and result.balanced
    assert result.rate == "0.045" and "verify" in result.source and result.retirees_counted == "on_rolls_in_december"
    with database.unit_of_work() as uow:
        session = uow.session
        assert sum(ledger.trial_balance(session=session).values()) == 0
        assert ledger.unbalanced_entries(session=session) == []
        keys = set(session.scalars(select(JournalEntry.idempotency_key).where(
            JournalEntry.idempotency_key.like(f"national-fund:{YEAR}:%"))))
        assert keys == {f"national-fund:{YEAR}:{p}:{step}" for p in (BEIJING, HEILONGJIANG) for step in ("remit", "receive")}
        periods = set(session.scalars(select(JournalEntry.for_period).where(JournalEntry.idempotency_key.in_(keys))))
        assert periods == {f"{YEAR}12"}


def test_a_rerun_posts_nothing_and_returns_the_same_figures(database, country):
    first = _settle(database)
    with database.unit_of_work() as uow:
        entries = uow.session.scalar(select(func.count()).select_from(JournalEntry))
    again = _settle(database, now=datetime(2025, 6, 1, tzinfo=UTC))
    assert not again.newly_settled
    assert again.model_dump(exclude={"newly_settled"}) == first.model_dump(exclude={"newly_settled"})
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(JournalEntry)) == entries
        assert uow.session.scalar(select(func.count()).select_from(NationalSettlement)) == 2


@pytest.mark.parametrize(("year", "code"), [(2025, "national_fund.year"), (2026, "national_fund.year"),
                                            (2017, "national_fund.year"), (2023, "national_fund.no_data")])
def test_bad_years_are_refused_with_nothing_written(database, country, year, code):
    with pytest.raises((InvalidInput, Conflict)) as refused:
        _settle(database, year=year)
    assert refused.value.code == code
    assert refused.value.reason and refused.value.reason_en
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(NationalSettlement)) == 0
        assert uow.session.scalar(select(func.count()).where(JournalEntry.kind.in_(("remittance", "allocation")))) == 0


def test_a_closed_month_refuses_the_whole_settlement(database, country):
    with database.transaction() as session:
        ledger.close_period(session=session, province=HEILONGJIANG, period="202503", actor="test",
                            now=datetime(2025, 4, 2, tzinfo=UTC))
    with pytest.raises(Conflict) as refused:
        _settle(database, now=datetime(2025, 3, 20, tzinfo=UTC))
    assert refused.value.code == "period.closed"
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(NationalSettlement)) == 0
        assert uow.session.scalar(select(func.count()).where(JournalEntry.kind == "remittance")) == 0


def test_only_an_administrator_settles(database, country):
    auditor = Principal(user_id=None, username="a", role=Role.AUDITOR)
    with pytest.raises(Forbidden):
        _settle(database, principal=auditor)


def test_statements_by_role(database, country):
    _settle(database)
    harbin_clerk = Principal(user_id=None, username="h", role=Role.STAFF, region_code=HARBIN)
    auditor = Principal(user_id=None, username="a", role=Role.AUDITOR)
    with database.unit_of_work() as uow:
        session = uow.session
        mine = national_fund.statement(session=session, principal=harbin_clerk, year=YEAR)
        assert [line.province for line in mine.lines] == [HEILONGJIANG]
        with pytest.raises(Forbidden):
            national_fund.statement(session=session, principal=harbin_clerk, year=YEAR, province=BEIJING)
        everyone = national_fund.statement(session=session, principal=auditor, year=YEAR)
        assert [line.province for line in everyone.lines] == [BEIJING, HEILONGJIANG]
        shanghai = national_fund.statement(session=session, principal=auditor, year=YEAR, province="310000")
        assert shanghai.lines[0].in_settlement is False and shanghai.lines[0].received_fen == 0
        with pytest.raises(NotFound):
            national_fund.statement(session=session, principal=auditor, year=2023)
        with pytest.raises(InvalidInput):
            national_fund.statement(session=session, principal=auditor, year=YEAR, province="110105")


def test_the_tables_read_are_the_schemas(database):
    """The settlement reads the assessments and awards through table clauses of its own: their columns exist."""
    with database.unit_of_work() as uow:
        inspector = inspect(uow.session.get_bind())
        for clause in (national_fund.ASSESSMENTS, national_fund.PENSION_AWARDS):
            columns = {c["name"] for c in inspector.get_columns(clause.name)}
            assert {c.name for c in clause.columns} <= columns, clause.name
