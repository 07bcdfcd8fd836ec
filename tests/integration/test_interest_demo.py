"""The demo province's interest, credited year by year as `shebao demo seed` credits it, and the same history credited
under the old count (12 − n months from the posting month, the rule until issue #11) and then recomputed with
`recompute_interest`: every personal account ends with the balance the national rule gives."""

import functools
import shutil

from sqlalchemy import select

from shebao.core.db import Database
from shebao.core.periods import Period
from shebao.core.security import FieldCipher
from shebao.demo import history
from shebao.demo.seed import seed_demo
from shebao.ledger import service as ledger
from shebao.ledger.batch import recompute_interest
from shebao.ledger.models import InterestCorrection, LedgerAccount
from shebao.ledger.rules import AccountKind
from tests.conftest import TEST_NOW, TEST_SECRET
from tests.integration.test_interest import OLD_RULE, rule_store

PROVINCE = "110000"
START = Period(2023, 1)  # two Januaries before TEST_NOW (2025-03-01): 2023 and 2024 are credited


def _demo(template, path) -> Database:
    shutil.copyfile(template, path)
    database = Database(f"sqlite:///{path}")
    with database.transaction() as session:
        seed_demo(session=session, cipher=FieldCipher(TEST_SECRET), province=PROVINCE, persons=150, now=TEST_NOW,
                  history_start=START)
    history.run_history(database=database, province=PROVINCE, start=START, now=TEST_NOW)
    return database


def _balances(database) -> dict[int, int]:
    with database.unit_of_work() as uow:
        owners = uow.session.execute(select(LedgerAccount.id, LedgerAccount.person_id).where(
            LedgerAccount.kind == AccountKind.PERSONAL_ACCOUNT.value)).all()
        return {person: -ledger.balance(session=uow.session, account_id=account) for account, person in owners}


def test_the_demo_credited_under_the_old_rule_is_recomputed_to_the_national_one(sqlite_template, tmp_path, monkeypatch):
    right = _demo(sqlite_template, tmp_path / "right.db")
    with monkeypatch.context() as patched:
        old = rule_store(PROVINCE, **OLD_RULE)
        patched.setattr(history, "credit_interest", functools.partial(history.credit_interest, store=old))
        wrong = _demo(sqlite_template, tmp_path / "wrong.db")
    try:
        expected = _balances(right)
        assert expected and _balances(wrong) != expected
        for year in (2023, 2024):
            recompute_interest(database=wrong, province=PROVINCE, year=year, now=TEST_NOW, actor="test", chunk=50)
        assert _balances(wrong) == expected
        with wrong.unit_of_work() as uow:
            corrected = len(uow.session.scalars(select(InterestCorrection.id)).all())
        assert corrected > 0
        for year in (2023, 2024):  # a second run finds nothing left
            assert recompute_interest(database=wrong, province=PROVINCE, year=year, now=TEST_NOW, actor="test").persons == 0
    finally:
        right.dispose()
        wrong.dispose()
