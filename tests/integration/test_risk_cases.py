"""Risk cases worked to a conclusion and overpayments recovered, on SQLite and PostgreSQL: assign, note, evidence,
confirm → a recovery posted as a receivable, a repayment, an offset from the next payroll, a write-off of the rest,
settled; cleared with a reason; and every refusal (a concluded case, more than is owed, one's own case, bad files)."""

import hashlib
import json
from datetime import date

import pytest
from sqlalchemy import func, select, update

from shebao.accounts.models import User
from shebao.benefits import payroll
from shebao.benefits.models import BenefitDeduction, PayrollLine, PensionAward
from shebao.core.clock import utc_naive
from shebao.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shebao.core.security import SYSTEM, Principal, Role
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind
from shebao.payouts.models import PayoutLine
from shebao.registry.models import Person
from shebao.risk import cases, recovery
from shebao.risk.models import RiskCase, RiskEvidence, RiskRecovery, RiskRecoveryMovement
from tests.integration.test_pension_award_and_payroll import _apply, _archive
from tests.support import CHAOYANG, CHAOYANG_STREET, HAIDIAN, add_test_streets, give_active_card, make_user, register

CLERK = Principal(user_id=None, username="clerk", role=Role.STAFF, region_code=CHAOYANG)
OTHER = Principal(user_id=None, username="other", role=Role.STAFF, region_code=CHAOYANG)
HAIDIAN_CLERK = Principal(user_id=None, username="haidian", role=Role.STAFF, region_code=HAIDIAN)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def open_case(session, clock, *, person_id=None, rule_id="R06_retired_below_statutory_age", amount_fen=1_000_000,
              region=CHAOYANG_STREET, staff_actor=None, key=None) -> int:
    """A case as the screening opens it: status open, about a person (or a staff member), with money at stake."""
    at = utc_naive(clock.now())
    found = RiskCase(rule_id=rule_id, finding_key=key or f"{person_id or staff_actor}", province=region[:2] + "0000",
                     region_code=region, subject_kind="staff" if staff_actor else "person", person_id=person_id,
                     employer_id=None, staff_actor=staff_actor, severity="high", amount_fen=amount_fen,
                     period_from="202407", period_to="202412", details=json.dumps({"planted": True}), status="open",
                     assigned_to=None, conclusion_reason=None, overpaid_fen=None, opened_run_id=None,
                     last_seen_run_id=None, opened_at=at, updated_at=at, concluded_by=None, concluded_at=None)
    session.add(found)
    session.flush()
    return found.id


@pytest.fixture
def world(database, cipher, clock):
    """A retiree drawing a pension (award from 202407, card active), and clerks of 朝阳 (one of them the retiree)."""
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=11)
    _archive(database, clock, person)
    give_active_card(database, cipher, clock, person)
    _apply(database, clock, person)
    for name, region in (("clerk", CHAOYANG), ("other", CHAOYANG), ("haidian", HAIDIAN), ("own", CHAOYANG)):
        make_user(database, clock, name, Role.STAFF, region_code=region)
    with database.transaction() as session:  # a clerk's account names their own person (users.person_id)
        session.execute(update(User).where(User.username == "own").values(person_id=person))
    with database.transaction() as session:
        case_id = open_case(session, clock, person_id=person)
    return {"person": person, "case": case_id}


def _call(database, function, **arguments):
    with database.transaction() as session:
        return function(session=session, **arguments)


def test_a_case_from_assignment_to_a_settled_recovery(database, clock, world):
    now, case_id, person = clock.now(), world["case"], world["person"]
    view = _call(database, cases.assign_case, principal=SYSTEM, case_id=case_id, to="clerk", now=now)
    assert (view["status"], view["assigned_to"]) == ("assigned", "staff:clerk")
    view = _call(database, cases.add_note, principal=CLERK, case_id=case_id, note="核对档案，出生日期于退休前一年变更", now=now)
    assert view["status"] == "investigating"
    view = _call(database, cases.add_evidence, principal=CLERK, case_id=case_id, file_name="C:\\scans\\档案.pdf",
                 content=PDF, note="户籍档案复印件", now=now)
    (filed,) = view["evidence"]
    assert (filed["file_name"], filed["content_type"], filed["size_bytes"]) == ("档案.pdf", "application/pdf", len(PDF))
    assert filed["sha256"] == hashlib.sha256(PDF).hexdigest()
    view = _call(database, cases.conclude_case, principal=CLERK, case_id=case_id, confirmed=True,
                 overpaid_fen=1_000_000, now=now)
    assert (view["status"], view["overpaid_fen"], view["concluded_by"]) == ("confirmed", 1_000_000, "staff:clerk")
    owed = view["recovery"]
    assert (owed["debtor"], owed["amount_fen"], owed["outstanding_fen"], owed["offset_allowed"]) == (
        "person", 1_000_000, 1_000_000, True)
    with database.unit_of_work() as uow:
        receivable = ledger.open_account(session=uow.session, kind=AccountKind.RECEIVABLE, province="110000",
                                         person_id=person, now=now).id
        assert ledger.balance(session=uow.session, account_id=receivable) == 1_000_000
    repaid = _call(database, recovery.repay, principal=CLERK, recovery_id=owed["id"], amount_fen=100_000,
                   reference="ICBC-20250301-0001", now=now)
    assert (repaid["recovered_fen"], repaid["outstanding_fen"]) == (100_000, 900_000)

    payroll.run_payroll(database=database, province="110000", period="202407", now=now, actor="test")
    with database.unit_of_work() as uow:
        monthly = uow.session.scalar(select(PensionAward.monthly_fen).where(PensionAward.person_id == person))
        line = uow.session.scalar(select(PayrollLine).where(PayrollLine.person_id == person,
                                                            PayrollLine.for_period == "202407"))
        sent = uow.session.scalar(select(PayoutLine.amount_fen).where(PayoutLine.source_ref == line.id))
        status = line.status
    taken = monthly // 2  # risk.recovery.offset_max_share 0.5, rounded down
    assert status == "paid" and sent == monthly - taken
    view = _call(database, cases.show_case, principal=CLERK, case_id=case_id, now=now)
    offset = [m for m in view["recovery"]["movements"] if m["kind"] == "offset"]
    assert [(m["amount_fen"], m["period"]) for m in offset] == [(taken, "202407")]
    assert view["recovery"]["outstanding_fen"] == 900_000 - taken
    payroll.run_payroll(database=database, province="110000", period="202407", now=now, actor="test")  # a rerun takes nothing
    left = 900_000 - taken
    with pytest.raises(InvalidInput) as refused:  # more than is owed
        _call(database, recovery.write_off, principal=CLERK, recovery_id=owed["id"], amount_fen=left + 1,
              reason="无力偿还", now=now)
    assert refused.value.code == "risk.more_than_owed"
    done = _call(database, recovery.write_off, principal=CLERK, recovery_id=owed["id"], amount_fen=left,
                 reason="本人无其他收入，经批准核销", now=now)
    assert (done["status"], done["outstanding_fen"], done["written_off_fen"]) == ("settled", 0, left)
    assert done["recovered_fen"] + done["written_off_fen"] == done["amount_fen"]
    with pytest.raises(Conflict):
        _call(database, recovery.repay, principal=CLERK, recovery_id=owed["id"], amount_fen=1, reference="x", now=now)
    with database.unit_of_work() as uow:
        session = uow.session
        assert ledger.balance(session=session, account_id=receivable) == 0
        deduction = session.scalar(select(BenefitDeduction).where(BenefitDeduction.person_id == person))
        assert (deduction.owed_fen, deduction.status) == (0, "closed")
        kinds = sorted(session.scalars(select(RiskRecoveryMovement.kind)))
        assert kinds == ["offset", "repayment", "write_off"]
        actions = [r.action for r in session.scalars(select(_audit()).order_by(_audit().seq))]
        for action in ("risk.case_assigned", "risk.case_note", "risk.case_evidence", "risk.case_concluded",
                       "risk.recovery_repayment", "risk.recovery_write_off"):
            assert action in actions
    assert ledger_balanced(database)


def _audit():
    from shebao.core.audit import AuditRecord

    return AuditRecord


def ledger_balanced(database) -> bool:
    from shebao.ledger.models import JournalLine

    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.coalesce(func.sum(JournalLine.amount_fen), 0))) == 0


def test_cleared_with_a_reason_and_a_concluded_case_takes_nothing_more(database, clock, world):
    now, case_id = clock.now(), world["case"]
    _call(database, cases.assign_case, principal=SYSTEM, case_id=case_id, to="staff:clerk", now=now)
    with pytest.raises(InvalidInput) as refused:
        _call(database, cases.conclude_case, principal=CLERK, case_id=case_id, confirmed=False, reason="  ", now=now)
    assert refused.value.code == "risk.clear_reason"
    view = _call(database, cases.conclude_case, principal=CLERK, case_id=case_id, confirmed=False,
                 reason="出生日期变更有公安机关更正证明，属实", now=now)
    assert (view["status"], view["recovery"], view["conclusion_reason"]) == ("cleared", None,
                                                                              "出生日期变更有公安机关更正证明，属实")
    for function, extra in ((cases.conclude_case, {"confirmed": True, "overpaid_fen": 0}),
                            (cases.assign_case, {"to": "other"}), (cases.add_note, {"note": "再看看"})):
        with pytest.raises(Conflict) as refused:
            _call(database, function, principal=CLERK, case_id=case_id, now=now, **extra)
        assert refused.value.code == "risk.case_concluded" and refused.value.reason and refused.value.reason_en


def test_confirmed_with_nothing_overpaid_opens_no_recovery_and_above_the_stake_needs_a_reason(database, clock, world):
    now, case_id = clock.now(), world["case"]
    with pytest.raises(Conflict) as refused:  # not assigned yet
        _call(database, cases.conclude_case, principal=SYSTEM, case_id=case_id, confirmed=True, overpaid_fen=0, now=now)
    assert refused.value.code == "risk.case_not_assigned"
    _call(database, cases.assign_case, principal=SYSTEM, case_id=case_id, to="clerk", now=now)
    for bad, code in ((-1, "risk.overpaid"), (None, "risk.overpaid"), (1_000_001, "risk.overpaid_above_stake")):
        with pytest.raises(InvalidInput) as refused:
            _call(database, cases.conclude_case, principal=CLERK, case_id=case_id, confirmed=True, overpaid_fen=bad, now=now)
        assert refused.value.code == code
    view = _call(database, cases.conclude_case, principal=CLERK, case_id=case_id, confirmed=True,
                 overpaid_fen=1_200_000, reason="调查发现多领 2025 年 1、2 月", now=now)
    assert view["recovery"]["amount_fen"] == 1_200_000


def test_no_one_works_a_case_about_themselves(database, clock, world):
    now, case_id = clock.now(), world["case"]
    own = Principal(user_id=None, username="own", role=Role.STAFF, region_code=CHAOYANG, person_id=world["person"])
    with pytest.raises(Forbidden) as refused:
        _call(database, cases.add_note, principal=own, case_id=case_id, note="我看看", now=now)
    assert refused.value.code == "risk.own_case"
    with pytest.raises(Forbidden):  # nor is it given to them
        _call(database, cases.assign_case, principal=SYSTEM, case_id=case_id, to="own", now=now)
    with database.transaction() as session:
        about_clerk = open_case(session, clock, rule_id="R18_staff_own_or_family_record", staff_actor="staff:clerk",
                                amount_fen=0, key="staff:clerk")
    with pytest.raises(Forbidden):
        _call(database, cases.assign_case, principal=CLERK, case_id=about_clerk, to="other", now=now)
    with pytest.raises(Forbidden):
        _call(database, cases.assign_case, principal=SYSTEM, case_id=about_clerk, to="clerk", now=now)
    _call(database, cases.assign_case, principal=SYSTEM, case_id=case_id, to="clerk", now=now)
    with pytest.raises(Forbidden) as refused:  # assigned to another: only the assignee works it
        _call(database, cases.add_note, principal=OTHER, case_id=case_id, note="看一下", now=now)
    assert refused.value.code == "risk.not_assignee"


def test_outside_the_region_is_not_found_and_only_a_clerk_of_the_region_is_given_it(database, clock, world):
    now, case_id = clock.now(), world["case"]
    for function, extra in ((cases.show_case, {}), (cases.add_note, {"note": "x"}), (cases.assign_case, {"to": "clerk"})):
        with pytest.raises(NotFound):
            _call(database, function, principal=HAIDIAN_CLERK, case_id=case_id, now=now, **extra)
        with pytest.raises(NotFound):
            _call(database, function, principal=CLERK, case_id=999_999, now=now, **extra)
    for to in ("haidian", "nobody", "", "staff:" + "x" * 200):
        with pytest.raises(InvalidInput) as refused:
            _call(database, cases.assign_case, principal=SYSTEM, case_id=case_id, to=to, now=now)
        assert refused.value.code == "risk.assignee"
    assert [c["id"] for c in _call(database, cases.list_cases, principal=CLERK, region=CHAOYANG)] == [case_id]
    assert _call(database, cases.list_cases, principal=CLERK, region=CHAOYANG, status="cleared") == []
    assert _call(database, cases.list_cases, principal=CLERK, region=CHAOYANG, rule="R01_paid_after_death") == []
    for bad in ({"status": "gone"}, {"rule": "R99"}, {"severity": "dire"}, {"region": "999999"}):
        with pytest.raises(InvalidInput):
            _call(database, cases.list_cases, principal=CLERK, **({"region": CHAOYANG} | bad))
    with pytest.raises(NotFound):
        _call(database, cases.list_cases, principal=HAIDIAN_CLERK, region=CHAOYANG)


@pytest.mark.parametrize(("name", "content", "code"), [
    ("a.pdf", b"", "risk.evidence_empty"),
    ("a.bin", b"\x00\x01\x02binary", "risk.evidence_type"),
    ("a.exe", b"MZ\x90\x00\x03\x00\x00\x00", "risk.evidence_type"),
    ("", PDF, "risk.evidence_name"),
    ("x" * 201, PDF, "risk.evidence_name"),
    ("a\x00.pdf", PDF, "risk.evidence_name"),
])
def test_bad_evidence_files_are_refused_and_nothing_is_filed(database, clock, world, name, content, code):
    now, case_id = clock.now(), world["case"]
    _call(database, cases.assign_case, principal=SYSTEM, case_id=case_id, to="clerk", now=now)
    with pytest.raises(InvalidInput) as refused:
        _call(database, cases.add_evidence, principal=CLERK, case_id=case_id, file_name=name, content=content, now=now)
    assert refused.value.code == code
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(RiskEvidence)) == 0


def test_evidence_above_the_size_limit_and_on_an_open_case_is_refused(database, clock, world):
    now, case_id = clock.now(), world["case"]
    with pytest.raises(Conflict):
        _call(database, cases.add_evidence, principal=SYSTEM, case_id=case_id, file_name="a.pdf", content=PDF, now=now)
    _call(database, cases.assign_case, principal=SYSTEM, case_id=case_id, to="clerk", now=now)
    big = PDF + b"0" * 10 * 1024 * 1024
    with pytest.raises(InvalidInput) as refused:
        _call(database, cases.add_evidence, principal=CLERK, case_id=case_id, file_name="a.pdf", content=big, now=now)
    assert refused.value.code == "risk.evidence_too_large"


def test_a_dead_persons_overpayment_is_owed_by_the_estate_and_never_offset(database, clock, world):
    now, case_id = clock.now(), world["case"]
    with database.transaction() as session:
        session.get(Person, world["person"]).death_date = date(2024, 12, 3)
    _call(database, cases.assign_case, principal=SYSTEM, case_id=case_id, to="clerk", now=now)
    view = _call(database, cases.conclude_case, principal=CLERK, case_id=case_id, confirmed=True, overpaid_fen=500_000,
                 now=now)
    assert (view["recovery"]["debtor"], view["recovery"]["offset_allowed"]) == ("estate", False)
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(BenefitDeduction)) == 0
        assert uow.session.scalar(select(RiskRecovery.debtor)) == "estate"
    with pytest.raises(InvalidInput) as refused:
        _call(database, recovery.repay, principal=CLERK, recovery_id=view["recovery"]["id"], amount_fen=100,
              reference="  ", now=now)
    assert refused.value.code == "risk.reference"
    with pytest.raises(NotFound):
        _call(database, recovery.repay, principal=HAIDIAN_CLERK, recovery_id=view["recovery"]["id"], amount_fen=100,
              reference="R1", now=now)


def test_an_employers_case_is_owed_by_the_employer_and_a_region_case_recovers_nothing(database, clock, world):
    import random

    from shebao.demo.seed import demo_credit_code
    from shebao.registry import service as registry
    from shebao.registry.schemas import EmployerCreate

    now = clock.now()
    with database.transaction() as session:
        firm = registry.register_employer(session=session, principal=SYSTEM, now=now, command=EmployerCreate(
            uscc=demo_credit_code(CHAOYANG, random.Random(7)), name="朝阳虚构用工有限公司", region_code=CHAOYANG,
            industry_code="E47")).id
        employer_case = open_case(session, clock, rule_id="R13_fictitious_employment", key=f"e{firm}")
        session.get(RiskCase, employer_case).employer_id = firm
        region_case = open_case(session, clock, rule_id="R20_payroll_jump", key="110105:202407")
    for case_id in (employer_case, region_case):
        _call(database, cases.assign_case, principal=SYSTEM, case_id=case_id, to="clerk", now=now)
    view = _call(database, cases.conclude_case, principal=CLERK, case_id=employer_case, confirmed=True,
                 overpaid_fen=40_000, now=now)
    assert (view["recovery"]["debtor"], view["recovery"]["offset_allowed"]) == ("employer", False)
    with database.unit_of_work() as uow:
        account = ledger.open_account(session=uow.session, kind=AccountKind.RECEIVABLE, province="110000",
                                      employer_id=firm, now=now).id
        assert ledger.balance(session=uow.session, account_id=account) == 40_000
    with pytest.raises(InvalidInput) as refused:
        _call(database, cases.conclude_case, principal=CLERK, case_id=region_case, confirmed=True, overpaid_fen=1,
              now=now)
    assert refused.value.code == "risk.no_debtor"
    assert _call(database, cases.conclude_case, principal=CLERK, case_id=region_case, confirmed=True, overpaid_fen=0,
                 now=now)["recovery"] is None


def test_a_clerk_does_not_work_the_recovery_of_their_own_debt(database, clock, world):
    now, case_id = clock.now(), world["case"]
    _call(database, cases.assign_case, principal=SYSTEM, case_id=case_id, to="clerk", now=now)
    owed = _call(database, cases.conclude_case, principal=CLERK, case_id=case_id, confirmed=True, overpaid_fen=9_000,
                 now=now)["recovery"]
    own = Principal(user_id=None, username="own", role=Role.STAFF, region_code=CHAOYANG, person_id=world["person"])
    for function, extra in ((recovery.repay, {"reference": "B1"}), (recovery.write_off, {"reason": "免了吧"})):
        with pytest.raises(Forbidden) as refused:
            _call(database, function, principal=own, recovery_id=owed["id"], amount_fen=9_000, now=now, **extra)
        assert refused.value.code == "risk.own_case"
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(RiskRecoveryMovement)) == 0


def test_a_confirmed_death_finding_is_owed_by_the_estate_and_never_recovered_twice(database, clock, world):
    """R01's finding is the death itself: the estate owes it before the register records the death; once the death
    record recovers the payments after it (benefit_recoveries), a second receivable is refused and nothing written."""
    from shebao.services.deaths import apply_death

    now, person = clock.now(), world["person"]
    payroll.run_payroll(database=database, province="110000", period="202407", now=now, actor="test")
    with database.transaction() as session:
        reported = open_case(session, clock, person_id=person, rule_id="R01_paid_after_death", amount_fen=300_000,
                             key=f"p:{person}:reported")
        recorded = open_case(session, clock, person_id=person, rule_id="R01_paid_after_death", amount_fen=300_000,
                             key=f"p:{person}:recorded")
    for case_id in (reported, recorded):
        _call(database, cases.assign_case, principal=SYSTEM, case_id=case_id, to="clerk", now=now)
    view = _call(database, cases.conclude_case, principal=CLERK, case_id=reported, confirmed=True, overpaid_fen=300_000,
                 now=now)
    assert (view["recovery"]["debtor"], view["recovery"]["offset_allowed"]) == ("estate", False)

    with database.transaction() as session:
        apply_death(session=session, person=session.get(Person, person), death_date=date(2024, 6, 20),
                    source="民政殡葬信息", actor="test", now=now)
    with database.unit_of_work() as uow:
        recoveries_before = uow.session.scalar(select(func.count()).select_from(RiskRecovery))
    with pytest.raises(Conflict) as refused:
        _call(database, cases.conclude_case, principal=CLERK, case_id=recorded, confirmed=True, overpaid_fen=300_000,
              now=now)
    assert refused.value.code == "risk.already_recovering" and "死亡登记" in refused.value.reason
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(RiskRecovery)) == recoveries_before
        assert uow.session.get(RiskCase, recorded).status == "assigned"
    view = _call(database, cases.conclude_case, principal=CLERK, case_id=recorded, confirmed=True, overpaid_fen=0,
                 now=now, reason="死亡登记已立项追回")
    assert view["status"] == "confirmed" and view["recovery"] is None
