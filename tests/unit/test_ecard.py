"""The key hierarchy and the electronic card's QR code, verified offline as a terminal would."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shebao.cards.ecard import LIFETIME_SECONDS, ReplayGuard, issue_code, verify_code
from shebao.cards.keys import KeyStore, TrustFile, b64, unb64
from shebao.core.errors import Conflict, Forbidden, NotFound

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
CARD = "J11010512"


@pytest.fixture
def keys(tmp_path):
    store = KeyStore(tmp_path / "keys", "test-passphrase")
    store.init(now=NOW - timedelta(days=1))
    store.rotate_province(province="110000", now=NOW - timedelta(hours=1))
    store.rotate_province(province="310000", now=NOW - timedelta(hours=1))
    return store


def code(keys, now=NOW, province="110000"):
    return issue_code(keys=keys, card_number=CARD, province=province, device_id="phone-1", now=now)


def check(keys, text, now=NOW, replay=None):
    trust = TrustFile.from_json(keys.trust_path.read_text())  # what a terminal holds, from the exported file
    return verify_code(trust=trust, code=text, now=now, replay=replay)


def test_a_fresh_code_verifies_offline_and_names_the_card_not_the_person(keys):
    text = code(keys)
    verdict = check(keys, text, now=NOW + timedelta(seconds=30))
    assert verdict.valid and verdict.card_number == CARD and verdict.province == "110000"
    assert "11010519" not in text and "phone-1" not in json.loads(unb64(text.split(".")[1]))["d"]


def test_an_expired_code_is_refused(keys):
    assert check(keys, code(keys), now=NOW + timedelta(seconds=LIFETIME_SECONDS + 1)).reason == "expired"


def test_a_replayed_code_is_refused(keys):
    guard, text = ReplayGuard(), code(keys)
    assert check(keys, text, replay=guard).valid
    assert check(keys, text, replay=guard).reason == "replayed"


def _tamper(text, **changes):
    prefix, payload, signature = text.split(".")
    fields = json.loads(unb64(payload))
    fields.update(changes)
    return f"{prefix}.{b64(json.dumps(fields, separators=(',', ':')).encode())}.{signature}"


def test_a_forged_or_re_signed_code_is_refused(keys):
    text = code(keys)
    assert check(keys, _tamper(text, c="J99999999")).reason == "bad_signature"
    assert check(keys, _tamper(text, exp=json.loads(unb64(text.split(".")[1]))["exp"] + 3600)).reason == "bad_signature"
    prefix, payload, _ = text.split(".")
    resigned = f"{prefix}.{payload}.{b64(Ed25519PrivateKey.generate().sign(unb64(payload)))}"
    assert check(keys, resigned).reason == "bad_signature"


@pytest.mark.parametrize("text", ["", "SB1", "SB1..", "SB1.e30.AAAA", "garbage.garbage.garbage", "SB1.!!!.???",
                                  "x" * 5000, "SB2.e30.AAAA"])
def test_malformed_codes_are_refused(keys, text):
    assert check(keys, text).reason in ("malformed", "unsupported_version", "bad_signature")


def test_a_truncated_code_is_refused(keys):
    text = code(keys)
    assert not check(keys, text[:-10]).valid
    assert not check(keys, text[: len(text) // 2]).valid


def test_a_code_claiming_another_province_is_refused(keys):
    key_id, key = keys.signing_key(province="110000", now=NOW)
    payload = json.dumps({"v": 1, "c": CARD, "p": "310000", "d": "x", "iat": int(NOW.timestamp()),
                          "exp": int(NOW.timestamp()) + 60, "n": "n1", "k": key_id}, separators=(",", ":")).encode()
    assert check(keys, f"SB1.{b64(payload)}.{b64(key.sign(payload))}").reason == "wrong_province"


def test_a_revoked_key_signs_nothing_valid(keys):
    text = code(keys)
    key_id = check(keys, text).key_id
    keys.revoke(key_id=key_id, now=NOW)
    assert check(keys, text).reason == "revoked_key"
    with pytest.raises(NotFound):
        code(keys)  # the province needs a new key before it can issue again
    keys.rotate_province(province="110000", now=NOW)
    assert check(keys, code(keys)).valid


def test_after_rotation_the_old_key_lasts_only_a_few_minutes(keys):
    old_id, old_key = keys.signing_key(province="110000", now=NOW)
    keys.rotate_province(province="110000", now=NOW)
    assert keys.signing_key(province="110000", now=NOW)[0] != old_id

    def signed_by_old(at):
        payload = json.dumps({"v": 1, "c": CARD, "p": "110000", "d": "x", "iat": int(at.timestamp()),
                              "exp": int(at.timestamp()) + 60, "n": f"n{at.timestamp()}", "k": old_id},
                             separators=(",", ":")).encode()
        return f"SB1.{b64(payload)}.{b64(old_key.sign(payload))}"

    assert check(keys, signed_by_old(NOW + timedelta(minutes=1)), now=NOW + timedelta(minutes=1)).valid
    late = NOW + timedelta(minutes=10)
    assert check(keys, signed_by_old(late), now=late).reason == "key_not_valid_then"


def test_a_trust_file_with_an_edited_revocation_list_or_chain_is_refused(keys):
    text = code(keys)
    data = json.loads(keys.trust_path.read_text())
    data["revoked"] = {}
    data["revoked"]["someone-else"] = NOW.isoformat()
    assert verify_code(trust=TrustFile.from_json(json.dumps(data)), code=text, now=NOW).reason == "revocation_list_forged"
    data = json.loads(keys.trust_path.read_text())
    data["root_public_key"] = b64(Ed25519PrivateKey.generate().public_key().public_bytes_raw())
    assert not verify_code(trust=TrustFile.from_json(json.dumps(data)), code=text, now=NOW).valid


def test_a_code_from_another_installation_is_unknown(keys, tmp_path):
    other = KeyStore(tmp_path / "other", "x")
    other.init(now=NOW - timedelta(days=1))
    other.rotate_province(province="110000", now=NOW - timedelta(hours=1))
    assert check(keys, code(other)).reason == "unknown_key"


def test_private_keys_are_encrypted_on_disk_and_the_hierarchy_is_made_once(keys, tmp_path):
    files = list((keys.directory / "private").glob("*.key"))
    assert len(files) == 4 and all(json.loads(f.read_text())["kdf"]["name"] == "argon2id" for f in files)
    assert all("PRIVATE" not in line for line in keys.trust_path.read_text().splitlines())
    with pytest.raises(Conflict):
        keys.init(now=NOW)
    with pytest.raises(Forbidden):
        KeyStore(keys.directory, "wrong-passphrase").signing_key(province="110000", now=NOW)
