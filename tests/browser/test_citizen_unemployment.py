"""The laid-off worker's journey: demo.laidoff (the employer recorded the layoff at the end of last month) logs in,
opens "my applications", applies for unemployment benefit in one form, sees every effect, and finds the application
listed with its dates. Every page fits a 360-pixel phone and passes axe-core."""

from datetime import date

import pytest

from shebao.contributions.collection import settle_period_in_full
from shebao.demo.unemployed import DEMO_LAID_OFF, prepare_demo_laidoff
from tests.browser.test_role_pages import SCREENSHOTS, _accessible, _log_in, _no_sideways_scroll, _page
from tests.conftest import TEST_NOW

pytestmark = pytest.mark.browser


def prepare_demo(database) -> None:
    """The laid-off worker, as `shebao demo seed` makes them (the server fixture calls this). The browser's demo has a
    year of history only, whose February the employers pay on 1 March here, so that a year of months is paid."""
    settle_period_in_full(database=database, province="110000", period="202502", paid_on=date(2025, 3, 1),
                          actor="system:demo", now=TEST_NOW)
    assert prepare_demo_laidoff(database=database, province="110000", now=TEST_NOW) is not None


def test_a_laid_off_worker_applies_in_one_step_and_sees_every_effect_and_the_dates(server, browser):
    context, page = _page(browser)
    _log_in(page, server, DEMO_LAID_OFF.username, DEMO_LAID_OFF.password)
    page.wait_for_url("**/me")
    page.click("header nav a[href='/me/applications']")
    page.wait_for_url("**/me/applications")
    assert page.locator("[data-no-applications]").count() == 1
    _no_sideways_scroll(page)
    _accessible(page)

    page.click("a[data-apply-link='unemployment']")
    page.wait_for_url("**/me/apply/unemployment")
    assert "经济性裁员" in page.locator("[data-last-job]").inner_text()
    assert page.input_value("#separation_date")  # the employer's recorded last day, filled in
    _no_sideways_scroll(page)
    _accessible(page)
    page.check("input[name=reason][value=resigned]")  # the wrong reason first: refused in words, nothing saved
    page.click("button[data-apply-unemployment]")
    page.wait_for_selector("[data-error='reason']")
    assert "主动辞职" in page.locator("[data-error='reason']").inner_text()
    _no_sideways_scroll(page)
    _accessible(page)

    page.check("input[name=reason][value=employer_terminated]")
    page.click("button[data-apply-unemployment]")
    page.wait_for_selector("[data-unemployment-done]")
    assert page.locator("[data-effects] > li").count() == 5
    for effect in ("registered", "benefit", "medical", "jobs", "services"):
        assert page.locator(f"[data-effect='{effect}']").count() == 1, effect
    assert int(page.locator("[data-effect='benefit'] [data-entitled-months]").inner_text()) >= 12
    _no_sideways_scroll(page)
    _accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "citizen-apply.png"), full_page=True)

    page.click("main a[href='/me/applications']")
    page.wait_for_url("**/me/applications")
    listed = page.locator("[data-application='unemployment']")
    assert listed.count() == 1 and listed.get_attribute("data-status") == "drawing"
    assert page.locator("[data-registered-on]").get_attribute("datetime") == "2025-03-01"  # China time
    assert "202503" in page.locator("[data-benefit-period]").inner_text()
    _no_sideways_scroll(page)
    _accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "citizen-applications.png"), full_page=True)

    page.goto(server + "/me/apply/transfer?province=310000")
    _no_sideways_scroll(page)
    _accessible(page)
    page.select_option("#to_region", "310115")
    page.click("button[data-see-plan]")
    page.wait_for_selector("[data-transfer-plan]")
    _no_sideways_scroll(page)
    _accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "citizen-transfer-plan.png"), full_page=True)
    context.close()
