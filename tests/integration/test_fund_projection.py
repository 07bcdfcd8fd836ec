"""The fund projection on a real database (SQLite, and PostgreSQL when configured): the starting point equals what an
independent reading of the test data says — contributors by sex and age with their bases, receivers with their
pensions, the pooled balance through the as-of month — and the command answers JSON, a table, and refusals with exit
1 and no traceback."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from shebao.benefits.models import PensionAward
from shebao.cli import app
from shebao.contributions.models import Assessment
from shebao.core.errors import InvalidInput
from shebao.ledger import chart
from shebao.ledger import service as ledger
from shebao.ledger.models import JournalEntry, JournalLine, LedgerAccount
from shebao.ledger.rules import AccountKind, Line
from shebao.policy.store import default_store
from shebao.registry.models import Person
from shebao.risk.projection import project_fund
from tests.integration.test_national_fund import BEIJING, build_country

AS_OF, TODAY = date(2024, 12, 31), date(2025, 3, 1)
IN_THE_POOL = 5_000_000  # posted in 2024-12: counted; the same again in 2025-01, after the as-of month: not counted


@pytest.fixture
def country(database, cipher, clock):
    build_country(database, cipher)
    with database.transaction() as session:
        pool = ledger.account_id(session=session, account=chart.pooling_fund("pension", province=BEIJING), now=clock.now())
        cash = ledger.account_id(session=session, account=chart.province_account(AccountKind.CASH, province=BEIJING),
                                 now=clock.now())
        for period in ("202412", "202501"):
            ledger.post_entry(session=session, key=f"test:pool:{period}", province=BEIJING, period=period, kind="test",
                              memo="test", lines=[Line(cash, IN_THE_POOL), Line(pool, -IN_THE_POOL)], actor="test",
                              now=clock.now())


def _independent(database) -> dict:
    """The starting point read another way: every row loaded and summed here, by sex and age at the as-of month."""
    with database.unit_of_work() as uow:
        session = uow.session
        persons = {p.id: p for p in session.scalars(select(Person))}
        contributors: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        seen: set[tuple] = set()
        for a in session.scalars(select(Assessment).where(Assessment.province == BEIJING,
                                                          Assessment.period.between("202401", "202412"))):
            if a.superseded_by is not None or a.pension_employer_fen <= 0:
                continue
            key = _key(persons[a.person_id])
            contributors[key][1] += a.used_base_fen
            if (a.person_id,) not in seen:
                seen.add((a.person_id,))
                contributors[key][0] += 1
        receivers: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for award in session.scalars(select(PensionAward).where(PensionAward.province == BEIJING)):
            if award.status == "paying" and award.first_period <= "202412" and (award.stop_period or "999999") > "202412":
                cell = receivers[_key(persons[award.person_id])]
                cell[0], cell[1] = cell[0] + 1, cell[1] + award.monthly_fen
        balance = -sum(line.amount_fen for line, entry, account in session.execute(
            select(JournalLine, JournalEntry, LedgerAccount).join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)).all()
            if account.code == "pool:pension:110000" and entry.period <= "202412")
    return {"contributors": dict(contributors), "receivers": dict(receivers), "balance": balance}


def _key(person: Person) -> tuple[str, int]:
    birth = person.birth_date
    return person.sex, (AS_OF.year * 12 + AS_OF.month - birth.year * 12 - birth.month) // 12


def _project(database, **arguments) -> dict:
    with database.unit_of_work() as uow:
        return project_fund(session=uow.session, store=default_store(), province=BEIJING, today=TODAY, as_of=AS_OF,
                            **arguments)


def test_the_starting_point_is_what_the_data_says(database, country):
    result = _project(database, years=5)
    start, expected = result["starting_point"], _independent(database)
    assert {(c["sex"], c["age"]): [c["persons"], c["bases_fen"]] for c in start["contributors_by_age"]} \
        == expected["contributors"]
    # Four Beijing workers born 1980–1983, assessed January to March 2024 on their declared bases.
    assert start["contributors"] == 4 and start["bases_last_12_months_fen"] == 3 * (1_200_000 + 2_000_000 + 3_000_000
                                                                                     + 800_000)
    assert {(r["sex"], r["age"]): [r["persons"], r["monthly_fen"]] for r in start["receivers_by_age"]} \
        == expected["receivers"] == {("M", 64): [1, 300_000]}
    assert start["balance_fen"] == expected["balance"] >= IN_THE_POOL
    assert result["first_period"] == "202501" and len(result["with_reform"]["years"]) == 5
    assert result["retirement_ages"]["with_reform"].endswith("2025-01-01")
    first = result["with_reform"]["years"][0]
    # The first year pays the receiver twelve months of the award (the rise comes the year after), less deaths.
    assert 0 < first["spending_fen"] <= 12 * 300_000
    assert first["balance_fen"] == start["balance_fen"] + first["income_fen"] - first["spending_fen"] + first["interest_fen"]


def test_a_province_unknown_or_malformed_and_a_future_day_are_refused(database, country):
    for province in ("990000", "110105", "abc"):
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as refused:
            project_fund(session=uow.session, store=default_store(), province=province, today=TODAY)
        assert refused.value.code == "projection.province"
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as refused:
        project_fund(session=uow.session, store=default_store(), province=BEIJING, today=TODAY, as_of=date(2025, 3, 2))
    assert refused.value.code == "projection.as_of"


def test_the_command_answers_json_a_table_and_refusals(database_url, database, country, monkeypatch):
    from datetime import UTC, datetime

    monkeypatch.setattr("shebao.core.clock.SystemClock.now", lambda self: datetime(2025, 3, 1, 2, 0, tzinfo=UTC))
    runner = CliRunner()
    ran = runner.invoke(app, ["fund", "project", "--province", BEIJING, "--years", "30", "--as-of", "2024-12-31",
                              "--wage-growth", "0.03", "--db", database_url, "--json"])
    assert ran.exit_code == 0, ran.output
    body = json.loads(ran.stdout)
    assert len(body["with_reform"]["years"]) == 30 and body["starting_point"]["contributors"] == 4
    assert next(a for a in body["assumptions"] if a["name"] == "wage_growth")["value"] == "0.03"
    table = runner.invoke(app, ["fund", "project", "--province", BEIJING, "--years", "3", "--db", database_url])
    assert table.exit_code == 0 and "pension pool projection" in table.stdout
    for bad in (["--wage-growth", "5.0"], ["--years", "0"], ["--years", "200"], ["--province", "990000"],
                ["--as-of", "2024-13-01"], ["--mortality-basis", "census"]):
        arguments = ["fund", "project", "--province", BEIJING, *bad, "--db", database_url]
        for extra in ([], ["--json"]):
            refused = runner.invoke(app, arguments + extra)
            assert refused.exit_code == 1 and "Traceback" not in refused.output, (bad, refused.output)
        assert "error" in json.loads(runner.invoke(app, arguments + ["--json"]).stdout)
