# ruff: noqa: F811 - the fixtures `retiree` and `workplace` are imported from the tests that own them
"""The in-process risk rules (issue #15): each blocks its use case before anything is written, tells the clerk which
rule and why in both languages, and records the attempt in its own transaction; each has a near miss that passes.
On SQLite and PostgreSQL (the `database` fixture)."""

import json
import random
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from shebao.benefits import payroll
from shebao.benefits.claims import apply_unemployment
from shebao.benefits.models import InjuryClaim, PayrollLine, PensionAward, RetirementApplication, UnemploymentClaim
from shebao.benefits.schemas import DeathReport, UnemploymentApply
from shebao.cards import service as cards
from shebao.cards.models import Card
from shebao.cards.schemas import CardActivate, CardIssue, CardMoveRequest
from shebao.core import guards
from shebao.core.audit import AuditRecord
from shebao.core.errors import Conflict, InvalidInput
from shebao.core.guards import GuardsNotInstalled, Point, RiskBlocked
from shebao.core.security import SYSTEM, Principal, Role
from shebao.demo.seed import demo_credit_code
from shebao.enrollment.models import Participation
from shebao.payouts.models import PayoutLine
from shebao.registry import service as registry
from shebao.registry.schemas import EmployerCreate
from shebao.risk import guards as risk_guards
from shebao.risk.models import RiskBlockedAttempt
from shebao.risk.rules import When, in_process_rules
from shebao.services.deaths import record_death
from shebao.transfers import service as transfers
from shebao.transfers.models import Transfer
from shebao.transfers.schemas import TransferApply
from tests.integration.test_other_benefits import workplace  # noqa: F401 - the fixture, for the R15 near miss
from tests.integration.test_pension_award_and_payroll import _apply as _retire
from tests.integration.test_pension_award_and_payroll import _archive, retiree  # noqa: F401 - and its fixture
from tests.support import (
    CHAOYANG,
    PUDONG,
    assert_bilingual,
    give_active_card,
    make_user,
    register,
    token_for,
)

BEIJING = "110000"
runner = CliRunner()


def _counts(database, *models):
    with database.unit_of_work() as uow:
        return {model.__tablename__: uow.session.scalar(select(func.count()).select_from(model)) for model in models}


def _attempts(database, rule_id=None):
    with database.unit_of_work() as uow:
        query = select(RiskBlockedAttempt).order_by(RiskBlockedAttempt.id)
        if rule_id is not None:
            query = query.where(RiskBlockedAttempt.rule_id == rule_id)
        found = list(uow.session.scalars(query))
        uow.session.expunge_all()  # read after the unit of work ends
        return found


def _blocked_audits(database):
    with database.unit_of_work() as uow:
        found = list(uow.session.scalars(select(AuditRecord).where(AuditRecord.action.in_(("risk.blocked", "risk.held")))))
        uow.session.expunge_all()
        return found


def _assert_blocked(refused, rule_id, attempt):
    """The refusal names the rule and why in both languages, and matches the recorded attempt."""
    error = refused.value
    assert isinstance(error, RiskBlocked) and error.status_code == 409
    assert (error.code, error.details["rule_id"], error.details["attempt_id"]) == ("risk.blocked", rule_id, attempt.id)
    assert rule_id in error.reason and rule_id in error.reason_en
    assert_bilingual(error.reason.replace(rule_id, ""), error.reason_en)
    assert (attempt.rule_id, attempt.reason_zh, attempt.reason_en) == (rule_id, error.reason, error.reason_en)


@pytest.fixture
def pensioner(database, clock, retiree):
    _retire(database, clock, retiree)
    return retiree


# ---------------------------------------------------------------- the registry


def test_every_in_process_rule_is_asked_at_a_check_point():
    asked = {rule_id for rules in guards.registered().values() for rule_id in rules}
    for rule in in_process_rules():
        assert rule.id in asked or (rule.when == When.BOTH and rule.id in risk_guards.NOT_IN_PROCESS_YET), rule.id
    assert set(risk_guards.NOT_IN_PROCESS_YET).isdisjoint(asked)
    assert {"R21_second_pension_award", "R24_clerk_own_record"} <= set(guards.registered()[Point.PENSION_AWARD])
    assert set(guards.registered()[Point.PAYROLL_HOLD]) == {"R01_paid_after_death", "R22_payment_to_frozen_card"}


def test_a_guarded_use_case_without_the_rules_registered_is_refused_not_passed(database, clock, retiree, monkeypatch):
    monkeypatch.setattr(guards, "_recorder", None)
    with pytest.raises(GuardsNotInstalled):
        _retire(database, clock, retiree)
    assert _counts(database, PensionAward)["pension_awards"] == 0


# ---------------------------------------------------------------- R21: a second pension award


def test_r21_a_second_award_is_blocked_before_anything_is_written(database, clock, pensioner):
    before = _counts(database, RetirementApplication, PensionAward, PayrollLine, AuditRecord)
    with pytest.raises(RiskBlocked) as refused:
        _retire(database, clock, pensioner, region_code=PUDONG)  # asked again in Shanghai
    [attempt] = _attempts(database)
    _assert_blocked(refused, "R21_second_pension_award", attempt)
    assert refused.value.details["receiving_in"] == BEIJING and refused.value.details["applied_in"] == "310000"
    after = _counts(database, RetirementApplication, PensionAward, PayrollLine, AuditRecord)
    assert after == before | {"audit_records": before["audit_records"] + 1}  # the attempt's own audit record only
    assert (attempt.person_id, attempt.region_code, attempt.use_case) == (pensioner, "110105001",
                                                                          "benefits.apply_for_retirement")
    assert attempt.actor == SYSTEM.actor and json.loads(attempt.details)["point"] == "pension.award"
    [audited] = _blocked_audits(database)
    assert audited.subject == f"person:{pensioner}" and json.loads(audited.detail)["attempt"] == attempt.id


def test_r21_near_miss_a_work_injury_allowance_does_not_exclude_the_pension(database, clock, retiree):
    with database.transaction() as session:  # a disability allowance from the work-injury fund, another scheme
        firm = registry.register_employer(session=session, principal=SYSTEM, now=clock.now(), command=EmployerCreate(
            uscc=demo_credit_code(CHAOYANG, random.Random(5)), name="朝阳建材有限公司", region_code=CHAOYANG,
            industry_code="C30")).id
        session.add(InjuryClaim(person_id=retiree, employer_id=firm, province=BEIJING, kind="disability",
                                injury_date=date(2010, 5, 1), grade=7, wage_fen=800_000, one_off_fen=10_000_000,
                                monthly_allowance_fen=0, funeral_fen=0, explanation="{}", recorded_by="test",
                                recorded_at=clock.now().replace(tzinfo=None)))
    assert _retire(database, clock, retiree).award_id
    assert _attempts(database) == []


# ---------------------------------------------------------------- R23: a transfer while drawing


def _transfer(database, cipher, clock, person, principal=SYSTEM, to="440304"):
    with database.transaction() as session:
        return transfers.apply(session=session, principal=principal, cipher=cipher, now=clock.now(),
                               command=TransferApply(person_id=person, to_region=to, starts_on=date(2025, 3, 1)))


def test_r23_a_pensioner_s_transfer_is_blocked_before_anything_is_written(database, cipher, clock, pensioner):
    before = _counts(database, Transfer, Participation)
    with pytest.raises(RiskBlocked) as refused:
        _transfer(database, cipher, clock, pensioner)
    [attempt] = _attempts(database)
    _assert_blocked(refused, "R23_transfer_while_drawing", attempt)
    assert _counts(database, Transfer, Participation) == before
    assert attempt.use_case == "transfers.apply" and attempt.person_id == pensioner


def test_r23_near_miss_a_transfer_before_drawing_goes_through(database, cipher, clock, retiree):
    applied = _transfer(database, cipher, clock, retiree)
    assert applied["step"] == "applied" and _attempts(database) == []


# ---------------------------------------------------------------- R15: unemployment while drawing a pension


def _claim(database, clock, person):
    with database.transaction() as session:
        return apply_unemployment(session=session, principal=SYSTEM, now=clock.now(), command=UnemploymentApply(
            person_id=person, separation_date=date(2025, 1, 31), reason="employer_terminated", region_code=CHAOYANG))


def test_r15_a_pensioner_s_unemployment_claim_is_blocked(database, clock, pensioner):
    before = _counts(database, UnemploymentClaim, Participation)
    with pytest.raises(RiskBlocked) as refused:
        _claim(database, clock, pensioner)
    [attempt] = _attempts(database)
    _assert_blocked(refused, "R15_unemployment_while_pension", attempt)
    assert _counts(database, UnemploymentClaim, Participation) == before


def test_r15_near_miss_a_worker_without_a_pension_claims(database, clock, workplace):
    assert _claim(database, clock, workplace["man"]).entitled_months == 12
    assert _attempts(database) == []


# ---------------------------------------------------------------- R24: a clerk acting on their own record


def _clerk(person_id):
    return Principal(user_id=None, username="clerk", role=Role.STAFF, region_code=CHAOYANG, person_id=person_id)


def test_r24_a_clerk_awarding_their_own_pension_is_blocked(database, clock, retiree):
    before = _counts(database, RetirementApplication, PensionAward)
    with pytest.raises(RiskBlocked) as refused:
        _retire_as(database, clock, retiree, _clerk(retiree))
    [attempt] = _attempts(database)
    _assert_blocked(refused, "R24_clerk_own_record", attempt)
    assert attempt.actor == "staff:clerk" and attempt.person_id == retiree
    assert _counts(database, RetirementApplication, PensionAward) == before


def test_r24_near_miss_the_clerk_awards_someone_else(database, cipher, clock, retiree):
    colleague = register(database, cipher, clock, birth=date(1970, 1, 1), sequence=13)
    assert _retire_as(database, clock, retiree, _clerk(colleague)).award_id
    assert _attempts(database) == []


def test_r24_a_clerk_s_own_transfer_and_claim_are_blocked_too(database, cipher, clock, retiree):
    with pytest.raises(RiskBlocked) as moved:
        _transfer(database, cipher, clock, retiree, principal=_clerk(retiree), to=CHAOYANG)  # at the clerk's counter
    assert moved.value.details["rule_id"] == "R24_clerk_own_record"
    with pytest.raises(RiskBlocked) as claimed, database.transaction() as session:
        apply_unemployment(session=session, principal=_clerk(retiree), now=clock.now(), command=UnemploymentApply(
            person_id=retiree, separation_date=date(2025, 1, 31), reason="employer_terminated", region_code=CHAOYANG))
    assert claimed.value.details["rule_id"] == "R24_clerk_own_record"
    assert [a.use_case for a in _attempts(database, "R24_clerk_own_record")] == ["transfers.apply",
                                                                                 "benefits.apply_unemployment"]


def _retire_as(database, clock, person, principal):
    from shebao.benefits.schemas import RetirementApply
    from shebao.services.retirement import apply_for_retirement

    with database.unit_of_work() as uow:
        outcome = apply_for_retirement(session=uow.session, principal=principal, now=clock.now(), command=RetirementApply(
            person_id=person, retire_date=date(2024, 6, 15), category="male", region_code=CHAOYANG))
        uow.commit()
    return outcome.award


# ---------------------------------------------------------------- R22 and R01 in the payroll: the line held, the batch on


def _other_pensioner(database, cipher, clock):
    person = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=15)
    _archive(database, clock, person)
    give_active_card(database, cipher, clock, person)
    _retire(database, clock, person)
    return person


def _card_of(database, person):
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(Card.id).where(Card.person_id == person, Card.state == "active"))


def _lines(database, person):
    with database.unit_of_work() as uow:
        return [tuple(row) for row in uow.session.execute(
            select(PayrollLine.status, PayrollLine.hold_reason).where(PayrollLine.person_id == person)
            .order_by(PayrollLine.for_period))]


def _paid_out(database, person):
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(PayoutLine).where(PayoutLine.person_id == person))


def _run(database, clock):
    return payroll.run_payroll(database=database, province=BEIJING, period="202503", now=clock.now(), actor="test")


def test_r22_a_frozen_card_s_months_are_held_and_recorded_while_the_payroll_pays_the_others(database, cipher, clock,
                                                                                            pensioner):
    other = _other_pensioner(database, cipher, clock)
    with database.transaction() as session:
        cards.report_lost(session=session, cipher=cipher, principal=SYSTEM, card_id=_card_of(database, pensioner),
                          now=clock.now(), command=CardMoveRequest(reason="持卡人挂失 reported lost"))
    run = _run(database, clock)
    assert run.persons == 9  # the other receiver's nine months: the batch went on
    assert set(_lines(database, pensioner)) == {("held", "card_frozen")} and _paid_out(database, pensioner) == 0
    assert _paid_out(database, other) == 9
    attempts = _attempts(database, "R22_payment_to_frozen_card")
    assert len(attempts) == 9 and {a.person_id for a in attempts} == {pensioner}
    assert all(a.use_case == "benefits.payroll" and a.subject.startswith("payroll_line:") for a in attempts)
    assert_bilingual(attempts[0].reason_zh.replace("R22_payment_to_frozen_card", ""), attempts[0].reason_en)
    assert json.loads(attempts[0].details)["hold_reason"] == "card_frozen"
    assert [json.loads(a.detail)["lines"] for a in _blocked_audits(database)] == [9]


def test_r22_a_card_found_again_whose_bank_account_is_still_frozen_is_not_paid(database, cipher, clock, pensioner):
    card = _card_of(database, pensioner)
    with database.transaction() as session:
        cards.report_lost(session=session, cipher=cipher, principal=SYSTEM, card_id=card, now=clock.now(),
                          command=CardMoveRequest(reason="持卡人挂失 reported lost"))
        cards.unfreeze(session=session, principal=SYSTEM, card_id=card, now=clock.now(),
                       command=CardMoveRequest(reason="卡已找回 found again"))
    _run(database, clock)
    assert set(_lines(database, pensioner)) == {("held", "card_bank_frozen")} and _paid_out(database, pensioner) == 0
    assert len(_attempts(database, "R22_payment_to_frozen_card")) == 9


def test_r22_near_miss_a_replaced_card_is_paid(database, cipher, clock, pensioner):
    from stdnum import luhn

    with database.transaction() as session:
        old = _card_of(database, pensioner)
        cards.report_lost(session=session, cipher=cipher, principal=SYSTEM, card_id=old, now=clock.now(),
                          command=CardMoveRequest(reason="持卡人挂失 reported lost"))
        new = cards.replace(session=session, principal=SYSTEM, card_id=old, now=clock.now(),
                            command=CardMoveRequest(reason="补卡 replacement", region_code="110105001")).id
        serial, account = "1199990001", "622202009999991"
        cards.issue_on_the_spot(session=session, cipher=cipher, principal=SYSTEM, card_id=new, now=clock.now(),
                                command=CardIssue(card_number=serial + luhn.calc_check_digit(serial), chip_serial="C0FFEE",
                                                  bank_code="ICBC", bank_account=account + luhn.calc_check_digit(account),
                                                  region_code="110105001"))
        holder = Principal(user_id=None, username="holder", role=Role.INSURED, person_id=pensioner)
        cards.activate(session=session, principal=holder, card_id=new, command=CardActivate(pin="730294"), now=clock.now())
    assert _run(database, clock).persons == 9 and _paid_out(database, pensioner) == 9
    assert _attempts(database) == []


def test_r01_a_dead_receiver_s_months_are_held_by_the_rule_and_recorded_once(database, clock, pensioner):
    from shebao.benefits.receivers import suspend_pension
    from shebao.core.clock import FixedClock

    with database.transaction() as session:  # missing: the months are held as suspended, then the death comes in
        suspend_pension(session=session, principal=SYSTEM, person_id=pensioner, reason="去向不明", now=clock.now())
    _run(database, clock)
    with database.transaction() as session:
        record_death(session=session, principal=SYSTEM, now=clock.now(), command=DeathReport(
            person_id=pensioner, death_date=date(2025, 2, 20), source="民政部门死亡登记 2025-0009"))
    april = FixedClock(datetime(2025, 4, 2, 2, 0, tzinfo=UTC))
    payroll.run_payroll(database=database, province=BEIJING, period="202504", now=april.now(), actor="test")
    held = [line for line in _lines(database, pensioner) if line[0] == "held"]
    assert set(held) == {("held", "deceased")} and _paid_out(database, pensioner) == 0
    attempts = _attempts(database, "R01_paid_after_death")
    assert len(attempts) == len(held) == 8  # 2024-07 to 2025-02, owed to the heirs, never paid to the dead
    with database.transaction() as session:  # judged again (one line asked to be paid at once): nothing recorded twice
        line = session.scalar(select(PayrollLine.id).where(PayrollLine.person_id == pensioner,
                                                           PayrollLine.status == "held").limit(1))
        assert payroll.pay_line(session=session, line_id=line, key="again", actor="test", now=april.now()) == (0, 0)
    assert len(_attempts(database, "R01_paid_after_death")) == 8


def test_r01_near_miss_a_living_receiver_is_paid(database, clock, pensioner):
    assert _run(database, clock).persons == 9 and _attempts(database) == []


# ---------------------------------------------------------------- over HTTP, and the listing


@pytest.fixture
def office(client, database, cipher, clock, retiree):
    """A clerk whose own person record is the retiree's, a colleague, staff of another province, an auditor."""
    make_user(database, clock, "clerk", Role.STAFF, region_code=CHAOYANG, person_id=retiree)
    make_user(database, clock, "colleague", Role.STAFF, region_code=CHAOYANG)
    make_user(database, clock, "shanghai", Role.STAFF, region_code="310000")
    make_user(database, clock, "auditor", Role.AUDITOR)
    return {"person": retiree, "tokens": {name: token_for(client, name) for name in ("clerk", "colleague", "shanghai",
                                                                                       "auditor")}}


def _award_over_http(client, office, token):
    body = {"person_id": office["person"], "retire_date": "2024-06-15", "category": "male", "region_code": CHAOYANG}
    return client.post("/api/v1/retirement/applications", json=body, headers=office["tokens"][token])


def test_over_http_the_clerk_is_told_which_rule_blocked_and_why_in_both_languages(client, database, office):
    own = _award_over_http(client, office, "clerk")
    assert own.status_code == 409, own.text
    error = own.json()["error"]
    assert error["code"] == "risk.blocked" and error["details"]["rule_id"] == "R24_clerk_own_record"
    assert "R24_clerk_own_record" in error["reason"] and "R24_clerk_own_record" in error["reason_en"]
    assert_bilingual(error["reason"].replace("R24_clerk_own_record", ""), error["reason_en"])
    changed = client.patch(f"/api/v1/persons/{office['person']}", json={"name": "改名"}, headers=office["tokens"]["clerk"])
    assert changed.status_code == 409 and changed.json()["error"]["details"]["rule_id"] == "R24_clerk_own_record"
    assert _counts(database, RetirementApplication, PensionAward) == {"retirement_applications": 0, "pension_awards": 0}
    assert _award_over_http(client, office, "colleague").status_code == 201  # the near miss: someone else's record
    again = _award_over_http(client, office, "colleague")
    assert again.status_code == 409 and again.json()["error"]["details"]["rule_id"] == "R21_second_pension_award"

    listing = client.get("/api/v1/risk/blocked", params={"region": CHAOYANG}, headers=office["tokens"]["colleague"])
    assert listing.status_code == 200, listing.text
    assert listing.json()["by_rule"] == {"R21_second_pension_award": 1, "R24_clerk_own_record": 2}
    assert [a["rule_id"] for a in listing.json()["attempts"]][0] == "R21_second_pension_award"  # newest first
    read = client.get("/api/v1/risk/blocked", params={"region": BEIJING}, headers=office["tokens"]["auditor"])
    assert read.status_code == 200 and read.json()["total"] == 3
    elsewhere = client.get("/api/v1/risk/blocked", params={"region": "310000"}, headers=office["tokens"]["colleague"])
    assert elsewhere.status_code == 403
    outside = client.get("/api/v1/risk/blocked", params={"region": BEIJING}, headers=office["tokens"]["shanghai"])
    assert outside.status_code == 403
    theirs = client.get("/api/v1/risk/blocked", params={"region": "310000"}, headers=office["tokens"]["shanghai"])
    assert theirs.status_code == 200 and theirs.json()["total"] == 0
    for bad in ("11", "abcdef", "999999", "1101050011234", ""):
        refused = client.get("/api/v1/risk/blocked", params={"region": bad}, headers=office["tokens"]["auditor"])
        assert refused.status_code == 422, (bad, refused.text)
        assert_bilingual(refused.json()["error"]["reason"], refused.json()["error"]["reason_en"])
    assert client.get("/api/v1/risk/blocked", params={"region": CHAOYANG, "limit": 0},
                      headers=office["tokens"]["auditor"]).status_code == 422


def test_a_staff_account_names_only_a_registered_person(database, clock):
    with pytest.raises(InvalidInput) as refused:
        make_user(database, clock, "ghost", Role.STAFF, region_code=CHAOYANG, person_id=987654)
    assert refused.value.code == "user.person_unknown"
    with pytest.raises(InvalidInput):
        make_user(database, clock, "bank", Role.BANK, bank_code="ICBC", person_id=987654)


def test_the_command_lists_the_blocked_attempts_and_refuses_a_bad_region(database, clock, pensioner):
    from shebao.cli import app

    with pytest.raises(Conflict):
        _retire(database, clock, pensioner)
    result = runner.invoke(app, ["risk", "blocked", "--region", CHAOYANG, "--json", "--db", database.url])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert listed["by_rule"] == {"R21_second_pension_award": 1}
    assert listed["attempts"][0]["reason_en"].startswith("risk rule R21_second_pension_award")
    human = runner.invoke(app, ["risk", "blocked", "--region", CHAOYANG, "--db", database.url])
    assert human.exit_code == 0 and "R21_second_pension_award" in human.stdout
    bad = runner.invoke(app, ["risk", "blocked", "--region", "12345x", "--json", "--db", database.url])
    assert bad.exit_code != 0 and json.loads(bad.stdout)["error"]["code"] == "risk.region_invalid"
