"""Exchange by message over HTTP (DCI shape), on both databases: deaths and births pushed by partners — each event
once, a death starting the death use case at once —, search and the bulk alive check within what an agreement
allows, subscriptions announced through the outbox, the async search delivered to a partner's callback; and every
message that is unsigned, forged, stale, replayed, for someone else or malformed refused with a reason in Chinese
and English, writing nothing."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import event, func, select

from shebao.comparison import dci, outbox
from shebao.comparison.exchange_platform import DciCallbackSender, Platform, unsealed_message
from shebao.comparison.models import ExchangeEvent, ExchangeImport, ExchangeSubscription, ExtDeath, OutboxMessage
from shebao.comparison.subscriptions import ANNOUNCE_SETTLE, announce_changes
from shebao.core.audit import AuditRecord
from shebao.registry.models import Person
from tests.api import test_death_event
from tests.dci_support import Partner, alive, birth, by_attributes, by_id, death, notify, verify_ours
from tests.support import assert_bilingual, id_number, register

town = test_death_event.town  # the fixture: a retiree drawing a pension, a flexible worker, clerks and their tokens
RETIREE = id_number(birth=date(1964, 6, 15), sequence=11)
WORKER = id_number(birth=date(1985, 3, 2), sequence=13)
STRANGER = id_number(birth=date(1950, 1, 2), sequence=17)  # valid, never registered


@pytest.fixture
def mca(database, clock):
    return Partner("mca.beijing.test").register(database, clock, callback="http://127.0.0.1:9/dci")


@pytest.fixture
def health(database, clock):
    return Partner("nhc.beijing.test", "health").register(database, clock)


def post(client, path: str, envelope) -> object:  # noqa: ANN001
    return client.post(f"/api/v1/registry/{path}", json=envelope)


def our_key(client) -> str:
    keys = client.get("/api/v1/registry/keys").json()
    assert keys["sender_id"] == "shebao" and len(keys["keys"]) == 1
    return keys["keys"][0]["x"]


def refused(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code, error
    assert_bilingual(error["reason"], error["reason_en"], code)
    return error


def count(database, model, *where) -> int:
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def person_status(client, town, person) -> tuple:
    record = client.get(f"/api/v1/persons/{person}", headers=town["tokens"]["clerk"]).json()
    return record["status"], record["death_date"]


# ------------------------------------------------------------------ deaths and births pushed to us


def test_a_death_pushed_by_civil_affairs_starts_the_death_use_case_at_once(client, town, database, clock, mca):
    envelope = mca.envelope("notify", notify(death("D-1", RETIREE, "2025-01-10")), clock.now())
    answer = post(client, "notify", envelope)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    verify_ours(body, our_key(client), clock.now())
    assert (body["header"]["action"], body["header"]["sender_id"], body["header"]["receiver_id"]) == \
        ("on-notify", "shebao", mca.code)
    assert [(s["reference_id"], s["outcome"], s["duplicate"]) for s in body["message"]["notify_status"]] == \
        [("D-1", "applied", False)]
    assert person_status(client, town, town["retiree"]) == ("deceased", "2025-01-10")
    pension = client.get(f"/api/v1/persons/{town['retiree']}/pension", headers=town["tokens"]["clerk"]).json()["award"]
    assert (pension["status"], pension["stop_period"]) == ("stopped", "202502")  # as the death use case stops it
    cards = client.get(f"/api/v1/persons/{town['retiree']}/cards", headers=town["tokens"]["clerk"]).json()
    assert [c["state"] for c in cards] == ["cancelled"]
    assert count(database, ExtDeath) == 1 and count(database, ExchangeImport, ExchangeImport.file_format == "dci") == 1


def test_the_same_message_again_answers_the_same_and_changes_nothing(client, town, database, clock, mca):
    envelope = mca.envelope("notify", notify(death("D-1", RETIREE, "2025-01-10")), clock.now())
    first = post(client, "notify", envelope)
    records = count(database, AuditRecord)
    again = post(client, "notify", envelope)
    assert again.status_code == 200 and again.json() == first.json()
    assert count(database, AuditRecord) == records and count(database, ExchangeEvent) == 1 and count(database, ExtDeath) == 1
    resent = post(client, "notify", mca.envelope("notify", notify(death("D-1", RETIREE, "2025-01-10")), clock.now()))
    assert [(s["outcome"], s["duplicate"]) for s in resent.json()["message"]["notify_status"]] == [("applied", True)]
    assert count(database, ExchangeEvent) == 1 and count(database, ExtDeath) == 1
    reused = mca.envelope("notify", notify(death("D-2", WORKER, "2025-01-10")), clock.now(),
                          message_id=envelope["header"]["message_id"])
    refused(post(client, "notify", reused), 409, "exchange.message_replayed")
    assert person_status(client, town, town["worker"])[0] == "living"


def test_a_death_before_a_proof_of_life_is_held_for_a_clerk(client, town, clock, mca):
    certified = client.post("/api/v1/certifications", headers=town["tokens"]["clerk"], json={
        "person_id": town["retiree"], "method": "staff_visit", "certified_on": "2025-02-21", "evidence": "上门认证 0042"})
    assert certified.status_code == 201, certified.text
    answer = post(client, "notify", mca.envelope("notify", notify(death("D-1", RETIREE, "2025-02-01")), clock.now()))
    assert answer.json()["message"]["notify_status"][0]["outcome"] == "held_for_review"
    assert person_status(client, town, town["retiree"])[0] == "living"
    reviews = client.get("/api/v1/death-reviews", headers=town["tokens"]["second"]).json()
    assert [r["person_id"] for r in reviews] == [town["retiree"]] and "北京市民政局" in reviews[0]["source"]


def test_deaths_of_unknown_persons_and_births_are_recorded_not_refused(client, town, database, clock, mca):
    message = notify(death("D-9", STRANGER, "2025-02-02", name="王五"), birth("B-1"), death("D-8", WORKER, "1980-01-01"))
    answer = post(client, "notify", mca.envelope("notify", message, clock.now()))
    statuses = answer.json()["message"]["notify_status"]
    assert [(s["reference_id"], s["outcome"]) for s in statuses] == \
        [("D-9", "unknown_person"), ("B-1", "recorded"), ("D-8", "refused")]  # dead before being born: left to a clerk
    assert statuses[2]["status_reason_message_zh"] == "死亡日期应不晚于今天、不早于出生日期"
    assert person_status(client, town, town["worker"])[0] == "living"
    with database.unit_of_work() as uow:
        events = {e.reference_id: e for e in uow.session.scalars(select(ExchangeEvent))}
        assert events["D-9"].person_id is None and events["D-9"].id_hash and events["B-1"].details["region"] == "110105"
        assert uow.session.scalar(select(ExtDeath.name)) == "王五"


def test_a_partner_that_may_not_search_learns_only_that_its_events_are_recorded(client, town, clock, health):
    message = notify(death("H-1", RETIREE, "2025-01-10"), death("H-2", STRANGER, "2025-01-11"))
    answer = post(client, "notify", health.envelope("notify", message, clock.now()))
    assert [s["outcome"] for s in answer.json()["message"]["notify_status"]] == ["recorded", "recorded"]
    assert person_status(client, town, town["retiree"])[0] == "deceased"  # the death was taken all the same


def test_a_region_bound_partner_learns_nothing_of_persons_outside_its_region(client, town, database, clock):
    shanghai = Partner("gaj.shanghai.test", "public_security").register(database, clock, region="310000")
    answer = post(client, "notify", shanghai.envelope("notify", notify(death("S-1", RETIREE, "2025-01-10")), clock.now()))
    assert answer.json()["message"]["notify_status"][0]["outcome"] == "unknown_person"  # as for nobody at all
    assert person_status(client, town, town["retiree"])[0] == "deceased"
    checked = post(client, "alive-check", shanghai.envelope("alive-check", alive(RETIREE, WORKER), clock.now()))
    assert [a["status"] for a in checked.json()["message"]["alive_check_response"]] == ["unknown", "unknown"]
    found = post(client, "sync/search", shanghai.envelope("search", by_id(WORKER), clock.now()))
    assert found.json()["message"]["search_response"][0]["data"]["reg_records"] == []


# ------------------------------------------------------------------ search and the alive check


def test_the_bulk_alive_check_answers_each_identifier_in_one_query(client, town, database, clock, mca, cipher):
    post(client, "notify", mca.envelope("notify", notify(death("D-1", WORKER, "2025-02-14")), clock.now()))
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - the statement of before_cursor_execute
    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        asked = [RETIREE, WORKER, STRANGER, "not a number", cipher.lookup_hash(RETIREE), RETIREE.lower()]
        answer = post(client, "alive-check", mca.envelope("alive-check", alive(*asked), clock.now()))
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    assert answer.status_code == 200, answer.text
    verify_ours(answer.json(), our_key(client), clock.now())
    assert [(a["identifier"], a["status"], a.get("death_date")) for a in answer.json()["message"]["alive_check_response"]] == [
        (RETIREE, "alive", None), (WORKER, "deceased", "2025-02-14"), (STRANGER, "unknown", None),
        ("not a number", "unknown", None), (cipher.lookup_hash(RETIREE), "alive", None), (RETIREE.lower(), "alive", None)]
    assert sum(" persons" in s and "id_number_hash IN" in s for s in statements) == 1


def test_the_alive_check_is_limited_and_needs_its_agreement(client, town, clock, mca, health, monkeypatch):
    refused(post(client, "alive-check", health.envelope("alive-check", alive(RETIREE), clock.now())), 403,
            "exchange.not_agreed")
    monkeypatch.setattr(dci, "MAX_ALIVE_CHECKS", 2)
    error = refused(post(client, "alive-check", mca.envelope("alive-check", alive(RETIREE, WORKER, STRANGER), clock.now())),
                    422, "exchange.batch_too_large")
    assert "2" in error["reason"] and "3" in error["reason"]


def test_search_by_id_number_or_by_name_birth_date_and_sex(client, town, clock, mca):
    answer = post(client, "sync/search", mca.envelope("search", by_id(RETIREE, STRANGER, "110105196406150000"), clock.now()))
    assert answer.status_code == 200, answer.text
    verify_ours(answer.json(), our_key(client), clock.now())
    found, nobody, malformed = answer.json()["message"]["search_response"]
    record = found["data"]["reg_records"][0]
    assert record["identifier"] == [{"identifier_type": "RIC", "identifier_value": RETIREE}]
    assert (record["status"], record["drawing_pension"], record["name"]) == ("alive", True, "退***")
    assert nobody["status"] == "succ" and nobody["data"]["reg_records"] == []
    assert malformed["status"] == "rjct" and malformed["status_reason_code"] == "rjct.search_criteria.invalid"
    by_name = post(client, "sync/search", mca.envelope("search", by_attributes("灵活就业", "1985-03-02", "M"), clock.now()))
    records = by_name.json()["message"]["search_response"][0]["data"]["reg_records"]
    assert [r["identifier"][0]["identifier_value"] for r in records] == [WORKER] and records[0]["insured"] is True


def test_a_search_is_answered_once_and_only_within_the_agreement(client, town, clock, mca, health):
    envelope = mca.envelope("search", by_id(RETIREE), clock.now())
    assert post(client, "sync/search", envelope).status_code == 200
    refused(post(client, "sync/search", envelope), 409, "exchange.message_replayed")
    refused(post(client, "sync/search", health.envelope("search", by_id(RETIREE), clock.now())), 403, "exchange.not_agreed")
    refused(post(client, "sync/search", health.envelope("search", by_id(STRANGER), clock.now())), 403, "exchange.not_agreed")


class _Callback(BaseHTTPRequestHandler):
    received: list[tuple[str, dict]] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Callback.received.append((self.path, body))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):  # noqa: ANN002 - quiet
        pass


@pytest.fixture
def callback_server():
    server = HTTPServer(("127.0.0.1", 0), _Callback)
    _Callback.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/dci"
    server.shutdown()
    server.server_close()


def test_an_async_search_is_acknowledged_and_its_result_delivered_to_the_callback(client, town, database, clock, settings,
                                                                                  cipher, callback_server):
    partner = Partner("mca.async.test").register(database, clock, callback=callback_server)
    envelope = partner.envelope("search", by_id(RETIREE), clock.now())
    ack = post(client, "search", envelope)
    assert ack.status_code == 202, ack.text
    message = ack.json()["message"]
    assert (ack.json()["header"]["status"], message["ack_status"]) == ("rcvd", "ACK")
    assert message["transaction_id"] == envelope["message"]["transaction_id"] and message["correlation_id"]
    assert post(client, "search", envelope).json() == ack.json()  # the same message again: the same acknowledgement
    assert count(database, OutboxMessage) == 1
    with database.unit_of_work() as uow:
        stored = uow.session.scalar(select(OutboxMessage))
        assert RETIREE not in json.dumps(stored.payload)  # sealed at rest
        assert unsealed_message(cipher, stored.payload)["search_response"][0]["data"]["reg_records"]
    platform = Platform.for_settings(settings, cipher)
    sender = DciCallbackSender(database=database, platform=platform, timeout=5, clock=clock)
    summary = outbox.deliver_due(database=database, senders={"dci": sender}, now=clock.now())
    assert summary["sent"] == 1, summary
    path, delivered = _Callback.received[0]
    assert path == "/dci/registry/on-search" and delivered["header"]["action"] == "on-search"
    verify_ours(delivered, our_key(client), clock.now())
    assert delivered["message"]["correlation_id"] == message["correlation_id"]
    assert delivered["message"]["search_response"][0]["data"]["reg_records"][0]["identifier"][0]["identifier_value"] == RETIREE


def test_a_callback_that_cannot_be_reached_is_retried(client, town, database, clock, settings, cipher, mca):
    post(client, "search", mca.envelope("search", by_id(RETIREE), clock.now()))  # its callback: port 9, nobody there
    sender = DciCallbackSender(database=database, platform=Platform.for_settings(settings, cipher), timeout=2, clock=clock)
    assert outbox.deliver_due(database=database, senders={"dci": sender}, now=clock.now())["failed"] == 1
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(OutboxMessage.status)) == "failed"


# ------------------------------------------------------------------ subscriptions


def test_subscribers_are_told_of_deaths_through_the_outbox_once(client, town, database, clock, cipher, mca, health):
    subscribed = post(client, "subscribe", mca.envelope("subscribe", {"transaction_id": "S1", "subscribe_request": [
        {"reference_id": "s", "subscribe_criteria": {"reg_event_type": "death"}}]}, clock.now()))
    assert subscribed.status_code == 200, subscribed.text
    code = subscribed.json()["message"]["subscribe_response"][0]["subscription_code"]
    refused(post(client, "subscribe", health.envelope("subscribe", {"transaction_id": "S2", "subscribe_request": [
        {"reference_id": "s", "subscribe_criteria": {"reg_event_type": "death"}}]}, clock.now())), 403, "exchange.not_agreed")
    clock.advance(timedelta(minutes=1))
    post(client, "notify", health.envelope("notify", notify(death("H-1", RETIREE, "2025-01-10")), clock.now()))
    assert announce_changes(database=database, cipher=cipher, now=clock.now())["events"] == 0  # not settled yet
    clock.advance(ANNOUNCE_SETTLE)
    assert announce_changes(database=database, cipher=cipher, now=clock.now())["events"] == 1
    assert announce_changes(database=database, cipher=cipher, now=clock.now())["events"] == 0
    with database.unit_of_work() as uow:
        queued = uow.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == mca.code))
        told = unsealed_message(cipher, queued.payload)["notify_event"]
    assert [(e["reg_event_type"], e["data"]["id_number"], e["data"]["death_date"]) for e in told] == \
        [("death", RETIREE, "2025-01-10")]
    ended = post(client, "unsubscribe", mca.envelope("unsubscribe", {"transaction_id": "U1", "unsubscribe_request": {
        "subscription_codes": [code, "sub-not-yours"]}}, clock.now()))
    assert [s["status"] for s in ended.json()["message"]["subscription_status"]] == ["unsubscribe", "unknown"]


def test_a_subscriber_to_pension_starts_is_told_of_a_new_award(client, town, database, clock, cipher):
    pensions = Partner("mca.pensions.test").register(database, clock, allowed=["subscribe.pension_start"])
    subscribed = post(client, "subscribe", pensions.envelope("subscribe", {"transaction_id": "S1", "subscribe_request": [
        {"reference_id": "p", "subscribe_criteria": {"reg_event_type": "pension_start"}}]}, clock.now()))
    assert subscribed.status_code == 200, subscribed.text
    with database.transaction() as session:  # as if subscribed the day before the retiree's award
        session.query(ExchangeSubscription).update({"announced_through": (clock.now() - timedelta(days=1)).replace(tzinfo=None)})
    clock.advance(ANNOUNCE_SETTLE)
    assert announce_changes(database=database, cipher=cipher, now=clock.now())["by_partner"] == {pensions.code: 1}
    with database.unit_of_work() as uow:
        told = unsealed_message(cipher, uow.session.scalar(select(OutboxMessage.payload)))["notify_event"]
    assert [(e["reg_event_type"], e["data"]["id_number"], e["data"]["first_period"]) for e in told] == \
        [("pension_start", RETIREE, "202407")]


# ------------------------------------------------------------------ refusals: nothing written, a reason in each language


def test_an_unsigned_forged_or_unknown_message_is_unauthenticated(client, town, database, clock, mca):
    good = mca.envelope("notify", notify(death("D-1", RETIREE, "2025-01-10")), clock.now())
    refused(post(client, "notify", {}), 401, "exchange.unsigned")
    refused(post(client, "notify", {"header": good["header"], "message": good["message"]}), 401, "exchange.unsigned")
    tampered = json.loads(json.dumps(good))
    tampered["message"]["notify_event"][0]["data"]["death_date"] = "2025-01-01"
    refused(post(client, "notify", tampered), 401, "exchange.signature_invalid")
    stranger = Partner("unknown.test")
    refused(post(client, "notify", stranger.envelope("notify", good["message"], clock.now())), 401, "exchange.unknown_sender")
    impostor = Partner(mca.code)  # the partner's name, another key
    refused(post(client, "notify", impostor.envelope("notify", good["message"], clock.now())), 401, "exchange.signature_invalid")
    posing = mca.envelope("notify", good["message"], clock.now(), sender_id="nhc.beijing.test")
    refused(post(client, "notify", posing), 401, "exchange.sender_mismatch")
    assert count(database, ExchangeEvent) == 0 and person_status(client, town, town["retiree"])[0] == "living"


def test_a_stale_message_or_one_from_a_deactivated_partner_is_refused(client, town, database, clock, mca):
    from shebao.comparison.registry_exchange import deactivate_partner
    from shebao.core.security import SYSTEM

    old = mca.envelope("notify", notify(death("D-1", RETIREE, "2025-01-10")), clock.now() - timedelta(minutes=6))
    refused(post(client, "notify", old), 401, "exchange.signature_expired")
    early = mca.envelope("notify", notify(death("D-1", RETIREE, "2025-01-10")), clock.now(),
                         message_ts=dci.timestamp(clock.now() - timedelta(minutes=6)))
    refused(post(client, "notify", early), 401, "exchange.message_stale")
    with database.transaction() as session:
        deactivate_partner(session=session, principal=SYSTEM, code=mca.code, now=clock.now())
    refused(post(client, "notify", mca.envelope("notify", notify(death("D-1", RETIREE, "2025-01-10")), clock.now())),
            401, "exchange.unknown_sender")
    assert count(database, ExchangeEvent) == 0


@pytest.mark.parametrize(("message", "overrides", "code"), [
    ({"transaction_id": "T"}, {}, "exchange.message"),  # no events
    ({"transaction_id": "T", "notify_event": [{"reference_id": "X", "reg_event_type": "marriage", "data": {}}]}, {},
     "exchange.message"),
    (notify(death("D-1", RETIREE, "not a date")), {}, "exchange.message"),
    (notify({"reference_id": "D-1", "reg_event_type": "death", "data": {"id_number": RETIREE, "death_date": "2025-01-10"}}),
     {}, "exchange.message"),  # no name
    (notify(death("D-1", "110105196406150000", "2025-01-10")), {}, "exchange.event_id_number"),
    (notify(death("D-1", RETIREE, "2025-12-31")), {}, "exchange.event_date"),
    (notify(death("D-1", RETIREE, "2025-01-10"), death("D-1", WORKER, "2025-01-10")), {}, "exchange.event_repeated"),
    (notify(death("D-1", RETIREE, "2025-01-10")), {"total_count": 2}, "exchange.count_mismatch"),
    (notify(death("D-1", RETIREE, "2025-01-10")), {"receiver_id": "another.platform"}, "exchange.receiver"),
    (notify(death("D-1", RETIREE, "2025-01-10")), {"action": "search"}, "exchange.action"),
    (notify(death("D-1", RETIREE, "2025-01-10")), {"version": "2"}, "exchange.header"),
])
def test_a_malformed_message_is_refused_whole(client, town, database, clock, mca, message, overrides, code):
    refused(post(client, "notify", mca.envelope("notify", message, clock.now(), **overrides)), 422, code)
    assert count(database, ExchangeEvent) == 0 and count(database, ExtDeath) == 0
    assert person_status(client, town, town["retiree"])[0] == "living"


def test_an_oversize_batch_or_a_body_that_is_not_json_is_refused(client, town, database, clock, mca, monkeypatch):
    monkeypatch.setattr(dci, "MAX_EVENTS", 1)
    message = notify(death("D-1", RETIREE, "2025-01-10"), death("D-2", WORKER, "2025-01-10"))
    refused(post(client, "notify", mca.envelope("notify", message, clock.now())), 422, "exchange.batch_too_large")
    broken = client.post("/api/v1/registry/notify", content=b'{"signature": "x", "header": {',
                         headers={"Content-Type": "application/json"})
    refused(broken, 422, "request.invalid")  # FastAPI answers a body it cannot decode as JSON this way
    assert client.post("/api/v1/registry/notify", json=[1, 2]).status_code == 422
    assert client.post("/api/v1/registry/alive-check", json={"signature": 5, "header": [], "message": None}).status_code == 401
    huge = client.post("/api/v1/registry/notify", content=b"{" + b" " * 70_000 + b"}",
                       headers={"Content-Type": "application/json"})
    refused(huge, 413, "request.too_large")
    assert count(database, ExchangeEvent) == 0


def test_a_registered_person_born_elsewhere_is_found_by_a_birth_event_with_a_number(client, town, database, cipher, clock,
                                                                                     mca):
    child = register(database, cipher, clock, birth=date(2025, 2, 20), sequence=21, name="新生儿")
    with_number = birth("B-2", name="新生儿")
    with_number["data"]["id_number"] = id_number(birth=date(2025, 2, 20), sequence=21)
    post(client, "notify", mca.envelope("notify", notify(with_number), clock.now()))
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(ExchangeEvent.person_id)) == child
        assert uow.session.get(Person, child).status == "living"
