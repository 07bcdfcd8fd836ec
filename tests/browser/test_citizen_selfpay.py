"""The citizen's self-pay journeys: demo.person, who has just left their job, enrolls as a flexible worker and sees
the month's amount before paying the first month; a flexible worker with missed months sees each month's amount and
the total before making them up; demo.retiree does the face-check placeholder and asks for a staff home visit. Every
page fits a 360-pixel phone and passes axe-core."""

from datetime import date

import pytest
from sqlalchemy import exists, select

from shebao.accounts.models import User
from shebao.accounts.schemas import UserCreate
from shebao.accounts.service import create_user
from shebao.core.security import SYSTEM, Role
from shebao.enrollment import service as enrollment
from shebao.enrollment.models import Participation
from shebao.enrollment.schemas import ParticipationCreate
from shebao.registry.models import Person
from tests.browser.test_role_pages import SCREENSHOTS, _accessible, _log_in, _no_sideways_scroll, _page
from tests.conftest import TEST_NOW
from tests.support import PASSWORD

pytestmark = pytest.mark.browser
GAP_USER = "test.gap"


def prepare_demo(database) -> None:
    """demo.person left their job on the last day of February; another resident of the demo province, never insured,
    has been a flexible worker since November and has paid nothing (an account for them: test.gap)."""
    with database.transaction() as session:
        person_id = session.scalar(select(User.person_id).where(User.username == "demo.person"))
        enrollment.end_for_event(session=session, person_id=person_id, last_day=date(2025, 2, 28), reason="合同到期",
                                 actor="test", now=TEST_NOW, employment_only=True)
        never = session.execute(select(Person.id, Person.residence_region_code).where(
            Person.status == "living", Person.birth_date < date(1990, 1, 1), Person.birth_date > date(1970, 1, 1),
            ~exists().where(Participation.person_id == Person.id)).order_by(Person.id).limit(1)).one()
        enrollment.enroll(session=session, principal=SYSTEM, person_id=never.id, now=TEST_NOW, command=ParticipationCreate(
            mode="flexible", region_code=never.residence_region_code, start_date=date(2024, 11, 1)))
        create_user(session=session, principal=SYSTEM, now=TEST_NOW, command=UserCreate(
            username=GAP_USER, display_name=GAP_USER, password=PASSWORD, role=Role.INSURED, person_id=never.id))


def _check(page) -> None:
    _no_sideways_scroll(page)
    _accessible(page)


def test_demo_person_enrolls_as_a_flexible_worker_seeing_the_amount_before_paying(server, browser):
    context, page = _page(browser)
    _log_in(page, server, "demo.person", "demo-person-2024")
    page.wait_for_url("**/me")
    page.goto(server + "/me/apply")
    _check(page)
    page.click("a[href='/me/apply/flexible']")
    page.wait_for_url("**/me/apply/flexible")
    assert page.locator("[data-flexible-status]").get_attribute("data-flexible-status") == "none"
    floor, ceiling = (int(x) for x in page.locator("[data-base-range]").get_attribute("data-base-range").split("-"))
    _check(page)
    page.fill("#base", "1")  # below the floor: refused next to the field, nothing saved
    page.click("button[data-review-base]")
    page.wait_for_selector("[data-error=base]")
    assert page.locator("#base").get_attribute("aria-invalid") == "true"
    _check(page)
    page.fill("#base", str(floor // 100 + 1000))
    page.click("button[data-review-base]")
    page.wait_for_selector("[data-quote]")
    amount = int(page.locator("[data-quote]").get_attribute("data-quote"))
    assert 0 < amount < ceiling and "元" in page.locator("button[data-confirm-enroll]").inner_text()
    _check(page)
    page.click("button[data-confirm-enroll]")
    page.wait_for_selector("[data-receipt]")
    assert int(page.locator("[data-paid]").get_attribute("data-paid")) == amount
    _check(page)
    page.goto(server + "/me/apply/flexible")
    assert page.locator("[data-flexible-status]").get_attribute("data-flexible-status") == "enrolled"
    context.close()


def test_a_flexible_worker_sees_the_make_up_amount_before_paying(server, browser):
    context, page = _page(browser)
    _log_in(page, server, GAP_USER, PASSWORD)
    page.wait_for_url("**/me")
    page.goto(server + "/me/apply/makeup")
    months = [m.get_attribute("data-option") for m in page.locator("[data-option]").all()]
    assert months == ["202411", "202412", "202501", "202502"]
    _check(page)
    page.uncheck("#m202502")
    page.click("button[data-review-makeup]")
    page.wait_for_selector("[data-review-total]")
    total = int(page.locator("[data-review-total]").get_attribute("data-review-total"))
    assert page.locator("[data-review-month]").count() == 3 and total > 0
    _check(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "citizen-makeup.png"), full_page=True)
    page.click("button[data-confirm-makeup]")
    page.wait_for_selector("[data-receipt]")
    assert int(page.locator("[data-paid]").get_attribute("data-paid")) == total
    _check(page)
    page.goto(server + "/me/apply/makeup")
    assert [m.get_attribute("data-option") for m in page.locator("[data-option]").all()] == ["202502"]
    context.close()


def test_demo_retiree_does_the_face_placeholder_and_asks_for_a_visit(server, browser):
    context, page = _page(browser)
    _log_in(page, server, "demo.retiree", "demo-retiree-2024")
    page.wait_for_url("**/me")
    page.goto(server + "/me/apply/proof-of-life")
    assert page.locator("[data-placeholder]").count() == 1
    due = page.locator("[data-certification-due]").get_attribute("data-certification-due")
    _check(page)
    page.click("button[data-face-check]")
    page.wait_for_selector("[data-done=selfpay_face_done]")
    assert page.locator("[data-certification-due]").get_attribute("data-certification-due") >= due
    assert page.locator("[data-certified-on]").get_attribute("data-certified-on") == "2025-03-01"
    _check(page)
    page.click("button[data-request-visit]")  # no reason given: refused next to the field
    page.wait_for_selector("[data-error=reason]")
    page.fill("#reason", "腿脚不便，出门困难")
    page.click("button[data-request-visit]")
    page.wait_for_selector("[data-visit-open]")
    assert page.locator("[data-visit-status=requested]").count() == 1
    _check(page)
    page.screenshot(path=str(SCREENSHOTS / "citizen-proof-of-life.png"), full_page=True)
    page.goto(server + "/me/apply/proof-of-life?lang=en")
    assert "Placeholder" in page.locator("main").inner_text()
    context.close()

    context, page = _page(browser)  # the county clerk's queue shows the request
    _log_in(page, server, "demo.county", "demo-county-2024")
    page.wait_for_url("**/staff")
    page.goto(server + "/staff/visits")
    _check(page)
    context.close()
