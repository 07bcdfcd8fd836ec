"""Each role logs in through the form and lands on its own page; every main page fits a 360-pixel phone without sideways
scrolling, in large text too, and passes axe-core with no serious or critical violation."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
PHONE = {"width": 360, "height": 740}

ROLES = [
    ("demo.person", "demo-person-2024", "/me", "我的社保档案", "my-record-phone"),
    ("demo.employer", "demo-employer-2024", "/employer", "单位大厅", "employer-hall"),
    ("demo.county", "demo-county-2024", "/staff", "经办工作台", "staff-console"),
]


def _page(browser, **options):
    # The pages allow no inline script (CSP script-src 'self'); axe is injected by the test, so the test's own
    # context bypasses the policy. The site's pages never load it.
    context = browser.new_context(viewport=PHONE, bypass_csp=True, **options)
    return context, context.new_page()


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at 360px"


def _accessible(page) -> None:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page.url}: " + "; ".join(bad)


def _log_in(page, server: str, username: str, password: str) -> None:
    page.goto(server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.login button[type=submit]")


@pytest.mark.parametrize(("username", "password", "landing", "heading", "shot"), ROLES)
def test_each_role_logs_in_through_the_form_and_lands_on_its_page(server, browser, username, password, landing,
                                                                   heading, shot):
    context, page = _page(browser)
    _log_in(page, server, username, password)
    page.wait_for_url(f"**{landing}")
    assert heading in page.locator("h1").inner_text()
    assert page.locator("input[name=password]").count() == 0  # not sent back to the login form
    assert page.locator(f'nav a[href="{landing}"]').count() == 1
    _no_sideways_scroll(page)
    _accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
    # Large text: one click in the header, and still no sideways scrolling on a phone.
    page.click("a.text-size")
    page.wait_for_selector("body.large-text")
    assert float(page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")) >= 22
    _no_sideways_scroll(page)
    _accessible(page)
    page.click("a.text-size")
    page.wait_for_selector("body:not(.large-text)")
    page.click("header button:has-text('退出')")
    page.wait_for_url(server + "/")
    page.goto(server + landing)
    assert page.url.endswith("/login")
    context.close()


@pytest.mark.parametrize("path", ["/", "/login"])
def test_the_public_pages_fit_a_phone_and_pass_axe(server, browser, path):
    context, page = _page(browser)
    page.goto(server + path)
    _no_sideways_scroll(page)
    _accessible(page)
    if path == "/login":
        page.screenshot(path=str(SCREENSHOTS / "login.png"), full_page=True)
    context.close()


def test_the_staff_console_finds_a_person_by_id_number_sent_in_the_body(server, browser):
    context, page = _page(browser)
    _log_in(page, server, "demo.county", "demo-county-2024")
    page.wait_for_url("**/staff")
    page.fill("input[name=id_number]", "11010519800517123")  # one character short
    page.click("form[action='/staff/person'] button[type=submit]")
    page.wait_for_selector("#id_number_error")
    assert "/staff/person" in page.url and "?" not in page.url  # nothing personal in the address
    _accessible(page)
    context.close()


def test_a_form_from_elsewhere_is_refused_in_words(server, browser):
    context, page = _page(browser)
    page.goto(server + "/login")
    page.evaluate("document.querySelector('input[name=csrf]').value = 'forged'")
    page.fill("input[name=username]", "demo.person")
    page.fill("input[name=password]", "demo-person-2024")
    page.click("form.login button[type=submit]")
    assert "表单已过期" in page.locator("h1").inner_text()
    assert page.locator("input[name=password]").count() == 0
    context.close()
