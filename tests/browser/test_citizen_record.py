"""The citizen's record journey (#16): demo.person logs in, sees the record with its charts, downloads the statement of
rights, opens the pension page, moves a slider and sees the estimate change. Each page fits a 360-pixel phone and
passes axe-core."""

import pytest

from tests.browser.test_role_pages import SCREENSHOTS, _accessible, _log_in, _no_sideways_scroll, _page

pytestmark = pytest.mark.browser


def test_a_citizen_sees_the_record_downloads_the_statement_and_moves_the_estimate(server, browser):
    context, page = _page(browser, accept_downloads=True)
    _log_in(page, server, "demo.person", "demo-person-2024")
    page.wait_for_url("**/me")
    assert "我的社保档案" in page.locator("h1").inner_text()
    assert page.locator("svg[data-chart=bases] rect.bar").count() >= 1
    assert page.locator("svg[data-chart=account] rect.bar").count() >= 1
    page.click("[data-chart-table=bases] summary")  # the chart's figures, as a table
    assert page.locator("[data-chart-table=bases] tbody tr").count() >= 1
    _no_sideways_scroll(page)
    _accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "citizen-record.png"), full_page=True)

    with page.expect_download() as waiting:
        page.click("a[data-statement]")
    download = waiting.value
    assert download.suggested_filename == "shebao-statement.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"

    page.click("header nav a[href='/me/pension']")
    page.wait_for_url("**/me/pension")
    assert page.locator("input[type=range]").count() == 3
    page.click("form.estimate button[type=submit]")
    page.wait_for_selector("[data-stat=estimate]")
    before = page.locator("[data-stat=estimate]").inner_text()
    today = float(page.locator("[data-stat=today]").inner_text().replace(",", ""))
    assert 0 < today < float(before.replace(",", ""))
    assert "%" in page.locator("[data-stat=growth]").inner_text()  # the rate today's money is reckoned at, stated
    # The slider: a keypress moves it, its output reads the new value, and the estimate follows on change.
    growth = page.locator("input[name=wage_growth]")
    shown = page.locator("#wage_growth-shown").inner_text()
    page.evaluate("window.samePage = true")  # with htmx the result is swapped in place: the page is not reloaded
    growth.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    assert page.locator("#wage_growth-shown").inner_text() != shown
    page.wait_for_function("document.querySelector('[data-stat=estimate]') && "
                           f"document.querySelector('[data-stat=estimate]').textContent !== {before!r}")
    assert page.locator("[data-letter=estimate]").count() == 1
    assert page.evaluate("!!window.htmx && window.samePage === true")
    assert page.locator("input[name=wage_growth]").input_value() == "0.06"  # 4.0% and four steps of 0.5%
    _no_sideways_scroll(page)
    _accessible(page)
    page.evaluate("document.getElementById('estimate').scrollIntoView()")  # the sliders and the result, not the letter
    page.screenshot(path=str(SCREENSHOTS / "citizen-pension.png"))
    context.close()


def test_the_pension_page_refuses_a_value_out_of_range_next_to_its_field(server, browser):
    context, page = _page(browser)
    _log_in(page, server, "demo.person", "demo-person-2024")
    page.wait_for_url("**/me")
    page.goto(server + "/me/pension")
    # A browser keeps a slider in its range; a tampered form does not: the server says so beside the field.
    page.evaluate("""() => { const s = document.querySelector('input[name=future_index]');
                             s.type = 'text'; s.value = '9'; }""")
    page.click("form.estimate button[type=submit]")
    page.wait_for_selector("[data-problem=future_index]")
    assert "合理范围" in page.locator("[data-problem=future_index]").inner_text()
    assert page.locator("[data-stat=estimate]").count() == 0
    _no_sideways_scroll(page)
    _accessible(page)
    context.close()


@pytest.mark.parametrize("path", ["/me", "/me/pension"])
@pytest.mark.parametrize("css_width", [360, 180])
def test_the_record_and_the_sliders_fit_a_phone_at_200_percent_and_in_large_text(server, browser, path, css_width):
    # 200% zoom on a 360-pixel phone lays the page out in 180 CSS pixels; large text on top of it.
    context = browser.new_context(viewport={"width": css_width, "height": 740}, device_scale_factor=360 / css_width)
    page = context.new_page()
    _log_in(page, server, "demo.person", "demo-person-2024")
    page.wait_for_url("**/me")
    page.goto(server + path + "?text=large")
    page.wait_for_selector("body.large-text")
    _no_sideways_scroll(page)
    wide = page.evaluate("[...document.querySelectorAll('main *')].filter(e => !e.closest('.scroll')"
                         " && e.getBoundingClientRect().right > innerWidth + 0.5).map(e => e.tagName + ' ' + e.className)")
    assert wide == []
    context.close()
