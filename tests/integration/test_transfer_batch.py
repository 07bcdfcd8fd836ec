"""The set-based path (`transfers.batch.advance_batch`) writes what the per-transfer path (`service.take_step`) writes:
for the same random careers taken through every step one way and then the other, the transfers, their steps,
items and notices, and the ledger's entries and lines are equal; the ledger balances; a rerun posts nothing twice;
what the batch does not handle is left, with the reason, for the per-transfer path."""

import random
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from shebao.benefits.archive import bring_forward
from shebao.benefits.schemas import ArchiveYear
from shebao.core.clock import FixedClock
from shebao.core.errors import InvalidInput
from shebao.core.security import SYSTEM
from shebao.ledger import service as ledger
from shebao.ledger.models import JournalEntry, JournalLine, LedgerAccount
from shebao.transfers import service
from shebao.transfers.batch import advance_batch
from shebao.transfers.models import Transfer, TransferItem, TransferNotice, TransferStep
from shebao.transfers.schemas import TransferApply, TransferStepTake
from tests.integration.test_correction_properties import _fresh
from tests.support import CHAOYANG, add_test_streets, register

OLD, NEW, ELSEWHERE = "310000", "110000", "440000"
NOW = datetime(2025, 6, 20, 2, 0, tzinfo=UTC)
STEPS = [("letter_sent", date(2025, 6, 3)), ("checked", date(2025, 6, 5)), ("funds_sent", date(2025, 6, 9)),
         ("received", date(2025, 6, 11)), ("completed", date(2025, 6, 12))]

career = st.fixed_dictionaries({
    "first": st.integers(1990, 2015), "years": st.integers(1, 12), "base": st.integers(300_000, 3_000_000),
    "balance": st.integers(0, 20_000_000), "elsewhere": st.booleans()})


def _population(database, cipher, clock, careers) -> list[int]:
    """Each career: archive years and a personal-account balance in the old province (and, `elsewhere`, a year in a
    third one), then an application to move to the new province."""
    add_test_streets(database, clock)
    people = []
    for index, c in enumerate(careers):
        person = register(database, cipher, clock, birth=date(1975, 1, 1 + index), sequence=101 + 2 * index, hukou=CHAOYANG)
        rng = random.Random(index)
        years = [ArchiveYear(person_id=person, province=OLD, year=c["first"] + k, kind="archive", months=rng.randint(1, 12),
                             base_sum_fen=c["base"] * 12 + rng.randrange(1000), average_wage_fen=700_000)
                 for k in range(c["years"])]
        with database.transaction() as session:
            bring_forward(session=session, province=OLD, years=years, balances={person: c["balance"]} if c["balance"] else {},
                          period="202401", actor="test", now=clock.now())
            if c["elsewhere"]:
                bring_forward(session=session, province=ELSEWHERE, years=[ArchiveYear(
                    person_id=person, province=ELSEWHERE, year=1989, kind="archive", months=12, base_sum_fen=12 * 500_000,
                    average_wage_fen=300_000)], balances={}, period="202401", actor="test", now=clock.now())
        people.append(person)
    for person in people:
        with database.transaction() as session:
            service.apply(session=session, principal=SYSTEM, cipher=cipher, now=datetime(2025, 6, 2, 2, tzinfo=UTC),
                          command=TransferApply(person_id=person, to_region=CHAOYANG, starts_on=date(2025, 6, 1)))
    return people


def _one_by_one(database, step, on):
    with database.unit_of_work() as uow:
        ids = uow.session.scalars(select(Transfer.id).where(Transfer.open_key.isnot(None)).order_by(Transfer.id)).all()
    for transfer_id in ids:
        with database.transaction() as session:
            service.take_step(session=session, principal=SYSTEM, transfer_id=transfer_id, now=NOW,
                              command=TransferStepTake(step=step, on=on))


def _snapshot(database) -> dict:
    """Every row the steps wrote, without surrogate ids (the entries by their keys)."""
    def rows(model, *skip):
        columns = [c for c in model.__table__.columns if c.name not in ("id", *skip)]
        return sorted(tuple(str(v) for v in row) for row in session.execute(select(*columns)).all())

    with database.unit_of_work() as uow:
        session = uow.session
        keys = dict(session.execute(select(JournalEntry.id, JournalEntry.idempotency_key)).all())
        transfers = [tuple(str(v) for v in row) + (keys.get(sent), keys.get(received)) for *row, sent, received in
                     session.execute(select(*[c for c in Transfer.__table__.columns if c.name not in
                                              ("sent_entry_id", "received_entry_id")],
                                            Transfer.sent_entry_id, Transfer.received_entry_id)).all()]
        lines = sorted(session.execute(select(JournalEntry.idempotency_key, JournalEntry.province, JournalEntry.period,
                                              JournalEntry.kind, JournalEntry.memo, LedgerAccount.code, JournalLine.amount_fen)
                                       .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
                                       .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)).all())
        return {"transfers": sorted(transfers), "steps": rows(TransferStep), "items": rows(TransferItem),
                "notices": rows(TransferNotice), "lines": lines, "trial": ledger.trial_balance(session=session),
                "unbalanced": ledger.unbalanced_entries(session=session)}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(careers=st.lists(career, min_size=1, max_size=4))
def test_the_batch_writes_what_the_per_transfer_path_writes(request, database_url, tmp_path, cipher, careers):
    clock = FixedClock(datetime(2025, 6, 2, 2, 0, tzinfo=UTC))
    database = _fresh(request, database_url, tmp_path)
    _population(database, cipher, clock, careers)
    for step, on in STEPS:
        _one_by_one(database, step, on)
    by_service = _snapshot(database)
    database.dispose()
    assert len(by_service["steps"]) == 6 * len(careers) and len(by_service["notices"]) == 6 * len(careers)
    assert len({key for key, *_ in by_service["lines"] if key.startswith("transfer:")}) == 2 * sum(
        1 for c in careers if c["balance"] or any(c["first"] + k >= 1998 for k in range(c["years"])))

    database = _fresh(request, database_url, tmp_path)
    people = _population(database, cipher, clock, careers)
    outcomes = [advance_batch(database=database, step=step, from_province=OLD, to_province=NEW, on=on, now=NOW,
                              actor=SYSTEM.actor, chunk=2) for step, on in STEPS]
    left = {row["transfer_id"] for outcome in outcomes for row in outcome["left"]}
    elsewhere = {i + 1 for i, c in enumerate(careers) if c["elsewhere"]}  # transfer ids follow the applications
    assert left == elsewhere
    assert all(row["code"] == "transfer.batch_record_elsewhere" for o in outcomes for row in o["left"])
    for transfer_id in sorted(elsewhere):  # the per-transfer path takes what the batch left
        for step, on in STEPS[1:]:
            with database.transaction() as session:
                service.take_step(session=session, principal=SYSTEM, transfer_id=transfer_id, now=NOW,
                                  command=TransferStepTake(step=step, on=on))
    assert len(people) == len(careers)
    by_batch = _snapshot(database)
    # The batch posts the same entries; the audit chain differs (one record per batch) and is not compared.
    assert by_batch == by_service
    assert by_batch["unbalanced"] == [] and sum(by_batch["trial"].values()) == 0

    rerun = [advance_batch(database=database, step=step, from_province=OLD, to_province=NEW, on=on, now=NOW,
                           actor=SYSTEM.actor) for step, on in STEPS]
    assert [(o["advanced"], o["entries_posted"]) for o in rerun] == [(0, 0)] * len(STEPS)
    assert _snapshot(database) == by_batch
    database.dispose()


def test_the_batch_refuses_what_it_does_not_do(database, clock):
    for step, why in (("applied", "transfer.batch_step"), ("refused", "transfer.batch_step"), ("nonsense", "transfer.batch_step")):
        with pytest.raises(InvalidInput) as refused:
            advance_batch(database=database, step=step, from_province=OLD, to_province=NEW, on=date(2025, 6, 3), now=NOW,
                          actor="test")
        assert refused.value.code == why
    for old, new, why in ((OLD, OLD, "transfer.same_province"), ("310100", NEW, "transfer.batch_province")):
        with pytest.raises(InvalidInput) as refused:
            advance_batch(database=database, step="checked", from_province=old, to_province=new, on=date(2025, 6, 3),
                          now=NOW, actor="test")
        assert refused.value.code == why
    with pytest.raises(InvalidInput) as refused:
        advance_batch(database=database, step="checked", from_province=OLD, to_province=NEW, on=date(2025, 7, 3), now=NOW,
                      actor="test")
    assert refused.value.code == "transfer.date_in_future"


def test_a_step_dated_before_the_last_one_is_left_and_a_changed_ledger_is_caught(database, cipher, clock):
    _population(database, cipher, clock, [{"first": 2000, "years": 3, "base": 800_000, "balance": 1_000_000,
                                           "elsewhere": False}])
    early = advance_batch(database=database, step="letter_sent", from_province=OLD, to_province=NEW, on=date(2025, 5, 30),
                          now=NOW, actor="test")
    assert early["advanced"] == 0 and early["left"][0]["code"] == "transfer.date_before_previous"
    for step, on in STEPS[:2]:
        advance_batch(database=database, step=step, from_province=OLD, to_province=NEW, on=on, now=NOW, actor="test")
    with database.transaction() as session:  # the old province's record changes after the check
        bring_forward(session=session, province=OLD, years=[ArchiveYear(
            person_id=1, province=OLD, year=2010, kind="archive", months=12, base_sum_fen=12 * 900_000,
            average_wage_fen=700_000)], balances={}, period="202401", actor="test", now=clock.now())
    sent = advance_batch(database=database, step="funds_sent", from_province=OLD, to_province=NEW, on=STEPS[2][1],
                         now=NOW, actor="test")
    assert sent["advanced"] == 0 and sent["left"][0]["code"] == "transfer.amount_mismatch"
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(JournalEntry).where(
            JournalEntry.kind == "transfer_out")) == 0
