"""A clerk works a comparison case in a real headless Chromium: the county clerk of the demo logs in, follows the
comparison's cases from the header, opens a case listed in the county (planted before the server starts, as a
comparison run would open it), records an outcome with a note and sees the case concluded; the list and case pages
fit a 360-pixel phone without sideways scrolling and pass axe-core with no serious or critical violation."""

import pytest
from sqlalchemy import select

from shebao.accounts.models import User
from shebao.comparison.models import CompareCase, CompareCaseEvent
from shebao.core.clock import FixedClock, utc_naive
from shebao.core.regions import region_prefix
from shebao.registry.models import Person
from tests.api.test_authorization import _comparison_case
from tests.browser.test_role_pages import PHONE, SCREENSHOTS, _accessible, _log_in, _no_sideways_scroll
from tests.conftest import TEST_NOW

pytestmark = pytest.mark.browser
STRANGER = "赵小满"


def prepare_demo(database) -> None:
    """An uninsured stranger listed on a street of the demo clerk's county (the server fixture calls this)."""
    with database.transaction() as session:
        county = session.scalar(select(User.region_code).where(User.username == "demo.county"))
        street = session.scalar(select(Person.residence_region_code).where(
            Person.residence_region_code.startswith(region_prefix(county)), Person.residence_region_code != county)
            .order_by(Person.id).limit(1))
        case = session.get(CompareCase, _comparison_case(session, FixedClock(TEST_NOW), street))
        case.name = STRANGER
        session.add(CompareCaseEvent(case_id=case.id, action="opened", outcome=None, note="比对发现 listed by the comparison",
                                     actor="system", at=utc_naive(TEST_NOW)))


def test_a_county_clerk_records_an_outcome_and_the_case_is_concluded(server, browser):
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    _log_in(page, server, "demo.county", "demo-county-2024")
    page.wait_for_url("**/staff")
    page.click("nav a[href='/staff/comparison']")
    page.wait_for_url("**/staff/comparison")
    _no_sideways_scroll(page)
    _accessible(page)
    page.click(f"table[data-cases] tr[data-case]:has-text('{STRANGER}') a")
    page.wait_for_selector("h1:has-text('比对核查任务')")
    assert page.locator("dd[data-status]").get_attribute("data-status") == "open"
    _no_sideways_scroll(page)
    _accessible(page)

    # No note: refused next to the form, nothing changes; then with one.
    page.check("input[name=outcome][value=insured]")
    page.evaluate("document.querySelector('form[data-form=outcome]').noValidate = true")
    page.click("form[data-form=outcome] button[type=submit]")
    page.wait_for_selector("#outcome_error")
    assert page.locator("dd[data-status]").get_attribute("data-status") == "open"
    _accessible(page)
    page.check("input[name=outcome][value=insured]")
    page.fill("#note", "经核实已在外省单位参保，提供了参保证明")
    page.click("form[data-form=outcome] button[type=submit]")
    page.wait_for_selector("dd[data-status=closed]")
    assert page.locator("dd[data-outcome]").get_attribute("data-outcome") == "insured"
    assert page.locator("form[data-form=outcome]").count() == 0
    assert "经核实已在外省单位参保" in page.locator("ol.history").inner_text()
    _no_sideways_scroll(page)
    _accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "staff-comparison.png"), full_page=True)
    context.close()
