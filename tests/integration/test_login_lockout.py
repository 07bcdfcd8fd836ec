"""Failed logins counted per address and per account, re-entered passwords counted like logins, the TOTP
second factor, lock times told in China time, the operator's unlock, and the logins of a person who died."""

import threading
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from shebao.accounts import service
from shebao.accounts.models import AuthToken, LoginThrottle, User
from shebao.accounts.rules import LoginPolicy, login_source
from shebao.core.audit import AuditRecord
from shebao.core.errors import Conflict, Forbidden, Locked, NotFound, Unauthenticated
from shebao.core.security import SYSTEM, Role
from tests.support import PASSWORD, add_test_streets, make_user, register

TTL = timedelta(minutes=60)
POLICY = LoginPolicy()  # 5 per account and address, 20 per account, 30 per address, within an hour
ATTACKER, OWNER = "198.51.100.66", "203.0.113.10"


def log_in(database, cipher, clock, password, *, username="admin", source=OWNER, otp=None, policy=POLICY):
    with database.transaction() as session:
        return service.log_in(session=session, cipher=cipher, username=username, password=password, otp=otp,
                              now=clock.now(), token_ttl=TTL, policy=policy, source=source)


def principal_of(database, clock, token):
    with database.unit_of_work() as uow:
        return service.principal_for_token(session=uow.session, token=token, now=clock.now())


def re_enter(database, clock, who, password):
    """A use case that asks for the password again and is refused (rolled back) when it is wrong."""
    with database.transaction() as session:
        if not service.confirm_password(session=session, principal=who, password=password, now=clock.now(), policy=POLICY):
            raise Unauthenticated("test.reauthentication", "需要再次输入登录密码", "the password again")
        return True


def enrol_second_factor(database, cipher, clock, who):
    with database.transaction() as session:
        enrolment = service.begin_second_factor(session=session, cipher=cipher, principal=who, password=PASSWORD,
                                                now=clock.now(), policy=POLICY)
    code = pyotp.TOTP(enrolment.secret).at(clock.now())
    with database.transaction() as session:
        service.confirm_second_factor(session=session, cipher=cipher, principal=who, code=code, now=clock.now(), policy=POLICY)
    return pyotp.TOTP(enrolment.secret)


@pytest.fixture
def insured(database, cipher, clock):
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=clock.now().date().replace(year=1980), sequence=41)
    make_user(database, clock, "zhang", Role.INSURED, person_id=person)
    return person


# ------------------------------------------------------------------ finding 1: re-entered passwords


def test_wrong_re_entered_passwords_are_counted_and_lock_the_account_for_re_entry_and_login_alike(database, cipher, clock,
                                                                                                  insured):
    who = principal_of(database, clock, log_in(database, cipher, clock, PASSWORD, username="zhang").token.access_token)
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            re_enter(database, clock, who, "wrong-password")
    with pytest.raises(Locked) as fifth:  # the refusals rolled their use cases back; the failures stayed counted
        re_enter(database, clock, who, "wrong-password")
    assert fifth.value.status_code == 423
    with pytest.raises(Locked):
        re_enter(database, clock, who, PASSWORD)
    refused = log_in(database, cipher, clock, PASSWORD, username="zhang", source="192.0.2.99").error
    assert isinstance(refused, Locked) and refused.status_code == 423
    clock.advance(POLICY.lock_for + timedelta(seconds=1))
    assert re_enter(database, clock, who, PASSWORD)
    assert log_in(database, cipher, clock, PASSWORD, username="zhang").error is None
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "user.locked")) == 1


def test_a_right_re_entered_password_clears_the_count_of_wrong_ones(database, cipher, clock, insured):
    who = principal_of(database, clock, log_in(database, cipher, clock, PASSWORD, username="zhang").token.access_token)
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            re_enter(database, clock, who, "wrong-password")
    assert re_enter(database, clock, who, PASSWORD)
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            re_enter(database, clock, who, "wrong-password")


# ------------------------------------------------------------------ finding 2: the source as well as the account


def test_an_attackers_five_failures_lock_the_account_from_the_attackers_address_only(database, cipher, clock):
    make_user(database, clock, "admin", Role.ADMIN)
    errors = [log_in(database, cipher, clock, "guess", source=ATTACKER).error for _ in range(5)]
    assert all(e.code == "auth.bad_credentials" for e in errors[:4]) and isinstance(errors[4], Locked)
    assert isinstance(log_in(database, cipher, clock, PASSWORD, source=ATTACKER).error, Locked)
    assert log_in(database, cipher, clock, PASSWORD, source=OWNER).error is None  # the owner, elsewhere, gets in


def test_an_address_that_fails_too_often_is_locked_whatever_account_it_tries(database, cipher, clock):
    make_user(database, clock, "admin", Role.ADMIN)
    make_user(database, clock, "clerk", Role.STAFF, region_code="110105")
    policy = LoginPolicy(source_max_failures=8)
    for index in range(7):
        outcome = log_in(database, cipher, clock, "guess", username=f"name{index}", source=ATTACKER, policy=policy)
        assert outcome.error.code == "auth.bad_credentials"
    assert isinstance(log_in(database, cipher, clock, "guess", username="clerk", source=ATTACKER, policy=policy).error, Locked)
    refused = log_in(database, cipher, clock, PASSWORD, username="admin", source=ATTACKER, policy=policy).error
    assert refused.code == "auth.source_locked" and refused.status_code == 423
    assert log_in(database, cipher, clock, PASSWORD, username="clerk", source=OWNER, policy=policy).error is None
    clock.advance(policy.source_lock_for + timedelta(seconds=1))
    assert log_in(database, cipher, clock, PASSWORD, username="admin", source=ATTACKER, policy=policy).error is None


def test_unknown_usernames_lock_like_known_ones_so_a_lock_tells_nothing(database, cipher, clock):
    errors = [log_in(database, cipher, clock, "guess", username="nobody", source=ATTACKER).error for _ in range(5)]
    assert errors[3].code == "auth.bad_credentials" and isinstance(errors[4], Locked) and errors[4].code == "auth.locked"


def test_failures_from_many_addresses_lock_the_account_at_a_higher_threshold(database, cipher, clock):
    make_user(database, clock, "admin", Role.ADMIN)
    for index in range(POLICY.account_max_failures - 1):
        assert log_in(database, cipher, clock, "guess", source=f"198.51.100.{index}").error.code == "auth.bad_credentials"
    assert isinstance(log_in(database, cipher, clock, "guess", source="198.51.100.200").error, Locked)
    refused = log_in(database, cipher, clock, PASSWORD, source=OWNER).error
    assert isinstance(refused, Locked) and "动态口令" not in refused.reason
    clock.advance(POLICY.lock_for + timedelta(seconds=1))
    assert log_in(database, cipher, clock, PASSWORD, source=OWNER).error is None


def test_failures_older_than_the_window_are_forgotten(database, cipher, clock):
    make_user(database, clock, "admin", Role.ADMIN)
    for _ in range(4):
        log_in(database, cipher, clock, "guess", source=ATTACKER)
    clock.advance(POLICY.window)
    for _ in range(4):
        assert log_in(database, cipher, clock, "guess", source=ATTACKER).error.code == "auth.bad_credentials"


def test_concurrent_failures_are_all_counted(database, cipher, clock):
    make_user(database, clock, "admin", Role.ADMIN)
    policy = LoginPolicy(max_failures=100, account_max_failures=100, source_max_failures=100)
    threads = [threading.Thread(target=log_in, args=(database, cipher, clock, "guess"),
                                kwargs={"source": ATTACKER, "policy": policy}) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(User.failed_logins).where(User.username == "admin")) == 6
        assert uow.session.get(LoginThrottle, f"user:admin@{ATTACKER}").failed_logins == 6
        assert uow.session.get(LoginThrottle, f"source:{ATTACKER}").failed_logins == 6


def test_parallel_guesses_get_no_more_tries_than_one_after_another(database, cipher, clock):
    make_user(database, clock, "admin", Role.ADMIN)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(log_in(database, cipher, clock, "guess", source=ATTACKER).error))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(answer).__name__ for answer in answers) == ["Locked"] * 4 + ["Unauthenticated"] * 4


# ------------------------------------------------------------------ the second factor


def test_once_enrolled_the_second_factor_is_required_at_every_login_and_a_code_is_good_once(database, cipher, clock):
    make_user(database, clock, "admin", Role.ADMIN)
    who = principal_of(database, clock, log_in(database, cipher, clock, PASSWORD).token.access_token)
    totp = enrol_second_factor(database, cipher, clock, who)
    assert log_in(database, cipher, clock, PASSWORD).error.code == "auth.otp_required"
    assert log_in(database, cipher, clock, PASSWORD, otp="000000" if totp.at(clock.now()) != "000000" else "111111"
                  ).error.code == "auth.otp_wrong"
    clock.advance(timedelta(seconds=30))
    code = totp.at(clock.now())
    assert log_in(database, cipher, clock, PASSWORD, otp=code).error is None
    assert log_in(database, cipher, clock, PASSWORD, otp=code).error.code == "auth.otp_wrong"  # no replay
    assert log_in(database, cipher, clock, "guess", otp=code).error.code == "auth.bad_credentials"


def test_a_correct_second_factor_logs_in_while_the_account_is_locked_by_failures_from_elsewhere(database, cipher, clock):
    make_user(database, clock, "admin", Role.ADMIN)
    totp = enrol_second_factor(database, cipher, clock,
                               principal_of(database, clock, log_in(database, cipher, clock, PASSWORD).token.access_token))
    for index in range(POLICY.account_max_failures):
        log_in(database, cipher, clock, "guess", source=f"198.51.100.{index}")
    clock.advance(timedelta(seconds=30))
    locked = log_in(database, cipher, clock, PASSWORD).error
    assert isinstance(locked, Locked) and "动态口令" in locked.reason and "one-time code" in locked.reason_en
    wrong_code = "000000" if totp.at(clock.now()) != "000000" else "111111"
    assert isinstance(log_in(database, cipher, clock, PASSWORD, otp=wrong_code).error, Locked)
    assert isinstance(log_in(database, cipher, clock, "guess", otp=totp.at(clock.now())).error, Locked)  # same answer
    assert log_in(database, cipher, clock, PASSWORD, otp=totp.at(clock.now())).error is None


def test_only_staff_auditors_and_administrators_enrol_with_their_password_and_a_first_code(database, cipher, clock, insured):
    make_user(database, clock, "auditor", Role.AUDITOR)
    holder = principal_of(database, clock, log_in(database, cipher, clock, PASSWORD, username="zhang").token.access_token)
    with database.transaction() as session, pytest.raises(Forbidden):
        service.begin_second_factor(session=session, cipher=cipher, principal=holder, password=PASSWORD, now=clock.now())
    who = principal_of(database, clock, log_in(database, cipher, clock, PASSWORD, username="auditor").token.access_token)
    with database.transaction() as session, pytest.raises(Conflict):
        service.confirm_second_factor(session=session, cipher=cipher, principal=who, code="123456", now=clock.now())
    with pytest.raises(Unauthenticated), database.transaction() as session:
        service.begin_second_factor(session=session, cipher=cipher, principal=who, password="wrong", now=clock.now(),
                                    policy=POLICY)
    with database.unit_of_work() as uow:  # the wrong password was counted though the enrolment was refused
        assert uow.session.get(LoginThrottle, "user:auditor@session").failed_logins == 1
    with database.transaction() as session:
        enrolment = service.begin_second_factor(session=session, cipher=cipher, principal=who, password=PASSWORD,
                                                now=clock.now(), policy=POLICY)
    assert enrolment.otpauth_uri.startswith("otpauth://totp/") and "auditor" in enrolment.otpauth_uri
    assert enrolment.qr_svg.startswith("<svg") and "http://www.w3.org/2000/svg" in enrolment.qr_svg
    assert log_in(database, cipher, clock, PASSWORD, username="auditor").error is None  # not on until confirmed
    with pytest.raises(Unauthenticated), database.transaction() as session:
        service.confirm_second_factor(session=session, cipher=cipher, principal=who, code="12345x", now=clock.now(),
                                      policy=POLICY)
    with database.unit_of_work() as uow:  # the right password cleared that count; the wrong code is counted anew
        assert uow.session.get(LoginThrottle, "user:auditor@session").failed_logins == 1
        secret = uow.session.scalar(select(User.totp_secret).where(User.username == "auditor"))
        assert enrolment.secret.encode() not in secret  # encrypted at rest
    with database.transaction() as session:
        service.confirm_second_factor(session=session, cipher=cipher, principal=who, now=clock.now(),
                                      code=pyotp.TOTP(enrolment.secret).at(clock.now()))
    with database.transaction() as session, pytest.raises(Conflict):
        service.begin_second_factor(session=session, cipher=cipher, principal=who, password=PASSWORD, now=clock.now())


# ------------------------------------------------------------------ finding 3: China time


def test_every_lockout_message_tells_the_time_in_china_in_both_languages(database, cipher, clock):
    make_user(database, clock, "admin", Role.ADMIN)
    # TEST_NOW is 10:00 UTC; a 15-minute lock ends at 10:15 UTC, 18:15 in Beijing.
    refusals = [log_in(database, cipher, clock, "guess", source=ATTACKER).error for _ in range(5)]
    pair = refusals[-1]
    by_source = [log_in(database, cipher, clock, "guess", username=f"n{i}", source="192.0.2.1",
                        policy=LoginPolicy(source_max_failures=3)).error for i in range(3)][-1]
    for refusal in (pair, by_source):
        assert "北京时间" in refusal.reason and "China time (UTC+8)" in refusal.reason_en and "UTC)" not in refusal.reason
    assert "2025-03-01 18:15" in pair.reason and "2025-03-01 18:15" in pair.reason_en
    assert pair.details["locked_until"] == "2025-03-01T18:15:00+08:00"
    assert "2025-03-01 18:30" in by_source.reason  # an address is locked for 30 minutes


# ------------------------------------------------------------------ the operator


def test_the_operator_unlocks_an_account_and_an_address(database, cipher, clock):
    make_user(database, clock, "admin", Role.ADMIN)
    for index in range(POLICY.account_max_failures):
        log_in(database, cipher, clock, "guess", source=f"198.51.100.{index % 4}")
    assert isinstance(log_in(database, cipher, clock, PASSWORD).error, Locked)
    with database.transaction() as session:
        result = service.unlock_user(session=session, principal=SYSTEM, username="admin", now=clock.now())
    assert result.was_locked and result.counts_cleared == 4 and result.active
    assert log_in(database, cipher, clock, PASSWORD).error is None
    with database.transaction() as session, pytest.raises(NotFound):
        service.unlock_user(session=session, principal=SYSTEM, username="nobody", now=clock.now())
    for index in range(POLICY.source_max_failures):
        log_in(database, cipher, clock, "guess", username=f"n{index}", source=ATTACKER)
    assert log_in(database, cipher, clock, PASSWORD, source=ATTACKER).error.code == "auth.source_locked"
    with database.transaction() as session:
        assert service.unlock_source(session=session, principal=SYSTEM, address=ATTACKER, now=clock.now()).was_locked
    assert log_in(database, cipher, clock, PASSWORD, source=ATTACKER).error is None


def test_the_operator_removes_a_lost_second_factor(database, cipher, clock):
    make_user(database, clock, "admin", Role.ADMIN)
    enrol_second_factor(database, cipher, clock,
                        principal_of(database, clock, log_in(database, cipher, clock, PASSWORD).token.access_token))
    assert log_in(database, cipher, clock, PASSWORD).error.code == "auth.otp_required"
    with database.transaction() as session:
        assert not service.reset_second_factor(session=session, principal=SYSTEM, username="admin", now=clock.now()).enabled
    assert log_in(database, cipher, clock, PASSWORD).error is None


def test_addresses_are_counted_as_a_subscriber_holds_them():
    assert login_source("2001:db8:1:2:aaaa::1") == login_source("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert login_source("::ffff:192.0.2.5") == "192.0.2.5" and login_source(" 192.0.2.5") == "192.0.2.5"
    assert login_source(None) == "unknown" and len(login_source("x" * 500)) == 64


# ------------------------------------------------------------------ a death


def test_a_death_disables_every_login_of_the_person_and_revokes_their_tokens(database, cipher, clock, insured):
    token = log_in(database, cipher, clock, PASSWORD, username="zhang").token.access_token
    with database.transaction() as session:
        disabled = service.disable_logins_of_person(session=session, person_id=insured, reason="死亡 民政 2025-0001",
                                                    actor="system:death", now=clock.now())
    assert disabled == 1
    with pytest.raises(Unauthenticated):
        principal_of(database, clock, token)
    assert log_in(database, cipher, clock, PASSWORD, username="zhang").error.code == "auth.bad_credentials"
    with database.transaction() as session:
        assert service.disable_logins_of_person(session=session, person_id=insured, reason="again", actor="system:death",
                                                now=clock.now()) == 0
    with database.unit_of_work() as uow:
        user = uow.session.scalar(select(User).where(User.username == "zhang"))
        assert not user.active and user.disabled_reason == "死亡 民政 2025-0001"
        assert uow.session.scalar(select(func.count()).select_from(AuthToken).where(AuthToken.revoked.is_(False))) == 0
        assert uow.session.scalar(select(AuditRecord.actor).where(AuditRecord.action == "user.disabled")) == "system:death"
