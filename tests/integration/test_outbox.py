"""The outbox on a real database: an enqueue is idempotent on its key; delivery records every attempt, retries a
failure after an exponential backoff, gives up as dead after the last attempt (or at once when no attempt can
succeed), and a sender that raises fails its attempt, never the run."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from shebao.comparison import outbox
from shebao.comparison.models import OutboxMessage
from shebao.core.errors import InvalidInput
from tests.support import assert_bilingual

POLICY = outbox.RetryPolicy(max_attempts=3, backoff=timedelta(seconds=60), cap=timedelta(hours=1),
                            lease=timedelta(minutes=5))


class Scripted:
    """A sender answering from a script, one answer per attempt, remembering what it was handed."""

    def __init__(self, *answers) -> None:  # noqa: ANN002
        self.answers, self.seen = list(answers), []

    def send(self, message: outbox.Outgoing) -> outbox.Delivered:
        self.seen.append(message)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _enqueue(database, clock, key="reminder:case:7", channel="sms", **extra):
    with database.transaction() as session:
        return outbox.enqueue(session=session, channel=channel, recipient="13800000000", subject_kind="case",
                              subject_id=7, body_zh="请尽快参保", body_en="please enroll", idempotency_key=key,
                              now=clock.now(), **extra).id


def _message(database, message_id):
    with database.unit_of_work() as uow:
        found = uow.session.get(OutboxMessage, message_id)
        row = SimpleNamespace(status=found.status, attempts=found.attempts, last_error=found.last_error,
                              next_attempt_at=found.next_attempt_at)
        deliveries = [(d.attempt, d.result) for d in outbox.deliveries_of(session=uow.session, message_id=message_id)]
        return row, deliveries


def test_the_same_key_twice_is_the_same_message(database, clock):
    first = _enqueue(database, clock, payload={"a": 1})
    assert _enqueue(database, clock, payload={"a": 2}) == first
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        assert uow.session.get(OutboxMessage, first).payload == {"a": 1}


def test_a_delivered_message_is_sent_once_and_its_attempt_recorded(database, clock):
    message = _enqueue(database, clock)
    sender = Scripted(outbox.Delivered(True, "ok"))
    summary = outbox.deliver_due(database=database, senders={"sms": sender}, now=clock.now(), retry=POLICY)
    assert summary == {"claimed": 1, "sent": 1, "failed": 0, "dead": 0}
    assert sender.seen[0].body_zh == "请尽快参保" and sender.seen[0].attempt == 1
    row, deliveries = _message(database, message)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None) and deliveries == [(1, "sent")]
    again = outbox.deliver_due(database=database, senders={"sms": sender}, now=clock.now() + timedelta(days=1), retry=POLICY)
    assert again["claimed"] == 0


def test_a_failure_is_retried_after_a_growing_wait_and_given_up_after_the_last_attempt(database, clock):
    message = _enqueue(database, clock)
    sender = Scripted(outbox.Delivered(False, "HTTP 503"), RuntimeError("connection reset"), outbox.Delivered(False, "HTTP 503"))
    start = clock.now()
    assert outbox.deliver_due(database=database, senders={"sms": sender}, now=start, retry=POLICY)["failed"] == 1
    row, _ = _message(database, message)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "HTTP 503")
    assert row.next_attempt_at == (start + timedelta(seconds=60)).replace(tzinfo=None)
    assert outbox.deliver_due(database=database, senders={"sms": sender}, now=start + timedelta(seconds=59),
                              retry=POLICY)["claimed"] == 0  # not yet due
    assert outbox.deliver_due(database=database, senders={"sms": sender}, now=start + timedelta(seconds=60),
                              retry=POLICY)["failed"] == 1  # the sender raised: a failed attempt, not a crash
    row, _ = _message(database, message)
    assert row.last_error == "RuntimeError: connection reset"
    assert row.next_attempt_at == (start + timedelta(seconds=180)).replace(tzinfo=None)  # 60 s, then 120 s more
    assert outbox.deliver_due(database=database, senders={"sms": sender}, now=start + timedelta(seconds=180),
                              retry=POLICY)["dead"] == 1
    row, deliveries = _message(database, message)
    assert (row.status, row.attempts) == ("dead", 3) and deliveries == [(1, "failed"), (2, "failed"), (3, "dead")]
    assert outbox.deliver_due(database=database, senders={"sms": sender}, now=start + timedelta(days=9),
                              retry=POLICY)["claimed"] == 0


def test_a_permanent_refusal_is_dead_at_once(database, clock):
    message = _enqueue(database, clock)
    sender = Scripted(outbox.Delivered(False, "HTTP 422", permanent=True))
    assert outbox.deliver_due(database=database, senders={"sms": sender}, now=clock.now(), retry=POLICY)["dead"] == 1
    assert _message(database, message)[0].status == "dead"


def test_only_channels_with_a_sender_are_claimed_and_a_claim_is_leased(database, clock):
    letter = _enqueue(database, clock, key="letter:1", channel="letter")
    sms = _enqueue(database, clock, key="sms:1")
    summary = outbox.deliver_due(database=database, senders={"sms": Scripted(outbox.Delivered(True))}, now=clock.now(),
                                 retry=POLICY)
    assert summary["sent"] == 1
    assert (_message(database, letter)[0].status, _message(database, sms)[0].status) == ("pending", "sent")
    claimed = outbox._claim(database, {"letter"}, clock.now(), 10, POLICY.lease)  # a deliverer that then died
    assert [c.id for c in claimed] == [letter]
    assert outbox._claim(database, {"letter"}, clock.now() + timedelta(minutes=4), 10, POLICY.lease) == []
    assert [c.id for c in outbox._claim(database, {"letter"}, clock.now() + timedelta(minutes=5), 10, POLICY.lease)] == [letter]


def test_the_file_sender_writes_a_line_per_message(database, clock, tmp_path):
    _enqueue(database, clock, channel="app")
    summary = outbox.deliver_due(database=database, senders={"app": outbox.FileSender(tmp_path)}, now=clock.now(), retry=POLICY)
    assert summary["sent"] == 1 and "请尽快参保" in (tmp_path / "app.jsonl").read_text(encoding="utf-8")


def test_listing_and_bad_input(database, clock):
    _enqueue(database, clock)
    with database.unit_of_work() as uow:
        assert [m.status for m in outbox.list_messages(session=uow.session, status="pending")] == ["pending"]
        assert outbox.list_messages(session=uow.session, status="dead") == []
        for call in (lambda: outbox.list_messages(session=uow.session, status="lost"),
                     lambda: outbox.enqueue(session=uow.session, channel="fax", recipient="x", subject_kind="case",
                                            subject_id=1, body_zh="", body_en="", idempotency_key="k", now=clock.now()),
                     lambda: outbox.enqueue(session=uow.session, channel="sms", recipient="", subject_kind="case",
                                            subject_id=1, body_zh="", body_en="", idempotency_key="k", now=clock.now())):
            with pytest.raises(InvalidInput) as refused:
                call()
            assert_bilingual(refused.value.reason, refused.value.reason_en)
