"""The DCI envelope, pure: canonical form, the Ed25519 signature over header and message, the header's checks, the
agreements of departments, and the outbox's backoff — no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shebao.comparison import dci
from shebao.comparison.outbox import RetryPolicy
from shebao.core.errors import DomainError, Forbidden, InvalidInput, Unauthenticated
from tests.dci_support import PLATFORM, Partner, notify
from tests.support import assert_bilingual

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=5)


def _verify(envelope: dict, partner: Partner, now: datetime = NOW) -> None:
    params = dci.parse_signature(envelope["signature"])
    dci.verify(params=params, header=envelope["header"], message=envelope["message"], public_key=partner.public_key,
               key_id=partner.key_id, now=now, skew=WINDOW)


def _refused(kind: type[DomainError], code: str, call) -> DomainError:  # noqa: ANN001
    with pytest.raises(kind) as refused:
        call()
    assert refused.value.code == code
    assert_bilingual(refused.value.reason, refused.value.reason_en, code)
    return refused.value


def test_canonical_form_sorts_keys_and_keeps_chinese_as_utf8():
    assert dci.canonical({"b": 1, "a": ["死亡", None]}) == '{"a":["死亡",null],"b":1}'.encode()
    assert dci.message_digest({"x": 1}, {"y": 2}) == dci.message_digest({"x": 1}, {"y": 2})
    with pytest.raises(ValueError):
        dci.canonical({"nan": float("nan")})


def test_a_signed_envelope_verifies_and_names_its_sender_and_key():
    partner = Partner("mca.test")
    envelope = partner.envelope("notify", notify(), NOW)
    params = dci.parse_signature(envelope["signature"])
    assert (params.sender_id, params.key_id) == ("mca.test", "k1")
    assert envelope["signature"].startswith('Signature: namespace="spdci", kidId="mca.test|k1|ed25519"')
    _verify(envelope, partner)


def test_the_signature_covers_the_header_and_the_message():
    partner = Partner("mca.test")
    for part, field, value in (("message", "transaction_id", "other"), ("header", "action", "search"),
                               ("header", "message_ts", "2025-03-01T10:01:00Z")):
        envelope = partner.envelope("notify", notify(), NOW)
        envelope[part][field] = value
        _refused(Unauthenticated, "exchange.signature_invalid", lambda envelope=envelope: _verify(envelope, partner))


def test_another_key_or_another_key_id_is_not_the_partners():
    partner = Partner("mca.test")
    forged = partner.envelope("notify", notify(), NOW, key=Ed25519PrivateKey.generate())
    _refused(Unauthenticated, "exchange.signature_invalid", lambda: _verify(forged, partner))
    renamed = Partner("mca.test", key_id="k2")
    renamed.key = partner.key
    _refused(Unauthenticated, "exchange.signature_invalid", lambda: _verify(renamed.envelope("notify", notify(), NOW), partner))


def test_a_signature_out_of_force_is_refused():
    partner = Partner("mca.test")
    envelope = partner.envelope("notify", notify(), NOW)
    _refused(Unauthenticated, "exchange.signature_expired", lambda: _verify(envelope, partner, NOW + timedelta(minutes=6)))
    _refused(Unauthenticated, "exchange.signature_expired", lambda: _verify(envelope, partner, NOW - timedelta(minutes=6)))


@pytest.mark.parametrize("signature", [None, "", 42, "Signature: nothing here",
                                       'kidId="a|b|rsa", algorithm="rsa", created="1", expires="2", '
                                       'headers="(created) (expires) digest", signature="x"',
                                       'kidId="a|b", algorithm="ed25519", created="1", expires="2", '
                                       'headers="(created) (expires) digest", signature="x"'])
def test_a_missing_or_malformed_signature_is_unauthenticated(signature):
    with pytest.raises(Unauthenticated) as refused:
        dci.parse_signature(signature)
    assert refused.value.code in ("exchange.unsigned", "exchange.signature_malformed")
    assert_bilingual(refused.value.reason, refused.value.reason_en)


def test_garbage_in_the_signature_or_the_key_is_simply_invalid():
    partner = Partner("mca.test")
    envelope = partner.envelope("notify", notify(), NOW)
    envelope["signature"] = envelope["signature"].rsplit('signature="', 1)[0] + 'signature="!!!not base64!!!"'
    _refused(Unauthenticated, "exchange.signature_invalid", lambda: _verify(envelope, partner))
    params = dci.parse_signature(partner.envelope("notify", notify(), NOW)["signature"])
    _refused(Unauthenticated, "exchange.signature_invalid", lambda: dci.verify(
        params=params, header={}, message={}, public_key="short", key_id="k1", now=NOW, skew=WINDOW))


def _header(**overrides) -> dict:
    return Partner("mca.test").header("notify", 1, NOW, **overrides)


def _check(header: dict, now: datetime = NOW):
    return dci.check_header(header, partner_code="mca.test", platform_id=PLATFORM, action="notify", now=now, window=WINDOW)


def test_a_header_for_us_from_the_signer_and_of_now_passes():
    checked = _check(_header())
    assert (checked.action, checked.total_count) == ("notify", 1)


@pytest.mark.parametrize(("overrides", "kind", "code"), [
    ({"sender_id": "someone.else"}, Unauthenticated, "exchange.sender_mismatch"),
    ({"message_ts": "2025-03-01T09:54:00Z"}, Unauthenticated, "exchange.message_stale"),
    ({"message_ts": "2025-03-01T10:06:00+00:00"}, Unauthenticated, "exchange.message_stale"),
    ({"receiver_id": "another.platform"}, InvalidInput, "exchange.receiver"),
    ({"action": "search"}, InvalidInput, "exchange.action"),
    ({"is_msg_encrypted": True}, InvalidInput, "exchange.encrypted"),
    ({"version": "0.9"}, InvalidInput, "exchange.header"),
    ({"message_ts": "2025-03-01T10:00:00"}, InvalidInput, "exchange.header"),  # no timezone
    ({"message_id": "spaces are not ids"}, InvalidInput, "exchange.header"),
    ({"total_count": -1}, InvalidInput, "exchange.header"),
])
def test_a_header_that_is_not_for_us_now_is_refused(overrides, kind, code):
    _refused(kind, code, lambda: _check(_header(**overrides)))


def test_counts_and_batch_limits_are_checked():
    checked = _check(_header(total_count=2))
    _refused(InvalidInput, "exchange.count_mismatch", lambda: dci.check_count(checked, 3))
    refused = _refused(InvalidInput, "exchange.batch_too_large", lambda: dci.check_batch([1, 2, 3], 2))
    assert "2" in refused.reason and refused.details["limit"] == 2
    dci.check_batch("not a list", 2)  # the model refuses that one, naming the field


def test_answer_headers_carry_the_callback_status():
    header = dci.answer_header(action="on-search", platform_id=PLATFORM, receiver_id="mca.test", message_id="m1",
                               now=NOW, total_count=3)
    assert header["message_ts"] == "2025-03-01T10:00:00Z" and header["status"] == "succ" and header["completed_count"] == 3


def test_departments_have_default_agreements_and_an_explicit_one_wins():
    assert dci.agreement_text("health", None) == "notify.birth,notify.death"
    assert dci.agreement_text("health", ["alive_check"]) == "alive_check"
    assert set(dci.DEFAULT_AGREEMENTS) == set(dci.DEPARTMENTS)
    _refused(InvalidInput, "exchange.department", lambda: dci.agreement_text("police", None))
    _refused(InvalidInput, "exchange.capability", lambda: dci.agreement_text("health", ["everything"]))
    refused = _refused(Forbidden, "exchange.not_agreed", lambda: dci.require_capability("notify.death", "search"))
    assert "查询人员" in refused.reason


def test_a_public_key_is_read_from_base64_base64url_or_pem():
    key = Ed25519PrivateKey.generate().public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    import base64

    url = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    assert dci.parse_public_key(base64.b64encode(raw).decode()) == dci.parse_public_key(pem) == dci.parse_public_key(url) == url
    pem_garbage = "-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----"
    for bad in ("", "not a key", base64.b64encode(b"x" * 31).decode(), pem_garbage):
        _refused(InvalidInput, "exchange.public_key", lambda bad=bad: dci.parse_public_key(bad))
    _refused(InvalidInput, "exchange.key_id", lambda: dci.check_key_id("has space"))


def test_the_outbox_backs_off_exponentially_up_to_its_cap():
    policy = RetryPolicy(max_attempts=8, backoff=timedelta(seconds=60), cap=timedelta(minutes=10), lease=timedelta(minutes=5))
    delays = [policy.next_attempt(attempts, NOW) - NOW for attempts in range(1, 7)]
    assert [d.total_seconds() for d in delays] == [60, 120, 240, 480, 600, 600]
