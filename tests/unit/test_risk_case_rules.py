"""How a risk case is worked and an overpayment recovered (risk/case_rules.py): statuses and actions, conclusions,
the recovery arithmetic (never more than is owed, offsets within their share) and evidence files."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shebao.core.errors import Conflict, InvalidInput
from shebao.risk import case_rules as r
from tests.support import assert_bilingual


@pytest.mark.parametrize(("action", "status", "after"), [
    ("assign", "open", "assigned"), ("assign", "assigned", "assigned"), ("assign", "investigating", "investigating"),
    ("note", "open", "open"), ("note", "assigned", "investigating"), ("evidence", "assigned", "investigating"),
    ("conclude", "investigating", "investigating"),
])
def test_allowed_actions_and_where_they_lead(action, status, after):
    r.check_action(action, status)
    assert r.status_after(action, status) == after


@pytest.mark.parametrize("action", list(r.ACTIONS))
@pytest.mark.parametrize("status", r.CONCLUDED)
def test_a_concluded_case_takes_no_action(action, status):
    with pytest.raises(Conflict) as refused:
        r.check_action(action, status)
    assert refused.value.code == "risk.case_concluded"
    assert_bilingual(refused.value.reason, refused.value.reason_en)


@pytest.mark.parametrize("action", ["evidence", "conclude"])
def test_evidence_and_conclusion_wait_for_an_assignee(action):
    with pytest.raises(Conflict) as refused:
        r.check_action(action, "open")
    assert refused.value.code == "risk.case_not_assigned"
    assert_bilingual(refused.value.reason, refused.value.reason_en)


def test_clearing_needs_a_reason_and_names_no_amount():
    assert r.check_conclusion(confirmed=False, overpaid_fen=None, reason=" 属实更正 ", at_stake_fen=5) == r.Conclusion(
        "cleared", None, "属实更正")
    for reason in (None, "", "   ", "x" * (r.MAX_REASON_CHARS + 1), "bad\x00"):
        with pytest.raises(InvalidInput):
            r.check_conclusion(confirmed=False, overpaid_fen=None, reason=reason, at_stake_fen=5)
    with pytest.raises(InvalidInput):
        r.check_conclusion(confirmed=False, overpaid_fen=3, reason="属实", at_stake_fen=5)


def test_confirming_states_the_amount_above_the_stake_only_with_a_reason():
    assert r.check_conclusion(confirmed=True, overpaid_fen=0, reason=None, at_stake_fen=100).overpaid_fen == 0
    assert r.check_conclusion(confirmed=True, overpaid_fen=100, reason=None, at_stake_fen=100).overpaid_fen == 100
    assert r.check_conclusion(confirmed=True, overpaid_fen=150, reason="多查出两个月", at_stake_fen=100).reason == "多查出两个月"
    for bad in (None, -1, True, "100", 1.5, r.MAX_FEN + 1):
        with pytest.raises(InvalidInput):
            r.check_conclusion(confirmed=True, overpaid_fen=bad, reason=None, at_stake_fen=100)
    with pytest.raises(InvalidInput) as refused:
        r.check_conclusion(confirmed=True, overpaid_fen=101, reason=" ", at_stake_fen=100)
    assert refused.value.code == "risk.overpaid_above_stake"
    assert_bilingual(refused.value.reason, refused.value.reason_en)


def test_a_movement_takes_no_more_than_is_owed_and_says_what_it_is():
    assert r.check_movement(kind="repayment", amount_fen=5, owed_fen=5, reference=" B1 ") == (5, "B1", None)
    assert r.check_movement(kind="write_off", amount_fen=1, owed_fen=5, reason="无财产") == (1, None, "无财产")
    for kind, amount, owed, extra, code in (
            ("repayment", 6, 5, {"reference": "B"}, "risk.more_than_owed"),
            ("repayment", 0, 5, {"reference": "B"}, "risk.movement_amount"),
            ("repayment", -1, 5, {"reference": "B"}, "risk.movement_amount"),
            ("repayment", 1, 5, {"reference": ""}, "risk.reference"),
            ("write_off", 1, 5, {"reason": None}, "risk.write_off_reason")):
        with pytest.raises(InvalidInput) as refused:
            r.check_movement(kind=kind, amount_fen=amount, owed_fen=owed, **extra)
        assert refused.value.code == code
        assert_bilingual(refused.value.reason, refused.value.reason_en)
    with pytest.raises(Conflict):
        r.check_movement(kind="repayment", amount_fen=1, owed_fen=0, reference="B")


def test_an_offset_takes_its_share_rounded_down_and_never_more_than_owed():
    assert r.offset_fen(payment_fen=697_311, share=Decimal("0.5"), owed_fen=10**9) == 348_655
    assert r.offset_fen(payment_fen=100, share=Decimal("0.5"), owed_fen=7) == 7
    assert r.offset_fen(payment_fen=1, share=Decimal("0.9"), owed_fen=7) == 0
    assert r.offset_fen(payment_fen=100, share=Decimal("0"), owed_fen=7) == 0
    assert r.offset_fen(payment_fen=0, share=Decimal("0.5"), owed_fen=7) == 0


@given(amount=st.integers(1, 10**9),
       steps=st.lists(st.tuples(st.sampled_from(["repayment", "write_off", "offset"]), st.integers(-5, 10**9)),
                      max_size=30),
       share=st.decimals(min_value=0, max_value=Decimal("0.9"), places=2))
def test_recovered_and_written_off_never_exceed_the_amount(amount, steps, share):
    recovered = written_off = 0
    for kind, value in steps:
        owed = r.outstanding(amount, recovered, written_off)
        if kind == "offset":
            taken = r.offset_fen(payment_fen=value, share=share, owed_fen=owed)
            assert 0 <= taken <= max(0, value) * share
            recovered += taken
        else:
            try:
                accepted, _, _ = r.check_movement(kind=kind, amount_fen=value, owed_fen=owed, reference="B", reason="R")
            except (InvalidInput, Conflict):
                continue
            if kind == "repayment":
                recovered += accepted
            else:
                written_off += accepted
        assert 0 <= recovered + written_off <= amount
        assert r.outstanding(amount, recovered, written_off) >= 0


@pytest.mark.parametrize(("content", "kind"), [
    (b"%PDF-1.7 ...", "application/pdf"), (b"\x89PNG\r\n\x1a\n....", "image/png"), (b"\xff\xd8\xff\xe0..", "image/jpeg"),
    (b"II*\x00....", "image/tiff"), ("核查记录：属实".encode(), "text/plain"),
])
def test_evidence_type_is_read_from_the_bytes(content, kind):
    assert r.check_evidence(file_name="/tmp/../证据.dat", content=content, max_bytes=1024) == ("证据.dat", kind)


@pytest.mark.parametrize(("name", "content", "code"), [
    ("a.pdf", b"", "risk.evidence_empty"), ("a.pdf", b"%PDF-" + b"0" * 2000, "risk.evidence_too_large"),
    ("a.pdf", b"\x00\x01", "risk.evidence_type"), ("a.txt", b"\xff\xfe bad utf8 \x80", "risk.evidence_type"),
    ("", b"%PDF-", "risk.evidence_name"), (None, b"%PDF-", "risk.evidence_name"), ("dir/", b"%PDF-", "risk.evidence_name"),
    ("a\nb.pdf", b"%PDF-", "risk.evidence_name"),
])
def test_bad_evidence_is_refused(name, content, code):
    with pytest.raises(InvalidInput) as refused:
        r.check_evidence(file_name=name, content=content, max_bytes=1024)
    assert refused.value.code == code
    assert_bilingual(refused.value.reason, refused.value.reason_en)
