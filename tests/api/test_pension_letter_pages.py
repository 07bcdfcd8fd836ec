"""The pension page tells the award and the estimate as a letter — Chinese first, in yuan, each figure with its source,
an estimate in today's money — and the same letter downloads as a PDF with a Chinese font."""

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from shebao.core import pdf as pdf_fonts
from shebao.core.security import Role
from shebao.web import letter_pdf
from shebao.web.pages import TOKEN_COOKIE
from tests.api.test_benefits_api import _apply, office  # noqa: F401 - the retiree's fixture
from tests.integration.test_pension_award_and_payroll import _archive
from tests.support import add_test_streets, csrf_form, make_user, register, token_for

LEAKS = ("{'", "_fen", "None")


def _visible(html: str) -> str:
    """The page's text outside the staff's folded calculation details."""
    html = re.sub(r"<details class=\"steps\".*?</details>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _as(client, tokens, name):
    client.cookies.set(TOKEN_COOKIE, tokens[name]["Authorization"].removeprefix("Bearer "))


@pytest.fixture
def retiree(client, office):  # noqa: F811
    assert _apply(client, office).status_code == 201
    _as(client, office["tokens"], "retiree")
    yield office
    client.cookies.clear()


def test_the_pension_page_reads_as_a_letter_in_chinese_and_in_yuan(client, retiree):
    page = client.get("/me/pension")
    assert page.status_code == 200
    text = _visible(page.text)
    assert "基础养老金" in text and "个人账户养老金" in text and "计发月数" in text
    assert "6,973.11 元" in text  # the award's total, as the API test awards it
    assert "国发〔2005〕38号" in text  # the divisor's and the accrual's document
    assert "基础养老金 = 计发基数" in text
    assert "/me/pension/letter.pdf" in page.text and "下载核定说明 PDF" in text
    for leak in LEAKS:
        assert leak not in text, leak
    english = _visible(client.get("/me/pension?lang=en").text)
    assert "Basic pension" in english and "6,973.11 yuan" in english and "Source:" in english


def _need_a_chinese_font():
    try:
        letter_pdf.find_font()
    except letter_pdf.LetterFontMissing:
        pytest.skip("no Chinese font installed (apt-get install fonts-wqy-microhei); .ci/run installs it")


def test_the_letter_downloads_as_a_pdf_with_the_total_in_yuan(client, retiree):
    _need_a_chinese_font()
    pdf = client.get("/me/pension/letter.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "6,973.11" in text and "养老金核定说明" in text and "基础养老金" in text
    assert "********" in text  # the ID number masked as the archive masks it
    english = client.get("/me/pension/letter.pdf?lang=en")
    assert "Your pension explained" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(english.content)).pages)


def test_the_pdf_asks_for_a_login_and_is_friendly_without_an_award(client, database, cipher, clock):
    client.cookies.clear()
    refused = client.get("/me/pension/letter.pdf", follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == "/login"
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1980, 5, 17), sequence=21, name="赵敏")
    make_user(database, clock, "young", Role.INSURED, person_id=person)
    client.cookies.set(TOKEN_COOKIE, token_for(client, "young")["Authorization"].removeprefix("Bearer "))
    page = client.get("/me/pension/letter.pdf")
    client.cookies.clear()
    assert page.status_code == 404 and "还没有核定的养老金" in page.text and "<html" in page.text.lower()


def test_without_a_chinese_font_the_pdf_says_so_plainly(client, retiree, monkeypatch):
    monkeypatch.setattr(pdf_fonts, "CJK_FONTS", ("/nowhere/font.ttf",))
    page = client.get("/me/pension/letter.pdf")
    assert page.status_code == 503 and "缺少中文字体" in page.text and "Traceback" not in page.text


def test_an_estimate_reads_as_a_letter_with_today_s_money(client, database, cipher, clock):
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1980, 5, 17), sequence=21, name="赵敏")
    _archive(database, clock, person, deemed_years=0, years=range(2002, 2024), balance=9_000_000)
    make_user(database, clock, "saver", Role.INSURED, person_id=person)
    client.cookies.set(TOKEN_COOKIE, token_for(client, "saver")["Authorization"].removeprefix("Bearer "))
    page = client.post("/me/pension/estimate", data=csrf_form(client, {"category": "male", "wage_growth": "0.03", "future_index": "1.0"}, page="/me/pension"))
    client.cookies.clear()
    assert page.status_code == 200
    text = _visible(page.text)
    assert "按今天的钱折算" in text and "预计每月养老金" in text and "测算用到的假设" in text
    assert re.search(r"按今天的钱 = [\d,]+\.\d\d 元 ÷ \(1 \+ 0\.03\)\^\(\d+ ÷ 12\) = [\d,]+\.\d\d 元", text)
    nominal = float(re.search(r'data-stat="estimate">([\d,.]+)<', page.text).group(1).replace(",", ""))
    today = float(re.search(r'data-stat="today">([\d,.]+)<', page.text).group(1).replace(",", ""))
    assert 0 < today < nominal
    for leak in LEAKS:
        assert leak not in text, leak
