"""The comparison on a real database: registries imported, the lists computed from the registry as stored, the rows
kept per region, a case per finding for the staff of its region, worked to an outcome, closed when no longer listed;
the same inputs give the same lists; scope and bad input refused with reasons."""

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from shebao.cli import app
from shebao.comparison import cases
from shebao.comparison.models import CompareCase, CompareCaseEvent, CompareRun
from shebao.comparison.runs import compare
from shebao.comparison.service import import_file
from shebao.contributions.batch import run_month_end
from shebao.core.errors import Conflict, InvalidInput, NotFound
from shebao.core.security import SYSTEM, Principal, Role
from shebao.policy.store import default_store
from shebao.registry.models import Person
from tests.integration.conftest import PROVINCE
from tests.support import CHAOYANG, CHAOYANG_STREET, HAIDIAN_STREET, id_number

STRANGER = id_number(CHAOYANG, date(1990, 3, 4), 301)
NEIGHBOUR = id_number(CHAOYANG, date(1992, 7, 8), 303)
OLD = id_number(CHAOYANG, date(1940, 1, 1), 305)  # long retired
AUGUST, DECEMBER = date(2024, 8, 20), date(2024, 12, 15)


def _csv(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _insured_numbers(database, cipher) -> list[str]:
    with database.unit_of_work() as uow:
        return [cipher.decrypt("id_number", p.id_number_enc) for p in uow.session.scalars(select(Person).order_by(Person.id))]


@pytest.fixture
def compared(database, cipher, province, tmp_path):
    """The small billed province, its July assessed, and the police register of its people and two strangers."""
    clock = province["clock"]
    run_month_end(database=database, province=PROVINCE, period="202407", now=clock.now(), actor="test")
    people = [f"{n},职工,{'M' if int(n[16]) % 2 else 'F'},{n[6:10]}-{n[10:12]}-{n[12:14]},{CHAOYANG},{CHAOYANG_STREET},normal"
              for n in _insured_numbers(database, cipher)]
    register = ["id_number,name,sex,birth_date,hukou_region,residence_region,status", *people,
                f"{STRANGER},陌生人,{'M' if int(STRANGER[16]) % 2 else 'F'},1990-03-04,{CHAOYANG},{CHAOYANG_STREET},normal",
                f"{NEIGHBOUR},邻居,{'M' if int(NEIGHBOUR[16]) % 2 else 'F'},1992-07-08,{CHAOYANG},{HAIDIAN_STREET},normal",
                f"{OLD},老人,{'M' if int(OLD[16]) % 2 else 'F'},1940-01-01,{CHAOYANG},{CHAOYANG_STREET},normal"]
    import_file(database=database, cipher=cipher, kind="population", path=_csv(tmp_path, "pop.csv", register),
                actor="test", now=clock.now())
    return province


def _run(database, clock_now, as_of, **extra):
    return compare(database=database, store=default_store(), principal=SYSTEM, province=PROVINCE, as_of=as_of,
                   engine_name="duckdb", now=clock_now, **extra)


def test_the_lists_come_from_the_registry_as_stored_and_open_a_case_per_finding(database, cipher, compared):
    clock = compared["clock"]
    result = _run(database, clock.now(), AUGUST)
    assert result["counts"]["uninsured"] == 2 and result["counts"]["interrupted"] == 0
    assert result["cases_opened"] == 2 and result["cases_closed"] == 0
    with database.unit_of_work() as uow:
        opened = uow.session.scalars(select(CompareCase).order_by(CompareCase.region_code)).all()
        assert [(c.list_kind, c.region_code, c.name, c.status) for c in opened] == [
            ("uninsured", CHAOYANG_STREET, "陌生人", "open"), ("uninsured", HAIDIAN_STREET, "邻居", "open")]
        assert uow.session.scalar(select(func.count()).select_from(CompareCaseEvent)) == 2


def test_each_new_case_reminds_its_person_once_through_the_outbox(database, cipher, compared, tmp_path):
    from shebao.comparison.models import OutboxMessage
    from shebao.comparison.outbox import FileSender, deliver_due

    clock = compared["clock"]
    assert _run(database, clock.now(), AUGUST)["reminders_queued"] == 2
    assert _run(database, clock.now(), AUGUST)["reminders_queued"] == 0  # the same cases: no second reminder
    with database.unit_of_work() as uow:
        queued = uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(m.channel, m.subject_kind, m.status) for m in queued] == [("letter", "compare_case", "pending")] * 2
        assert all(m.recipient.startswith("resident:") and m.recipient.endswith(m.recipient[-9:]) for m in queued)
        assert "养老保险" in queued[0].body_zh and "pension" in queued[0].body_en
    delivered = deliver_due(database=database, senders={"letter": FileSender(tmp_path / "letters")}, now=clock.now())
    assert delivered["sent"] == 2
    with database.unit_of_work() as uow:
        assert set(uow.session.scalars(select(OutboxMessage.status))) == {"sent"}


def test_the_same_inputs_give_the_same_lists_and_no_second_case(database, cipher, compared):
    clock = compared["clock"]
    first = _run(database, clock.now(), AUGUST)
    again = _run(database, clock.now(), AUGUST)
    assert (again["inputs_digest"], again["lists_digest"]) == (first["inputs_digest"], first["lists_digest"])
    assert (again["cases_opened"], again["cases_closed"]) == (0, 0)
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(CompareCase)) == 2


def test_contributions_stopped_three_months_make_the_interrupted_list(database, cipher, compared):
    later = datetime(2024, 12, 20, 2, 0, tzinfo=UTC)
    result = _run(database, later, DECEMBER)
    assessed = len(compared["people"])  # everyone assessed for July (four employees and the flexible worker)
    assert result["counts"]["interrupted"] == assessed
    with database.transaction() as session:
        rows = cases.list_rows(session=session, principal=SYSTEM, kind="interrupted", region=CHAOYANG)
    assert rows["count"] == assessed and {r["period"] for r in rows["rows"]} == {"202407"}
    assert {r["months"] for r in rows["rows"]} == {4}  # August to November without a contribution


def test_a_case_is_worked_to_an_outcome_and_closed_when_no_longer_listed(database, cipher, compared, tmp_path):
    clock = compared["clock"]
    _run(database, clock.now(), AUGUST)
    staff = Principal(user_id=9, username="chaoyang.staff", role=Role.STAFF, region_code=CHAOYANG)
    with database.transaction() as session:
        (stranger,) = [c for c in cases.list_cases(session=session, principal=staff, region=CHAOYANG)
                       if c["name"] == "陌生人"]
        visited = cases.work_case(session=session, principal=staff, case_id=stranger["id"], outcome="visited",
                                  note="上门走访，本人在外地务工", now=clock.now())
        assert (visited["status"], visited["outcome"]) == ("working", "visited")
        with pytest.raises(InvalidInput) as wrong:
            cases.work_case(session=session, principal=staff, case_id=stranger["id"], outcome="registered", note="单位",
                            now=clock.now())
        assert wrong.value.code == "compare.outcome"
    students = ["id_number,name,school,until", f"{STRANGER},陌生人,北京大学,2026-07-01"]
    import_file(database=database, cipher=cipher, kind="students", path=_csv(tmp_path, "s.csv", students),
                actor="test", now=clock.now())
    result = _run(database, clock.now(), AUGUST)
    assert (result["counts"]["uninsured"], result["cases_opened"], result["cases_closed"]) == (1, 0, 1)
    with database.transaction() as session:
        shown = cases.show_case(session=session, principal=staff, case_id=stranger["id"])
        assert (shown["status"], shown["outcome"]) == ("closed", "unlisted")
        assert [e["action"] for e in shown["events"]] == ["opened", "outcome", "unlisted"]
        with pytest.raises(Conflict) as closed:
            cases.work_case(session=session, principal=staff, case_id=stranger["id"], outcome="insured", note="已参保",
                            now=clock.now())
        assert closed.value.code == "compare.case_closed"


def test_staff_see_and_work_only_their_own_region(database, cipher, compared):
    clock = compared["clock"]
    _run(database, clock.now(), AUGUST)
    haidian_staff = Principal(user_id=8, username="haidian.staff", role=Role.STAFF, region_code="110108")
    with database.transaction() as session:
        cases_seen = cases.list_cases(session=session, principal=haidian_staff, region="110108")
        assert [c["name"] for c in cases_seen] == ["邻居"]
        chaoyang_case = session.scalar(select(CompareCase.id).where(CompareCase.region_code == CHAOYANG_STREET))
        for call in (lambda: cases.show_case(session=session, principal=haidian_staff, case_id=chaoyang_case),
                     lambda: cases.show_case(session=session, principal=haidian_staff, case_id=99_999),
                     lambda: cases.list_rows(session=session, principal=haidian_staff, kind="uninsured", region=CHAOYANG),
                     lambda: cases.work_case(session=session, principal=haidian_staff, case_id=chaoyang_case,
                                             outcome="visited", note="越权", now=clock.now())):
            with pytest.raises(NotFound) as refused:
                call()
            assert refused.value.code == "scope.not_found"


def test_a_finding_a_clerk_closed_stays_quiet_for_the_quiet_months_then_opens_again(database, cipher, compared):
    clock = compared["clock"]
    _run(database, clock.now(), AUGUST)
    with database.transaction() as session:
        first = session.scalar(select(CompareCase.id).where(CompareCase.region_code == CHAOYANG_STREET))
        cases.work_case(session=session, principal=SYSTEM, case_id=first, outcome="not_required",
                        note="现役军人，按规定无需参保", now=clock.now())
    assert _run(database, clock.now(), AUGUST)["cases_opened"] == 0  # still listed, but verified a moment ago
    seven_months_on = datetime(2025, 3, 25, 2, 0, tzinfo=UTC)
    assert _run(database, seven_months_on, AUGUST)["cases_opened"] == 1  # still listed half a year on: again
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(CompareCase)
                                  .where(CompareCase.region_code == CHAOYANG_STREET)) == 2


def test_progress_counts_cases_by_street(database, cipher, compared):
    clock = compared["clock"]
    _run(database, clock.now(), AUGUST)
    with database.transaction() as session:
        first = session.scalar(select(CompareCase.id).where(CompareCase.region_code == CHAOYANG_STREET))
        cases.work_case(session=session, principal=SYSTEM, case_id=first, outcome="insured", note="已在灵活就业参保",
                        now=clock.now())
        report = cases.progress(session=session, principal=SYSTEM, region=PROVINCE, level="street")
    by_street = {r["region"]: (r["total"], r["open"], r["closed"]) for r in report["regions"]}
    assert by_street == {CHAOYANG_STREET: (1, 0, 1), HAIDIAN_STREET: (1, 1, 0)}


@pytest.mark.parametrize(("asked", "as_of", "engine", "code"), [
    ("123456", AUGUST, "duckdb", "compare.province"), ("110105", AUGUST, "duckdb", "compare.province"),
    (PROVINCE, date(2030, 1, 1), "duckdb", "compare.as_of"), (PROVINCE, AUGUST, "pandas", "compare.engine"),
])
def test_bad_runs_are_refused_and_write_nothing(database, cipher, compared, asked, as_of, engine, code):
    with pytest.raises(InvalidInput) as refused:
        compare(database=database, store=default_store(), principal=SYSTEM, province=asked, as_of=as_of,
                engine_name=engine, now=compared["clock"].now())
    assert refused.value.code == code and refused.value.reason and refused.value.reason_en
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(CompareRun)) == 0


def test_the_commands_run_list_and_work_the_comparison(database_url, database, cipher, compared, monkeypatch):
    monkeypatch.setattr("shebao.core.clock.SystemClock.now", lambda self: compared["clock"].now())
    runner = CliRunner()
    ran = runner.invoke(app, ["compare", "--province", PROVINCE, "--as-of", "2024-08-20", "--db", database_url, "--json"])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout)["counts"]["uninsured"] == 2
    listed = runner.invoke(app, ["compare", "list", "uninsured", "--region", CHAOYANG, "--db", database_url, "--csv"])
    assert listed.exit_code == 0 and listed.stdout.splitlines()[0].startswith("region_code,finding_key")
    assert len(listed.stdout.splitlines()) == 2 and "陌生人" in listed.stdout
    as_json = json.loads(runner.invoke(app, ["compare", "list", "uninsured", "--region", PROVINCE, "--db", database_url,
                                             "--json"]).stdout)
    assert as_json["count"] == 2
    case_id = json.loads(runner.invoke(app, ["compare", "cases", "--region", CHAOYANG, "--db", database_url,
                                             "--json"]).stdout)["cases"][0]["id"]
    worked = runner.invoke(app, ["compare", "work", str(case_id), "--outcome", "insured", "--note", "已参保",
                                 "--db", database_url, "--json"])
    assert worked.exit_code == 0 and json.loads(worked.stdout)["status"] == "closed"
    for bad in (["compare", "--db", database_url], ["compare", "--province", PROVINCE, "--as-of", "2024-13-01",
                                                     "--db", database_url],
                ["compare", "list", "nobody", "--region", CHAOYANG, "--db", database_url],
                ["compare", "list", "uninsured", "--region", "999999", "--db", database_url],
                ["compare", "work", str(case_id), "--outcome", "insured", "--note", "再次", "--db", database_url]):
        refused = runner.invoke(app, bad)
        assert refused.exit_code == 1 and "Traceback" not in refused.output, bad


def test_over_http_a_province_clerk_runs_and_a_street_clerk_works_their_cases(client, database, clock, compared):
    from tests.support import assert_bilingual, make_user, token_for

    users = {"beijing": (Role.STAFF, {"region_code": PROVINCE}), "chaoyang": (Role.STAFF, {"region_code": CHAOYANG}),
             "auditor": (Role.AUDITOR, {}), "shanghai": (Role.STAFF, {"region_code": "310000"})}
    for name, (role, binding) in users.items():
        make_user(database, clock, name, role, **binding)
    tokens = {name: token_for(client, name) for name in users}
    body = {"province": PROVINCE, "as_of": "2024-08-20"}
    assert client.post("/api/v1/comparison/runs", json=body, headers=tokens["chaoyang"]).status_code == 403
    assert client.post("/api/v1/comparison/runs", json=body, headers=tokens["auditor"]).status_code == 403
    ran = client.post("/api/v1/comparison/runs", json=body, headers=tokens["beijing"])
    assert ran.status_code == 201, ran.text
    assert ran.json()["counts"]["uninsured"] == 2
    rows = client.get("/api/v1/comparison/lists/uninsured", params={"region": CHAOYANG}, headers=tokens["chaoyang"])
    assert rows.status_code == 200 and [r["name"] for r in rows.json()["rows"]] == ["陌生人"]
    assert client.get("/api/v1/comparison/lists/uninsured", params={"region": CHAOYANG},
                      headers=tokens["shanghai"]).status_code == 403
    (case,) = client.get("/api/v1/comparison/cases", params={"region": CHAOYANG}, headers=tokens["chaoyang"]).json()["cases"]
    assert client.get(f"/api/v1/comparison/cases/{case['id']}", headers=tokens["shanghai"]).status_code == 404
    refused = client.post(f"/api/v1/comparison/cases/{case['id']}/outcome", json={"outcome": "merged", "note": "x"},
                          headers=tokens["chaoyang"])
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "compare.outcome"
    assert_bilingual(refused.json()["error"]["reason"], refused.json()["error"]["reason_en"])
    assert client.post(f"/api/v1/comparison/cases/{case['id']}/outcome", json={"outcome": "insured", "note": "已参保"},
                       headers=tokens["auditor"]).status_code == 403
    done = client.post(f"/api/v1/comparison/cases/{case['id']}/outcome", json={"outcome": "insured", "note": "已参保"},
                       headers=tokens["chaoyang"])
    assert done.status_code == 200 and done.json()["status"] == "closed"
    progress = client.get("/api/v1/comparison/progress", params={"region": PROVINCE, "level": "county"},
                          headers=tokens["auditor"]).json()
    assert {r["region"]: r["closed"] for r in progress["regions"]} == {CHAOYANG: 1, "110108": 0}
    for bad in ({"region": "11"}, {"region": PROVINCE, "level": "moon"}):
        answer = client.get("/api/v1/comparison/progress", params=bad, headers=tokens["beijing"])
        assert answer.status_code == 422, bad
    for kind in ("nobody", "uninsured"):
        answer = client.get(f"/api/v1/comparison/lists/{kind}", params={"region": "999999"}, headers=tokens["auditor"])
        assert 400 <= answer.status_code < 500


def test_the_national_job_compares_a_snapshot_in_files_as_the_database_run_does(database_url, database, cipher,
                                                                                 compared, tmp_path, monkeypatch):
    monkeypatch.setattr("shebao.core.clock.SystemClock.now", lambda self: compared["clock"].now())
    runner = CliRunner()
    extracted = runner.invoke(app, ["compare", "snapshot", "--as-of", "2024-08-20", "--output", str(tmp_path / "snap"),
                                    "--db", database_url, "--json"])
    assert extracted.exit_code == 0, extracted.output
    assert json.loads(extracted.stdout)["rows"]["ext_population"] == len(compared["people"]) + 3
    from_database = _run(database, compared["clock"].now(), AUGUST)
    from_files = runner.invoke(app, ["compare", "--snapshot", str(tmp_path / "snap"), "--province", PROVINCE,
                                     "--as-of", "2024-08-20", "--output", str(tmp_path / "lists"), "--json"])
    assert from_files.exit_code == 0, from_files.output
    answer = json.loads(from_files.stdout)
    assert answer["counts"] == from_database["counts"] and answer["lists_digest"] == from_database["lists_digest"]
    assert (tmp_path / "lists" / "uninsured" / "province-110000.parquet").exists()
    national = json.loads(runner.invoke(app, ["compare", "--snapshot", str(tmp_path / "snap"), "--province", "000000",
                                              "--as-of", "2024-08-20", "--json"]).stdout)
    assert national["counts"] == from_database["counts"]  # one province in the data: the country is it
    for bad in (["compare", "--province", "000000", "--db", database_url],
                ["compare", "--province", PROVINCE, "--output", str(tmp_path / "x"), "--db", database_url],
                ["compare", "--snapshot", str(tmp_path / "nothing"), "--province", PROVINCE, "--json"]):
        refused = runner.invoke(app, bad)
        assert refused.exit_code == 1 and "Traceback" not in refused.output, bad


def test_no_clerk_works_a_case_about_their_own_record(database, cipher, compared):
    from shebao.core.errors import Forbidden

    _run(database, datetime(2024, 12, 20, 2, 0, tzinfo=UTC), DECEMBER)
    with database.transaction() as session:
        own = session.scalars(select(CompareCase).where(CompareCase.list_kind == "interrupted")).first()
        clerk = Principal(user_id=7, username="chaoyang.clerk", role=Role.STAFF, region_code=CHAOYANG,
                          person_id=own.person_id)
        with pytest.raises(Forbidden) as refused:
            cases.work_case(session=session, principal=clerk, case_id=own.id, outcome="visited", note="本人", now=
                            datetime(2024, 12, 20, 2, 0, tzinfo=UTC))
        assert refused.value.code == "compare.own_record"
