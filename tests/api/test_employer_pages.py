"""The employer hall's own work on the web (web/employer_pages.py): hire and leave, the yearly base file with its
rejected rows next to their reasons, and the bills with the arrears and the amount to pay today — always for the
login's own employer, through the same services as the API."""

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from shebao.contributions import employer_hall
from shebao.contributions import service as contributions
from shebao.contributions.batch import run_month_end
from shebao.contributions.models import BaseDeclaration
from shebao.core.clock import FixedClock
from shebao.core.money import fen_to_yuan_grouped
from shebao.core.security import Principal, Role
from shebao.demo.seed import demo_credit_code
from shebao.enrollment.models import Participation
from shebao.web.kit import CSRF_COOKIE
from tests.support import CHAOYANG, PASSWORD, add_test_streets, csrf_form, id_number, make_user, person_payload, token_for

JULY_BILLED = datetime(2024, 8, 1, 1, 0, tzinfo=UTC)
OTHER = id_number(sequence=77)


@pytest.fixture
def clock():
    return FixedClock(datetime(2024, 8, 20, 2, 0, tzinfo=UTC))


@pytest.fixture
def hall(client, database, clock):
    add_test_streets(database, clock)
    make_user(database, clock, "clerk", Role.STAFF, region_code=CHAOYANG)
    clerk = token_for(client, "clerk")
    people = [client.post("/api/v1/persons", headers=clerk, json=person_payload(id_number=number, name=name,
                                                                                 effective_from="2020-01-01")).json()
              for number, name in ((id_number(), "张伟"), (OTHER, "李娜"))]
    firm = client.post("/api/v1/employers", headers=clerk, json={
        "uscc": demo_credit_code(CHAOYANG, random.Random(11)), "name": "朝阳物流有限公司", "region_code": CHAOYANG,
        "industry_code": "G54"}).json()
    make_user(database, clock, "firm", Role.EMPLOYER, employer_id=firm["id"])
    client.post("/login", data=csrf_form(client, {"username": "firm", "password": PASSWORD}), follow_redirects=False)
    return {"clerk": clerk, "persons": [p["id"] for p in people], "employer": firm["id"]}


def _once(client, url: str) -> str:
    return client.get(url).text.split('name="once" value="', 1)[1].split('"', 1)[0]


def _count(database, model, **where) -> int:
    with database.unit_of_work() as uow:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return uow.session.scalar(query)


def _employed(database, employer_id: int) -> int:
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(Participation).where(
            Participation.employer_id == employer_id, Participation.status != "ended"))


def _hire(client, number: str = id_number(), start: str = "2024-07-01", base: str = "12345.00", once: str | None = None):
    fields = {"id_number": number, "start_date": start, "base": base, "once": once or _once(client, "/employer/hire")}
    return client.post("/employer/hire", data=csrf_form(client, fields), follow_redirects=False)


def test_a_hire_insures_the_employee_with_the_base_and_a_double_submit_hires_once(client, database, hall):
    page = client.get("/employer/hire")
    assert page.status_code == 200 and 'action="/employer/hire"' in page.text and 'name="csrf"' in page.text
    once = _once(client, "/employer/hire")
    first = _hire(client, once=once)
    assert first.status_code == 201 and 'data-done="hired"' in first.text and 'data-stat="employees">1<' in first.text
    assert _employed(database, hall["employer"]) == 5  # the five insurances
    assert _count(database, BaseDeclaration, person_id=hall["persons"][0], declared_base_fen=1234500) == 1
    second = _hire(client, once=once)
    assert second.status_code == 409 and 'data-message="already_done"' in second.text
    assert _employed(database, hall["employer"]) == 5 and _count(database, BaseDeclaration) == 1


@pytest.mark.parametrize(("fields", "field", "status", "words"), [
    ({"number": "11010519800517123"}, "id_number", 422, "18"),
    ({"number": id_number(sequence=55)}, "id_number", 404, "尚未登记"),
    ({"start": "2024/07/01"}, "start_date", 422, "年-月-日"),
    ({"base": "abc"}, "base", 422, "元"),
    ({"base": "-5"}, "base", 422, "基数"),
])
def test_a_bad_hire_value_is_shown_next_to_its_field_and_nothing_is_saved(client, database, hall, fields, field,
                                                                          status, words):
    answer = _hire(client, **fields)
    assert answer.status_code == status, answer.text[-2000:]
    assert f'data-error="{field}"' in answer.text and f'id="{field}_error"' in answer.text and words in answer.text
    assert 'aria-describedby="%s_error"' % field in answer.text
    assert _employed(database, hall["employer"]) == 0 and _count(database, BaseDeclaration) == 0


def test_a_leave_needs_its_confirmation_and_ends_the_employee_once(client, database, hall):
    _hire(client)
    person = hall["persons"][0]
    assert f'data-employee="{person}"' in client.get("/employer/hire").text
    unconfirmed = client.post("/employer/leave", data=csrf_form(client, {
        "person_id": str(person), "end_date": "2024-08-15", "reason": "合同到期", "once": _once(client, "/employer/hire")}))
    assert unconfirmed.status_code == 422 and 'data-error="confirm"' in unconfirmed.text
    assert _employed(database, hall["employer"]) == 5
    bad_day = client.post("/employer/leave?lang=en", data=csrf_form(client, {
        "person_id": str(person), "end_date": "15/08/2024", "reason": "合同到期", "confirm": "yes",
        "once": _once(client, "/employer/hire")}))
    assert bad_day.status_code == 422 and 'data-error="end_date"' in bad_day.text and "YYYY-MM-DD" in bad_day.text
    once = _once(client, "/employer/hire")
    fields = {"person_id": str(person), "end_date": "2024-08-15", "reason": "合同到期", "confirm": "yes", "once": once}
    done = client.post("/employer/leave", data=csrf_form(client, fields))
    assert done.status_code == 200 and 'data-done="left"' in done.text and 'data-stat="employees">0<' in done.text
    assert _employed(database, hall["employer"]) == 0
    again = client.post("/employer/leave", data=csrf_form(client, fields))
    assert again.status_code == 409 and 'data-message="already_done"' in again.text
    # Someone not employed here (or no one at all) is refused, and nothing changes.
    for stranger in (str(hall["persons"][1]), "999999", "x", ""):
        refused = client.post("/employer/leave", data=csrf_form(client, fields | {"person_id": stranger,
                                                                                   "once": _once(client, "/employer/hire")}))
        assert refused.status_code == 404, stranger


def test_the_employers_forms_refuse_a_missing_or_wrong_csrf_token(client, database, hall):
    once = _once(client, "/employer/hire")
    for path, fields in (("/employer/hire", {"id_number": id_number(), "start_date": "2024-07-01", "base": "9000"}),
                         ("/employer/leave", {"person_id": str(hall["persons"][0]), "end_date": "2024-08-15",
                                              "reason": "合同到期", "confirm": "yes"})):
        for token in (None, "x" * 43):
            data = fields | {"once": once} | ({"csrf": token} if token else {})
            refused = client.post(path, data=data)
            assert refused.status_code == 403 and 'data-message="csrf_refused"' in refused.text
    upload = client.post("/employer/bases", data={"csrf": "x" * 43, "once": once},
                         files={"file": ("bases.csv", b"id_number,effective_period,base_yuan\n", "text/csv")})
    assert upload.status_code == 403
    assert _employed(database, hall["employer"]) == 0 and client.cookies.get(CSRF_COOKIE)


def _upload(client, text: str, lang: str = ""):
    once = _once(client, "/employer/bases")
    return client.post("/employer/bases" + lang, data=csrf_form(client, {"once": once}),
                       files={"file": ("bases.csv", text.encode(), "text/csv")})


def test_a_base_file_with_a_bad_row_shows_it_with_its_reason_and_saves_nothing(client, database, hall):
    for number in (id_number(), OTHER):
        assert client.post(f"/api/v1/employers/{hall['employer']}/employees", headers=token_for(client, "firm"),
                           json={"id_number": number, "start_date": "2024-07-01"}).status_code == 201
    page = client.get("/employer/bases")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text and "base_yuan" in page.text
    text = (f"id_number,effective_period,base_yuan\n{id_number()},202408,9000.00\n{OTHER},202408,abc\n"
            f"11010519800517123,202408,8000\n")
    answer = _upload(client, text)
    assert answer.status_code == 422 and 'data-saved="no"' in answer.text
    rejected = answer.text.split('data-rejected-row="3"', 1)[1].split("</tr>", 1)[0]
    assert f"<code>{OTHER}</code>" in rejected and ">abc<" in rejected and "金额格式错误" in rejected
    assert 'data-rejected-row="4"' in answer.text and 'data-accepted-row="2"' in answer.text
    assert 'data-rejected-row="2"' not in answer.text
    assert _count(database, BaseDeclaration) == 0  # the import's rule: all rows or none
    english = _upload(client, text, "?lang=en")
    assert english.status_code == 422 and "malformed amount in yuan" in english.text and "金额格式错误" not in english.text
    good = _upload(client, f"\ufeffid_number,effective_period,base_yuan\n{id_number()},202408,9000.00\n"
                           f"{OTHER},202408,7500\n")
    assert good.status_code == 201 and 'data-saved="yes"' in good.text
    assert _count(database, BaseDeclaration, effective_period="202408") == 2
    # The same file again: each row is now a second declaration for its month, refused; nothing more is saved.
    again = _upload(client, f"id_number,effective_period,base_yuan\n{id_number()},202408,9000.00\n")
    assert again.status_code == 422 and _count(database, BaseDeclaration) == 2


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00bad", b"name,amount\n1,2\n", b"id_number,effective_period,base_yuan\n",
                                     b"id_number,effective_period,base_yuan\n\"unterminated,2024,1\n"])
def test_a_bad_base_file_is_refused_plainly(client, database, hall, content):
    once = _once(client, "/employer/bases")
    answer = client.post("/employer/bases", data=csrf_form(client, {"once": once}),
                         files={"file": ("bases.csv", content, "text/csv")})
    assert 400 <= answer.status_code < 500 and 'role="alert"' in answer.text, answer.text[-1500:]
    no_file = client.post("/employer/bases", data=csrf_form(client, {"once": once}))
    assert no_file.status_code == 422 and 'data-error="file"' in no_file.text
    assert _count(database, BaseDeclaration) == 0


def test_bills_payments_and_the_amount_to_pay_today_are_the_services(client, database, clock, hall):
    _hire(client, start="2024-07-01", base="12345.00")
    run_month_end(database=database, province="110000", period="202407", now=JULY_BILLED, actor="test")
    page = client.get("/employer/bills")
    assert page.status_code == 200
    firm = Principal(user_id=None, username="firm", role=Role.EMPLOYER, employer_id=hall["employer"])
    with database.unit_of_work() as uow:
        figures = employer_hall.arrears_today(session=uow.session, principal=firm, payer_kind="employer",
                                              payer_id=hall["employer"], now=clock.now())
        bills = contributions.bills_of(session=uow.session, principal=firm, payer_kind="employer",
                                       payer_id=hall["employer"])
    assert bills
    for bill in bills:
        row = page.text.split(f'data-bill="{bill.id}"', 1)[1].split("</tr>", 1)[0]
        assert fen_to_yuan_grouped(bill.amount_fen) in row and fen_to_yuan_grouped(bill.unpaid_fen) in row
    assert figures["bills"] and figures["late_fee_fen"] > 0  # due on the 15th, five days late on the 20th
    assert f'data-to-pay="{figures["to_pay_fen"]}"' in page.text
    for row in figures["bills"]:
        assert f'data-arrear="{row["bill_id"]}" data-late-fee="{row["late_fee_fen"]}"' in page.text
    # The amount shown is what the collection would take today: a fen more is refused as more than the debt.
    clerk = hall["clerk"]
    body = {"payer_kind": "employer", "payer_id": hall["employer"], "received_on": "2024-08-20"}
    over = client.post("/api/v1/payments", headers=clerk, json=body | {"idempotency_key": "bank-1",
                                                                       "amount_fen": figures["to_pay_fen"] + 1})
    assert over.status_code == 422 and over.json()["error"]["details"]["owed_fen"] == figures["to_pay_fen"]
    paid = client.post("/api/v1/payments", headers=clerk, json=body | {"idempotency_key": "bank-2",
                                                                       "amount_fen": figures["to_pay_fen"]})
    assert paid.status_code == 201, paid.text
    after = client.get("/employer/bills")
    assert 'data-to-pay="0"' in after.text and "bank-2" in after.text
    english = client.get("/employer/bills?lang=en")
    assert "Payment history" in english.text and "Monthly bills" in english.text


def test_the_hall_links_its_pages_and_sends_other_roles_home(client, database, hall):
    home = client.get("/employer").text
    nav = home.split('<nav aria-label="主导航"', 1)[1].split("</nav>", 1)[0]
    for href in ("/employer/hire", "/employer/bases", "/employer/bills"):
        assert f'href="{href}"' in nav and home.count(f'href="{href}"') >= 2, href
    client.cookies.clear()
    for url in ("/employer/hire", "/employer/bases", "/employer/bills"):
        assert client.get(url, follow_redirects=False).headers["location"] == "/login"
    client.post("/login", data=csrf_form(client, {"username": "clerk", "password": PASSWORD}), follow_redirects=False)
    for url in ("/employer/hire", "/employer/bases", "/employer/bills"):
        assert client.get(url, follow_redirects=False).headers["location"] == "/staff"
    refused = client.post("/employer/hire", data=csrf_form(client, {"id_number": id_number(), "start_date": "2024-07-01",
                                                                    "base": "9000"}), follow_redirects=False)
    assert refused.status_code == 303 and _employed(database, hall["employer"]) == 0
