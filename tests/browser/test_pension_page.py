"""A retiree reads their pension, its payments and how it was computed; a worker estimates theirs."""

import pytest

pytestmark = pytest.mark.browser


def _log_in(page, server, username, password):
    page.goto(server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/me")


def test_a_retiree_sees_the_pension_payments_and_the_explanation(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    _log_in(page, server, "demo.retiree", "demo-retiree-2024")
    page.click('nav a[href="/me/pension"]')
    page.wait_for_url("**/me/pension")
    assert "我的养老金" in page.locator("h1").inner_text()
    assert float(page.locator("[data-stat=monthly]").inner_text().replace(",", "")) > 0
    assert page.locator("[data-payroll] tbody tr").count() >= 1
    assert page.locator(".chart .row").count() >= 1
    letter = page.locator("[data-letter=award]")
    assert "基础养老金" in letter.locator("h3").all_inner_texts()
    assert " 元" in letter.locator("[data-part=basic] [data-formula]").inner_text()
    assert "国发〔2005〕38号" in letter.inner_text()
    assert "_fen" not in letter.inner_text() and "{'" not in page.locator("main").inner_text()
    assert page.locator("[data-letter-pdf]").inner_text() == "下载核定说明 PDF"
    page.click("[data-steps=award] summary")  # the raw steps, folded away for staff
    assert "personal_account_pension" in page.locator("[data-steps=award]").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    page.screenshot(path=str(tmp_path / "pension.png"), full_page=True)
    page.goto(server + "/me/pension?lang=en")
    assert "My pension" in page.locator("h1").inner_text()
    assert "Basic pension" in page.locator("[data-letter=award]").inner_text()
    page.close()


@pytest.mark.parametrize("css_width", [360, 180])
def test_the_letter_reads_at_360_pixels_and_200_percent_zoom(server, browser, css_width):
    # A 360-pixel phone at 100% lays the page out in 360 CSS pixels; at 200% zoom in 180: nothing may run off the side.
    page = browser.new_page(viewport={"width": css_width, "height": 740}, device_scale_factor=360 / css_width)
    _log_in(page, server, "demo.retiree", "demo-retiree-2024")
    page.goto(server + "/me/pension")
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    # Everything but the contents of a table that scrolls in its own box (payments, the staff's steps) fits the width.
    wide = page.evaluate("[...document.querySelectorAll('main *')].filter(e => !e.closest('.scroll')"
                         " && e.getBoundingClientRect().right > innerWidth + 0.5).map(e => e.tagName + ' ' + e.className)")
    assert wide == []
    page.close()


def test_a_worker_estimates_their_future_pension(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    _log_in(page, server, "demo.person", "demo-person-2024")
    page.goto(server + "/me/pension")
    page.fill("input[name=wage_growth]", "0.02")
    page.click("form.estimate button[type=submit]")
    nominal = float(page.locator("[data-stat=estimate]").inner_text().replace(",", ""))
    today = float(page.locator("[data-stat=today]").inner_text().replace(",", ""))
    assert 0 < today < nominal
    assert "按今天的钱折算" in page.locator("[data-letter=estimate]").inner_text()
    # A value out of range (a tampered form: a slider keeps its range) is refused beside its field: see
    # test_citizen_record.py and tests/api/test_web_record_pages.py.
    page.close()
