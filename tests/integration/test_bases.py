"""Declared bases: a flexible worker's choice must lie between the floor and the ceiling (refused, not
clamped); an employee's declared wage is still clamped; a declaration is corrected by a new version,
audited, until a month it sets has been billed; month-end and make-up bills use the latest version."""

import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shebao.contributions import batch
from shebao.contributions.makeup import request_makeup
from shebao.contributions.models import Assessment, BaseDeclaration, Bill
from shebao.contributions.schemas import BaseCorrect, BaseDeclare, MakeupRequest
from shebao.contributions.service import base_history, correct_base, declare_base
from shebao.core import audit
from shebao.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shebao.core.runs import open_run
from shebao.core.security import SYSTEM, Principal, Role
from tests.integration.conftest import PROVINCE

FLOOR_2024, CEILING_2024 = 682_100, 3_528_300  # Beijing from 2024-07-01


def employer(province, employer_id=None):
    return Principal(user_id=None, username="firm", role=Role.EMPLOYER, employer_id=employer_id or province["firm"])


def flexible_worker(province):
    person_id = province["people"][-1][0]
    return Principal(user_id=None, username="self", role=Role.INSURED, person_id=person_id)


def declare(database, province, principal, person_id, period, base):
    with database.transaction() as session:
        return declare_base(session=session, principal=principal, now=province["clock"].now(), command=BaseDeclare(
            person_id=person_id, effective_period=period, declared_base_fen=base))


def correct(database, province, principal, declaration_id, base):
    with database.transaction() as session:
        return correct_base(session=session, principal=principal, declaration_id=declaration_id, now=province["clock"].now(),
                            command=BaseCorrect(declared_base_fen=base))


def declaration_of(database, person_id, period="202401"):
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(BaseDeclaration.id).where(
            BaseDeclaration.person_id == person_id, BaseDeclaration.effective_period == period)
            .order_by(BaseDeclaration.version.desc()).limit(1))


def count_declarations(database):
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(BaseDeclaration))


@pytest.mark.parametrize("base", [FLOOR_2024 - 1, 500_000, CEILING_2024 + 1, 9_000_000])
def test_a_flexible_workers_base_outside_the_range_is_refused_with_the_range_in_yuan(database, province, base):
    before = count_declarations(database)
    with pytest.raises(InvalidInput) as refused:
        declare(database, province, flexible_worker(province), province["people"][-1][0], "202408", base)
    error = refused.value
    assert error.code == "base.outside_range"
    assert "6821.00 元至 35283.00 元" in error.reason and "灵活就业人员" in error.reason and "fen" not in error.reason
    assert "between 6821.00 and 35283.00 yuan" in error.reason_en
    assert error.details == {"floor_fen": FLOOR_2024, "ceiling_fen": CEILING_2024, "declared_base_fen": base}
    assert count_declarations(database) == before  # nothing written


@pytest.mark.parametrize("base", [FLOOR_2024, 1_000_000, CEILING_2024])
def test_a_flexible_worker_may_choose_any_base_from_the_floor_to_the_ceiling(database, province, base):
    declared = declare(database, province, flexible_worker(province), province["people"][-1][0], "202408", base)
    assert declared.used_base_fen == declared.declared_base_fen == base and declared.version == 1


def test_an_employees_declared_wage_outside_the_range_is_still_clamped(database, province):
    person_id = province["people"][0][0]
    low = declare(database, province, employer(province), person_id, "202408", 500_000)
    assert low.declared_base_fen == 500_000 and low.used_base_fen == FLOOR_2024


def test_a_declared_base_is_corrected_by_a_new_version_audited_and_month_end_uses_it(database, province):
    clock = province["clock"]
    person_id = province["people"][1][0]  # declared 12,345 yuan from 202401
    original = declaration_of(database, person_id)
    clock.advance(timedelta(hours=1))
    corrected = correct(database, province, employer(province), original, 1_500_000)
    assert (corrected.version, corrected.declared_base_fen, corrected.used_base_fen) == (2, 1_500_000, 1_500_000)
    assert corrected.id != original and corrected.declared_by == "employer:firm"
    with database.unit_of_work() as uow:
        versions = uow.session.scalars(select(BaseDeclaration).where(BaseDeclaration.person_id == person_id)
                                       .order_by(BaseDeclaration.version)).all()
        assert [(v.version, v.declared_base_fen) for v in versions] == [(1, 1_234_500), (2, 1_500_000)]
        old, new = versions
        assert old.superseded_by == "employer:firm" and old.superseded_at == clock.now().replace(tzinfo=None)
        assert new.superseded_at is None
        record = uow.session.scalar(select(audit.AuditRecord).where(audit.AuditRecord.action == "base.corrected"))
        assert record.actor == "employer:firm" and record.subject == f"person:{person_id}"
        assert {k: v for k, v in json.loads(record.detail).items() if k != "payer"} == {
            "period": "202401", "declaration_id": new.id, "version": 2, "supersedes": old.id,
            "previous_base_fen": 1_234_500, "declared_base_fen": 1_500_000}
    batch.run_month_end(database=database, province=PROVINCE, period="202407", now=clock.now(), actor="test")
    with database.unit_of_work() as uow:
        used = uow.session.execute(select(Assessment.declared_base_fen, Assessment.used_base_fen)
                                   .where(Assessment.person_id == person_id)).one()
    assert tuple(used) == (1_500_000, 1_500_000)  # the latest version, not the first


def test_a_billed_month_is_corrected_retroactively_and_only_the_agency_lowers_it(database, province):
    person_id = province["people"][1][0]
    first = declaration_of(database, person_id)
    second = correct(database, province, employer(province), first, 1_500_000).id
    batch.run_month_end(database=database, province=PROVINCE, period="202407", now=province["clock"].now(), actor="test")
    before = count_declarations(database)
    with pytest.raises(Forbidden) as lowered:
        correct(database, province, employer(province), second, 1_400_000)
    assert lowered.value.code == "base.lower_billed_needs_review" and lowered.value.details == {"billed_period": "202407"}
    assert "2024年7月" in lowered.value.reason and "after a review" in lowered.value.reason_en
    assert count_declarations(database) == before
    with pytest.raises(Conflict) as superseded:
        correct(database, province, employer(province), first, 1_600_000)
    assert superseded.value.code == "base.superseded" and superseded.value.details == {"current_id": second}

    raised = correct(database, province, employer(province), second, 1_600_000)  # raised: billed again, the difference
    assert raised.version == 3
    with database.unit_of_work() as uow:
        july = uow.session.scalars(select(Assessment).where(Assessment.person_id == person_id)
                                   .order_by(Assessment.version)).all()
        assert [(a.version, a.used_base_fen, a.superseded_by is None) for a in july] == [
            (1, 1_500_000, False), (2, 1_600_000, True)]
        bills = uow.session.scalars(select(Bill).where(Bill.kind == "correction")).all()
        assert [(b.period, b.amount_fen) for b in bills] == [("202407", july[1].total_fen - july[0].total_fen)]


def test_a_make_up_bill_is_corrected_with_its_base(database, province):
    flexible = province["people"][-1][0]  # enrolled 2024-03-01, base 7,000 yuan from 202401
    with database.transaction() as session:
        request_makeup(session=session, principal=SYSTEM, person_id=flexible, now=province["clock"].now(),
                       command=MakeupRequest(periods=["202405"]))
    with pytest.raises(Forbidden) as refused:
        correct(database, province, flexible_worker(province), declaration_of(database, flexible), 650_000)
    assert refused.value.code == "base.lower_billed_needs_review" and refused.value.details == {"billed_period": "202405"}
    clerk = Principal(user_id=7, username="clerk", role=Role.STAFF, region_code="110108")
    correct(database, province, clerk, declaration_of(database, flexible), 800_000)
    with database.unit_of_work() as uow:
        may = uow.session.scalars(select(Assessment).where(Assessment.person_id == flexible,
                                                           Assessment.superseded_by.is_(None))).one()
        assert may.period == "202405" and may.declared_base_fen == 800_000 and may.version == 2


def test_a_later_declaration_bounds_the_months_an_earlier_one_sets(database, province):
    person_id = province["people"][1][0]
    later = declare(database, province, employer(province), person_id, "202408", 1_300_000)
    batch.run_month_end(database=database, province=PROVINCE, period="202407", now=province["clock"].now(), actor="test")
    assert correct(database, province, employer(province), later.id, 1_400_000).version == 2  # August is not billed
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Bill).where(Bill.kind == "correction")) == 0
    with pytest.raises(Forbidden) as lowered:  # 202401 sets January to July: July is billed
        correct(database, province, employer(province), declaration_of(database, person_id), 1_000_000)
    assert lowered.value.details == {"billed_period": "202407"}
    correct(database, province, employer(province), declaration_of(database, person_id), 1_500_000)  # July corrected
    with database.unit_of_work() as uow:
        assert uow.session.scalars(select(Bill.period).where(Bill.kind == "correction")).all() == ["202407"]


def test_a_flexible_workers_correction_is_held_to_the_range_and_must_change_something(database, province):
    flexible = province["people"][-1][0]
    declaration = declaration_of(database, flexible)
    with pytest.raises(InvalidInput) as outside:
        correct(database, province, flexible_worker(province), declaration, 100_000)
    assert outside.value.code == "base.outside_range" and "6326.00 元" in outside.value.reason  # January 2024's floor
    with pytest.raises(InvalidInput) as same:
        correct(database, province, flexible_worker(province), declaration, 700_000)
    assert same.value.code == "base.unchanged"
    assert correct(database, province, flexible_worker(province), declaration, 900_000).version == 2


def test_a_correction_waits_while_month_end_is_running(database, province):
    open_run(database, "month_end", PROVINCE, "202407", province["clock"].now())
    with pytest.raises(Conflict) as refused:
        correct(database, province, employer(province), declaration_of(database, province["people"][1][0]), 1_500_000)
    assert refused.value.code == "base.month_end_running"


def test_outside_ones_scope_a_declaration_is_the_same_as_none(database, province):
    declaration = declaration_of(database, province["people"][1][0])
    answers = []
    for principal, declaration_id in (
        (employer(province, employer_id=province["firm"] + 1000), declaration),  # another employer
        (Principal(user_id=None, username="sh", role=Role.STAFF, region_code="310000"), declaration),  # Shanghai clerk
        (flexible_worker(province), declaration),  # someone else's declaration
        (employer(province), 10**9),  # no such declaration
    ):
        with pytest.raises(NotFound) as refused:
            correct(database, province, principal, declaration_id, 1_500_000)
        answers.append((refused.value.code, refused.value.reason.replace(str(declaration_id), "#")))
    assert len(set(answers)) == 1 and answers[0][0] == "scope.not_found"
    auditor = Principal(user_id=None, username="audit", role=Role.AUDITOR, region_code="000000")
    with pytest.raises(Forbidden):
        correct(database, province, auditor, declaration, 1_500_000)
    clerk = Principal(user_id=None, username="cy", role=Role.STAFF, region_code="110105")
    assert correct(database, province, clerk, declaration, 1_500_000).declared_by == "staff:cy"


def test_the_history_shows_every_version_to_whoever_may_see_it(database, province):
    person_id = province["people"][1][0]
    correct(database, province, employer(province), declaration_of(database, person_id), 1_500_000)

    def history(principal):
        with database.unit_of_work() as uow:
            return base_history(session=uow.session, principal=principal, person_id=person_id)

    mine = history(employer(province))
    assert [(v.version, v.declared_base_fen, v.superseded_by is not None) for v in mine] == [
        (2, 1_500_000, False), (1, 1_234_500, True)]
    assert mine[1].superseded_at.tzinfo is not None
    assert history(employer(province, employer_id=province["firm"] + 1000)) == []
    assert history(Principal(user_id=None, username="sh", role=Role.STAFF, region_code="310000")) == []
    assert history(flexible_worker(province)) == []
    assert len(history(Principal(user_id=None, username="a", role=Role.AUDITOR, region_code="000000"))) == 2
    with pytest.raises(Forbidden):
        history(Principal(user_id=None, username="icbc", role=Role.BANK, bank_code="ICBC"))


def test_two_corrections_at_once_make_one_new_version_and_one_clear_refusal(database, province):
    declaration = declaration_of(database, province["people"][1][0])
    first_written, release, results = threading.Event(), threading.Event(), {}

    def first():
        with database.transaction() as session:
            results["first"] = correct_base(session=session, principal=employer(province), declaration_id=declaration,
                                            now=province["clock"].now(), command=BaseCorrect(declared_base_fen=1_500_000))
            first_written.set()
            release.wait(10)

    def second():
        first_written.wait(10)
        try:
            results["second"] = correct(database, province, employer(province), declaration, 1_600_000)
        except Conflict as refused:
            results["second"] = refused

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_written.wait(10)
    time.sleep(0.5)
    assert "second" not in results  # waits for the first correction to commit, reads nothing stale
    release.set()
    for thread in threads:
        thread.join(30)
    assert results["first"].version == 2
    assert isinstance(results["second"], Conflict) and results["second"].code == "base.superseded"
    with database.unit_of_work() as uow:
        assert uow.session.scalars(select(BaseDeclaration.version).where(
            BaseDeclaration.person_id == province["people"][1][0]).order_by(BaseDeclaration.version)).all() == [1, 2]


def test_the_same_base_declared_twice_at_once_is_one_declaration_and_one_clear_refusal(database, province):
    person_id = province["people"][1][0]
    first_written, release, results = threading.Event(), threading.Event(), {}

    def first():
        with database.transaction() as session:
            results["first"] = declare_base(session=session, principal=employer(province), now=province["clock"].now(),
                                            command=BaseDeclare(person_id=person_id, effective_period="202408",
                                                                declared_base_fen=1_300_000))
            first_written.set()
            release.wait(10)

    def second():
        first_written.wait(10)
        try:
            results["second"] = declare(database, province, employer(province), person_id, "202408", 1_400_000)
        except Conflict as refused:
            results["second"] = refused

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_written.wait(10)
    time.sleep(0.5)
    release.set()
    for thread in threads:
        thread.join(30)
    assert isinstance(results["second"], Conflict) and results["second"].code == "base.already_declared"
    assert results["second"].details == {"declaration_id": results["first"].id}
