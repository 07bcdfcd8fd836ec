"""The front page names the demo accounts and, for each, the pages that account reaches once logged in."""

from shebao.demo.seed import seed_demo


def _pages_of(html: str, username: str) -> str:
    start = html.index(f'data-pages="{username}"')
    return html[start:html.index("</ul>", start)]


def test_each_demo_account_lists_the_pages_its_role_reaches(client, database, cipher, clock):
    with database.transaction() as session:
        seed_demo(session=session, cipher=cipher, province="110000", persons=40, now=clock.now(), random_seed=3)
    html = client.get("/").text
    person, employer = _pages_of(html, "demo.person"), _pages_of(html, "demo.employer")
    county, province = _pages_of(html, "demo.county"), _pages_of(html, "demo.province")
    assert 'href="/me/card"' in person and 'href="/staff"' not in person
    assert 'href="/employer/bases"' in employer and 'href="/me"' not in employer
    assert 'href="/staff/risk"' in county and 'href="/cockpit"' not in county  # a county clerk sees no cockpit
    assert 'href="/cockpit"' in province
    assert "登录后可用的页面" in html
    assert "pages after logging in" in client.get("/?lang=en").text


def test_a_database_without_demo_accounts_lists_none(client):
    html = client.get("/").text
    assert "data-pages=" not in html
