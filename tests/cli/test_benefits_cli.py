"""The benefit commands on a seeded demo province: shapes, exit codes, refusals that write nothing."""

import json
import shutil
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from shebao.cli import app
from shebao.core.clock import china_today
from shebao.core.periods import Period

runner = CliRunner()


def run_json(*args):
    result = runner.invoke(app, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}


@pytest.fixture(scope="module")
def demo(sqlite_template, tmp_path_factory):
    target = tmp_path_factory.mktemp("benefits-cli") / "cli.db"
    shutil.copyfile(sqlite_template, target)
    url = f"sqlite:///{target}"
    code, _ = run_json("demo", "seed", "--persons", "1500", "--province", "110000", "--history-months", "15", "--db", url)
    assert code == 0
    engine = create_engine(url)
    with engine.connect() as connection:
        retiree = connection.execute(text("SELECT person_id FROM users WHERE username = 'demo.retiree'")).scalar()
        worker, sex = connection.execute(text("SELECT p.id, p.sex FROM users u JOIN persons p ON p.id = u.person_id "
                                              "WHERE u.username = 'demo.person'")).one()
    engine.dispose()
    assert retiree is not None
    return {"url": url, "retiree": retiree, "worker": worker, "category": "male" if sex == "M" else "female_worker"}


def _count(url, table):
    engine = create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    engine.dispose()
    return value


def test_payroll_is_idempotent_and_refuses_a_period_not_open(demo):
    this_month = str(Period.of(china_today(datetime.now(UTC))))
    code, done = run_json("payroll", this_month, "--province", "110000", "--db", demo["url"])
    assert code == 0 and done["status"] == "done" and done["kind"] == "payroll" and done["total_fen"] > 0
    code, again = run_json("payroll", this_month, "--province", "110000", "--db", demo["url"])
    assert code == 0 and again["id"] == done["id"]
    code, refused = run_json("payroll", "209901", "--province", "110000", "--db", demo["url"])
    assert code == 1 and refused["error"]["code"] == "payroll.period_not_open"


def test_a_receivers_pension_is_shown_and_explained(demo):
    code, body = run_json("pension", "show", "--person", str(demo["retiree"]), "--db", demo["url"])
    assert code == 0 and body["award"]["monthly_fen"] > 0 and body["explanation"]["steps"] and body["payroll"]


def test_an_application_for_someone_young_is_refused_with_the_condition(demo):
    code, body = run_json("pension", "award", "--person", str(demo["worker"]), "--retire-date", "2026-01-01",
                          "--category", "male", "--region", "110105", "--db", demo["url"])
    assert code == 1 and body["error"]["code"].startswith("retirement.")


def test_certification_record_and_refusals(demo):
    code, body = run_json("certification", "record", "--person", str(demo["retiree"]), "--method", "staff_visit",
                          "--evidence", "visit by officer 12", "--db", demo["url"])
    assert code == 0 and body["status"] in ("paying", "suspended")
    code, body = run_json("certification", "record", "--person", "999999", "--method", "staff_visit",
                          "--evidence", "visit by officer 12", "--db", demo["url"])
    assert code == 1 and body["error"]["code"] == "scope.not_found"
    code, body = run_json("certification", "record", "--person", str(demo["retiree"]), "--method", "telepathy",
                          "--evidence", "x" * 5, "--db", demo["url"])
    assert code == 1 and body["error"]["code"] == "request.invalid"


def test_a_passive_import_with_a_bad_row_imports_nothing(demo, tmp_path):
    before = _count(demo["url"], "certifications")
    csv = tmp_path / "hospital.csv"
    csv.write_text("id_number,method,date,source\n110105194912310021,passive_hospital,2026-10-01,his-1\n", encoding="utf-8")
    code, body = run_json("certification", "import", str(csv), "--db", demo["url"])
    assert code == 1 and body["error"]["code"] == "certification.import_rejected"
    assert body["error"]["details"]["rejected"][0]["row"] == 1
    assert _count(demo["url"], "certifications") == before


def test_the_sweep_the_batch_award_and_the_adjustment_run(demo):
    assert run_json("certification", "sweep", "--province", "110000", "--db", demo["url"])[0] == 0
    code, body = run_json("pension", "award-pending", "--province", "110000", "--db", demo["url"])
    assert code == 0 and body["kind"] == "pension_award"
    code, body = run_json("pension", "adjust", "2025", "--province", "110000", "--db", demo["url"])
    assert code == 0 and body["persons"] == 0  # the demo applied 2025's rise already


def test_the_estimator_and_the_claims_that_are_refused(demo):
    claims_before = _count(demo["url"], "unemployment_claims")
    code, body = run_json("pension", "estimate", "--person", str(demo["worker"]), "--category", demo["category"],
                          "--db", demo["url"])
    assert code == 0 and body["estimate"] and body["total_fen"] > 0
    code, body = run_json("unemployment", "apply", "--person", str(demo["worker"]), "--separation-date", "2026-10-31",
                          "--reason", "resigned", "--region", "110105", "--db", demo["url"])
    assert code == 1 and body["error"]["code"] == "unemployment.voluntary"
    code, body = run_json("injury", "claim", "--person", str(demo["worker"]), "--employer", "1", "--kind", "disability",
                          "--date", "2026-10-01", "--grade", "11", "--db", demo["url"])
    assert code == 1 and body["error"]["code"] in ("injury.grade", "scope.outside_region")
    assert _count(demo["url"], "injury_claims") == 0 and _count(demo["url"], "unemployment_claims") == claims_before


def test_a_death_record_stops_the_pension_and_a_second_is_refused(demo):
    today = china_today(datetime.now(UTC))  # after any proof of life the demo recorded: taken at once
    code, body = run_json("death", "record", "--person", str(demo["retiree"]), "--date", today.isoformat(),
                          "--source", "民政 2026-0091", "--db", demo["url"])
    assert code == 0 and body["status"] == "recorded"
    assert body["award"]["stop_period"] == str(Period.of(today).plus_months(1)) and body["cards_cancelled"]
    code, body = run_json("death", "record", "--person", str(demo["retiree"]), "--date", today.isoformat(),
                          "--source", "民政 2026-0091", "--db", demo["url"])
    assert code == 1 and body["error"]["code"] == "person.already_deceased"


def test_the_unemployment_month_runs_and_refuses_a_month_not_open(demo):
    this_month = str(Period.of(china_today(datetime.now(UTC))))
    assert _count(demo["url"], "unemployment_claims") >= 1 and _count(demo["url"], "unemployment_payments") >= 2
    code, body = run_json("unemployment", "pay", this_month, "--province", "110000", "--db", demo["url"])
    assert code == 0 and body["period"] == this_month and body["claims_paid"] == 0  # the demo paid this month already
    code, body = run_json("unemployment", "pay", "209901", "--province", "110000", "--db", demo["url"])
    assert code == 1 and body["error"]["code"] == "unemployment.period_not_open"
