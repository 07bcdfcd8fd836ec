"""The citizen's applications pages: the one-key unemployment application for the login's own person (every effect
listed; each refusal shown next to the form with nothing saved; a double submission done once; CSRF), a transfer
with its plan shown before it is made, and /me/applications with the status and dates of each."""

from datetime import date

import pytest
from sqlalchemy import func, select

from shebao.benefits.models import UnemploymentClaim
from shebao.core.security import Role
from shebao.enrollment import service as enrollment
from shebao.enrollment.models import Participation
from shebao.enrollment.schemas import EmployeeLeave
from shebao.risk.models import RiskBlockedAttempt
from shebao.services import employment
from shebao.transfers.models import Transfer
from tests.integration.test_other_benefits import workplace  # noqa: F401 - the fixture: a year paid in 2024
from tests.integration.test_risk_guards import pensioner, retiree  # noqa: F401 - the fixtures
from tests.support import PASSWORD, csrf_form, make_user

FORM = "/me/apply/unemployment"


def _log_in(client, username):
    done = client.post("/login", data=csrf_form(client, {"username": username, "password": PASSWORD}),
                       follow_redirects=False)
    assert done.status_code == 303, done.text[-800:]


def _once(html: str) -> str:
    return html.split('name="once" value="', 1)[1].split('"', 1)[0]


def _count(database, model, **where) -> int:
    with database.unit_of_work() as uow:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return uow.session.scalar(query)


def _apply(client, **fields):
    once = _once(client.get(FORM).text)
    data = {"separation_date": "2025-01-31", "reason": "employer_terminated", "once": once} | fields
    return client.post(FORM, data=csrf_form(client, data))


@pytest.fixture
def laid_off(client, database, clock, workplace):  # noqa: F811
    """王强, a year of paid contributions; his employer recorded the layoff; he logs in as himself."""
    with database.transaction() as session:
        from shebao.core.security import SYSTEM

        enrollment.leave(session=session, principal=SYSTEM, employer_id=workplace["firm"], person_id=workplace["man"],
                         command=EmployeeLeave(end_date=date(2025, 1, 31), reason="经济性裁员 layoff"), now=clock.now())
    make_user(database, clock, "wangqiang", Role.INSURED, person_id=workplace["man"])
    make_user(database, clock, "lina", Role.INSURED, person_id=workplace["woman"])
    _log_in(client, "wangqiang")
    return workplace


def test_the_one_key_application_lists_every_effect_and_the_application_with_its_dates(client, database, laid_off):
    form = client.get(FORM)
    assert form.status_code == 200
    assert 'data-months-on-record>12<' in form.text and "经济性裁员" in form.text
    assert 'value="2025-01-31"' in form.text  # the employer's recorded last day, filled in
    assert 'name="person_id"' not in form.text  # the person is the login's, never the form's
    done = _apply(client)
    assert done.status_code == 200, done.text[-1500:]
    for effect in ("registered", "benefit", "medical", "jobs", "services"):
        assert f'data-effect="{effect}"' in done.text, effect
    assert "data-entitled-months>12<" in done.text and "data-monthly>2,178.00<" in done.text
    assert "202502" in done.text and "202601" in done.text and "失业保险基金代缴" in done.text
    assert 'data-jobs-ended="0"' in done.text and "单位已办理减员" in done.text  # the employer had ended it
    assert "公共就业服务机构将与您联系" in done.text
    assert _count(database, UnemploymentClaim, person_id=laid_off["man"]) == 1
    mine = client.get("/me/applications")
    assert 'data-application="unemployment"' in mine.text and 'data-status="drawing"' in mine.text
    assert "data-benefit-period>202502 – 202601<" in mine.text and 'datetime="2025-03-01"' in mine.text
    assert 'data-apply-link="unemployment"' not in mine.text  # already drawing
    english = client.get("/me/applications?lang=en")
    assert "Unemployment registration and benefit" in english.text and "being paid" in english.text
    assert 'href="/me/applications"' in client.get("/me").text  # in the insured's header


def test_a_double_submission_does_the_work_once(client, database, laid_off):
    once = _once(client.get(FORM).text)
    data = {"separation_date": "2025-01-31", "reason": "employer_terminated", "once": once}
    assert client.post(FORM, data=csrf_form(client, data)).status_code == 200
    again = client.post(FORM, data=csrf_form(client, data))
    assert again.status_code == 409 and 'data-message="already_done"' in again.text
    assert _count(database, UnemploymentClaim) == 1


def test_without_the_csrf_token_nothing_is_done(client, database, laid_off):
    once = _once(client.get(FORM).text)
    refused = client.post(FORM, data={"separation_date": "2025-01-31", "reason": "employer_terminated", "once": once})
    assert refused.status_code == 403 and 'data-message="csrf_refused"' in refused.text
    assert _count(database, UnemploymentClaim) == 0


@pytest.mark.parametrize(("fields", "status", "field", "words"), [
    ({"reason": "resigned"}, 422, "reason", "主动辞职"),
    ({"reason": "fired_for_fun"}, 422, "reason", "请选择离职原因"),
    ({"reason": ""}, 422, "reason", "请选择离职原因"),
    ({"separation_date": "2025-13-01"}, 422, "separation_date", "日期"),
    ({"separation_date": "2099-01-01"}, 422, "separation_date", "不晚于今天"),
    ({"separation_date": "'; drop table x"}, 422, "separation_date", "日期"),
    ({"once": "short"}, 422, "form", "表单已失效"),
])
def test_bad_input_is_said_next_to_its_field_and_nothing_is_saved(client, database, laid_off, fields, status, field,
                                                                   words):
    before = _count(database, Participation, person_id=laid_off["man"], status="ended")
    refused = _apply(client, **fields)
    assert refused.status_code == status, refused.text[-800:]
    error = refused.text.split(f'data-error="{field}">', 1)[1].split("<", 1)[0]
    assert words in error
    assert _count(database, UnemploymentClaim) == 0
    assert _count(database, Participation, person_id=laid_off["man"], status="ended") == before


def _left(database, clock, workplace, person: str, last_day: date) -> None:  # noqa: F811
    """The employer records that the person left (what an online application needs first), as the hall's 减员 does:
    the months billed after the last day are corrected away."""
    with database.transaction() as session:
        from shebao.core.security import SYSTEM

        employment.leave(session=session, principal=SYSTEM, employer_id=workplace["firm"], person_id=workplace[person],
                         command=EmployeeLeave(end_date=last_day, reason="经济性裁员 layoff"), now=clock.now())


def test_too_few_months_is_refused_in_words(client, database, clock, workplace):  # noqa: F811
    _left(database, clock, workplace, "woman", date(2024, 6, 30))  # half a year paid by then
    make_user(database, clock, "newcomer", Role.INSURED, person_id=workplace["woman"])
    _log_in(client, "newcomer")
    refused = _apply(client, separation_date="2024-06-30")
    assert refused.status_code == 422 and "不满 12 个月" in refused.text.split('data-error="form">', 1)[1]
    assert _count(database, UnemploymentClaim) == 0


def test_online_the_separation_is_the_one_the_employer_recorded(client, database, clock, workplace):  # noqa: F811
    """A person still employed cannot end their own job by applying, nor date the separation before the employer did."""
    make_user(database, clock, "lina", Role.INSURED, person_id=workplace["woman"])
    _log_in(client, "lina")
    working = _apply(client)
    assert working.status_code == 409 and "单位尚未为您办理减员" in working.text.split('data-error="form">', 1)[1]
    assert _count(database, Participation, person_id=workplace["woman"], status="ended") == 0  # her job goes on
    _left(database, clock, workplace, "woman", date(2025, 1, 31))
    earlier = _apply(client, separation_date="2024-12-31")
    assert earlier.status_code == 422 and "单位登记的 2025-01-31" in earlier.text.split('data-error="separation_date">', 1)[1]
    assert _count(database, UnemploymentClaim) == 0
    assert _apply(client).status_code == 200


def test_already_drawing_is_refused_with_409(client, database, laid_off):
    assert _apply(client).status_code == 200
    again = _apply(client)
    assert again.status_code == 409 and "正在领取失业保险金" in again.text
    assert _count(database, UnemploymentClaim) == 1


def test_a_pensioner_is_blocked_by_r15_and_nothing_is_saved(client, database, clock, pensioner):  # noqa: F811
    make_user(database, clock, "pensioner", Role.INSURED, person_id=pensioner)
    _log_in(client, "pensioner")
    refused = _apply(client)
    assert refused.status_code == 409, refused.text[-800:]
    assert "养老金" in refused.text.split('data-error="form">', 1)[1]
    assert _count(database, UnemploymentClaim) == 0
    assert _count(database, RiskBlockedAttempt, rule_id="R15_unemployment_while_pension") == 1


def test_another_person_never_and_other_roles_are_sent_home(client, database, clock, laid_off):
    assert _apply(client).status_code == 200
    client.post("/logout", data=csrf_form(client, page="/me"))
    _log_in(client, "lina")  # the colleague sees only her own, and her application is hers
    mine = client.get("/me/applications")
    assert 'data-application="unemployment"' not in mine.text and "data-no-applications" in mine.text
    sneaky = _apply(client, person_id=str(laid_off["man"]))  # a person_id in the form is ignored: she applies for herself
    assert sneaky.status_code == 409 and "单位尚未为您办理减员" in sneaky.text  # her own job, still running, refuses it
    assert _count(database, UnemploymentClaim, person_id=laid_off["man"]) == 1
    assert _count(database, UnemploymentClaim, person_id=laid_off["woman"]) == 0
    client.post("/logout", data=csrf_form(client, page="/me"))
    make_user(database, clock, "clerk2", Role.STAFF, region_code="110105")
    _log_in(client, "clerk2")
    for url in ("/me/applications", FORM, "/me/apply/transfer"):
        away = client.get(url, follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"] == "/staff", url
    client.post("/logout", data=csrf_form(client, page="/staff"))
    assert client.get("/me/applications", follow_redirects=False).headers["location"] == "/login"


def test_a_transfer_shows_its_plan_first_then_applies_once_with_its_deadline(client, database, laid_off):
    choose = client.get("/me/apply/transfer")
    assert choose.status_code == 200 and 'value="310000"' in choose.text
    counties = client.get("/me/apply/transfer?province=310000")
    assert 'value="310115"' in counties.text  # 浦东新区
    plan = client.post("/me/apply/transfer/plan", data=csrf_form(client, {"to_region": "310115", "starts_on": "2025-03-01"}))
    assert plan.status_code == 200, plan.text[-1500:]
    assert 'data-transfer-plan="move"' in plan.text and "data-plan-total>" in plan.text
    assert "15 个工作日内" in plan.text
    assert "转入上海市（310000）" in plan.text and "统筹基金 12% 随转" in plan.text  # provinces by name, the share as ruled
    assert _count(database, Transfer) == 0  # seeing the plan moves nothing
    once = _once(plan.text)
    data = {"to_region": "310115", "starts_on": "2025-03-01", "once": once}
    done = client.post("/me/apply/transfer", data=csrf_form(client, data))
    assert done.status_code == 200, done.text[-1500:]
    assert "data-transfer-done" in done.text and "data-due-on>2025-03-" in done.text
    again = client.post("/me/apply/transfer", data=csrf_form(client, data))
    assert again.status_code == 409 and _count(database, Transfer) == 1
    mine = client.get("/me/applications")
    assert 'data-application="transfer"' in mine.text and 'data-step="applied"' in mine.text
    assert 'data-next-actor="new"' in mine.text and "发出联系函" in mine.text and "data-due-on" in mine.text


@pytest.mark.parametrize(("fields", "field", "words", "plan_refuses"), [
    ({"to_region": "999999"}, "to_region", "不存在", True),
    ({"to_region": "abc"}, "to_region", "请选择", True),
    ({"to_region": "310000"}, "to_region", "区县", True),
    ({"to_region": "110105"}, "form", "省内流动", True),
    ({"starts_on": "2025-02-30"}, "starts_on", "日期", True),
    ({"starts_on": "2027-01-01"}, "starts_on", "一年以后", False),  # a plan may look ahead; the application may not
])
def test_bad_transfer_input_is_shown_next_to_the_field(client, database, laid_off, fields, field, words, plan_refuses):
    data = {"to_region": "310115", "starts_on": "2025-03-01"} | fields
    plan = client.post("/me/apply/transfer/plan", data=csrf_form(client, data))
    if plan_refuses:
        assert 400 <= plan.status_code < 500
        assert words in plan.text.split(f'data-error="{field}">', 1)[1].split("<", 1)[0], plan.text[-1000:]
    once = _once(client.get(FORM).text)
    applied = client.post("/me/apply/transfer", data=csrf_form(client, data | {"once": once}))
    assert 400 <= applied.status_code < 500
    assert words in applied.text.split(f'data-error="{field}">', 1)[1].split("<", 1)[0]
    assert _count(database, Transfer) == 0
    refused = client.post("/me/apply/transfer", data=data | {"once": once})
    assert refused.status_code == 403


def test_the_online_application_is_the_insured_s_own_only(database, clock, workplace):  # noqa: F811
    from shebao.benefits.claims import apply_unemployment_online
    from shebao.benefits.schemas import UnemploymentSelfApply
    from shebao.core.errors import DomainError
    from shebao.core.security import Principal

    command = UnemploymentSelfApply(separation_date=date(2025, 1, 31), reason="employer_terminated")
    for principal, status in ((Principal(user_id=None, username="clerk", role=Role.STAFF, region_code="110105"), 403),
                              (Principal(user_id=None, username="nobody", role=Role.INSURED), 404)):
        with pytest.raises(DomainError) as refused, database.transaction() as session:
            apply_unemployment_online(session=session, principal=principal, command=command, now=clock.now())
        assert refused.value.status_code == status
    assert _count(database, UnemploymentClaim) == 0
