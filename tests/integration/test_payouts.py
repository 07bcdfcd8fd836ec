"""Payments to the banks on both databases: a paid month waits in transit until a second person releases its bank's
batch; the release pays it out of cash; the bank's return file takes lines back into cash and the payable, holds
them with the bank's reason until the account is fixed, and the month is paid again in a later batch; the
reconciliation of each bank's month agrees with the ledger at every step; bad files are refused whole."""

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from stdnum import luhn

from shebao.benefits import payroll
from shebao.benefits.models import PayrollLine
from shebao.benefits.service import pension_of
from shebao.cards import service as cards
from shebao.cards.schemas import BankAccountBind
from shebao.core.audit import AuditRecord
from shebao.core.clock import FixedClock
from shebao.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from shebao.core.security import SYSTEM, Principal, Role
from shebao.ledger import chart
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind
from shebao.payouts import service as payouts
from shebao.payouts.models import PayoutBatch, PayoutLine, PayoutReturn
from shebao.payouts.rules import PayoutOrder, line_reference
from shebao.payouts.schemas import AccountFix
from shebao.services.bank_returns import fix_returned_account, import_bank_returns
from tests.integration.test_pension_award_and_payroll import _apply, _archive
from tests.support import add_test_streets, give_active_card, register

BEIJING, MONTHLY = "110000", 697311
MAKER = Principal(user_id=1, username="maker", role=Role.STAFF, region_code=BEIJING)
CHECKER = Principal(user_id=2, username="checker", role=Role.STAFF, region_code=BEIJING)
SHANGHAI_CLERK = Principal(user_id=3, username="shanghai", role=Role.STAFF, region_code="310000")
COUNTY_CLERK = Principal(user_id=4, username="county", role=Role.STAFF, region_code="110105")
AUDITOR = Principal(user_id=5, username="auditor", role=Role.AUDITOR)
HEADER = "reference,reason_code,amount_fen\n"


@pytest.fixture
def receivers(database, cipher, clock):
    """Two retirees with active ICBC cards, awarded 4,500.01 yuan a month from July 2024, paid to March 2025."""
    add_test_streets(database, clock)
    people = []
    for sequence in (11, 13):
        person = register(database, cipher, clock, birth=date(1964, 6, 15), sequence=sequence)
        _archive(database, clock, person)
        give_active_card(database, cipher, clock, person)
        _apply(database, clock, person)
        people.append(person)
    payroll.run_payroll(database=database, province=BEIJING, period="202503", now=clock.now(), actor="test")
    return people


def _balances(database) -> dict[str, int]:
    with database.unit_of_work() as uow:
        return ledger.trial_balance(session=uow.session)


def _only_batch(database, **where) -> PayoutBatch:
    with database.unit_of_work() as uow:
        found = uow.session.scalars(select(PayoutBatch).filter_by(**where)).all()
        assert len(found) == 1, found
        uow.session.expunge(found[0])
        return found[0]


def _release(database, clock, batch_id: int) -> None:
    with database.transaction() as session:
        payouts.prepare_batch(session=session, principal=MAKER, batch_id=batch_id, now=clock.now())
        payouts.approve_batch(session=session, principal=CHECKER, batch_id=batch_id, now=clock.now())


def _reconciled(database, period="202503"):
    with database.unit_of_work() as uow:
        return payouts.reconcile(session=uow.session, principal=SYSTEM, province=BEIJING, period=period)


def _lines(database, person, status):
    with database.unit_of_work() as uow:
        return uow.session.execute(select(PayrollLine.id, PayrollLine.for_period, PayrollLine.hold_reason).where(
            PayrollLine.person_id == person, PayrollLine.status == status).order_by(PayrollLine.for_period)).all()


def _payouts_of(database, person, memo=None):
    """(id, amount, status, attempt, batch) of the person's payments, oldest first; those of one memo if named."""
    with database.unit_of_work() as uow:
        query = select(PayoutLine.id, PayoutLine.amount_fen, PayoutLine.status, PayoutLine.attempt,
                       PayoutLine.batch_id).where(PayoutLine.person_id == person).order_by(PayoutLine.id)
        return uow.session.execute(query.where(PayoutLine.memo == memo) if memo else query).all()


def _account(serial: int) -> str:
    body = f"62220200{serial:010d}"
    return body + luhn.calc_check_digit(body)


def test_nothing_leaves_cash_until_a_second_person_releases_the_batch(database, clock, receivers):
    total = 2 * 9 * MONTHLY
    kinds = _balances(database)
    assert kinds.get("cash", 0) == 0 and kinds["payout_transit"] == -total and kinds["benefit_payable"] == 0
    batch = _only_batch(database, bank_code="ICBC", period="202503", source="payroll")
    assert batch.status == "open"
    assert _reconciled(database).balanced
    with database.transaction() as session:
        prepared = payouts.prepare_batch(session=session, principal=MAKER, batch_id=batch.id, now=clock.now())
    assert (prepared.status, prepared.lines, prepared.total_fen, prepared.prepared_by) == ("prepared", 18, total, "staff:maker")
    assert _balances(database).get("cash", 0) == 0
    with database.transaction() as session:
        released = payouts.approve_batch(session=session, principal=CHECKER, batch_id=batch.id, now=clock.now())
    assert (released.status, released.approved_by) == ("released", "staff:checker")
    kinds = _balances(database)
    assert kinds["cash"] == -total and kinds.get("payout_transit", 0) == 0
    with database.unit_of_work() as uow:
        actions = {action: json.loads(detail) for action, detail in uow.session.execute(
            select(AuditRecord.action, AuditRecord.detail).where(AuditRecord.subject == f"payout_batch:{batch.id}"))}
        assert (actions["payout.released"]["maker"], actions["payout.released"]["checker"]) == ("staff:maker", "staff:checker")
        assert actions["payout.prepared"]["total_fen"] == total
    report = _reconciled(database)
    assert report.balanced and report.transit_balance_fen == report.unreleased_fen == 0
    icbc = report.banks[0]
    assert (icbc.sent.lines, icbc.sent.fen, icbc.paid.fen, icbc.returned.lines) == (18, total, total, 0)
    assert icbc.ledger.released_fen == icbc.ledger.transit_released_fen == icbc.ledger.to_transit_fen == total


def test_maker_checker_refusals_write_nothing(database, clock, receivers):
    batch = _only_batch(database, bank_code="ICBC")
    refusals = [
        (MAKER, "approve", Conflict, "payout.cannot_approve"),  # not prepared yet
        (AUDITOR, "prepare", Forbidden, "auth.role_not_allowed"),
        (SHANGHAI_CLERK, "prepare", NotFound, "scope.not_found"),
        (COUNTY_CLERK, "prepare", NotFound, "scope.not_found"),  # a county does not serve the province's batch
    ]
    for who, move, error, code in refusals:
        with pytest.raises(error) as refused, database.transaction() as session:
            getattr(payouts, f"{move}_batch")(session=session, principal=who, batch_id=batch.id, now=clock.now())
        assert refused.value.code == code, (who.username, move)
    with database.transaction() as session:
        payouts.prepare_batch(session=session, principal=MAKER, batch_id=batch.id, now=clock.now())
    for who, error, code in ((MAKER, Forbidden, "payout.four_eyes"), (AUDITOR, Forbidden, "auth.role_not_allowed"),
                             (SHANGHAI_CLERK, NotFound, "scope.not_found")):
        with pytest.raises(error) as refused, database.transaction() as session:
            payouts.approve_batch(session=session, principal=who, batch_id=batch.id, now=clock.now())
        assert refused.value.code == code
    with pytest.raises(Conflict) as refused, database.transaction() as session:
        payouts.prepare_batch(session=session, principal=MAKER, batch_id=batch.id, now=clock.now())
    assert refused.value.code == "payout.cannot_prepare"
    with pytest.raises(NotFound) as refused, database.transaction() as session:  # nowhere: the same answer as elsewhere
        payouts.approve_batch(session=session, principal=SHANGHAI_CLERK, batch_id=987654, now=clock.now())
    assert refused.value.code == "scope.not_found"
    assert _only_batch(database, bank_code="ICBC").status == "prepared" and _balances(database).get("cash", 0) == 0


def test_the_bank_file_only_once_released(database, clock, cipher, receivers):
    batch = _only_batch(database, bank_code="ICBC")
    with pytest.raises(Conflict) as refused, database.transaction() as session:
        payouts.bank_file(session=session, cipher=cipher, principal=MAKER, batch_id=batch.id, now=clock.now())
    assert refused.value.code == "payout.not_released"
    _release(database, clock, batch.id)
    with database.transaction() as session:
        text = payouts.bank_file(session=session, cipher=cipher, principal=MAKER, batch_id=batch.id, now=clock.now())
    header, *rows = text.strip().splitlines()
    assert header == "reference,bank_account,account_name,amount_fen,card_number,memo" and len(rows) == 18
    reference, account, name, amount, card, memo = rows[0].split(",")
    assert reference.startswith("SBP") and account.startswith("62220200") and name == "退休职工"
    assert int(amount) == MONTHLY and memo == "养老金 202407"


def _return_file(database, clock, rows: list[tuple[int, str, int]], province=BEIJING, principal=MAKER):
    text = HEADER + "".join(f"{line_reference(line)},{reason},{amount}\n" for line, reason, amount in rows)
    with database.transaction() as session:
        return import_bank_returns(session=session, principal=principal, province=province, file_name="ICBC-0301.csv",
                                   csv_text=text, now=clock.now())


def test_a_returned_line_is_owed_again_held_with_its_reason_and_paid_again_once_the_account_is_rebound(
        database, clock, cipher, receivers):
    _, first = receivers  # the second receiver: whose card is not the first one the database finds
    batch = _only_batch(database, bank_code="ICBC")
    _release(database, clock, batch.id)
    (returned, amount, *_), = _payouts_of(database, first, "养老金 202503")
    result = _return_file(database, clock, [(returned, "account_closed", amount)])
    assert (result.lines, result.total_fen, result.by_reason, result.held_payroll_lines) == (1, MONTHLY, {"account_closed": 1}, 1)
    kinds = _balances(database)
    assert kinds["cash"] == -(18 - 1) * MONTHLY and kinds["benefit_payable"] == -MONTHLY  # back in cash, owed again
    (line_id, month, reason), = _lines(database, first, "held")
    assert (month, reason) == ("202503", "bank_returned")
    report = _reconciled(database)
    assert report.balanced and (report.banks[0].returned.lines, report.banks[0].paid.fen) == (1, 17 * MONTHLY)
    with database.unit_of_work() as uow:  # the receiver sees why
        mine = pension_of(session=uow.session, principal=SYSTEM, person_id=first)
        shown = next(line for line in mine.payroll if line.for_period == "202503")
        assert shown.hold_reason == "bank_returned" and shown.bank_return.reason_zh == "账户已销户"
        listed = payouts.returned_lines(session=uow.session, principal=COUNTY_CLERK)
        assert [(x.line_id, x.reason, x.status) for x in listed] == [(returned, "account_closed", "returned")]
        assert payouts.returned_lines(session=uow.session, principal=SHANGHAI_CLERK) == []

    # The same file again changes nothing.
    before = _balances(database)
    again = _return_file(database, clock, [(returned, "account_closed", amount)])
    assert again.already_imported and again.file_id == result.file_id and _balances(database) == before

    # April's payroll: the month stays held while the card still holds the account the bank refused.
    april = FixedClock(datetime(2025, 4, 10, 2, 0, tzinfo=UTC))
    payroll.run_payroll(database=database, province=BEIJING, period="202504", now=april.now(), actor="test")
    assert [(m, r) for _, m, r in _lines(database, first, "held")] == [("202503", "bank_returned")]
    # The account bound again: May's payroll pays March again, attempt 2, and the returned line is done with.
    with database.unit_of_work() as uow:
        card_id = cards.cards_of(session=uow.session, cipher=cipher, principal=SYSTEM, person_id=first, now=clock.now())[0].id
    with database.transaction() as session:
        cards.bind_bank_account(session=session, cipher=cipher, principal=SYSTEM, card_id=card_id, now=april.now(),
                                command=BankAccountBind(bank_code="ICBC", bank_account=_account(first),
                                                        reason="原账户已销户，重新绑定"))
    may = FixedClock(datetime(2025, 5, 10, 2, 0, tzinfo=UTC))
    run = payroll.run_payroll(database=database, province=BEIJING, period="202505", now=may.now(), actor="test")
    assert run.total_fen == 2 * MONTHLY + MONTHLY and _lines(database, first, "held") == []
    march = [(status, attempt) for _, _, status, attempt, _ in _payouts_of(database, first, "养老金 202503")]
    assert march == [("resent", 1), ("pending", 2)]
    assert _reconciled(database).balanced and _reconciled(database, "202505").balanced
    with database.unit_of_work() as uow:
        owed = uow.session.scalar(select(func.coalesce(func.sum(PayrollLine.amount_fen), 0)).where(
            PayrollLine.status.in_(("due", "held"))))
        assert -ledger.trial_balance(session=uow.session).get("benefit_payable", 0) == owed == 0


def test_staff_record_an_account_fixed_and_the_month_is_paid_again_at_once(database, clock, cipher, receivers):
    first, _ = receivers
    batch = _only_batch(database, bank_code="ICBC")
    _release(database, clock, batch.id)
    (line, amount, *_), = _payouts_of(database, first, "养老金 202503")
    _return_file(database, clock, [(line, "card_frozen", amount)])
    with pytest.raises(NotFound), database.transaction() as session:  # outside the clerk's region: as if nowhere
        fix_returned_account(session=session, cipher=cipher, principal=SHANGHAI_CLERK, line_id=line, now=clock.now(),
                             command=AccountFix(note="银行已解冻"))
    with database.transaction() as session:
        fixed = fix_returned_account(session=session, cipher=cipher, principal=COUNTY_CLERK, line_id=line, now=clock.now(),
                                     command=AccountFix(note="银行已解冻"))
    assert (fixed.line.status, fixed.paid_again_lines, fixed.paid_again_fen) == ("fixed", 1, MONTHLY)
    assert [status for _, _, status, *_ in _payouts_of(database, first, "养老金 202503")] == ["resent", "pending"]
    again = _only_batch(database, bank_code="ICBC", status="open")  # March's payment goes into this month's next batch
    assert (again.period, again.seq) == ("202503", 2)
    with pytest.raises(Conflict) as refused, database.transaction() as session:
        fix_returned_account(session=session, cipher=cipher, principal=COUNTY_CLERK, line_id=line, now=clock.now(),
                             command=AccountFix(note="再次"))
    assert refused.value.code == "payout.not_awaiting_fix"
    assert _reconciled(database).balanced


def test_bad_return_files_are_refused_whole_with_a_reason_per_row(database, clock, receivers):
    first, second = receivers
    batch = _only_batch(database, bank_code="ICBC")
    _release(database, clock, batch.id)
    (one, amount_one, *_), (two, amount_two, *_) = _payouts_of(database, first)[:2]
    payroll.run_payroll(database=database, province=BEIJING, period="202504",
                        now=FixedClock(datetime(2025, 4, 10, 2, 0, tzinfo=UTC)).now(), actor="test")
    (unreleased, amount_unreleased, *_), = _payouts_of(database, first, "养老金 202504")
    rejected_rows = {
        "payout.unknown_line": (987654, "account_closed", 1),  # never sent
        "payout.returned_twice": (one, "other", amount_one),  # twice in the file
        "payout.not_released": (unreleased, "account_closed", amount_unreleased),
        "payout.amount_differs": (two, "account_closed", amount_two + 1),
    }
    with pytest.raises(InvalidInput) as refused:
        _return_file(database, clock, [(one, "account_closed", amount_one), *rejected_rows.values()])
    assert refused.value.code == "payout.returns_rejected"
    assert {r["code"] for r in refused.value.details["rejected"]} == set(rejected_rows)
    for text in (HEADER + "SBP0000000000017,account_closed,1\n", HEADER + f"{line_reference(one)},stolen,{amount_one}\n",
                 "reference,amount_fen\nx,1\n", HEADER):
        with pytest.raises(InvalidInput), database.transaction() as session:
            import_bank_returns(session=session, principal=MAKER, province=BEIJING, file_name="bad.csv", csv_text=text,
                                now=clock.now())
    with pytest.raises(InvalidInput) as elsewhere:  # another province's file does not see Beijing's lines
        _return_file(database, clock, [(one, "account_closed", amount_one)], province="310000", principal=SYSTEM)
    assert [r["code"] for r in elsewhere.value.details["rejected"]] == ["payout.unknown_line"]
    with pytest.raises(Forbidden):  # nor may Beijing's clerk import Shanghai's
        _return_file(database, clock, [(one, "account_closed", amount_one)], province="310000")
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PayoutReturn)) == 0
    _return_file(database, clock, [(one, "account_closed", amount_one)])
    with pytest.raises(InvalidInput) as twice:  # returned by an earlier file: not returned again by another
        _return_file(database, clock, [(one, "other", amount_one), (two, "name_mismatch", amount_two)])
    assert [r["code"] for r in twice.value.details["rejected"]] == ["payout.returned_twice"]
    assert _reconciled(database).balanced


def test_a_refund_goes_through_the_same_batches_and_comes_back_to_its_payable(database, clock, cipher, receivers):
    first, _ = receivers
    refunds = chart.province_account(AccountKind.REFUND_PAYABLE, province=BEIJING)  # what contributions/refunds.py owes out
    order = PayoutOrder(source_ref=77, bank_code="CCB", account="6217000010000000007", receiver_name="退费人",
                        region_code="110105001", amount_fen=12_345, memo="退费 202501", person_id=first)
    with database.transaction() as session:
        added = payouts.add_lines(session=session, cipher=cipher, source="refund", province=BEIJING, period="202503",
                                  payable=refunds, orders=[order], key="refund:77", actor="test", now=clock.now())
    assert (added.lines, added.total_fen) == (1, 12_345)
    with pytest.raises(Conflict) as refused, database.transaction() as session:  # paid twice while pending
        payouts.add_lines(session=session, cipher=cipher, source="refund", province=BEIJING, period="202503",
                          payable=refunds, orders=[order], key="refund:77b", actor="test", now=clock.now())
    assert refused.value.code == "payout.already_paying"
    with pytest.raises(InvalidInput), database.transaction() as session:
        payouts.add_lines(session=session, cipher=cipher, source="refund", province=BEIJING, period="202503",
                          payable=refunds, orders=[order.__class__(**{**order.__dict__, "amount_fen": 0})], key="refund:0",
                          actor="test", now=clock.now())
    batch = _only_batch(database, bank_code="CCB", source="refund")
    _release(database, clock, batch.id)
    assert _balances(database)["refund_payable"] == 12_345
    (refund_line, *_), = _payouts_of(database, first, "退费 202501")
    _return_file(database, clock, [(refund_line, "name_mismatch", 12_345)])
    assert _balances(database)["refund_payable"] == 0  # owed again in the payable it came from
    with database.unit_of_work() as uow:
        listed = payouts.returned_lines(session=uow.session, principal=SYSTEM, source="refund")
        assert [(x.source, x.source_ref, x.reason) for x in listed] == [("refund", 77, "name_mismatch")]
    with database.transaction() as session:  # the account corrected: the refund pays it again (attempt 2)
        again = payouts.add_lines(session=session, cipher=cipher, source="refund", province=BEIJING, period="202503",
                                  payable=refunds, orders=[order.__class__(**{**order.__dict__, "account": "6217000010000000015"})],
                                  key="refund:77:2", actor="test", now=clock.now())
    assert again.lines == 1
    assert [(status, attempt) for _, _, status, attempt, _ in _payouts_of(database, first, "退费 202501")] == [
        ("resent", 1), ("pending", 2)]
    assert _reconciled(database).balanced
