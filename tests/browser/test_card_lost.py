"""The citizen's journey: demo.person opens the card page, reports the card lost through the confirmation page, and
then the electronic card is refused. Every page fits a 360-pixel phone and passes axe-core."""

import pytest

from tests.browser.test_role_pages import SCREENSHOTS, _accessible, _log_in, _no_sideways_scroll, _page

pytestmark = pytest.mark.browser


def test_a_citizen_reports_the_card_lost_and_sees_the_ecard_refused(server, browser):
    context, page = _page(browser)
    _log_in(page, server, "demo.person", "demo-person-2024")
    page.wait_for_url("**/me")
    page.click("header nav a[href='/me/card']")
    page.wait_for_url("**/me/card")
    assert page.locator("[data-card-state]").first.get_attribute("data-card-state") == "active"
    account = page.locator("[data-bank-account]").first.inner_text()
    assert "*" in account  # masked
    _no_sideways_scroll(page)
    _accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "card.png"), full_page=True)

    page.click("a[data-report-lost]")
    page.wait_for_url("**/me/card/lost")
    assert page.locator("[data-lost-effects] li").count() == 4  # what will happen, before anything is done
    _no_sideways_scroll(page)
    _accessible(page)
    page.click("button[data-confirm-lost]")
    page.wait_for_selector("[data-lost-done]")
    assert page.locator("[data-card-state]").first.get_attribute("data-card-state") == "frozen"
    assert "?" not in page.url.split("/me/card/lost", 1)[1].replace("?lang=zh", "")  # nothing personal in the address
    _no_sideways_scroll(page)
    _accessible(page)

    page.click("main a[href='/ecard']")
    page.wait_for_url("**/ecard")
    page.wait_for_selector("[data-ecard-refused]")
    assert "已挂失冻结" in page.locator("main").inner_text()
    assert page.locator("#qr").count() == 0
    _no_sideways_scroll(page)
    _accessible(page)
    page.goto(server + "/ecard?lang=en")
    assert "The electronic card is refused" in page.locator("main").inner_text()
    page.goto(server + "/me/reminders?lang=zh")
    _no_sideways_scroll(page)
    _accessible(page)
    context.close()
