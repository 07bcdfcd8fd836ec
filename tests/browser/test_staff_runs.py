"""A provincial manager runs the month-end from the staff console in a real headless Chromium: demo.province logs in,
opens the runs page, starts the month-end of the month after the demo's history and watches the progress bar reach
done on the same page (htmx polling under the site's own content security policy, no reload); the runs page, the
run's page and the two queue lists fit a 360-pixel phone without sideways scrolling and pass axe-core with no serious
or critical violation."""

import threading

import pytest

from shebao.services import runs
from tests.browser.test_role_pages import PHONE, SCREENSHOTS, _accessible, _log_in, _no_sideways_scroll

pytestmark = pytest.mark.browser


@pytest.fixture
def held_month_end(monkeypatch):
    """The month-end waits at its start until the test lets it go, so the page is seen running first."""
    gate = threading.Event()
    job, check, names = runs.JOBS["month_end"]

    def held(**kwargs):
        gate.wait(60)
        return job(**kwargs)

    monkeypatch.setitem(runs.JOBS, "month_end", (held, check, names))
    yield gate
    gate.set()


def test_a_provincial_manager_watches_a_month_end_reach_done(server, browser, held_month_end):
    context = browser.new_context(viewport=PHONE)  # the site's own CSP: htmx is a file of the site, no inline script
    page = context.new_page()
    _log_in(page, server, "demo.province", "demo-province-2024")
    page.wait_for_url("**/staff")
    page.click("header a[href='/staff/runs']")
    page.wait_for_url("**/staff/runs")
    assert page.input_value("#period") == "202503"  # the demo's history ends in February 2025
    page.check("input[name=kind][value=month_end]")
    page.click("form[data-form=start] button[type=submit]")
    page.wait_for_url("**/staff/runs/*")
    page.wait_for_selector("#run-progress[data-status=running]")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    held_month_end.set()
    page.wait_for_selector("#run-progress[data-status=done]", timeout=90_000)
    assert page.evaluate("window.sameDocument === true")  # reached done by htmx's swaps, not by reloading
    assert page.locator("#run-progress progress").get_attribute("value") == "100"
    assert page.locator("#run-progress").get_attribute("hx-trigger") is None  # the polling stopped
    _no_sideways_scroll(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "staff-runs.png"), full_page=True)
    run_page = page.url
    context.close()

    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # axe is injected by the test
    page = context.new_page()
    _log_in(page, server, "demo.province", "demo-province-2024")
    page.wait_for_url("**/staff")
    for url in ("/staff/runs", run_page.removeprefix(server), "/staff/queues/transfers", "/staff/queues/proofs"):
        page.goto(server + url)
        _no_sideways_scroll(page)
        _accessible(page)
    page.goto(server + "/staff/runs")
    assert page.locator("tr[data-kind=month_end][data-period='202503'] td[data-status=done]").count() == 1
    context.close()
