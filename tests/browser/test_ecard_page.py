"""The electronic card's page under the content security policy: the QR renews itself (the script is a static
file, no inline script runs), and the browser reports no policy violation."""

import pytest

pytestmark = pytest.mark.browser


def test_the_ecard_counts_down_and_renews_under_the_security_policy(server, browser):
    page = browser.new_page(viewport={"width": 360, "height": 760})
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto(server + "/login")
    page.fill("input[name=username]", "demo.person")
    page.fill("input[name=password]", "demo-person-2024")
    page.click("main button[type=submit]")
    page.wait_for_url("**/me")
    response = page.goto(server + "/ecard")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    page.fill("input[name=password]", "demo-person-2024")
    page.click("main button[type=submit]")
    page.wait_for_selector("#qr")
    first = int(page.locator("#countdown").inner_text())
    page.wait_for_timeout(2500)  # the page's own script ticks once a second (wait_for_function would need eval)
    assert int(page.locator("#countdown").inner_text()) < first
    assert violations == []
    page.close()
