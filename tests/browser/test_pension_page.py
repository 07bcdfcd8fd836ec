"""A retiree reads their pension, its payments and how it was computed; a worker estimates theirs."""

import pytest

pytestmark = pytest.mark.browser


def _log_in(page, server, username, password):
    page.goto(server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/me")


def test_a_retiree_sees_the_pension_payments_and_the_explanation(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    _log_in(page, server, "demo.retiree", "demo-retiree-2024")
    page.click("text=我的养老金")
    page.wait_for_url("**/me/pension")
    assert "我的养老金" in page.locator("h1").inner_text()
    assert float(page.locator("[data-stat=monthly]").inner_text().replace(",", "")) > 0
    assert page.locator("[data-payroll] tbody tr").count() >= 1
    assert page.locator(".chart .row").count() >= 1
    assert "personal_account_pension" in page.locator("[data-steps]").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    page.screenshot(path=str(tmp_path / "pension.png"), full_page=True)
    page.goto(server + "/me/pension?lang=en")
    assert "My pension" in page.locator("h1").inner_text()
    page.close()


def test_a_worker_estimates_their_future_pension(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    _log_in(page, server, "demo.person", "demo-person-2024")
    page.goto(server + "/me/pension")
    page.fill("input[name=wage_growth]", "0.02")
    page.click("form.estimate button[type=submit]")
    assert float(page.locator("[data-stat=estimate]").inner_text().replace(",", "")) > 0
    page.fill("input[name=future_index]", "not-a-number")
    page.click("form.estimate button[type=submit]")
    assert page.locator(".error").count() == 1
    page.close()
