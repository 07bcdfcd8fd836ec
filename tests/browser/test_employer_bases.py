"""The employer's journey: demo.employer uploads its yearly base file with a bad row and sees that row rejected with its
reason next to it, and nothing of the file saved; the page fits a 360-pixel phone and passes axe-core."""

import pytest
from sqlalchemy import func, select

from shebao.accounts.models import User
from shebao.contributions.models import BaseDeclaration
from shebao.core.security import FieldCipher, Principal, Role
from shebao.enrollment import service as enrollment
from shebao.registry.models import Person
from tests.browser.test_role_pages import SCREENSHOTS, _accessible, _log_in, _no_sideways_scroll, _page
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.browser


def _an_employee(database) -> str:
    """The ID number of one of demo.employer's employees, as the employer's own payroll file would hold it."""
    with database.unit_of_work() as uow:
        session = uow.session
        employer_id = session.scalar(select(User.employer_id).where(User.username == "demo.employer"))
        who = Principal(user_id=None, username="demo.employer", role=Role.EMPLOYER, employer_id=employer_id)
        person_id = enrollment.employees_of(session=session, principal=who, employer_id=employer_id)[0].person_id
        return FieldCipher(TEST_SECRET).decrypt("id_number", session.get(Person, person_id).id_number_enc)


def _declarations(database) -> int:
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(BaseDeclaration))


def test_an_employer_uploads_bases_with_a_bad_row_and_sees_it_rejected(server, server_database, browser, tmp_path):
    good = _an_employee(server_database)
    before = _declarations(server_database)
    upload = tmp_path / "bases-2025.csv"
    upload.write_text(f"id_number,effective_period,base_yuan\n{good},202504,9200.00\n{good[:-1]},202504,8800.00\n",
                      encoding="utf-8")
    context, page = _page(browser)
    _log_in(page, server, "demo.employer", "demo-employer-2024")
    page.wait_for_url("**/employer")
    page.click('nav a[href="/employer/bases"]')
    page.wait_for_url("**/employer/bases")
    page.set_input_files("input[name=file]", str(upload))
    page.click("form[action='/employer/bases'] button[type=submit]")
    row = page.locator('tr[data-rejected-row="3"]')
    row.wait_for()
    assert good[:-1] in row.inner_text() and "18" in row.locator("td.reason").inner_text()  # the reason, on its row
    assert page.locator('tr[data-accepted-row="2"]').count() == 1
    assert page.locator("[data-saved=no]").count() == 1 and "整个文件未导入" in page.content()
    assert _declarations(server_database) == before  # all rows or none: the good row is not saved either
    assert "?" not in page.url  # nothing personal in the address
    _no_sideways_scroll(page)
    _accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "employer-bases.png"), full_page=True)
    # In English the reason is English, next to the same row.
    page.goto(server + "/employer/bases?lang=en")
    page.set_input_files("input[name=file]", str(upload))
    page.click("form[action='/employer/bases'] button[type=submit]")
    reason = page.locator('tr[data-rejected-row="3"] td.reason')
    reason.wait_for()
    assert "ID number" in reason.inner_text() or "18" in reason.inner_text()
    _no_sideways_scroll(page)
    context.close()


@pytest.mark.parametrize("path", ["/employer/hire", "/employer/bills"])
def test_the_other_employer_pages_fit_a_phone_and_pass_axe(server, browser, path):
    context, page = _page(browser)
    _log_in(page, server, "demo.employer", "demo-employer-2024")
    page.wait_for_url("**/employer")
    page.goto(server + path)
    assert page.locator("h1").count() == 1
    _no_sideways_scroll(page)
    _accessible(page)
    context.close()
