"""A county clerk hands a card out at the counter in a real headless Chromium: the demo county's batch is back from
the factory with cards not yet collected; the clerk follows the cards link, opens the batch, goes to the hand-out
page, types a holder's ID number in the form (never the address), sees the card waiting with the name masked, is
refused in words without the identity box ticked, ticks it and hands the card out; the batch shows one more handed
out, and lists the holder on the blacklist. The batches, batch, hand-out and blacklist pages fit a 360-pixel phone and pass axe-core."""

import pytest
from sqlalchemy import select

from shebao.accounts.models import User
from shebao.cards.models import Card
from shebao.core.regions import region_prefix
from shebao.core.security import FieldCipher
from shebao.registry.models import Person
from tests.browser.test_role_pages import PHONE, SCREENSHOTS, _accessible, _log_in, _no_sideways_scroll
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.browser


def _waiting_holder(database) -> tuple[str, int]:
    """The ID number of a holder in the demo county whose card is made and waits, and the card's batch."""
    with database.unit_of_work() as uow:
        session = uow.session
        county = session.scalar(select(User.region_code).where(User.username == "demo.county"))
        enc, batch = session.execute(
            select(Person.id_number_enc, Card.batch_id).join(Card, Card.person_id == Person.id)
            .where(Card.state == "in_production", Card.card_number.is_not(None),
                   Person.residence_region_code.startswith(region_prefix(county))).order_by(Card.id)).first()
    return FieldCipher(TEST_SECRET).decrypt("id_number", enc), batch


def test_a_county_clerk_hands_a_card_out_at_the_counter(server, browser, server_database):
    id_number, batch = _waiting_holder(server_database)
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    _log_in(page, server, "demo.county", "demo-county-2024")
    page.wait_for_url("**/staff")
    page.click("nav a[href='/staff/cards']")
    page.wait_for_url("**/staff/cards")
    row = page.locator(f"tr[data-batch='{batch}']")
    before = int(row.locator("[data-count=not_collected]").inner_text())
    assert before > 0
    _no_sideways_scroll(page)
    _accessible(page)
    row.locator("a").click()
    page.wait_for_selector("dd[data-status=handing_out]")
    _no_sideways_scroll(page)
    _accessible(page)

    page.click("section a[href='/staff/cards/hand-out']")
    page.wait_for_url("**/staff/cards/hand-out")
    page.fill("#id_number", id_number[:-1])  # one character short
    page.click("form[data-form=find] button[type=submit]")
    page.wait_for_selector("#id_number_error")
    _accessible(page)
    page.fill("#id_number", id_number)
    page.click("form[data-form=find] button[type=submit]")
    page.wait_for_selector("dl[data-found]")
    assert "?" not in page.url and id_number not in page.url
    name = page.locator("dd[data-name]").inner_text()
    assert "*" in name
    page.evaluate("document.querySelector('form[data-form=hand_out]').noValidate = true")
    page.click("form[data-form=hand_out] button[type=submit]")
    page.wait_for_selector("#hand_out_error")
    _no_sideways_scroll(page)
    _accessible(page)
    page.check("#identity_checked")
    page.click("form[data-form=hand_out] button[type=submit]")
    page.wait_for_selector("section[data-handed]")
    _no_sideways_scroll(page)
    _accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "staff-cards.png"), full_page=True)

    page.goto(f"{server}/staff/cards/{batch}")
    assert int(page.locator("dd[data-count=not_collected]").inner_text()) == before - 1
    page.goto(server + "/staff/blacklist")
    assert page.locator("h1").inner_text() == "黑名单"
    page.fill("#identifier", id_number)
    page.select_option("#ground", "malicious_arrears")
    page.fill("#reason", "欠缴城乡居民保险费经催告仍不缴纳")
    page.click("form[data-form=add] button[type=submit]")
    page.wait_for_selector("table[data-entries] tr[data-kind=person]")
    assert "*" in page.locator("table[data-entries]").inner_text()
    _no_sideways_scroll(page)
    _accessible(page)
    context.close()
