"""The citizen's record and pension pages (#16): the yearly bases and the personal account as charts with their
figures in a table, the statement of rights as a download that is the person's own and names no one, and the pension
estimate with sliders whose bad values are refused next to the field, in today's money to the fen."""

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from shebao.core.audit import AuditRecord
from shebao.core.security import Role
from shebao.policy.store import default_store
from shebao.services import archive
from shebao.services.schemas import ArchiveYearRead
from shebao.web.kit import TOKEN_COOKIE
from tests.api.test_benefits_api import office  # noqa: F401 - the retiree's office
from tests.api.test_decimal_inputs import saver  # noqa: F401 - the estimator's saver
from tests.api.test_pension_letter_pages import _need_a_chinese_font, retiree  # noqa: F401 - the retiree, logged in
from tests.integration.test_pension_award_and_payroll import _archive
from tests.support import add_test_streets, csrf_form, make_user, register, token_for


def _log_in_as(client, username):
    client.cookies.set(TOKEN_COOKIE, token_for(client, username)["Authorization"].removeprefix("Bearer "))


@pytest.fixture
def people(client, database, cipher, clock, saver):  # noqa: F811
    """The estimator's saver (born 1980, 22 archive years 2002–2023 at index 0.8, 90,000 yuan in his account), logged
    in, and a neighbour with a record of her own."""
    other = register(database, cipher, clock, birth=date(1975, 3, 9), sequence=23, name="钱多多")
    _archive(database, clock, other, deemed_years=0, years=range(2010, 2024), index="2.5", balance=30_000_000)
    make_user(database, clock, "neighbour", Role.INSURED, person_id=other)
    _log_in_as(client, "saver")
    yield {"person": saver["person"], "other": other}
    client.cookies.clear()


def test_my_record_draws_the_yearly_bases_and_the_account_with_their_figures_in_a_table(client, people):
    page = client.get("/me")
    assert page.status_code == 200
    svg = re.search(r'<svg class="chart-svg" data-chart="bases".*?</svg>', page.text, flags=re.S)
    assert svg and 'role="img"' in svg.group(0) and "<title>" in svg.group(0)
    assert svg.group(0).count('class="bar"') == 22  # a column a year, 2002 to 2023
    table = page.text.split('data-chart-table="bases"', 1)[1].split("</details>", 1)[0]
    assert table.count("<tr><td>") == 22
    assert "<td>2002</td><td>12</td><td>8000.00</td>" in table  # 12 × 8,000 yuan a month: index 0.8 of 10,000
    assert "下载我的个人权益记录单（PDF）" in page.text and 'href="/me/archive.pdf"' in page.text
    english = client.get("/me?lang=en")
    assert "Average monthly contribution base by year" in english.text and "my statement of rights" in english.text


def test_the_average_wage_line_is_the_archive_s_for_a_year_taken_over(client, people):
    page = client.get("/me")
    table = page.text.split('data-chart-table="bases"', 1)[1].split("</details>", 1)[0]
    assert "<td>2023</td><td>12</td><td>8000.00</td>\n            <td>10000.00</td>" in table  # as _archive took it over
    assert 'class="line"' in page.text  # drawn through the years


def test_a_platform_year_s_wage_is_the_one_in_force_each_month_and_provinces_weigh_by_their_months():
    store = default_store()
    beijing = [store.at("110000", date(2024, m, 1)).value("wages.average_monthly_fen") for m in range(1, 13)]
    shanghai = [store.at("310000", date(2024, m, 1)).value("wages.average_monthly_fen") for m in range(1, 13)]
    read = SimpleNamespace(years=[
        ArchiveYearRead(year=2024, province="110000", province_name="北京市", kind="assessed", months=8, base_sum_fen=8 * 900_000),
        ArchiveYearRead(year=2024, province="310000", province_name="上海市", kind="assessed", months=4, base_sum_fen=4 * 1_200_000),
        ArchiveYearRead(year=2023, province="110000", province_name="北京市", kind="archive", months=12,
                        base_sum_fen=12 * 700_000, average_wage_fen=1_000_000),
        ArchiveYearRead(year=1990, province="110000", province_name="北京市", kind="deemed", months=12, base_sum_fen=0),
    ])
    rows = archive.yearly_bases(read, store=store)
    assert [r.year for r in rows] == [2023, 2024]  # deemed years carry no base
    assert rows[0] == (2023, 12, 700_000, 1_000_000)
    beijing_year = (Decimal(sum(beijing)) * 8 / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    shanghai_year = (Decimal(sum(shanghai)) * 4 / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    expected = ((beijing_year + shanghai_year) / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert rows[1] == (2024, 12, 1_000_000, int(expected))
    before = SimpleNamespace(years=[ArchiveYearRead(year=1995, province="110000", province_name="北京市", kind="assessed",
                                                    months=12, base_sum_fen=12 * 300_000)])
    assert archive.yearly_bases(before, store=store)[0].average_wage_fen is None  # no wage known in force then


def test_the_statement_downloads_as_a_pdf_named_after_no_one_and_is_the_persons_own(client, people):
    _need_a_chinese_font()
    mine = client.get("/me/archive.pdf")
    assert mine.status_code == 200 and mine.headers["content-type"] == "application/pdf"
    assert mine.content.startswith(b"%PDF")
    disposition = mine.headers["content-disposition"]
    assert disposition.startswith("attachment;") and 'filename="shebao-statement.pdf"' in disposition
    assert "赵" not in disposition and str(people["person"]) not in disposition
    # Another person's statement is out of reach: the address names nobody, and an id in it changes nothing.
    for address in (f"/me/archive.pdf?person_id={people['other']}", f"/me/archive.pdf/{people['other']}"):
        tried = client.get(address)
        assert tried.status_code in (200, 404)
        if tried.status_code == 200:
            assert tried.content == mine.content or _same_statement(tried.content, mine.content)
    _log_in_as(client, "neighbour")
    theirs = client.get("/me/archive.pdf")
    assert theirs.status_code == 200 and theirs.content != mine.content
    client.cookies.clear()
    refused = client.get("/me/archive.pdf", follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == "/login"


def _same_statement(one: bytes, two: bytes) -> bool:
    """Two PDFs of the same statement differ only in their creation stamps and IDs."""
    import io

    from pypdf import PdfReader
    text = ["".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages) for pdf in (one, two)]
    return text[0] == text[1]


# ------------------------------------------------------------------ the pension estimate's sliders


def _fen(shown: str) -> int:
    return int(Decimal(shown.replace(",", "")) * 100)


def _stat(html: str, name: str) -> str:
    found = re.search(rf'data-stat="{name}">([^<]+)<', html)
    assert found, name
    return found.group(1)


def _estimate(client, **fields):
    return client.post("/me/pension/estimate", data=csrf_form(client, {"category": "male"} | fields, page="/me/pension"))


def test_the_estimator_has_sliders_whose_ranges_and_start_come_from_the_parameters(client, people):
    page = client.get("/me/pension")
    assert page.status_code == 200
    params = default_store().at("110000", date(2025, 3, 1))
    growth = params.explain("risk.projection.wage_growth")
    low, high = growth.range
    assert (f'<input type="range" id="wage_growth" name="wage_growth" min="{low}" max="{high}" step="0.005"\n'
            f'               value="{growth.value}"') in page.text
    early, late = (params.value(f"retirement.{k}_retirement_max_months") for k in ("early", "deferred"))
    assert f'name="retire_shift" min="-{early}" max="{late}" step="1"' in page.text
    index_low, index_high = params.value("pension.average_index_minimum"), params.value("pension.average_index_maximum")
    assert f'name="future_index" min="{index_low}" max="{index_high}" step="0.1"' in page.text
    assert page.text.count("<output for=") == 3 and 'data-output="wage_growth">4.0%<' in page.text
    assert 'hx-post="/me/pension/estimate"' in page.text and 'hx-trigger="change"' in page.text
    assert 'hx-target="#estimate-result"' in page.text and '<button type="submit">' in page.text  # works without JS
    assert '<script src="/static/estimate.js" defer></script>' in page.text and "<script>" not in page.text
    assert "法定退休日期 2043-05-17" in page.text  # born 1980-05: 60 and the reform's 36 months
    assert client.get("/static/estimate.js").status_code == 200


def test_the_estimate_in_today_s_money_is_the_nominal_brought_back_at_the_stated_rate_to_the_fen(client, people):
    page = _estimate(client, wage_growth="0.035", future_index="1.2", retire_shift="12")
    assert page.status_code == 200, page.text
    nominal, today = _fen(_stat(page.text, "estimate")), _fen(_stat(page.text, "today"))
    ahead = int(_stat(page.text, "months-ahead"))
    assert _stat(page.text, "growth") == "3.5%"
    expected = (Decimal(nominal) / Decimal("1.035") ** (Decimal(ahead) / 12)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert today == int(expected) and 0 < today < nominal
    # The sliders keep where they were moved to, and moving one moves the estimate.
    assert 'value="0.035"' in page.text and 'value="1.2"' in page.text and 'value="12"' in page.text
    later = _estimate(client, wage_growth="0.035", future_index="1.2", retire_shift="24")
    assert int(_stat(later.text, "months-ahead")) == ahead + 12
    assert _fen(_stat(later.text, "estimate")) != nominal
    richer = _estimate(client, wage_growth="0.035", future_index="2.0", retire_shift="12")
    assert _fen(_stat(richer.text, "estimate")) > nominal


@pytest.mark.parametrize(("field", "value"), [
    ("wage_growth", "0.5"), ("wage_growth", "-0.01"), ("wage_growth", "abc"), ("wage_growth", "NaN"),
    ("future_index", "0.1"), ("future_index", "9"), ("future_index", "1e9999"),
    ("retire_shift", "100"), ("retire_shift", "-999"), ("retire_shift", "1.5"), ("retire_shift", "十二"),
])
def test_a_value_outside_its_slider_is_refused_next_to_the_field_and_nothing_is_estimated(client, people, database,
                                                                                          field, value):
    with database.transaction() as session:
        before = session.scalar(select(func.count()).select_from(AuditRecord))
    page = _estimate(client, **{field: value})
    assert page.status_code == 422 and "<html" in page.text.lower() and "Traceback" not in page.text
    problem = re.search(rf'<p class="error field-error" id="{field}-error" data-problem="{field}">([^<]+)</p>', page.text)
    assert problem and "合理范围" in problem.group(1)
    assert page.text.count("data-problem=") == 1 and "data-estimate>" not in page.text
    field_html = page.text.split(f'id="{field}"', 1)[1].split(">", 1)[0]
    assert 'aria-invalid="true"' in field_html and f"{field}-error" in field_html
    english = client.post("/me/pension/estimate?lang=en",
                          data=csrf_form(client, {"category": "male", field: value}, page="/me/pension"))
    assert english.status_code == 422 and "lies between" in english.text
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditRecord)) == before


def test_an_estimate_is_for_the_logged_in_person_only(client, people):
    mine = _estimate(client, wage_growth="0.04")
    assert mine.status_code == 200
    sneaky = client.post("/me/pension/estimate", data=csrf_form(
        client, {"category": "male", "wage_growth": "0.04", "person_id": str(people["other"])}, page="/me/pension"))
    assert _stat(sneaky.text, "estimate") == _stat(mine.text, "estimate")  # a person_id in the form is ignored
    client.cookies.clear()
    away = client.post("/me/pension/estimate", data=csrf_form(client, {"category": "male"}, page="/login"),
                        follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == "/login"


def test_the_estimator_reads_in_english_and_answers_htmx_with_the_result_to_swap(client, people):
    english = client.get("/me/pension?lang=en")
    assert "Yearly wage growth" in english.text and "Retire earlier (−) or later (+)" in english.text
    assert "statutory retirement date 2043-05-17" in english.text
    # htmx sends the form on change and swaps #estimate-result (hx-select) out of the page it gets back.
    answer = client.post("/me/pension/estimate?lang=en", headers={"HX-Request": "true"},
                         data=csrf_form(client, {"category": "male", "wage_growth": "0.05"}, page="/me/pension"))
    assert answer.status_code == 200
    result = answer.text.split('<div id="estimate-result" aria-live="polite">', 1)[1]
    assert 'data-stat="today"' in result and "Brought back to today" in result
    assert 'data-stat="growth">5.0%<' in result


def test_retiring_earlier_than_today_is_refused_beside_the_retirement_slider(client, database, cipher, clock):
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1965, 6, 15), sequence=25, name="孙近退")
    _archive(database, clock, person, deemed_years=0, years=range(1990, 2024), balance=9_000_000)
    make_user(database, clock, "nearly", Role.INSURED, person_id=person)
    _log_in_as(client, "nearly")
    page = _estimate(client, retire_shift="-36")
    client.cookies.clear()
    assert page.status_code == 422
    problem = re.search(r'data-problem="retire_shift">([^<]+)<', page.text)
    assert problem and "今天之后" in problem.group(1) and "data-estimate>" not in page.text


def test_a_retiree_s_record_draws_its_years_and_the_pension_page_shows_no_estimator(client, retiree):  # noqa: F811
    page = client.get("/me")
    assert page.status_code == 200
    assert page.text.count('data-chart="bases"') == 1 and 'data-chart-table="bases"' in page.text
    assert "1996" in page.text.split('data-chart-table="bases"', 1)[1].split("</details>", 1)[0]
    pension = client.get("/me/pension")
    assert pension.status_code == 200 and 'type="range"' not in pension.text and "data-letter=\"award\"" in pension.text
