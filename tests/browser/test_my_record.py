"""An insured person logs in on the portal and reads their own record in a real browser."""

import pytest

pytestmark = pytest.mark.browser


def test_a_person_logs_in_and_sees_their_years_gaps_and_account(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(server + "/me")
    assert page.url.endswith("/login")
    page.fill("input[name=username]", "demo.person")
    page.fill("input[name=password]", "demo-person-2024")
    page.click("main button[type=submit]")
    page.wait_for_url("**/me")
    assert "我的社保档案" in page.locator("h1").inner_text()
    assert "年" in page.locator("[data-stat=counted]").inner_text()
    assert int(page.locator("[data-stat=paid]").inner_text()) >= 6
    assert page.locator("svg[data-chart=account] rect.bar").count() >= 1  # the account a year, as a chart
    assert page.locator("table.months tbody tr").count() >= 6
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    page.screenshot(path=str(tmp_path / "me.png"), full_page=True)
    page.click("text=退出")
    page.wait_for_url(server + "/")
    page.goto(server + "/me")
    assert page.url.endswith("/login")
    page.close()


def test_a_wrong_password_says_so_and_stays_on_the_login_page(server, browser):
    page = browser.new_page()
    page.goto(server + "/login?lang=en")
    page.fill("input[name=username]", "demo.person")
    page.fill("input[name=password]", "not-the-password")
    page.click("main button[type=submit]")
    assert "wrong username or password" in page.locator(".error").inner_text()
    page.close()


def test_the_holder_opens_the_electronic_card_and_sees_a_qr_code(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(server + "/login")
    page.fill("input[name=username]", "demo.person")
    page.fill("input[name=password]", "demo-person-2024")
    page.click("main button[type=submit]")
    page.wait_for_url("**/me")
    page.goto(server + "/ecard")
    page.fill("input[name=password]", "demo-person-2024")
    page.click("main button[type=submit]")
    page.wait_for_url("**/ecard")
    image = page.locator("img#qr")
    image.wait_for()
    page.wait_for_function("document.getElementById('qr').complete && document.getElementById('qr').naturalWidth > 0")
    assert int(page.locator("#countdown").inner_text()) > 0
    page.close()
