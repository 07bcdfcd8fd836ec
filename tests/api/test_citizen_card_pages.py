"""The citizen's own card page (state in words, the bank account masked), reporting it lost in one step with a
confirmation (CSRF and a one-time token: done once however often it is sent; the e-card refused after), a person
with no card, and the reminders sent to the person."""

import pytest
from sqlalchemy import func, select

from shebao.benefits import receivers
from shebao.cards.keys import KeyStore
from shebao.comparison import outbox
from shebao.core.audit import AuditRecord
from shebao.core.security import Role
from shebao.transfers import service as transfers
from tests.api.test_enrollment_api import setup  # noqa: F401 - the fixture
from tests.support import PASSWORD, csrf_form, give_active_card, make_user

ACCOUNT = "6222020"  # the first digits of give_active_card's account


@pytest.fixture
def world(client, database, clock, cipher, setup):  # noqa: F811 - the enrollment API's clerk, firm and person
    return {"person": setup["person"], "cipher": cipher, "clock": clock}


def _log_in(client, username: str = "zhangwei"):
    done = client.post("/login", data=csrf_form(client, {"username": username, "password": PASSWORD}),
                       follow_redirects=False)
    assert done.status_code == 303, done.text[-800:]


def _once(html: str) -> str:
    return html.split('name="once" value="', 1)[1].split('"', 1)[0]


def _losses(database) -> int:
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(AuditRecord)
                                  .where(AuditRecord.action == "card.report_lost"))


def test_the_card_page_shows_the_state_in_words_and_the_bank_account_masked(client, world, database):
    give_active_card(database, world["cipher"], world["clock"], world["person"])
    _log_in(client)
    page = client.get("/me/card")
    assert page.status_code == 200
    assert 'data-card-state="active"' in page.text and "正常" in page.text
    assert "中国工商银行" in page.text and 'data-bank-working="yes"' in page.text
    account = page.text.split("data-bank-account>", 1)[1].split("<", 1)[0]
    assert account.startswith("6222") and "*" in account and len(account) == 16
    assert ACCOUNT + f"{world['person']:07d}" not in page.text  # never the whole account
    assert 'href="/me/card/lost"' in page.text
    english = client.get("/me/card?lang=en")
    assert "active" in english.text and "Industrial and Commercial Bank of China" in english.text
    nav = client.get("/me").text
    assert 'href="/me/card"' in nav and 'href="/me/reminders"' in nav


def test_reporting_lost_needs_the_csrf_token(client, world, database):
    give_active_card(database, world["cipher"], world["clock"], world["person"])
    _log_in(client)
    once = _once(client.get("/me/card/lost").text)
    refused = client.post("/me/card/lost", data={"once": once}, follow_redirects=False)
    assert refused.status_code == 403 and 'data-message="csrf_refused"' in refused.text
    wrong = client.post("/me/card/lost", data={"csrf": "x" * 43, "once": once}, follow_redirects=False)
    assert wrong.status_code == 403
    assert _losses(database) == 0 and 'data-card-state="active"' in client.get("/me/card").text


def test_reporting_lost_with_the_confirmation_freezes_the_card_once_and_refuses_the_ecard(client, world, database,
                                                                                         settings):
    keys = KeyStore(settings.key_dir, settings.key_passphrase)  # the e-card's signing keys, as `shebao keys init` makes
    keys.init(now=world["clock"].now())
    keys.rotate_province(province="110000", now=world["clock"].now())
    give_active_card(database, world["cipher"], world["clock"], world["person"])
    _log_in(client)
    opened = client.get("/ecard")  # the e-card opened on this device first: it works before the loss
    done = client.post("/ecard/open", data=csrf_form(client, {"password": PASSWORD, "once": _once(opened.text)}),
                       follow_redirects=False)
    assert done.status_code == 303, done.text[-800:]
    assert 'id="qr"' in client.get("/ecard").text

    confirm = client.get("/me/card/lost")
    assert confirm.status_code == 200
    assert "立即冻结" in confirm.text and "电子社保卡同时停用" in confirm.text and "补卡" in confirm.text
    assert _losses(database) == 0  # showing the confirmation does nothing
    once = _once(confirm.text)
    first = client.post("/me/card/lost", data=csrf_form(client, {"once": once}))
    assert first.status_code == 200 and "data-lost-done" in first.text
    assert 'data-card-state="frozen"' in first.text and 'data-bank-working="no"' in first.text
    second = client.post("/me/card/lost", data=csrf_form(client, {"once": once}))
    assert second.status_code == 409 and 'data-message="already_done"' in second.text
    assert _losses(database) == 1

    card = client.get("/me/card").text
    assert 'data-card-state="frozen"' in card and "已挂失冻结" in card and 'href="/me/card/lost"' not in card
    again = client.get("/me/card/lost")  # nothing left to report
    assert again.status_code == 409 and 'data-message="card_nothing_to_report"' in again.text
    ecard = client.get("/ecard")
    assert "data-ecard-refused" in ecard.text and 'id="qr"' not in ecard.text and "已挂失冻结" in ecard.text
    english = client.get("/ecard?lang=en")
    assert "The electronic card is refused" in english.text and "frozen (reported lost)" in english.text
    assert client.get("/ecard/qr.svg").status_code == 409


@pytest.mark.parametrize("bad", ["", "short", "x" * 70, "中文中文中文中文中文中文中文中文"])
def test_a_bad_one_time_token_is_refused_and_nothing_is_frozen(client, world, database, bad):
    give_active_card(database, world["cipher"], world["clock"], world["person"])
    _log_in(client)
    refused = client.post("/me/card/lost", data=csrf_form(client, {"once": bad}))
    assert refused.status_code == 422 and "表单已失效" in refused.text
    assert _losses(database) == 0


def test_a_person_without_a_card_gets_a_clear_page(client, world, database):
    _log_in(client)
    page = client.get("/me/card")
    assert page.status_code == 200 and "data-no-card" in page.text and "申领" in page.text
    lost = client.get("/me/card/lost")
    assert lost.status_code == 409 and "没有可以挂失的社保卡" in lost.text
    posted = client.post("/me/card/lost", data=csrf_form(client, {"once": _once(client.get("/ecard").text)}))
    assert posted.status_code == 409 and _losses(database) == 0


def test_other_roles_and_strangers_are_sent_away(client, world, database):
    for url in ("/me/card", "/me/card/lost", "/me/reminders"):
        away = client.get(url, follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"] == "/login", url
    make_user(database, world["clock"], "counter", Role.STAFF, region_code="110105")
    _log_in(client, "counter")
    for url in ("/me/card", "/me/reminders"):
        away = client.get(url, follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"] == "/staff", url


def test_the_reminders_sent_to_the_person_are_listed(client, world, database):
    _log_in(client)
    assert "data-no-reminders" in client.get("/me/reminders").text
    with database.transaction() as session:
        outbox.enqueue(session=session, channel="sms", recipient=f"person:{world['person']}", subject_kind="compare_case",
                       subject_id=7, body_zh="请核实您的参保信息", body_en="please check your insurance record",
                       idempotency_key="test:reminder:1", now=world["clock"].now())
        outbox.enqueue(session=session, channel="sms", recipient=f"person:{world['person'] + 1}",
                       subject_kind="compare_case", subject_id=8, body_zh="别人的提醒", body_en="someone else's",
                       idempotency_key="test:reminder:2", now=world["clock"].now())
        assert receivers.certification_reminders_of(session=session, person_id=world["person"]) == []
        assert transfers.notices_to_person(session=session, person_id=world["person"]) == []
    page = client.get("/me/reminders")
    assert page.status_code == 200 and 'data-reminders="1"' in page.text
    assert "请核实您的参保信息" in page.text and "短信" in page.text and "别人的提醒" not in page.text
    english = client.get("/me/reminders?lang=en")
    assert "please check your insurance record" in english.text and "SMS" in english.text
