"""`shebao contrib correct` and `shebao contrib reverse-correction`: billed months recomputed after a fact was
fixed, the difference posted; refusals in both languages with exit 1, never a traceback."""

import json
from datetime import UTC, date, datetime

from sqlalchemy import update
from typer.testing import CliRunner

from shebao.cli import app
from shebao.contributions.batch import run_month_end
from shebao.core.clock import FixedClock
from shebao.core.db import Database
from shebao.core.security import SYSTEM, FieldCipher
from shebao.enrollment import service as enrollment
from shebao.enrollment.models import Participation
from shebao.enrollment.schemas import EmployeeHire
from shebao.registry import service as registry
from shebao.registry.schemas import EmployerCreate, PersonCreate
from tests.conftest import TEST_SECRET
from tests.support import CHAOYANG, CHAOYANG_STREET, add_test_streets, id_number

runner = CliRunner()


def run_json(*args):
    result = runner.invoke(app, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_a_fixed_end_date_is_corrected_from_the_command_line_and_undone(db_url, monkeypatch):
    monkeypatch.setenv("SHEBAO_SECRET_KEY", TEST_SECRET)
    database = Database(db_url)
    clock = FixedClock(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    add_test_streets(database, clock)
    with database.transaction() as session:
        from random import Random

        from shebao.demo.seed import demo_credit_code
        firm = registry.register_employer(session=session, principal=SYSTEM, now=clock.now(), command=EmployerCreate(
            uscc=demo_credit_code(CHAOYANG, Random(3)), name="朝阳更正测试有限公司", region_code=CHAOYANG,
            industry_code="I64")).id
        person = registry.register_person(session=session, cipher=FieldCipher(TEST_SECRET), principal=SYSTEM,
                                          now=clock.now(), command=PersonCreate(
                                              id_number=id_number(), name="更正测试", hukou_region_code=CHAOYANG,
                                              residence_region_code=CHAOYANG_STREET)).id
        enrollment.hire(session=session, cipher=FieldCipher(TEST_SECRET), principal=SYSTEM, employer_id=firm,
                        now=clock.now(), command=EmployeeHire(id_number=id_number(), start_date=date(2026, 8, 1)))
    for period in ("202608", "202609", "202610"):
        run_month_end(database=database, province="110000", period=period, now=clock.now(), actor="test")
    with database.transaction() as session:  # the end date, fixed in the records after the months were billed
        session.execute(update(Participation).values(end_date=date(2026, 8, 31), status="ended"))
    database.dispose()

    code, body = run_json("contrib", "correct", "--person", str(person), "--since", "202608", "--reason", "离职日期更正",
                          "--db", db_url)
    assert code == 0, body
    (correction,) = body["corrections"]
    assert (correction["cause"], correction["months"], correction["first_period"]) == ("review", 2, "202608")
    assert correction["difference_fen"] < 0 and correction["credited_fen"] == -correction["difference_fen"]

    code, undone = run_json("contrib", "reverse-correction", str(correction["id"]), "--reason", "误操作", "--db", db_url)
    assert code == 0 and undone["difference_fen"] == -correction["difference_fen"] and undone["cause"] == "reversal"
    code, refused = run_json("contrib", "reverse-correction", str(correction["id"]), "--reason", "误操作", "--db", db_url)
    assert code == 1 and refused["error"]["code"] == "correction.already_reversed"
    code, refused = run_json("contrib", "correct", "--since", "202608", "--reason", "复核", "--db", db_url)
    assert code == 1 and refused["error"]["code"] == "correction.subject" and "一名人员" in refused["error"]["reason"]


def test_provisional_reconcile_says_when_nothing_waits(db_url, monkeypatch):
    monkeypatch.setenv("SHEBAO_SECRET_KEY", TEST_SECRET)
    code, body = run_json("provisional", "reconcile", "--province", "110000", "--db", db_url)
    assert code == 0 and body == {"corrected": [], "still_provisional": []}
    result = runner.invoke(app, ["provisional", "reconcile", "--db", db_url])
    assert result.exit_code == 0 and "nothing provisional" in result.stdout
