"""The cockpit page for managers: the figures the service returns for a region as tiles, charts with their tables, the
child regions as links that drill down from the province to a street, the fund projection chart from the login
cookie; the region judged against the caller's scope as stored (one 404 page outside it, whether the region exists or
not); a bad region code a clear 4xx page; no query string a 500."""

from __future__ import annotations

import re

import pytest

from shebao.core.money import fen_to_yuan_grouped
from shebao.core.security import SYSTEM, Role
from shebao.risk import cockpit
from shebao.web.pages import TOKEN_COOKIE
from tests.integration.test_cockpit import AS_OF, NOW, world  # noqa: F401 - the two provinces' world
from tests.support import CHAOYANG, CHAOYANG_STREET, HAIDIAN, make_user, token_for

LINK = re.compile(r'href="/cockpit\?region=(\d+)"')


@pytest.fixture
def managers(client, database, clock, world):  # noqa: F811
    with database.transaction() as session:
        cockpit.refresh(session=session, province=None, as_of=AS_OF, now=NOW)
    make_user(database, clock, "province-manager", Role.STAFF, region_code="110000")
    make_user(database, clock, "county-clerk", Role.STAFF, region_code=CHAOYANG)
    make_user(database, clock, "reader", Role.AUDITOR)
    make_user(database, clock, "citizen", Role.INSURED, person_id=world[0])
    tokens = {name: token_for(client, name)["Authorization"].removeprefix("Bearer ")
              for name in ("province-manager", "county-clerk", "reader", "citizen")}
    yield tokens
    client.cookies.clear()


def _as(client, tokens, name):
    client.cookies.set(TOKEN_COOKIE, tokens[name])


def _figures(database, region):
    with database.unit_of_work() as uow:
        return cockpit.figures(session=uow.session, principal=SYSTEM, region=region)


def _tile(html: str, key: str) -> str:
    return re.search(rf'data-tile="{key}"><strong>([^<]*)</strong>', html).group(1)


def test_the_province_page_shows_the_figures_the_service_returns(client, database, managers):
    _as(client, managers, "province-manager")
    page = client.get("/cockpit")  # the manager's own region, as stored on the account
    assert page.status_code == 200, page.text
    html = page.text
    read = _figures(database, "110000")
    figures = read["figures"]
    assert 'data-region="110000"' in html and f"data-as-of>{AS_OF.isoformat()}<" in html
    rate = figures["coverage"]["rate"]
    assert _tile(html, "coverage") == f"{float(rate) * 100:.2f}%"
    assert _tile(html, "insured") == f"{figures['coverage']['insured']:,}"
    assert _tile(html, "card_holders") == f"{figures['card_holders']:,}"
    assert _tile(html, "ecard_holders") == f"{figures['ecard_holders']:,}"
    assert _tile(html, "interrupted") == f"{figures['interrupted']:,}"
    assert _tile(html, "open_cases") == f"{figures['open_cases']['total']:,}"
    assert _tile(html, "recovered") == fen_to_yuan_grouped(figures["recovered_fen"]["total"])
    assert fen_to_yuan_grouped(figures["open_cases"]["amount_fen"]) == "6,100.00"  # thousands separators
    assert "6,100.00" in html
    # Every chart is inline SVG with its numbers in a table for screen readers.
    for chart in ("insured", "cases", "fund", "months_covered"):
        assert f'data-chart="{chart}"' in html and f'data-table="{chart}"' in html, chart
    assert html.count('role="img"') >= 4  # the charts are drawn on the server: no script of their own
    assert all('src="/static/' in tag for tag in re.findall(r"<script[^>]*>", html))
    pension = read["fund"]["by_insurance"]["pension"]
    assert fen_to_yuan_grouped(pension["balance_fen"]) == _tile(html, "balance") == "7,500.00"
    assert _tile(html, "months_covered") == pension["months_covered"] == "6.7"
    assert "2024-12" in html  # the fund's months in the table
    medical = client.get("/cockpit", params={"insurance": "medical"}).text
    assert _tile(medical, "balance") == fen_to_yuan_grouped(read["fund"]["by_insurance"]["medical"]["balance_fen"])
    assert 'src="/cockpit/projection.svg?province=110000"' in html
    # One link per child region, each to its own cockpit.
    assert LINK.findall(html.split('data-section="children"')[1]) == [c["region"] for c in read["children"]] == ["110100"]


def test_a_manager_drills_down_from_the_province_to_a_street_and_back_up(client, managers):
    _as(client, managers, "province-manager")
    path = ["110000"]
    while True:
        html = client.get("/cockpit", params={"region": path[-1]}).text
        children = LINK.findall(html.split('data-section="children"')[1])
        if not children:
            break
        path.append(CHAOYANG_STREET if CHAOYANG_STREET in children else CHAOYANG if CHAOYANG in children else children[0])
    assert path == ["110000", "110100", CHAOYANG, CHAOYANG_STREET]
    crumbs = re.findall(r'data-crumb="(\d+)"', html)
    assert crumbs == ["110000", "110100", CHAOYANG]  # not the country: it lies above the manager's region
    assert "建外街道" in html and "基金按省统筹" in html


def test_auditors_open_on_the_country_and_english_is_a_switch(client, database, managers):
    _as(client, managers, "reader")
    html = client.get("/cockpit").text
    assert 'data-region="000000"' in html
    assert LINK.findall(html.split('data-section="children"')[1]) == ["110000", "230000", "310000"]
    assert 'data-section="projection"' not in html  # the projection is a province's
    english = client.get("/cockpit", params={"region": "110000", "lang": "en"}).text
    assert "Cockpit" in english and "pension coverage" in english and "Regions below" in english


def test_outside_the_scope_one_not_found_page_whether_the_region_exists_or_not(client, managers):
    _as(client, managers, "county-clerk")
    assert 'data-region="110105"' in client.get("/cockpit").text
    assert client.get("/cockpit", params={"region": CHAOYANG_STREET}).status_code == 200
    answers = {region: client.get("/cockpit", params={"region": region}) for region in
               ("110000", "000000", HAIDIAN, "310000", "990000", "110105999")}
    for region, answer in answers.items():
        assert answer.status_code == 404, region
        assert answer.text == answers["990000"].text, region
        assert "不在您的管辖范围内" in answer.text
    assert client.get("/cockpit/projection.svg", params={"province": "110000"}).status_code == 404


def test_anonymous_goes_to_the_login_and_a_citizen_is_told_the_page_is_not_theirs(client, managers):
    for path in ("/cockpit", "/cockpit?region=110000", "/cockpit/projection.svg?province=110000"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login", path
    _as(client, managers, "citizen")
    refused = client.get("/cockpit")
    assert refused.status_code == 403 and "驾驶舱供经办管理人员" in refused.text
    client.cookies.set(TOKEN_COOKIE, "not-a-token")
    assert client.get("/cockpit", follow_redirects=False).status_code == 303


def test_a_bad_region_code_is_a_clear_page(client, managers):
    _as(client, managers, "province-manager")
    for bad in ("abc", "11", "1100001", "", "11000a"):
        answer = client.get("/cockpit", params={"region": bad})
        assert answer.status_code == 422, bad
        assert "不是有效的区划代码" in answer.text and 'role="alert"' in answer.text
    english = client.get("/cockpit", params={"region": "abc", "lang": "en"})
    assert english.status_code == 422 and "is not a region code" in english.text
    assert client.get("/cockpit/projection.svg", params={"province": CHAOYANG}).status_code == 422


def test_the_projection_chart_is_served_from_the_login_cookie(client, managers):
    _as(client, managers, "province-manager")
    chart = client.get("/cockpit/projection.svg", params={"province": "110000"})
    assert chart.status_code == 200, chart.text
    assert chart.headers["content-type"].startswith("image/svg+xml") and chart.text.lstrip().startswith("<svg")
    assert client.get("/cockpit/projection.svg").status_code == 422


QUERIES = ["region=", "region=%20", "region=000000", "region=110000&insurance=", "region=110000&insurance=nope",
           "region=110000&insurance=%3Cscript%3E", "region=110000&lang=xx", "region=" + "9" * 21, "region=-1",
           "region=110000&region=230000", "region=%E4%B8%AD", "region=110000%00", "insurance=pension&level=street",
           "region=1.5e3", "region=000000000", "region=110100&as_of=2024-01-01", "lang=en&region=x%27%22%3E"]


@pytest.mark.parametrize("who", ["province-manager", "county-clerk", "reader"])
def test_no_query_string_is_a_server_error(client, managers, who):
    _as(client, managers, who)
    for query in QUERIES:
        for path in ("/cockpit", "/cockpit/projection.svg"):
            answer = client.get(f"{path}?{query.replace('region=', 'province=') if 'svg' in path else query}")
            assert answer.status_code < 500, (path, query, answer.status_code)
            assert "Traceback" not in answer.text and "<script>" not in answer.text
