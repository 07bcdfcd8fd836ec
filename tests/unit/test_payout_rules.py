"""The payout rules, without a database: a batch's life and its two people, a line's reference, the bank's return
file row by row, and the reconciliation of a bank's month against the ledger's figures."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shebao.core.errors import Conflict, Forbidden, InvalidInput
from shebao.payouts import rules
from shebao.payouts.rules import BatchMove, BatchState, Figures, LineFound, PayoutOrder, ReturnReason, ReturnRow
from tests.support import assert_bilingual


def test_a_batch_is_prepared_then_approved_and_nothing_else():
    assert rules.next_state("open", BatchMove.PREPARE) == BatchState.PREPARED
    assert rules.next_state("prepared", BatchMove.APPROVE) == BatchState.RELEASED
    for state, move in (("open", BatchMove.APPROVE), ("prepared", BatchMove.PREPARE), ("released", BatchMove.APPROVE),
                        ("released", BatchMove.PREPARE), ("nonsense", BatchMove.PREPARE)):
        with pytest.raises(Conflict) as refused:
            rules.next_state(state, move)
        assert refused.value.code == f"payout.cannot_{move.value}"
        assert_bilingual(refused.value.reason, refused.value.reason_en)


def test_the_checker_is_never_the_maker():
    rules.check_checker(maker="staff:li", checker="staff:wang")
    for maker in ("staff:li", None):
        with pytest.raises(Forbidden) as refused:
            rules.check_checker(maker=maker, checker="staff:li")
        assert refused.value.code == "payout.four_eyes"
    rules.check_unchanged(prepared=(3, 300), now=(3, 300))
    with pytest.raises(Conflict) as changed:
        rules.check_unchanged(prepared=(3, 300), now=(4, 400))
    assert changed.value.code == "payout.changed" and "4 lines" in changed.value.reason_en


@given(st.integers(min_value=1, max_value=10**12 - 1))
def test_a_reference_names_its_line_and_no_other(line_id):
    reference = rules.line_reference(line_id)
    assert len(reference) == 16 and rules.parse_reference(reference) == line_id
    assert rules.parse_reference(reference.lower()) == line_id
    last = int(reference[-1])
    assert rules.parse_reference(reference[:-1] + str((last + 1) % 10)) is None  # one digit mistyped


@pytest.mark.parametrize("text", ["", "SBP", "SBP123", "XYZ0000000000018", "SBP00000000000a8", "SBP0000000000000",
                                  "SBP00000000000180"])
def test_what_is_not_a_reference(text):
    assert rules.parse_reference(text) is None


def _rows(*rows):
    return [{"reference": rules.line_reference(line) if isinstance(line, int) else line, "reason_code": reason,
             "amount_fen": str(amount)} for line, reason, amount in rows]


def test_each_row_of_a_return_file_is_read_or_refused_with_its_reason():
    parsed, rejected = rules.parse_return_rows(_rows(
        (7, "account_closed", 100), ("SBP0000000000072", "other", 1), (8, "stolen", 5), (9, "card_frozen", "1.50"),
        (10, "name_mismatch", 0), (7, "other", 100), (11, "other", 25)))
    assert [(r.row, r.line_id, r.reason, r.amount_fen) for r in parsed] == [
        (1, 7, ReturnReason.ACCOUNT_CLOSED, 100), (7, 11, ReturnReason.OTHER, 25)]
    assert [(r["row"], r["code"]) for r in rejected] == [
        (2, "payout.unknown_line"), (3, "payout.reason"), (4, "payout.amount"), (5, "payout.amount"),
        (6, "payout.returned_twice")]
    for row in rejected:
        assert_bilingual(row["reason"], row["reason_en"], row["code"])


def test_the_same_file_in_any_order_is_the_same_file():
    one = [ReturnRow(1, 7, ReturnReason.OTHER, 100), ReturnRow(2, 9, ReturnReason.CARD_FROZEN, 5)]
    other = [ReturnRow(1, 9, ReturnReason.CARD_FROZEN, 5), ReturnRow(2, 7, ReturnReason.OTHER, 100)]
    assert rules.return_file_digest(one) == rules.return_file_digest(other)
    assert rules.return_file_digest(one) != rules.return_file_digest([ReturnRow(1, 7, ReturnReason.OTHER, 101), one[1]])


def test_the_database_refuses_a_line_unknown_unreleased_returned_or_of_another_amount():
    row = ReturnRow(3, 7, ReturnReason.ACCOUNT_CLOSED, 100)
    sent = LineFound(7, "released", "sent", 100, None)
    assert rules.check_return_row(row, sent) is None
    cases = {
        "payout.unknown_line": None,
        "payout.not_released": LineFound(7, "prepared", "pending", 100, None),
        "payout.returned_twice": LineFound(7, "released", "returned", 100, 4),
        "payout.amount_differs": LineFound(7, "released", "sent", 99, None),
    }
    for code, found in cases.items():
        problem = rules.check_return_row(row, found)
        assert (problem["row"], problem["code"]) == (3, code)
        assert_bilingual(problem["reason"], problem["reason_en"], code)
    with pytest.raises(InvalidInput) as refused:
        rules.refuse_rejected([rules.check_return_row(row, None)])
    assert refused.value.code == "payout.returns_rejected" and refused.value.details["rejected"][0]["row"] == 3


def test_a_return_file_is_read_whole_or_refused():
    assert rules.read_return_csv("\ufeffreference, reason_code ,amount_fen,extra\nSBP1,other,5,x\n") == [
        {"reference": "SBP1", "reason_code": "other", "amount_fen": "5"}]
    for text, code in (("reference,amount_fen\nx,1\n", "payout.return_header"), ("", "payout.return_header"),
                       ("reference,reason_code,amount_fen\n", "payout.return_empty")):
        with pytest.raises(InvalidInput) as refused:
            rules.read_return_csv(text)
        assert refused.value.code == code


def _figures(**changes) -> Figures:
    agreeing = dict(lines_fen=1000, sent_fen=800, returned_fen=100, unreleased_fen=200, ledger_to_transit_fen=1000,
                    ledger_released_fen=800, ledger_transit_released_fen=800, ledger_returned_fen=100)
    return Figures(**(agreeing | changes))


def test_a_bank_month_reconciles_when_the_lines_are_what_the_ledger_moved():
    assert rules.reconcile(_figures()) == []
    differences = rules.reconcile(_figures(ledger_released_fen=799, ledger_returned_fen=0))
    assert [(d["check"], d["lines_fen"], d["ledger_fen"]) for d in differences] == [("released", 800, 799), ("returned", 100, 0)]
    for difference in differences:
        assert_bilingual(difference["reason"], difference["reason_en"], difference["check"])
    in_transit = rules.reconcile(_figures(unreleased_fen=300))
    assert [d["check"] for d in in_transit] == ["in_transit"]


def test_an_order_the_bank_can_act_on():
    good = PayoutOrder(source_ref=1, bank_code="ICBC", account="6222020000000018", receiver_name="张三",
                       region_code="110105", amount_fen=100, memo="退费", person_id=5)
    rules.check_order(good)
    bad = {"payout.amount": {"amount_fen": 0}, "payout.bank_code": {"bank_code": "icbc"},
           "payout.account": {"account": "62-22"}, "payout.receiver_name": {"receiver_name": " "},
           "payout.region": {"region_code": "11"}, "payout.receiver": {"employer_id": 3},
           "payout.memo": {"memo": ""}}
    for code, change in bad.items():
        with pytest.raises(InvalidInput) as refused:
            rules.check_order(PayoutOrder(**(good.__dict__ | change)))
        assert refused.value.code == code
        assert_bilingual(refused.value.reason, refused.value.reason_en, code)
