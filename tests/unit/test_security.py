"""Field encryption, lookup hashes, passwords and region scopes."""

import pytest
from cryptography.exceptions import InvalidTag

from shebao.core.errors import Forbidden
from shebao.core.regions import region_prefix
from shebao.core.security import FieldCipher, Principal, Role, hash_password, verify_password


def test_personal_data_round_trips_and_is_not_stored_in_clear():
    cipher = FieldCipher("secret")
    blob = cipher.encrypt("id_number", "11010519491231002X")
    assert b"11010519491231002X" not in blob
    assert cipher.decrypt("id_number", blob) == "11010519491231002X"
    assert cipher.encrypt("id_number", "x") != cipher.encrypt("id_number", "x"), "a fresh nonce every time"


def test_a_ciphertext_cannot_be_read_as_another_field_or_with_another_key():
    blob = FieldCipher("secret").encrypt("phone", "13800138000")
    with pytest.raises(InvalidTag):
        FieldCipher("secret").decrypt("id_number", blob)
    with pytest.raises(InvalidTag):
        FieldCipher("other").decrypt("phone", blob)


def test_lookup_hashes_are_keyed_and_stable():
    assert FieldCipher("a").lookup_hash("x") == FieldCipher("a").lookup_hash("x")
    assert FieldCipher("a").lookup_hash("x") != FieldCipher("b").lookup_hash("x")


def test_passwords_are_hashed_with_argon2():
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2")
    assert verify_password(hashed, "correct horse")
    assert not verify_password(hashed, "wrong")
    assert not verify_password("not a hash", "x")


@pytest.mark.parametrize(("code", "prefix"), [("000000", ""), ("110000", "11"), ("110100", "1101"),
                                              ("110105", "110105"), ("110105001", "110105001")])
def test_region_prefixes_cover_every_descendant(code, prefix):
    assert region_prefix(code) == prefix


def test_a_county_clerk_sees_only_their_county():
    clerk = Principal(user_id=1, username="c", role=Role.STAFF, region_code="110105")
    assert clerk.can_see_region("110105001")
    assert not clerk.can_see_region("110108001")
    with pytest.raises(Forbidden) as refused:
        clerk.require_region("110108")
    assert refused.value.code == "scope.outside_region"


def test_a_provincial_manager_sees_the_province_only():
    manager = Principal(user_id=1, username="p", role=Role.STAFF, region_code="110000")
    assert manager.can_see_region("110108001")
    assert not manager.can_see_region("310115")


def test_insured_and_employer_accounts_see_no_region():
    for role in (Role.INSURED, Role.EMPLOYER):
        assert not Principal(user_id=1, username="x", role=role).can_see_region("110105")
