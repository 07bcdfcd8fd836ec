"""The demo province as `make run` builds it, screened: the dead still paid that the comparison's death registry
revealed are open risk cases (one confirmed, its recovery part repaid), and the cockpit's figures equal what the
rows themselves say, counted here in Python without the cockpit's queries."""

import json
from collections import Counter

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from shebao.cli import app
from shebao.core.clock import SystemClock, china_today

PROVINCE = "110000"
OPEN = ("open", "assigned", "investigating")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo-risk') / 'demo.db'}"
    result = CliRunner().invoke(app, ["demo", "seed", "--persons", "1500", "--db", url, "--json"])
    assert result.exit_code == 0, result.output
    return url


def _rows(url: str, sql: str, **params) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).all()
    finally:
        engine.dispose()


def _month(day: str) -> str:
    return day[:4] + day[5:7]


def test_the_dead_still_paid_are_risk_cases_one_confirmed_and_its_death_recorded(demo):
    reported = _rows(demo, """SELECT p.id, d.death_date FROM ext_deaths AS d
                              JOIN persons AS p ON p.id_number_hash = d.id_hash""")
    recorded = _rows(demo, "SELECT id, death_date FROM persons WHERE death_date IS NOT NULL")
    deaths: dict[int, str] = {}
    for person, day in [*reported, *recorded]:  # the earliest the civil-affairs report or our own record gives
        deaths[person] = min(deaths.get(person, "999999"), _month(str(day)))
    paid_after = {person for person, period in _rows(demo, """
        SELECT a.person_id, l.for_period FROM payroll_lines AS l JOIN pension_awards AS a ON a.id = l.award_id
        WHERE l.status = 'paid'""") if person in deaths and period > deaths[person]}
    assert len(paid_after) >= 6  # the receivers civil affairs reported dead while paid, and the one the demo recorded
    cases = {person: (status, overpaid) for person, status, overpaid in _rows(demo, """
        SELECT person_id, status, overpaid_fen FROM risk_cases WHERE rule_id = 'R01_paid_after_death'""")}
    assert paid_after == set(cases)
    confirmed = [person for person, (status, _) in cases.items() if status == "confirmed"]
    assert len(confirmed) == 1 and sum(status in OPEN for status, _ in cases.values()) == len(cases) - 1
    person = confirmed[0]
    assert cases[person][1] == 0  # what was paid after the death is the death record's recovery, not a second one
    (death_date,), = _rows(demo, "SELECT death_date FROM persons WHERE id = :p", p=person)
    assert death_date is not None
    assert _rows(demo, "SELECT COUNT(*) FROM benefit_recoveries WHERE person_id = :p", p=person)[0][0] == 1


def test_a_sentence_paid_is_recovered_in_part_and_one_served_outside_prison_cleared(demo):
    sentences = {status: (case_id, amount) for case_id, status, amount in _rows(demo, """
        SELECT id, status, amount_fen FROM risk_cases WHERE rule_id = 'R02_paid_during_sentence'""")}
    assert {"confirmed", "cleared"} <= set(sentences)
    case_id, at_stake = sentences["confirmed"]
    (amount, recovered, debtor), = _rows(demo, """
        SELECT amount_fen, recovered_fen, debtor FROM risk_recoveries WHERE case_id = :c""", c=case_id)
    assert (amount, debtor) == (at_stake, "person") and recovered >= amount // 3 > 0


def test_the_cockpit_of_the_demo_province_counts_what_the_rows_say(demo):
    shown = CliRunner().invoke(app, ["cockpit", "figures", "--region", PROVINCE, "--json"],
                               env={"SHEBAO_DATABASE_URL": demo})
    assert shown.exit_code == 0, shown.output
    figures = json.loads(shown.output)["figures"]
    today = china_today(SystemClock().now()).isoformat()

    by_scheme: dict[str, set[int]] = {}
    for person, scheme, start, end in _rows(demo, "SELECT person_id, scheme, start_date, end_date FROM participations"):
        if str(start) <= today and (end is None or str(end) >= today):
            by_scheme.setdefault(scheme, set()).add(person)
    assert figures["insured_by_insurance"] == {scheme: len(people) for scheme, people in by_scheme.items()}

    open_cases = [severity for severity, status in _rows(demo, "SELECT severity, status FROM risk_cases") if status in OPEN]
    assert figures["open_cases"]["total"] == len(open_cases) > 0
    assert figures["open_cases"]["by_severity"] == dict(Counter(open_cases))
    repaid = sum(amount for amount, kind in _rows(demo, "SELECT amount_fen, kind FROM risk_recovery_movements")
                 if kind in ("repayment", "offset"))
    assert figures["recovered_fen"]["total"] == repaid > 0

    run = max(run for run, in _rows(demo, "SELECT id FROM compare_runs WHERE province = :p", p=PROVINCE))
    listed = Counter(kind for kind, in _rows(demo, "SELECT list_kind FROM compare_findings WHERE run_id = :r", r=run))
    assert figures["interrupted"] == listed["interrupted"] > 0
    assert figures["coverage"]["uninsured"] == listed["uninsured"]
    holders = {person for person, state, issued in _rows(demo, "SELECT person_id, state, issue_date FROM cards")
               if state in ("issued", "active", "frozen") and issued is not None and str(issued) <= today}
    assert figures["card_holders"] == len(holders) > 0


def test_screening_the_demo_again_opens_no_case_twice(demo):
    before = _rows(demo, "SELECT COUNT(*) FROM risk_cases")[0][0]
    again = CliRunner().invoke(app, ["risk", "screen", "--province", PROVINCE, "--json"], env={"SHEBAO_DATABASE_URL": demo})
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["cases_opened"] == 0
    assert _rows(demo, "SELECT COUNT(*) FROM risk_cases")[0][0] == before

