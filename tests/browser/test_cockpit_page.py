"""A manager drills the cockpit down to a street in a real headless Chromium: the provincial manager of the demo logs
in, opens /cockpit on their own province, clicks from the province to a city, a county and a street and back up the
breadcrumb; the page fits a 360-pixel phone and a 200% zoom without sideways scrolling of the page (the regions'
table scrolls inside its own box); the projection chart loads from the login cookie."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "cockpit.png"
PAGE_OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _log_in(page, server):
    page.goto(server + "/cockpit")
    assert page.url.endswith("/login")
    page.fill("input[name=username]", "demo.province")
    page.fill("input[name=password]", "demo-province-2024")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(server + "/cockpit")


def test_a_manager_drills_the_cockpit_down_to_a_street(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _log_in(page, server)
    assert page.locator("h1").get_attribute("data-region") == "110000"
    assert "驾驶舱" in page.locator("h1").inner_text() and "北京市" in page.locator("h1").inner_text()
    assert int(page.locator("[data-tile=insured] strong").inner_text().replace(",", "")) > 0
    assert int(page.locator("[data-tile=card_holders] strong").inner_text().replace(",", "")) > 0
    assert page.locator("svg[data-chart=insured] rect.bar").count() >= 2
    assert page.locator("svg[data-chart=fund] polyline").count() == 3
    page.wait_for_function("() => { const i = document.querySelector('figure.projection img');"
                           " return i && i.complete && i.naturalWidth > 0; }", timeout=30000)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    visited = ["110000"]
    while page.locator("table[data-table=children] tbody a").count():
        page.locator("table[data-table=children] tbody a").first.click()
        page.wait_for_load_state()
        visited.append(page.locator("h1").get_attribute("data-region"))
    assert [len(code) for code in visited] == [6, 6, 6, 9], visited  # province, city, county, street
    assert visited[1] == "110100" and visited[2].startswith("1101") and visited[3].startswith(visited[2])
    assert page.locator(".crumbs a").count() == 3  # province › city › county › (this street)
    assert "基金按省统筹" in page.locator("[data-section=fund]").inner_text()
    page.locator(".crumbs a").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").get_attribute("data-region") == "110000"
    context.close()


@pytest.mark.parametrize("width", [360, 640])  # a phone; a 1280-pixel screen at 200% zoom
def test_the_cockpit_fits_a_phone_and_a_200_percent_zoom(server, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, device_scale_factor=2)
    page = context.new_page()
    _log_in(page, server)
    for region in ("110000", "110100"):
        page.goto(f"{server}/cockpit?region={region}")
        assert page.evaluate(PAGE_OVERFLOW) <= 0, (width, region)
        box = page.locator("[data-section=children] .scroll")
        if width == 360:  # the regions' table is wider than a phone: it scrolls in its own box
            assert box.evaluate("e => e.scrollWidth > e.clientWidth")
        assert float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")) >= 17
    page.goto(f"{server}/cockpit?region=110000&lang=en")
    assert "Cockpit" in page.locator("h1").inner_text()
    assert page.evaluate(PAGE_OVERFLOW) <= 0
    context.close()
