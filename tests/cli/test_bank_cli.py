"""`shebao bank …` on a seeded demo province: each month's batch prepared by the provincial manager and approved by
the administrator, the last month's waiting for its approval; two payments the bank returned. The maker never
approves; the bank file waits for the release; the same return file twice changes nothing; each month reconciles."""

import json
import shutil
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from shebao.cli import app
from shebao.core.clock import china_today
from shebao.core.periods import Period
from shebao.payouts.rules import line_reference

runner = CliRunner()
THIS_MONTH = Period.of(china_today(datetime.now(UTC)))


def run_json(*args):
    result = runner.invoke(app, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}


@pytest.fixture(scope="module")
def demo(sqlite_template, tmp_path_factory):
    target = tmp_path_factory.mktemp("bank-cli") / "cli.db"
    shutil.copyfile(sqlite_template, target)
    url = f"sqlite:///{target}"
    code, _ = run_json("demo", "seed", "--persons", "1500", "--province", "110000", "--history-months", "15", "--db", url)
    assert code == 0
    return {"url": url, "dir": target.parent}


def _query(url, sql):
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text(sql)).all()
    engine.dispose()
    return rows


def test_the_last_month_waits_for_a_second_person(demo):
    code, batches = run_json("bank", "batches", "--province", "110000", "--db", demo["url"])
    assert code == 0 and batches and {b["status"] for b in batches if b["period"] != str(THIS_MONTH)} == {"released"}
    waiting = [b for b in batches if b["status"] == "prepared"]
    assert [b["period"] for b in waiting] == [str(THIS_MONTH)] and waiting[0]["prepared_by"] == "staff:demo.province"
    batch = str(waiting[0]["id"])
    early = runner.invoke(app, ["bank", "file", batch, "--db", demo["url"]])
    assert early.exit_code == 1 and "复核放款后才能生成银行文件" in early.stderr and "payout.not_released" in early.stderr
    for user, error in (("demo.province", "payout.four_eyes"), ("demo.auditor", "auth.role_not_allowed"),
                        ("demo.county", "scope.not_found"), ("nobody.here", "user.unknown")):
        code, body = run_json("bank", "approve", batch, "--as", user, "--db", demo["url"])
        assert code == 1 and body["error"]["code"] == error, user
    code, released = run_json("bank", "approve", batch, "--as", "admin", "--db", demo["url"])
    assert code == 0 and (released["status"], released["approved_by"]) == ("released", "admin:admin")
    result = runner.invoke(app, ["bank", "file", batch, "--db", demo["url"]])
    header, *rows = result.stdout.strip().splitlines()
    assert result.exit_code == 0 and header == "reference,bank_account,account_name,amount_fen,card_number,memo"
    assert len(rows) == released["lines"] and all(row.startswith("SBP") for row in rows)
    code, report = run_json("bank", "reconcile", "--province", "110000", "--period", str(THIS_MONTH), "--db", demo["url"])
    assert code == 0 and report["balanced"] and report["banks"][0]["sent"]["fen"] == released["total_fen"]


def test_returned_payments_reconcile_and_the_same_file_twice_changes_nothing(demo):
    code, returned = run_json("bank", "returned", "--province", "110000", "--db", demo["url"])
    assert code == 0 and sorted(line["reason"] for line in returned) == ["account_closed", "name_mismatch"]
    month = returned[0]["period"]
    assert month == str(THIS_MONTH.plus_months(-1))
    code, report = run_json("bank", "reconcile", "--province", "110000", "--period", month, "--db", demo["url"])
    (icbc,) = report["banks"]
    assert code == 0 and report["balanced"] and icbc["returned"]["lines"] == 2
    assert icbc["paid"]["fen"] == icbc["sent"]["fen"] - icbc["returned"]["fen"] == icbc["ledger"]["released_fen"] - \
        icbc["ledger"]["returned_fen"]
    same = demo["dir"] / "same.csv"  # the demo's file again, in another order
    same.write_text("reference,reason_code,amount_fen\n" + "".join(
        f"{line['reference']},{line['reason']},{line['amount_fen']}\n" for line in reversed(returned)), encoding="utf-8")
    before = _query(demo["url"], "SELECT count(*), sum(amount_fen) FROM journal_lines")
    code, again = run_json("bank", "import-returns", str(same), "--province", "110000", "--db", demo["url"])
    assert code == 0 and again["already_imported"] and again["lines"] == 2
    assert _query(demo["url"], "SELECT count(*), sum(amount_fen) FROM journal_lines") == before
    bad = demo["dir"] / "bad.csv"
    (line_id, amount), = _query(demo["url"], "SELECT id, amount_fen FROM payout_lines WHERE status = 'sent' LIMIT 1")
    bad.write_text(f"reference,reason_code,amount_fen\n{line_reference(line_id)},account_closed,{amount}\n"
                   f"{returned[0]['reference']},other,{returned[0]['amount_fen']}\n", encoding="utf-8")
    code, refused = run_json("bank", "import-returns", str(bad), "--province", "110000", "--db", demo["url"])
    assert code == 1 and refused["error"]["code"] == "payout.returns_rejected"
    assert [row["code"] for row in refused["error"]["details"]["rejected"]] == ["payout.returned_twice"]
    assert _query(demo["url"], "SELECT status FROM payout_lines WHERE id = %d" % line_id) == [("sent",)]


def test_an_account_fixed_pays_the_month_again_in_this_months_batch(demo):
    code, returned = run_json("bank", "returned", "--province", "110000", "--db", demo["url"])
    line = next(x for x in returned if x["status"] == "returned")
    code, fixed = run_json("bank", "account-fixed", str(line["line_id"]), "--note", "银行确认户名已更正", "--db", demo["url"])
    assert code == 0 and fixed["line"]["status"] == "fixed" and fixed["paid_again_fen"] == line["amount_fen"]
    code, again = run_json("bank", "account-fixed", str(line["line_id"]), "--note", "再次", "--db", demo["url"])
    assert code == 1 and again["error"]["code"] == "payout.not_awaiting_fix"
    code, batches = run_json("bank", "batches", "--province", "110000", "--status", "open", "--db", demo["url"])
    assert [(b["period"], b["lines"], b["total_fen"]) for b in batches] == [(str(THIS_MONTH), 1, line["amount_fen"])]
    code, report = run_json("bank", "reconcile", "--province", "110000", "--period", str(THIS_MONTH), "--db", demo["url"])
    assert code == 0 and report["balanced"] and report["unreleased_fen"] == report["transit_balance_fen"] == line["amount_fen"]
