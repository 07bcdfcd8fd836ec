"""Logins, lockout after five failures in a row, token expiry and revocation."""

from datetime import timedelta

import pytest

from shebao.accounts import service
from shebao.accounts.rules import LoginPolicy
from shebao.accounts.schemas import UserCreate
from shebao.core.errors import Forbidden, InvalidInput, Locked, Unauthenticated
from shebao.core.security import SYSTEM, FieldCipher, Principal, Role
from tests.conftest import TEST_SECRET
from tests.support import PASSWORD, make_user

TTL, LOCK = timedelta(minutes=60), timedelta(minutes=15)


def log_in(database, clock, password, username="clerk", source="192.0.2.10"):
    with database.transaction() as session:
        return service.log_in(session=session, cipher=FieldCipher(TEST_SECRET), username=username, password=password,
                              now=clock.now(), token_ttl=TTL, policy=LoginPolicy(lock_for=LOCK), source=source)


def test_a_right_password_gets_a_token_that_names_the_principal(database, clock):
    make_user(database, clock, "clerk", Role.STAFF, region_code="110105")
    outcome = log_in(database, clock, PASSWORD)
    assert outcome.error is None
    with database.unit_of_work() as uow:
        who = service.principal_for_token(session=uow.session, token=outcome.token.access_token, now=clock.now())
    assert who.role == Role.STAFF and who.region_code == "110105"


def test_five_failures_in_a_row_lock_the_account_even_against_the_right_password(database, clock):
    make_user(database, clock, "clerk", Role.STAFF, region_code="110105")
    errors = [log_in(database, clock, "wrong-password").error for _ in range(5)]
    assert all(isinstance(e, Unauthenticated) for e in errors[:4])
    assert isinstance(errors[4], Locked)
    assert isinstance(log_in(database, clock, PASSWORD).error, Locked)
    clock.advance(LOCK + timedelta(seconds=1))
    assert log_in(database, clock, PASSWORD).error is None


def test_a_success_resets_the_count_of_failures(database, clock):
    make_user(database, clock, "clerk", Role.STAFF, region_code="110105")
    for _ in range(4):
        log_in(database, clock, "wrong-password")
    assert log_in(database, clock, PASSWORD).error is None
    for _ in range(4):
        assert isinstance(log_in(database, clock, "wrong-password").error, Unauthenticated)


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(database, clock):
    outcome = log_in(database, clock, "whatever", username="nobody")
    assert isinstance(outcome.error, Unauthenticated) and outcome.error.code == "auth.bad_credentials"


def test_tokens_expire_and_can_be_revoked(database, clock):
    make_user(database, clock, "clerk", Role.STAFF, region_code="110105")
    token = log_in(database, clock, PASSWORD).token.access_token
    with database.transaction() as session:
        service.log_out(session=session, token=token)
    with database.unit_of_work() as uow, pytest.raises(Unauthenticated):
        service.principal_for_token(session=uow.session, token=token, now=clock.now())
    token = log_in(database, clock, PASSWORD).token.access_token
    clock.advance(TTL)
    with database.unit_of_work() as uow, pytest.raises(Unauthenticated) as expired:
        service.principal_for_token(session=uow.session, token=token, now=clock.now())
    assert expired.value.code == "auth.token_expired"


def test_only_administrators_create_users_and_staff_need_a_region(database, clock):
    clerk = Principal(user_id=1, username="c", role=Role.STAFF, region_code="110105")
    command = UserCreate(username="newclerk", display_name="新", password=PASSWORD, role=Role.STAFF, region_code="110105")
    with database.transaction() as session, pytest.raises(Forbidden):
        service.create_user(session=session, principal=clerk, command=command, now=clock.now())
    with database.transaction() as session, pytest.raises(InvalidInput):
        service.create_user(session=session, principal=SYSTEM, now=clock.now(),
                            command=command.model_copy(update={"region_code": None}))
    with database.transaction() as session, pytest.raises(InvalidInput):
        service.create_user(session=session, principal=SYSTEM, now=clock.now(),
                            command=command.model_copy(update={"role": Role.INSURED, "region_code": None}))
