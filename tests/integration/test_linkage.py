"""Fuzzy linkage on a real database (SQLite and PostgreSQL) with planted truth: a province's run links exactly the
planted pairs above the threshold and queues exactly the grey-band pair; a clerk confirms or rejects (never a pair
about themselves, never twice) and a rerun keeps the decisions; a registration warns of a planted near-duplicate and
not of a stranger; bad input is refused with reasons and writes nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from shebao.cli import app
from shebao.comparison import linkage
from shebao.comparison.linkage_schemas import LinkDecide
from shebao.comparison.models import LinkCandidate, LinkRun, PersonLink
from shebao.core.audit import AuditRecord
from shebao.core.clock import utc_naive
from shebao.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shebao.core.security import SYSTEM, FieldCipher, Principal, Role
from shebao.registry.schemas import PersonCreate
from shebao.services.registration import register_person
from shebao.settings import get_settings
from tests.support import LINK_PROVINCE, id_number, linkage_world


@pytest.fixture
def world(database, cipher, clock, tmp_path):
    return linkage_world(database, cipher, clock, tmp_path)


def _run(database, cipher, clock):
    return linkage.run_province(database=database, cipher=cipher, province=LINK_PROVINCE, actor="test", now=clock.now())


def _pairs(database, *statuses):
    with database.unit_of_work() as uow:
        return {(c.person_id, c.other_kind, c.other_id) for c in uow.session.scalars(
            select(LinkCandidate).where(LinkCandidate.status.in_(statuses)))}


def _clerk(person_id=None, region=LINK_PROVINCE):
    return Principal(user_id=None, username="clerk", role=Role.STAFF, region_code=region, person_id=person_id)


def _candidate_id(database, key):
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(LinkCandidate.id).where(
            LinkCandidate.person_id == key[0], LinkCandidate.other_kind == key[1], LinkCandidate.other_id == key[2]))


def test_a_run_links_what_was_planted_and_queues_the_grey_band(database, cipher, clock, world):
    result = _run(database, cipher, clock)
    assert result["persons"] == world["persons"] and result["external"] == 2  # Sun's own number is no candidate
    assert not result["trained"]  # a small province: the prior m and u of the parameters
    assert _pairs(database, "linked") == world["linked"]
    assert _pairs(database, "review") == world["review"]
    with database.unit_of_work() as uow:
        links = [(link.person_id_a, link.person_id_b or link.ext_population_id, link.method, link.source)
                 for link in uow.session.scalars(select(PersonLink))]
        run = uow.session.get(LinkRun, result["run_id"])
        counts, parameters = (run.linked, run.review), json.loads(run.parameters)
    assert {link[:2] for link in links} == {(key[0], key[2]) for key in world["linked"]}
    assert all(link[2:] == ("automatic", "linkage") for link in links)
    assert counts == (3, 1) and parameters["link_threshold"]["value"] == "0.95"
    with database.unit_of_work() as uow:  # what the comparison's duplicates list reads
        persons = linkage.linked_persons(session=uow.session)
        rows = linkage.linked_register_rows(session=uow.session, until=utc_naive(clock.now()))
        before = linkage.linked_persons(session=uow.session, until=utc_naive(clock.now()) - timedelta(seconds=1))
    assert set(persons) == {(key[0], key[2]) for key in world["linked"] if key[1] == "person"} and before == []
    assert rows == [(world["ids"]["zhao"], world["ext"]["赵敏"])]
    assert "own choice" in parameters["review_threshold"]["source"]


def test_confirm_and_reject_and_a_rerun_keeps_the_decisions(database, cipher, clock, world):
    _run(database, cipher, clock)
    review, = world["review"]
    wang = next(key for key in world["linked"] if key[0] == min(world["ids"]["wang"], world["ids"]["wang2"]))
    review_id, wang_id = _candidate_id(database, review), _candidate_id(database, wang)
    with database.transaction() as session:
        confirmed = linkage.decide(session=session, principal=_clerk(), candidate_id=review_id,
                                   command=LinkDecide(decision="confirm", reason="户籍档案核实为同一人"), now=clock.now())
        rejected = linkage.decide(session=session, principal=_clerk(), candidate_id=wang_id,
                                  command=LinkDecide(decision="reject", reason="走访核实为两个人"), now=clock.now())
    assert confirmed.status == "confirmed" and confirmed.left.birth_date is not None
    assert rejected.status == "rejected" and rejected.decided_by == "staff:clerk"
    with database.unit_of_work() as uow:
        methods = {(link.person_id_a, link.person_id_b): link.method for link in uow.session.scalars(select(PersonLink))}
        actions = uow.session.scalars(select(AuditRecord.action).where(AuditRecord.action.like("linkage.%"))).all()
    assert methods[(review[0], review[2])] == "clerical" and (wang[0], wang[2]) not in methods
    assert actions.count("linkage.confirmed") == 2 and actions.count("linkage.rejected") == 2  # one per person
    again = _run(database, cipher, clock)
    assert again["kept_decided"] == 2 and _pairs(database, "confirmed") == {review} and _pairs(database, "rejected") == {wang}
    with database.transaction() as session, pytest.raises(Conflict) as twice:
        linkage.decide(session=session, principal=_clerk(), candidate_id=wang_id,
                       command=LinkDecide(decision="confirm", reason="再次核查"), now=clock.now())
    assert twice.value.code == "linkage.decided"


def test_a_clerk_never_decides_a_pair_about_themselves_nor_outside_their_region(database, cipher, clock, world):
    _run(database, cipher, clock)
    review, = world["review"]
    candidate = _candidate_id(database, review)
    with database.transaction() as session, pytest.raises(Forbidden) as own:
        linkage.decide(session=session, principal=_clerk(person_id=review[2]), candidate_id=candidate,
                       command=LinkDecide(decision="confirm", reason="这是我本人"), now=clock.now())
    assert own.value.code == "linkage.own_record"
    with database.transaction() as session, pytest.raises(NotFound) as outside:
        linkage.decide(session=session, principal=_clerk(region="110105"), candidate_id=candidate,
                       command=LinkDecide(decision="confirm", reason="越权核查"), now=clock.now())
    assert outside.value.code == "scope.not_found"
    assert _pairs(database, "review") == {review}


def test_the_queue_is_scoped_to_the_persons_region_as_stored(database, cipher, clock, world):
    _run(database, cipher, clock)
    with database.transaction() as session:
        province = linkage.review_queue(session=session, principal=_clerk(), now=clock.now())
        tangshan = linkage.review_queue(session=session, principal=_clerk(region="130203"), now=clock.now())
        beijing = linkage.review_queue(session=session, principal=_clerk(region="110105"), now=clock.now())
        linked = linkage.review_queue(session=session, principal=SYSTEM, status="linked", now=clock.now())
    assert province.total == 1 and tangshan.total == 1 and beijing.total == 0  # Zhang's second record lives in 130203
    item = province.items[0]
    assert item.left.birth_date is None and item.left.id_number_masked  # a list never rebuilds a whole number
    assert {level.level for level in item.levels} >= {"exact", "province"}
    assert linked.total == 3 and any(i.right.kind == "ext_population" and i.right.id_number_masked is None for i in linked.items)
    with database.transaction() as session, pytest.raises(InvalidInput):
        linkage.review_queue(session=session, principal=_clerk(), status="maybe", now=clock.now())


def test_a_registration_warns_of_a_likely_existing_record_and_not_of_a_stranger(database, cipher, clock, world):
    _run(database, cipher, clock)
    with database.transaction() as session:
        near = register_person(session=session, cipher=cipher, principal=SYSTEM, now=clock.now(), command=PersonCreate(
            id_number=id_number("130181", date(1980, 5, 17), 999), name="王晓铭", hukou_region_code="130102",
            residence_region_code="130102"))
        stranger = register_person(session=session, cipher=cipher, principal=SYSTEM, now=clock.now(), command=PersonCreate(
            id_number=id_number("130183", date(1999, 9, 9), 11), name="周杰", hukou_region_code="130183",
            residence_region_code="130183"))
    assert stranger.warnings == []
    masked = {w.candidate_id_number_masked for w in near.warnings}
    assert masked == {id_number("130102", date(1980, 5, 17), 135)[:6] + "*" * 8 + id_number("130102", date(1980, 5, 17), 135)[-4:],
                      id_number("130104", date(1980, 5, 17), 457)[:6] + "*" * 8 + id_number("130104", date(1980, 5, 17), 457)[-4:]}
    first = near.warnings[0]
    assert first.code == "linkage.likely_existing" and first.probability >= 0.6 and "一人多号" in first.reason
    assert {level.comparison for level in first.levels} == {"name", "birth", "sex", "region", "id"}
    with database.unit_of_work() as uow:
        queued = uow.session.scalar(select(func.count()).select_from(LinkCandidate).where(LinkCandidate.run_id.is_(None)))
    assert queued == 2  # the pairs wait in the queue (or are linked) like a run's


def test_a_legacy_fifteen_digit_form_of_a_registered_number_is_refused_outright(database, cipher, clock, world):
    from shebao.core.errors import Conflict as Refused

    number = id_number("130102", date(1980, 5, 17), 135)
    with database.transaction() as session, pytest.raises(Refused) as refused:
        register_person(session=session, cipher=cipher, principal=SYSTEM, now=clock.now(), command=PersonCreate(
            id_number=number[:6] + number[8:17], name="王晓明", hukou_region_code="130102",
            residence_region_code="130102"))
    assert refused.value.code == "person.duplicate"  # the same number once upgraded: stronger than a warning


def test_numbers_under_another_secret_key_are_refused_and_nothing_is_written(database, cipher, clock, world):
    with pytest.raises(Conflict) as refused:
        linkage.run_province(database=database, cipher=FieldCipher("another-secret-key-entirely"),
                             province=LINK_PROVINCE, actor="test", now=clock.now())
    assert refused.value.code == "linkage.undecryptable"
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(LinkRun)) == 0


def test_a_province_with_nobody_records_an_empty_run(database, cipher, clock):
    result = linkage.run_province(database=database, cipher=cipher, province="650000", actor="test", now=clock.now())
    assert (result["persons"], result["external"], result["pairs"], result["linked"]) == (0, 0, 0, 0)


def test_a_bad_province_is_refused_and_nothing_is_written(database, cipher, clock):
    for bad in ("13", "130100", "990000", "abcdef", None):
        with pytest.raises(InvalidInput) as refused:
            linkage.run_province(database=database, cipher=cipher, province=bad, actor="test", now=clock.now())
        assert refused.value.code == "linkage.province"
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(LinkRun)) == 0


def test_the_commands(database_url, database, clock, tmp_path):
    linkage_world(database, FieldCipher(get_settings().secret_key), clock, tmp_path)  # the commands' own key
    runner = CliRunner()
    bad = runner.invoke(app, ["link", "run", "--province", "13", "--db", database_url, "--json"])
    assert bad.exit_code == 1 and json.loads(bad.stdout)["error"]["code"] == "linkage.province"
    run = runner.invoke(app, ["link", "run", "--province", LINK_PROVINCE, "--db", database_url, "--json"])
    assert run.exit_code == 0, run.stdout + run.stderr
    assert json.loads(run.stdout)["linked"] == 3
    queue = runner.invoke(app, ["link", "review", "--region", "130203", "--db", database_url, "--json"])
    body = json.loads(queue.stdout)
    assert queue.exit_code == 0 and body["total"] == 1
    candidate = str(body["items"][0]["candidate_id"])
    human = runner.invoke(app, ["link", "review", "--db", database_url])
    assert human.exit_code == 0 and "张建国" in human.stdout
    for args, code in ((["--confirm", "--reject", "--reason", "两个都选"], "request.invalid"),
                       (["--reason", "都不选"], "request.invalid"), (["--confirm"], "request.invalid"),
                       (["--confirm", "--reason", "核实"], "request.invalid")):  # a reason of four characters at least
        refused = runner.invoke(app, ["link", "decide", candidate, *args, "--db", database_url, "--json"])
        assert refused.exit_code == 1 and json.loads(refused.stdout)["error"]["code"] == code, args
    missing = runner.invoke(app, ["link", "decide", "999999", "--reject", "--reason", "没有这个记录对", "--db", database_url,
                                  "--json"])
    assert missing.exit_code == 1 and json.loads(missing.stdout)["error"]["code"] == "scope.not_found"
    done = runner.invoke(app, ["link", "decide", candidate, "--confirm", "--reason", "户籍档案核实", "--db", database_url,
                               "--json"])
    assert done.exit_code == 0 and json.loads(done.stdout)["status"] == "confirmed"
    bad_region = runner.invoke(app, ["link", "review", "--region", "13x", "--db", database_url, "--json"])
    assert bad_region.exit_code == 1 and "error" in json.loads(bad_region.stdout)
    bad_status = runner.invoke(app, ["link", "review", "--status", "maybe", "--db", database_url, "--json"])
    assert bad_status.exit_code == 1 and json.loads(bad_status.stdout)["error"]["code"] == "linkage.status"
    too_big = runner.invoke(app, ["link", "decide", str(2**63), "--reject", "--reason", "太大的编号", "--db", database_url])
    assert too_big.exit_code == 2 and "Traceback" not in too_big.stdout + too_big.stderr


def test_registering_at_the_command_line_prints_the_warning(database_url, database, clock, tmp_path):
    linkage_world(database, FieldCipher(get_settings().secret_key), clock, tmp_path)
    runner = CliRunner()
    near = ["--id-number", id_number("130181", date(1980, 5, 17), 999), "--name", "王晓铭", "--hukou", "130102",
            "--residence", "130102"]
    printed = runner.invoke(app, ["person", "register", *near, "--db", database_url])
    assert printed.exit_code == 0, printed.stdout + printed.stderr
    assert "提示 warning" in printed.stdout and "pair #" in printed.stdout
    stranger = runner.invoke(app, ["person", "register", "--id-number", id_number("130183", date(1999, 9, 9), 11),
                                   "--name", "周杰", "--hukou", "130183", "--residence", "130183", "--db", database_url,
                                   "--json"])
    assert stranger.exit_code == 0 and json.loads(stranger.stdout)["warnings"] == []
    bad = runner.invoke(app, ["person", "register", "--id-number", "130183199909090000", "--name", "周杰",
                              "--hukou", "130183", "--residence", "130183", "--db", database_url, "--json"])
    assert bad.exit_code == 1 and json.loads(bad.stdout)["error"]["code"].startswith("id_number.")
    twice = runner.invoke(app, ["person", "register", *near, "--db", database_url, "--json"])
    assert twice.exit_code == 1 and json.loads(twice.stdout)["error"]["code"] == "person.duplicate"


def test_rows_of_a_hashed_file_count_once_the_import_has_translated_them(database, cipher, clock, world):
    from shebao.comparison.models import ExchangeImport, ExtPopulation

    with database.transaction() as session:
        hashed = ExchangeImport(kind="population", source="hashed.csv", checksum="f" * 64, file_format="csv",
                                encoding="utf-8", hash_key_fingerprint="0123456789abcdef", rows_read=2, rows_loaded=2,
                                rows_rejected=0, imported_by="test", imported_at=utc_naive(clock.now()))
        session.add(hashed)
        session.flush()
        rows = [ExtPopulation(import_id=hashed.id, id_hash=prefix + "a" * (64 - len(prefix)), name="孙丽", sex="F",
                              birth_date=date(1970, 2, 2), hukou_region="130104", residence_region="130104",
                              status="normal") for prefix in ("x:", "")]  # translated and unmatched; untranslated
        session.add_all(rows)
        session.flush()
        translated = rows[0].id
    result = _run(database, cipher, clock)
    assert result["external"] == 3  # Zhao's, the stranger's, and the translated row (the untranslated one is left out)
    assert (world["ids"]["sun"], "ext_population", translated) in _pairs(database, "linked")
