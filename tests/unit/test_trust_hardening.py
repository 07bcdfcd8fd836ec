"""Issue 9, "Trust": the offline verifier, the key files, names and amounts refuse hostile input cleanly."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from shebao.cards.ecard import SeenCodes, issue_code, verify_code
from shebao.cards.keys import KDF_PARAMETERS, KeyStore, TrustFile, b64, unb64
from shebao.core.errors import Forbidden, InvalidInput
from shebao.core.money import MAX_FEN, check_fen, parse_decimal, yuan_to_fen
from shebao.registry.rules import normalise_employer_name, normalise_name, normalise_street_name
from shebao.settings import DEV_SECRET, Settings, UnsafeSettings

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    store = KeyStore(tmp_path_factory.mktemp("keys"), "unit-test-passphrase")
    store.init(now=NOW - timedelta(days=1))
    store.rotate_province(province="110000", now=NOW - timedelta(hours=1))
    return store


def _trust(keys):
    return TrustFile.from_json(keys.trust_path.read_text())


def _with_payload(code, **changes):
    prefix, payload, signature = code.split(".")
    fields = json.loads(unb64(payload)) | changes
    return f"{prefix}.{b64(json.dumps(fields).encode())}.{signature}"


# --- the QR code's times ---------------------------------------------------------------------------------

@pytest.mark.parametrize("changes", [{"exp": 10**20}, {"iat": 10**20}, {"iat": -(10**20)}, {"exp": -1},
                                     {"iat": 10**20, "exp": 10**20 + 60}])
def test_a_code_with_absurd_times_is_refused_as_malformed_before_any_date_is_made(keys, changes):
    code = issue_code(keys=keys, card_number="11000000018", province="110000", device_id="phone", now=NOW)
    verdict = verify_code(trust=_trust(keys), code=_with_payload(code, **changes), now=NOW)
    assert not verdict.valid and verdict.reason == "malformed"


# --- the replay store -----------------------------------------------------------------------------------

def test_the_replay_store_keeps_accepted_codes_across_runs(keys, tmp_path):
    store = SeenCodes(tmp_path / "seen.json")
    code = issue_code(keys=keys, card_number="11000000018", province="110000", device_id="phone", now=NOW)
    with store.open() as guard:
        assert verify_code(trust=_trust(keys), code=code, now=NOW, replay=guard).valid
    with store.open() as guard:  # a second run of the terminal: a new process, the same file
        assert verify_code(trust=_trust(keys), code=code, now=NOW, replay=guard).reason == "replayed"
    assert SeenCodes.beside(tmp_path / "trust.json").path == tmp_path / "seen-codes.json"


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"nonce": "later"}', '{"nonce": 1.5}'])
def test_a_damaged_replay_store_is_refused_not_emptied(tmp_path, content):
    path = tmp_path / "seen.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        with SeenCodes(path).open():
            pass
    assert refused.value.code == "ecard.replay_store" and path.read_text(encoding="utf-8") == content


# --- the trust file --------------------------------------------------------------------------------------

@pytest.mark.parametrize("damage", [
    lambda d: d["certificates"][0].update(valid_from=12345),
    lambda d: d["certificates"][0].update(valid_to="2030-01-01T00:00:00"),  # no timezone
    lambda d: d["certificates"][0].update(key_id=["list"]),
    lambda d: d.update(revoked={"k": 5}),
    lambda d: d.update(root_public_key=None),
    lambda d: d.update(certificates=[{"key_id": "x"}]),
])
def test_a_damaged_trust_file_is_refused_when_read(keys, damage):
    data = json.loads(keys.trust_path.read_text())
    damage(data)
    with pytest.raises(InvalidInput) as refused:
        TrustFile.from_json(json.dumps(data))
    assert refused.value.code == "trust.malformed"


# --- the key files ---------------------------------------------------------------------------------------

def test_key_files_state_a_current_kdf_and_bind_their_key_id(keys):
    folder = keys.directory / "private"
    document = json.loads(next(folder.glob("root-*.key")).read_text())
    assert document["kdf"]["name"] == "argon2id" and document["kdf"]["memory_kib"] >= 19 * 1024
    assert document["kdf"]["iterations"] >= 2 and KDF_PARAMETERS["memory_kib"] >= 19 * 1024
    assert "PRIVATE" not in json.dumps(document)


def test_a_key_file_written_with_the_old_pem_parameters_still_opens_and_is_rewritten(keys, tmp_path):
    legacy = KeyStore(tmp_path / "legacy", "old-passphrase")
    legacy.init(now=NOW - timedelta(days=1))
    folder = legacy.directory / "private"
    for sealed in folder.glob("*.key"):  # make the store look as an older installation wrote it
        key = KeyStore(legacy.directory, "old-passphrase")._load_private(sealed.stem)
        sealed.with_suffix(".pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"old-passphrase")))
        sealed.unlink()
    reopened = KeyStore(legacy.directory, "old-passphrase")
    cert = reopened.rotate_province(province="310000", now=NOW)  # signs with the ministry key from its PEM
    assert cert.province == "310000"
    assert not list(folder.glob("ministry-*.pem")) and list(folder.glob("ministry-*.key"))
    with pytest.raises(Forbidden):
        KeyStore(legacy.directory, "wrong").signing_key(province="310000", now=NOW)


@pytest.mark.parametrize("kdf_change", [{"memory_kib": 10**9}, {"iterations": 10**6}, {"name": "md5"}, {"salt": 5}])
def test_a_key_file_that_asks_for_an_absurd_kdf_is_refused(keys, tmp_path, kdf_change):
    store = KeyStore(tmp_path / "k", "passphrase-for-this-test")
    store.init(now=NOW)
    path = next((store.directory / "private").glob("root-*.key"))
    document = json.loads(path.read_text())
    document["kdf"] |= kdf_change
    path.write_text(json.dumps(document))
    with pytest.raises(InvalidInput) as refused:
        KeyStore(store.directory, "passphrase-for-this-test")._load_private(path.stem)
    assert refused.value.code == "keys.file_malformed"


# --- secrets ---------------------------------------------------------------------------------------------

STRONG, OTHER = "Xq3v-9LmR_2pWz7KdT8yBn4cHs6fJa1e", "u5Gk-Q2wZr7Nx9Vb3Mh8Tp1Ld6Sy4Fc0"


@pytest.mark.parametrize(("secret", "passphrase"), [("", OTHER), ("x", OTHER), (STRONG, ""), (STRONG, "y"),
                                                     (DEV_SECRET, OTHER), (STRONG, DEV_SECRET), ("a" * 64, OTHER),
                                                     (STRONG[:31], OTHER), (STRONG, STRONG)])
def test_production_refuses_weak_secrets(secret, passphrase):
    with pytest.raises(UnsafeSettings) as refused:
        Settings(environment="production", secret_key=secret, key_passphrase=passphrase).check_production_safety()
    assert refused.value.reason and refused.value.reason_en
    assert not any("a" <= ch.lower() <= "z" for ch in refused.value.reason)


def test_production_runs_with_strong_secrets_and_development_with_any():
    Settings(environment="production", secret_key=STRONG, key_passphrase=OTHER).check_production_safety()
    Settings(environment="development", secret_key="x", key_passphrase="").check_production_safety()


# --- names -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["\x00张三", "张\x07三", "张\u202e三", "=HYPERLINK(\"http://x\")", "+张三", "@张三", "-张三",
                                  "＝张三"])
def test_names_refuse_control_characters_and_formulas(text):
    for normalise in (normalise_name, normalise_employer_name, normalise_street_name):
        with pytest.raises(InvalidInput) as refused:
            normalise(text if normalise is not normalise_employer_name else text + "有限公司")
        assert refused.value.code.endswith(".unsafe") or refused.value.code.endswith(".characters")


def test_ordinary_names_still_pass():
    assert normalise_name(" 欧阳 娜娜 ") == "欧阳 娜娜"
    assert normalise_employer_name("北京某某科技有限公司（朝阳分公司）") == "北京某某科技有限公司（朝阳分公司）"
    assert normalise_employer_name("3-D打印有限公司") == "3-D打印有限公司"  # a hyphen inside is fine
    assert normalise_street_name("建外街道") == "建外街道"


# --- amounts and decimals --------------------------------------------------------------------------------

def test_amounts_are_bounded_by_one_constant():
    assert check_fen(MAX_FEN) == MAX_FEN
    for bad in (MAX_FEN + 1, 10**60, -(10**60)):
        with pytest.raises(InvalidInput) as refused:
            check_fen(bad)
        assert refused.value.code == "money.too_large"
    with pytest.raises(InvalidInput):
        yuan_to_fen("1e60")
    with pytest.raises(InvalidInput):
        yuan_to_fen("NaN")


@pytest.mark.parametrize("text", ["NaN", "sNaN", "-sNaN", "Infinity", "-Infinity", "1e999999999", "1e-999999999",
                                  "9" * 33, "", "1,5", 1.5, True, None])
def test_the_decimal_parser_refuses_what_would_crash_or_poison_arithmetic(text):
    with pytest.raises(InvalidInput) as refused:
        parse_decimal(text, "rate")
    assert refused.value.code.startswith("decimal.")
    assert not any("a" <= ch.lower() <= "z" for ch in refused.value.reason)


def test_the_decimal_parser_takes_what_people_type():
    assert str(parse_decimal(" 0.03 ")) == "0.03" and str(parse_decimal("-0.2")) == "-0.2"
    assert parse_decimal("0E-999999999") == 0 and parse_decimal(3) == 3

