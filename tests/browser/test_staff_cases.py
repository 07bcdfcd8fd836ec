"""A clerk works a risk case to a conclusion in a real headless Chromium: the county clerk of the demo logs in, follows
the risk cases from the console, opens a case about a person of the county (planted before the server starts, as
the screening would open it), assigns it to themselves, writes a note, uploads a PDF, confirms it with the overpaid
amount in yuan and sees the recovery; the list and case pages fit a 360-pixel phone without sideways scrolling and
pass axe-core with no serious or critical violation; the comparison list too."""


import pytest
from sqlalchemy import select

from shebao.accounts.models import User
from shebao.core.clock import FixedClock
from shebao.core.regions import region_prefix
from shebao.registry.models import Person
from tests.browser.test_role_pages import PHONE, SCREENSHOTS, _accessible, _log_in, _no_sideways_scroll
from tests.conftest import TEST_NOW
from tests.integration.test_risk_cases import PDF, open_case

pytestmark = pytest.mark.browser


def prepare_demo(database) -> None:
    """A risk case about a person who lives in the demo clerk's county (the server fixture calls this)."""
    with database.transaction() as session:
        county = session.scalar(select(User.region_code).where(User.username == "demo.county"))
        person = session.scalars(select(Person).where(
            Person.residence_region_code.startswith(region_prefix(county)), Person.residence_region_code != county)
            .order_by(Person.id)).first()
        open_case(session, FixedClock(TEST_NOW), person_id=person.id, amount_fen=360_000,
                  region=person.residence_region_code, key="browser")


def test_a_county_clerk_works_a_risk_case_to_a_conclusion(server, browser, tmp_path):
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    _log_in(page, server, "demo.county", "demo-county-2024")
    page.wait_for_url("**/staff")
    page.click("main a[href='/staff/risk']")
    page.wait_for_url("**/staff/risk")
    _no_sideways_scroll(page)
    _accessible(page)
    page.click("table[data-cases] tr[data-case] a")
    page.wait_for_selector("h1:has-text('风险案件')")
    assert page.locator("dd[data-status]").get_attribute("data-status") == "open"
    _no_sideways_scroll(page)
    _accessible(page)

    page.click("form[data-form=assign] button[type=submit]")
    page.wait_for_selector("dd[data-assigned]:has-text('staff:demo.county')")
    page.fill("#note", "已调取户籍档案，出生日期于退休前变更")
    page.click("form[data-form=note] button[type=submit]")
    page.wait_for_selector("dd[data-status=investigating]")
    scan = tmp_path / "户籍档案.pdf"
    scan.write_bytes(PDF)
    page.set_input_files("#file", str(scan))
    page.fill("#evidence_note", "户籍档案复印件")
    page.click("form[data-form=evidence] button[type=submit]")
    page.wait_for_selector("ul[data-evidence] li:has-text('户籍档案.pdf')")

    # A bad amount is refused next to the field and nothing changes; then the right one.
    page.check("input[name=outcome][value=confirmed]")
    page.fill("#overpaid_yuan", "12.345")
    page.evaluate("document.querySelector('form[data-form=conclusion]').noValidate = true")
    page.click("form[data-form=conclusion] button[type=submit]")
    page.wait_for_selector("#conclusion_error")
    assert page.locator("dd[data-status]").get_attribute("data-status") == "investigating"
    _accessible(page)
    page.check("input[name=outcome][value=confirmed]")
    page.fill("#overpaid_yuan", "3600")
    page.click("form[data-form=conclusion] button[type=submit]")
    page.wait_for_selector("dd[data-status=confirmed]")
    assert page.locator("dd[data-outstanding]").get_attribute("data-outstanding") == "360000"
    assert "3,600.00" in page.locator("section[data-recovery]").inner_text()
    _no_sideways_scroll(page)
    _accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "risk-case.png"), full_page=True)

    page.goto(server + "/staff/comparison")
    assert "比对名单" in page.locator("h1").inner_text()
    _no_sideways_scroll(page)
    _accessible(page)
    context.close()
