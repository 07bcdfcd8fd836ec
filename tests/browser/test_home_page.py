"""The front page in a real headless Chromium: what the platform holds, the chart, the accounts."""

import pytest

from shebao.demo.movers import MOVERS

pytestmark = pytest.mark.browser


def test_the_front_page_tells_a_newcomer_what_is_here(server, browser, tmp_path):
    page = browser.new_page()
    page.goto(server + "/")
    assert "全国统一社会保障信息平台" in page.title()
    assert page.locator("[data-stat=persons]").inner_text() == str(400 + len(MOVERS))  # the seed's, and its movers
    assert int(page.locator("[data-stat=employers]").inner_text()) >= 8
    assert int(page.locator("[data-stat=streets]").inner_text().replace(",", "")) >= 16 * 3
    assert int(page.locator("[data-stat=cards]").inner_text().replace(",", "")) > 1
    rows = page.locator("[data-chart=counties] .row")
    assert rows.count() >= 10
    assert "朝阳区" in page.locator("[data-chart=counties]").inner_text()
    assert int(page.locator("[data-stat=receivers]").inner_text().replace(",", "")) >= 1
    assert page.locator("[data-chart=payroll] .row").count() >= 1
    widths = [float(rows.nth(i).locator(".bar-fill").evaluate("e => e.getBoundingClientRect().width"))
              for i in range(rows.count())]
    assert widths == sorted(widths, reverse=True) and widths[0] > 0
    accounts = page.locator("table.accounts").inner_text()
    for username in ("demo.person", "demo.employer", "demo.county", "demo.province", "demo.auditor"):
        assert username in accounts
    assert page.locator("[data-pages='demo.person'] a[href='/me/card']").count() == 1
    assert page.locator("[data-pages='demo.province'] a[href='/cockpit']").count() == 1
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    page.close()


def test_english_is_one_click_away_and_remembered(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    page.click("a.lang")
    assert "national social security" in page.locator("h1").inner_text()
    page.goto(server + "/")
    assert "What the platform holds" in page.content()
    page.close()


def test_the_page_fits_a_phone_without_sideways_scrolling(server, browser):
    page = browser.new_page(viewport={"width": 375, "height": 740}, device_scale_factor=2)
    page.goto(server + "/")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")) >= 17
    page.close()


def test_the_api_docs_are_linked_and_served(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    page.click("a[href=\"/docs\"]")
    page.wait_for_url("**/docs")
    page.wait_for_selector(".opblock", timeout=15000)  # Swagger UI rendered from packaged assets, no CDN
    assert "/api/v1/auth/token" in page.locator(".swagger-ui").inner_text()
    # A large document is rendered as a virtual list (what is on screen only): the whole of it is there when its
    # filter finds a tag far down the list.
    page.fill(".operation-filter-input", "comparison")
    page.get_by_text("/api/v1/comparison/runs").wait_for(timeout=15000)
    assert page.locator(".opblock").count() >= 5
    page.close()
