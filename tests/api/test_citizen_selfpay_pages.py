"""The citizen's self-pay pages: enrolling as a flexible worker (the base's range, the month's amount shown before
confirming, the first month paid), making up missed months (each month's amount and late fee, the total shown before
paying, equal to the fen to what is billed and taken), and the proof of life (the face-check placeholder, a staff home
visit asked for and worked from the staff queue). Bad input is refused next to the field with nothing saved; a form
sent twice does its work once; nobody reaches another person's."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shebao.benefits.models import Certification, VisitRequest
from shebao.contributions.batch import run_month_end
from shebao.contributions.models import Bill, Payment
from shebao.contributions.rules import Category, assess_month
from shebao.core.security import Role
from shebao.enrollment.models import Participation
from shebao.policy.store import default_store
from shebao.web.pages import TOKEN_COOKIE
from tests.api.test_benefits_api import _apply, office  # noqa: F401 - the retiree's fixture
from tests.api.test_enrollment_api import setup  # noqa: F401 - the fixture
from tests.conftest import TEST_NOW
from tests.support import CHAOYANG, PASSWORD, csrf_form, id_number, make_user, person_payload

POSTS = ("/me/apply/flexible/review", "/me/apply/flexible", "/me/apply/pay", "/me/apply/makeup/review",
         "/me/apply/makeup", "/me/apply/proof-of-life/face", "/me/apply/proof-of-life/visit", "/staff/visits/record")


def _log_in(client, username: str = "zhangwei"):
    client.cookies.clear()
    done = client.post("/login", data=csrf_form(client, {"username": username, "password": PASSWORD}),
                       follow_redirects=False)
    assert done.status_code == 303, done.text[-800:]


def _once(html: str) -> str:
    return html.split('name="once" value="', 1)[1].split('"', 1)[0]


def _attr(html: str, name: str) -> str:
    return re.search(rf'{name}="([^"]*)"', html).group(1)


def _count(database, model, *where) -> int:
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def _payments(database, person_id: int) -> list[int]:
    with database.unit_of_work() as uow:
        return list(uow.session.scalars(select(Payment.amount_fen).where(Payment.payer_kind == "flexible",
                                                                          Payment.payer_id == person_id)))


def _month_fen(base_fen: int) -> int:
    """What the contribution rules charge a flexible worker in Beijing for a month at the base (pension and medical)."""
    params = default_store().at("110000", TEST_NOW.date().replace(day=1))
    return assess_month(params, category=Category.FLEXIBLE, declared_base_fen=base_fen, work_injury_class=1,
                        insurances=None).total_fen


# ------------------------------------------------------------------ flexible-worker enrollment


def test_enrolling_shows_the_range_and_the_amount_then_enrolls_and_pays_the_first_month_once(client, setup, database):  # noqa: F811
    _log_in(client)
    shown = client.get("/me/apply/flexible")
    assert shown.status_code == 200 and 'data-flexible-status="none"' in shown.text
    floor, ceiling = (int(x) for x in _attr(shown.text, "data-base-range").split("-"))
    assert 0 < floor < ceiling
    review = client.post("/me/apply/flexible/review", data=csrf_form(client, {"base": "8000"}))
    assert review.status_code == 200
    quote = int(_attr(review.text, "data-quote"))
    assert quote == _month_fen(800000)
    assert _count(database, Participation, Participation.person_id == setup["person"]) == 0  # shown, nothing saved
    once = _once(review.text)
    form = {"base": "8000", "expected": str(quote), "once": once}
    done = client.post("/me/apply/flexible", data=csrf_form(client, form))
    assert done.status_code == 201, done.text[-1500:]
    assert int(_attr(done.text, "data-paid")) == quote and "202503" in done.text
    again = client.post("/me/apply/flexible", data=csrf_form(client, form))
    assert again.status_code == 409 and 'data-message="already_done"' in again.text
    assert _payments(database, setup["person"]) == [quote]  # paid once, the amount shown
    schemes = client.get(f"/api/v1/persons/{setup['person']}/participations", headers=setup["me"]).json()
    assert {(p["scheme"], p["mode"]) for p in schemes} == {("employee_pension", "flexible"), ("medical", "flexible")}
    bases = client.get(f"/api/v1/bases?person_id={setup['person']}", headers=setup["me"])
    assert bases.status_code == 200 and bases.json()[0]["declared_base_fen"] == 800000
    status = client.get("/me/apply/flexible")
    assert 'data-flexible-status="enrolled"' in status.text and "data-review-base" not in status.text
    assert "data-owed-none" in status.text
    # the month is billed once, paid: month-end of March finds it assessed and bills it no second time (while it
    # bills a flexible worker enrolled at the counter the same day)
    other = client.post("/api/v1/persons", headers=setup["clerk"], json=person_payload(
        id_number=id_number(sequence=127), name="王芳")).json()["id"]
    assert client.post(f"/api/v1/persons/{other}/participations", headers=setup["clerk"], json={
        "mode": "flexible", "region_code": CHAOYANG, "start_date": "2025-03-01"}).status_code == 201
    run_month_end(database=database, province="110000", period="202503", now=TEST_NOW + timedelta(days=32),
                  actor="test")
    bills = client.get(f"/api/v1/bills?payer_kind=flexible&payer_id={setup['person']}", headers=setup["me"]).json()
    assert [(b["period"], b["kind"], b["amount_fen"], b["unpaid_fen"]) for b in bills] == [("202503", "advance", quote, 0)]
    counter = client.get(f"/api/v1/bills?payer_kind=flexible&payer_id={other}", headers=setup["clerk"]).json()
    assert [(b["period"], b["kind"]) for b in counter] == [("202503", "monthly")]


@pytest.mark.parametrize(("base", "code"), [("1", "below"), ("99999999", "above"), ("abc", "text"), ("", "empty"),
                                            ("-5", "negative"), ("1e9", "exp")])
def test_a_base_out_of_range_or_not_a_number_is_refused_next_to_the_field(client, setup, database, base, code):  # noqa: F811
    _log_in(client)
    review = client.post("/me/apply/flexible/review", data=csrf_form(client, {"base": base}))
    assert review.status_code == 422 and 'data-error="base"' in review.text and "data-quote" not in review.text
    once = _once(client.get("/me/apply/flexible").text) if "once" in client.get("/me/apply/flexible").text else "x" * 32
    done = client.post("/me/apply/flexible", data=csrf_form(client, {"base": base, "expected": "100", "once": once}))
    assert done.status_code == 422 and 'data-error="base"' in done.text
    assert _count(database, Participation, Participation.person_id == setup["person"]) == 0
    assert _payments(database, setup["person"]) == []


def test_an_employed_person_or_a_changed_amount_is_refused_and_nothing_is_saved(client, setup, database):  # noqa: F811
    hired = client.post(f"/api/v1/employers/{setup['employer']}/employees", headers=setup["firm"],
                        json={"id_number": id_number(), "start_date": "2024-01-01"})
    assert hired.status_code == 201
    _log_in(client)
    page = client.get("/me/apply/flexible")
    assert 'data-flexible-status="employed"' in page.text and "data-review-base" not in page.text
    before = _count(database, Participation, Participation.person_id == setup["person"])
    done = client.post("/me/apply/flexible", data=csrf_form(client, {"base": "8000", "expected": str(_month_fen(800000)),
                                                                      "once": "a" * 32}))
    assert done.status_code == 422 and "已在参保" in done.text
    assert _count(database, Participation, Participation.person_id == setup["person"]) == before
    # a person not employed, but the amount on the form is not the one owed: refused, nothing saved
    client.post(f"/api/v1/employers/{setup['employer']}/employees/{setup['person']}/leave", headers=setup["firm"],
                json={"end_date": "2024-12-31", "reason": "合同到期"})
    wrong = client.post("/me/apply/flexible", data=csrf_form(client, {"base": "8000", "expected": "1", "once": "b" * 32}))
    assert wrong.status_code == 422 and 'data-error="base"' in wrong.text
    assert _payments(database, setup["person"]) == []


# ------------------------------------------------------------------ make-up


@pytest.fixture
def gap(client, setup):  # noqa: F811
    """Zhang Wei enrolled as a flexible worker from October 2024 (by the clerk); no month of it billed yet."""
    enrolled = client.post(f"/api/v1/persons/{setup['person']}/participations", headers=setup["clerk"],
                           json={"mode": "flexible", "region_code": CHAOYANG, "start_date": "2024-10-01"})
    assert enrolled.status_code == 201, enrolled.text
    return setup


def test_the_make_up_shows_each_month_and_the_total_before_paying_and_pays_exactly_that_once(client, gap, database):
    _log_in(client)
    page = client.get("/me/apply/makeup")
    assert page.status_code == 200
    months = re.findall(r'data-option="(\d{6})"', page.text)
    assert months == ["202410", "202411", "202412", "202501", "202502"]
    assert _count(database, Bill, Bill.payer_id == gap["person"]) == 0  # showing billed nothing
    assert _count(database, Payment) == 0
    review = client.post("/me/apply/makeup/review", data=csrf_form(client, {"periods": ["202410", "202411"]}))
    assert review.status_code == 200 and re.findall(r'data-review-month="(\d{6})"', review.text) == ["202410", "202411"]
    total = int(_attr(review.text, "data-review-total"))
    once = _once(review.text)
    form = {"periods": ["202410", "202411"], "expected": str(total), "once": once}
    paid = client.post("/me/apply/makeup", data=csrf_form(client, form))
    assert paid.status_code == 201, paid.text[-1500:]
    assert int(_attr(paid.text, "data-paid")) == total
    again = client.post("/me/apply/makeup", data=csrf_form(client, form))
    assert again.status_code == 409
    assert _payments(database, gap["person"]) == [total]
    bills = client.get(f"/api/v1/bills?payer_kind=flexible&payer_id={gap['person']}", headers=gap["me"]).json()
    assert sorted(b["period"] for b in bills) == ["202410", "202411"] and all(b["unpaid_fen"] == 0 for b in bills)
    shown = dict(re.findall(r'data-review-month="(\d{6})" data-amount="(\d+)"', review.text))
    assert {b["period"]: str(b["amount_fen"]) for b in bills} == shown  # each month billed as it was shown
    fees = total - sum(b["amount_fen"] for b in bills)
    assert fees > 0  # late fees from the months' original due dates
    left = client.get("/me/apply/makeup")
    assert re.findall(r'data-option="(\d{6})"', left.text) == ["202412", "202501", "202502"]


@pytest.mark.parametrize(("periods", "status"), [([], 422), (["2024-10"], 422), (["202301"], 422), (["202503"], 422),
                                                 (["<script>"], 422)])
def test_months_the_rules_refuse_are_refused_and_nothing_is_billed(client, gap, database, periods, status):
    _log_in(client)
    review = client.post("/me/apply/makeup/review", data=csrf_form(client, {"periods": periods}))
    assert review.status_code == status and 'data-error="periods"' in review.text and "<script>" not in review.text
    paid = client.post("/me/apply/makeup", data=csrf_form(client, {"periods": periods, "expected": "100",
                                                                    "once": "c" * 32}))
    assert paid.status_code in (409, 422) and 'data-error="periods"' in paid.text
    assert _count(database, Bill, Bill.payer_id == gap["person"]) == 0 and _payments(database, gap["person"]) == []


def test_a_total_that_is_no_longer_owed_is_refused_and_nothing_is_billed(client, gap, database):
    _log_in(client)
    paid = client.post("/me/apply/makeup", data=csrf_form(client, {"periods": ["202410"], "expected": "1",
                                                                    "once": "d" * 32}))
    assert paid.status_code == 409 and "应缴金额已变为" in paid.text
    assert _count(database, Bill, Bill.payer_id == gap["person"]) == 0 and _payments(database, gap["person"]) == []


def test_the_open_bills_are_paid_with_the_amount_shown(client, gap, database):
    _log_in(client)
    review = client.post("/me/apply/makeup/review", data=csrf_form(client, {"periods": ["202502"]}))
    total = int(_attr(review.text, "data-review-total"))
    # billed by the make-up service itself, then paid from the flexible page's one button
    with database.transaction() as session:
        from shebao.contributions.makeup import request_makeup
        from shebao.contributions.schemas import MakeupRequest
        from shebao.core.security import Principal
        request_makeup(session=session, principal=Principal(user_id=None, username="zhangwei", role=Role.INSURED,
                                                            person_id=gap["person"]),
                       person_id=gap["person"], command=MakeupRequest(periods=["202502"]), now=TEST_NOW)
    page = client.get("/me/apply/flexible")
    assert int(_attr(page.text, "data-owed-total")) == total
    paid = client.post("/me/apply/pay", data=csrf_form(client, {"expected": str(total), "once": _once(page.text)}))
    assert paid.status_code == 201 and int(_attr(paid.text, "data-paid")) == total
    assert "data-owed-none" in client.get("/me/apply/flexible").text
    nothing = client.post("/me/apply/pay", data=csrf_form(client, {"expected": str(total), "once": "e" * 32}))
    assert nothing.status_code == 409 and 'data-error="pay"' in nothing.text
    assert _payments(database, gap["person"]) == [total]


# ------------------------------------------------------------------ proof of life


@pytest.fixture
def retiree(client, office):  # noqa: F811
    assert _apply(client, office).status_code == 201
    return office


def _as(client, office, name):  # noqa: F811
    client.cookies.clear()
    client.cookies.set(TOKEN_COOKIE, office["tokens"][name]["Authorization"].removeprefix("Bearer "))


def test_the_face_check_placeholder_records_a_face_certification_once(client, retiree, database):
    _as(client, retiree, "retiree")
    page = client.get("/me/apply/proof-of-life")
    assert page.status_code == 200 and "data-placeholder" in page.text and "占位" in page.text
    due = _attr(page.text, "data-certification-due")
    once = _once(page.text)
    done = client.post("/me/apply/proof-of-life/face", data=csrf_form(client, {"once": once}, page="/me/apply"))
    assert done.status_code == 201 and 'data-done="selfpay_face_done"' in done.text
    assert _attr(done.text, "data-certification-due") > due and _attr(done.text, "data-certified-on") == "2025-03-01"
    again = client.post("/me/apply/proof-of-life/face", data=csrf_form(client, {"once": once}, page="/me/apply"))
    assert again.status_code == 409
    assert _count(database, Certification, Certification.person_id == retiree["person"],
                  Certification.method == "online_face") == 1


def test_a_visit_is_asked_once_shows_in_the_region_s_queue_and_the_visit_certifies(client, retiree, database):
    make_user(database, client.app.state.runtime.clock, "auditor", Role.AUDITOR)
    _as(client, retiree, "retiree")
    page = client.get("/me/apply/proof-of-life")
    empty = client.post("/me/apply/proof-of-life/visit", data=csrf_form(client, {"reason": " ", "once": _once(page.text)}))
    assert empty.status_code == 422 and 'data-error="reason"' in empty.text
    long = client.post("/me/apply/proof-of-life/visit", data=csrf_form(client, {"reason": "长" * 300, "once": "f" * 32}))
    assert long.status_code == 422 and 'data-error="reason"' in long.text
    assert _count(database, VisitRequest) == 0
    once = _once(client.get("/me/apply/proof-of-life").text.split("/visit", 1)[1])
    asked = client.post("/me/apply/proof-of-life/visit", data=csrf_form(client, {"reason": "行动不便", "once": once}))
    assert asked.status_code == 201 and "data-visit-open" in asked.text and 'data-visit-status="requested"' in asked.text
    twice = client.post("/me/apply/proof-of-life/visit", data=csrf_form(client, {"reason": "行动不便", "once": once}))
    assert twice.status_code == 409 and _count(database, VisitRequest) == 1

    _as(client, retiree, "shanghai")  # another province's clerk: the queue is empty, the request unreachable
    other = client.get("/staff/visits")
    assert other.status_code == 200 and _attr(other.text, "data-stat") == "visits" and "data-visit=" not in other.text
    with database.unit_of_work() as uow:
        visit_id = uow.session.scalar(select(VisitRequest.id))
    outside = client.post("/staff/visits/record", data=csrf_form(client, {"visit_request_id": str(visit_id),
                                                                          "once": "g" * 32}, page="/staff/visits"))
    assert outside.status_code == 404
    unknown = client.post("/staff/visits/record", data=csrf_form(client, {"visit_request_id": "99999", "once": "h" * 32}))
    assert unknown.status_code == 404 and outside.text.count("未找到") == unknown.text.count("未找到")
    for bad in ("abc", "-1", "0", "9" * 30):
        assert client.post("/staff/visits/record", data=csrf_form(client, {"visit_request_id": bad,
                                                                           "once": "i" * 32})).status_code == 404

    assert 'data-queue="queue_visits">0<' in client.get("/staff").text  # not in this clerk's count either
    _as(client, retiree, "clerk")
    console = client.get("/staff").text
    assert 'data-queue="queue_visits">1<' in console and 'href="/staff/visits"' in console  # counted, linked
    queue = client.get("/staff/visits")
    assert f'data-visit="{visit_id}"' in queue.text and "行动不便" in queue.text
    once = _once(queue.text)
    recorded = client.post("/staff/visits/record", data=csrf_form(client, {"visit_request_id": str(visit_id),
                                                                           "once": once}))
    assert recorded.status_code == 201 and f'data-visit="{visit_id}"' not in recorded.text
    assert client.post("/staff/visits/record", data=csrf_form(client, {"visit_request_id": str(visit_id),
                                                                       "once": once})).status_code == 409
    assert _count(database, Certification, Certification.person_id == retiree["person"],
                  Certification.method == "staff_visit") == 1

    _as(client, retiree, "retiree")
    assert 'data-visit-status="visited"' in client.get("/me/apply/proof-of-life").text


def test_an_auditor_reads_the_queue_and_never_records(client, retiree, database):
    make_user(database, client.app.state.runtime.clock, "auditor", Role.AUDITOR)
    _log_in(client, "auditor")
    queue = client.get("/staff/visits")
    assert queue.status_code == 200 and "data-record-visit" not in queue.text
    refused = client.post("/staff/visits/record", data=csrf_form(client, {"visit_request_id": "1", "once": "j" * 32}))
    assert refused.status_code == 403


def test_a_person_without_a_pension_is_told_so(client, setup):  # noqa: F811
    _log_in(client)
    page = client.get("/me/apply/proof-of-life")
    assert page.status_code == 200 and 'data-proof="none"' in page.text and "data-face-check" not in page.text
    face = client.post("/me/apply/proof-of-life/face", data=csrf_form(client, {"once": "k" * 32}))
    assert face.status_code == 404 and 'data-error="face"' in face.text
    visit = client.post("/me/apply/proof-of-life/visit", data=csrf_form(client, {"reason": "行动不便", "once": "l" * 32}))
    assert visit.status_code == 404


# ------------------------------------------------------------------ who may come, CSRF


def test_only_the_insured_themself_and_no_one_else_s_record(client, setup, database):  # noqa: F811
    other = client.post("/api/v1/persons", headers=setup["clerk"], json=person_payload(
        id_number=id_number(sequence=125), name="李娜")).json()["id"]
    client.post(f"/api/v1/persons/{other}/participations", headers=setup["clerk"],
                json={"mode": "flexible", "region_code": CHAOYANG, "start_date": "2024-10-01"})
    _log_in(client)  # Zhang Wei: never another person's months or requests, whatever the form says
    assert "data-option=" not in client.get(f"/me/apply/makeup?person_id={other}").text
    paid = client.post("/me/apply/makeup", data=csrf_form(client, {"periods": ["202410"], "expected": "1",
                                                                    "once": "o" * 32, "person_id": str(other)}))
    assert paid.status_code == 422 and _count(database, Bill) == 0
    page = client.post("/me/apply/proof-of-life/visit", data=csrf_form(client, {
        "reason": "行动不便", "once": "m" * 32, "person_id": str(other)}))
    assert page.status_code == 404 and _count(database, VisitRequest) == 0
    _log_in(client, "firm")
    for url in ("/me/apply", "/me/apply/flexible", "/me/apply/makeup", "/me/apply/proof-of-life"):
        away = client.get(url, follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"] == "/employer"
    assert client.get("/staff/visits", follow_redirects=False).headers["location"] == "/employer"
    client.cookies.clear()
    for url in ("/me/apply", "/staff/visits"):
        assert client.get(url, follow_redirects=False).headers["location"] == "/login"


@pytest.mark.parametrize("path", POSTS)
def test_every_form_is_refused_without_the_csrf_token(client, setup, database, path):  # noqa: F811
    _log_in(client)
    refused = client.post(path, data={"base": "8000", "periods": ["202410"], "expected": "1", "once": "n" * 32,
                                      "reason": "行动不便", "visit_request_id": "1"}, follow_redirects=False)
    assert refused.status_code == 403 and 'data-message="csrf_refused"' in refused.text
    assert _count(database, Participation) == 0 and _count(database, VisitRequest) == 0


def test_every_page_is_in_chinese_and_in_english(client, setup):  # noqa: F811
    _log_in(client)
    for url in ("/me/apply", "/me/apply/flexible", "/me/apply/makeup", "/me/apply/proof-of-life"):
        zh, en = client.get(url), client.get(url + "?lang=en")
        assert zh.status_code == en.status_code == 200
        assert re.search(r"[\u4e00-\u9fff]", zh.text) and '<html lang="en"' in en.text
