"""The archive over HTTP and on the citizen's pages, its statement as a PDF, the public verification of a printed
statement, and `shebao person archive`."""

import io
import json
from datetime import date

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from shebao.cli import app
from shebao.core.pdf import FontMissing, find_font
from shebao.core.security import Role
from shebao.web.pages import TOKEN_COOKIE
from tests.api.test_benefits_api import _apply, office  # noqa: F401 - the retiree's fixture
from tests.support import id_number, make_user, register, token_for


@pytest.fixture
def awarded(client, office, database, clock):  # noqa: F811
    assert _apply(client, office).status_code == 201
    make_user(database, clock, "auditor", Role.AUDITOR)
    office["tokens"]["auditor"] = token_for(client, "auditor")
    return office


def _need_a_chinese_font():
    try:
        find_font()
    except FontMissing:
        pytest.skip("no Chinese font installed (apt-get install fonts-wqy-microhei); .ci/run installs it")


def test_the_archive_json_shows_the_award_s_months_to_the_retiree_staff_and_auditors(client, awarded):
    person = awarded["person"]
    for who in ("retiree", "clerk", "province", "auditor"):
        answer = client.get(f"/api/v1/persons/{person}/archive", headers=awarded["tokens"][who])
        assert answer.status_code == 200, (who, answer.text)
        body = answer.json()
        assert (body["contribution_months"], body["deemed_months"]) == (336, 144)
        assert body["personal_account"]["at_retirement_fen"] == 15_000_000
        assert body["pension"]["monthly_fen"] == 697311 and body["verification_code"].startswith(f"{person}-")
    outside = client.get(f"/api/v1/persons/{person}/archive", headers=awarded["tokens"]["shanghai"])
    nobody = client.get("/api/v1/persons/9999999/archive", headers=awarded["tokens"]["clerk"])
    assert outside.status_code == nobody.status_code == 404 and outside.json() == nobody.json()
    assert client.get(f"/api/v1/persons/{person}/archive").status_code == 401
    assert client.get("/api/v1/persons/abc/archive", headers=awarded["tokens"]["clerk"]).status_code == 422


def test_the_pdf_reads_back_and_its_code_verifies_in_public(client, awarded):
    _need_a_chinese_font()
    person = awarded["person"]
    answer = client.get(f"/api/v1/persons/{person}/archive.pdf", headers=awarded["tokens"]["retiree"])
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages).replace("\n", "")
    code = client.get(f"/api/v1/persons/{person}/archive", headers=awarded["tokens"]["retiree"]).json()["verification_code"]
    assert "个人权益记录单" in text and "336" in text and "150,000.00" in text and code in text
    verdict = client.get("/api/v1/statements/verify", params={"code": code})  # no login
    assert verdict.status_code == 200 and verdict.json()["genuine"] and verdict.json()["figures_match"]
    assert verdict.json()["name_masked"].endswith("*") and "110105" not in verdict.text
    person_part, day, digest, mac = code.split("-")
    tampered = f"{person_part}-{day}-{digest[:-1]}{'0' if digest[-1] != '0' else '1'}-{mac}"
    refused = client.get("/api/v1/statements/verify", params={"code": tampered}).json()
    assert refused["genuine"] is False and refused["reason"] and refused["reason_en"] and refused["name_masked"] is None
    for bad in ("", "x" * 65, "1-2-3-4", "'; drop table persons; --"):
        answer = client.get("/api/v1/statements/verify", params={"code": bad})
        assert answer.status_code == 422 and answer.json()["error"]["reason_en"], bad
    outside = client.get(f"/api/v1/persons/{person}/archive.pdf", headers=awarded["tokens"]["shanghai"])
    assert outside.status_code == 404


def test_the_citizen_page_and_its_statement(client, awarded):
    _need_a_chinese_font()
    client.cookies.set(TOKEN_COOKIE, awarded["tokens"]["retiree"]["Authorization"].removeprefix("Bearer "))
    try:
        me = client.get("/me")
        assert me.status_code == 200 and 'href="/me/archive"' in me.text
        assert "28 年 0 个月" in me.text and "-" not in me.text.split('data-stat="balance">')[1][:20]
        page = client.get("/me/archive")
        assert page.status_code == 200 and "全国权益记录" in page.text and "/me/archive.pdf" in page.text
        assert "150,000.00" in page.text and "6,973.11" in page.text
        assert "My rights, nationwide" in client.get("/me/archive?lang=en").text
        pdf = client.get("/me/archive.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    finally:
        client.cookies.clear()
    assert client.get("/me/archive", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/me/archive.pdf", follow_redirects=False).status_code == 303


def test_without_a_font_the_pdf_is_refused_plainly(client, awarded, monkeypatch):
    from shebao.core import pdf

    monkeypatch.setattr(pdf, "CJK_FONTS", ("/nowhere/font.ttf",))
    answer = client.get(f"/api/v1/persons/{awarded['person']}/archive.pdf", headers=awarded["tokens"]["retiree"])
    assert answer.status_code == 503 and "中文字体" in answer.json()["error"]["reason"]


runner = CliRunner()


def test_the_command_prints_json_and_writes_the_pdf(awarded, database_url, tmp_path, monkeypatch):
    _need_a_chinese_font()
    from tests.conftest import TEST_SECRET

    monkeypatch.setenv("SHEBAO_SECRET_KEY", TEST_SECRET)
    person = awarded["person"]
    target = tmp_path / "statement.pdf"
    result = runner.invoke(app, ["person", "archive", str(person), "--pdf", str(target), "--db", database_url, "--json"])
    assert result.exit_code == 0, result.stdout
    body = json.loads(result.stdout)
    assert body["contribution_months"] == 336 and body["pdf"] == str(target)
    assert "个人权益记录单" in "".join(p.extract_text() for p in PdfReader(target).pages)
    by_number = runner.invoke(app, ["person", "archive", id_number(birth=date(1964, 6, 15), sequence=11), "--db",
                                    database_url, "--json"])
    assert by_number.exit_code == 0 and json.loads(by_number.stdout)["person_id"] == person
    human = runner.invoke(app, ["person", "archive", str(person), "--db", database_url])
    assert human.exit_code == 0 and "336" in human.stdout


@pytest.mark.parametrize("person", ["999999", "11010519800517123", "110105198005171230", "not-a-person"])
def test_the_command_refuses_an_unknown_or_malformed_person(awarded, database_url, person):
    result = runner.invoke(app, ["person", "archive", person, "--db", database_url, "--json"])
    assert result.exit_code == 1 and "Traceback" not in result.stdout
    error = json.loads(result.stdout)["error"]
    assert error["code"] and error["reason"] and error["reason_en"]


def test_the_command_refuses_a_pdf_it_cannot_write(awarded, database_url, tmp_path):
    _need_a_chinese_font()
    result = runner.invoke(app, ["person", "archive", str(awarded["person"]), "--pdf", str(tmp_path / "no" / "x.pdf"),
                                 "--db", database_url])
    assert result.exit_code == 1 and "Traceback" not in result.stdout


def test_a_stranger_is_not_an_archive_reader(client, database, cipher, clock, office):  # noqa: F811
    stranger = register(database, cipher, clock, birth=date(1980, 5, 17), sequence=21, name="赵敏")
    make_user(database, clock, "stranger", Role.INSURED, person_id=stranger)
    token = token_for(client, "stranger")
    assert client.get(f"/api/v1/persons/{office['person']}/archive", headers=token).status_code == 404
    mine = client.get(f"/api/v1/persons/{stranger}/archive", headers=token)
    assert mine.status_code == 200 and mine.json()["contribution_months"] == 0 and mine.json()["omitted"] == []
