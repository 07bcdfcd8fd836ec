"""The pages work from the keyboard alone: the first Tab reaches the skip link, which moves focus to the page's main
part; a person logs in with Tab, typing and Enter, and reaches every link of the header; focus is always visible."""

import pytest

from tests.browser.test_role_pages import PHONE

pytestmark = pytest.mark.browser


def _focused(page) -> dict:
    return page.evaluate("""() => { const e = document.activeElement;
        return {tag: e.tagName, name: e.getAttribute('name'), href: e.getAttribute('href'), cls: e.className,
                outline: getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth}; }""")


def test_a_person_logs_in_and_moves_around_with_the_keyboard_alone(server, browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(server + "/login")
    page.keyboard.press("Tab")
    assert _focused(page)["cls"] == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    for _ in range(20):  # on to the username field, whatever the header holds
        page.keyboard.press("Tab")
        if _focused(page)["name"] == "username":
            break
    assert _focused(page)["name"] == "username"
    assert "none" not in _focused(page)["outline"]  # focus is visible
    page.keyboard.type("demo.person")
    page.keyboard.press("Tab")
    assert _focused(page)["name"] == "password"
    page.keyboard.type("demo-person-2024")
    page.keyboard.press("Enter")
    page.wait_for_url("**/me")

    reached = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        href = _focused(page)["href"]
        if href:
            reached.add(href)
    for link in ("/me/card", "/me/pension", "/me/reminders"):
        assert link in reached, (link, sorted(reached))
    context.close()
