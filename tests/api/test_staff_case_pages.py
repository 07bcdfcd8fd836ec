"""The staff console's case pages (web/staff_case_pages.py), on SQLite and PostgreSQL: the comparison's cases and the
risk cases of the clerk's region as the services return them; a comparison case closed by an outcome; a risk case
assigned, noted, evidence uploaded, confirmed with an amount in yuan → its recovery shown, a repayment recorded;
refusals (one's own case, a concluded case, more than is owed, bad amounts) shown in words with nothing saved; another
county's case the same 404 page as no case at all; forms refused without their CSRF token; a form sent twice done once.
"""

import re

import pytest
from sqlalchemy import func, select

from shebao.accounts.models import User
from shebao.comparison.models import CompareCase, CompareCaseEvent
from shebao.core.audit import AuditRecord
from shebao.core.security import Role
from shebao.risk.models import RiskCase, RiskCaseEvent, RiskEvidence, RiskRecovery, RiskRecoveryMovement
from shebao.services.permissions import PAGES
from shebao.web import staff_case_pages
from shebao.web.kit import CSRF_COOKIE
from tests.integration.conftest import province  # noqa: F401 - the small billed province
from tests.integration.test_comparison_runs import AUGUST, _run, compared  # noqa: F401 - its comparison
from tests.integration.test_risk_cases import PDF, open_case
from tests.support import CHAOYANG, HAIDIAN, HAIDIAN_STREET, PASSWORD, csrf_form, make_user

REFUSED = 'data-message="csrf_refused"'


@pytest.fixture
def cases(client, database, compared):  # noqa: F811
    """The comparison run (an uninsured stranger in 朝阳, a neighbour in 海淀), a risk case about a 朝阳 worker and one
    in 海淀; clerks of 朝阳 (one of them that worker), of 海淀, and an auditor."""
    clock = compared["clock"]
    _run(database, clock.now(), AUGUST)
    person = compared["people"][0][0]
    for name, region in (("clerk", CHAOYANG), ("other", CHAOYANG), ("haidian", HAIDIAN), ("own", CHAOYANG)):
        make_user(database, clock, name, Role.STAFF, region_code=region)
    make_user(database, clock, "auditor", Role.AUDITOR)
    with database.transaction() as session:
        session.get(User, session.scalar(select(User.id).where(User.username == "own"))).person_id = person
        risk = open_case(session, clock, person_id=person, amount_fen=123_456)
        far = open_case(session, clock, person_id=None, staff_actor="staff:somebody", region=HAIDIAN_STREET, key="far")
        ours, theirs = (session.scalar(select(CompareCase.id).where(CompareCase.region_code.startswith(prefix)))
                        for prefix in (CHAOYANG, HAIDIAN))
    yield {"risk": risk, "far": far, "comparison": ours, "comparison_far": theirs, "person": person}
    client.cookies.clear()


def _as(client, username: str) -> None:
    client.cookies.clear()
    done = client.post("/login", data=csrf_form(client, {"username": username, "password": PASSWORD}),
                       follow_redirects=False)
    assert done.status_code == 303, done.text


def _once(text: str, action: str) -> str:
    form = text.split(f'action="{action}"', 1)[1]
    return form.split('name="once" value="', 1)[1].split('"', 1)[0]


def _post(client, page: str, action: str, fields: dict | None = None, **options):
    once = _once(client.get(page).text, action)
    return client.post(action, data=csrf_form(client, {"once": once} | (fields or {})), follow_redirects=False,
                       **options)


def _count(database, model, *where) -> int:
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def _evidence_link(text: str) -> str:
    start = text.index('href="', text.index("data-evidence-file") - 120) + len('href="')
    return text[start:text.index('"', start)]


def _refusal(text: str, form: str) -> str:
    found = re.search(rf'data-refused="{form}">([^<]+)<', text)
    assert found, text[-3000:]
    return found.group(1)


def test_the_comparison_list_shows_the_clerks_region_with_counts_per_list(client, cases):
    _as(client, "clerk")
    listed = client.get("/staff/comparison")
    assert listed.status_code == 200 and f'data-region="{CHAOYANG}"' in listed.text
    assert f'data-case="{cases["comparison"]}"' in listed.text and "陌生人" in listed.text
    assert f'data-case="{cases["comparison_far"]}"' not in listed.text and "邻居" not in listed.text
    uninsured = listed.text.split('data-list="uninsured"', 1)[1].split("</tr>", 1)[0]
    assert 'data-count="open">1<' in uninsured
    closed = client.get("/staff/comparison?status=closed")
    assert closed.status_code == 200 and "data-empty" in closed.text
    assert 'data-case=' not in client.get("/staff/comparison?kind=duplicates").text
    for bad in ("?kind=moon", "?status=lost", "?kind=" + "x" * 500):
        refused = client.get("/staff/comparison" + bad)
        assert refused.status_code == 422 and 'id="filter_error"' in refused.text, bad
    assert "should be insured" in client.get("/staff/comparison?lang=en").text
    home = client.get("/staff").text
    assert 'href="/staff/comparison"' in home and 'href="/staff/risk"' in home


def test_an_outcome_closes_a_comparison_case_once(client, database, cases):
    _as(client, "clerk")
    case = cases["comparison"]
    url = f"/staff/comparison/{case}"
    shown = client.get(url)
    assert shown.status_code == 200 and "陌生人" in shown.text and 'data-event="opened"' in shown.text
    assert 'value="merged"' not in shown.text and 'value="insured"' in shown.text  # the outcomes that fit the list
    refused = _post(client, url, f"{url}/outcome", {"outcome": "merged", "note": "重复"})
    assert refused.status_code == 422 and 'id="outcome_error"' in refused.text and "此类名单只能登记" in refused.text
    no_note = _post(client, url, f"{url}/outcome", {"outcome": "insured", "note": "  "})
    assert no_note.status_code == 422 and "核查情况说明" in no_note.text
    assert _count(database, CompareCaseEvent, CompareCaseEvent.case_id == case) == 1
    once = _once(client.get(url).text, f"{url}/outcome")
    fields = {"once": once, "outcome": "insured", "note": "已在单位参保"}
    done = client.post(f"{url}/outcome", data=csrf_form(client, fields), follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == url
    again = client.post(f"{url}/outcome", data=csrf_form(client, fields), follow_redirects=False)
    assert again.status_code == 409 and 'data-message="already_done"' in again.text
    closed = client.get(url)
    assert 'data-status="closed"' in closed.text and 'data-outcome="insured"' in closed.text
    assert "已在单位参保" in closed.text and f'action="{url}/outcome"' not in closed.text
    assert _count(database, CompareCaseEvent, CompareCaseEvent.case_id == case) == 2


def test_a_risk_case_worked_to_a_confirmed_recovery_and_repaid(client, database, cases):
    _as(client, "clerk")
    case = cases["risk"]
    url = f"/staff/risk/{case}"
    listed = client.get("/staff/risk")
    assert listed.status_code == 200 and f'data-case="{case}"' in listed.text and f'data-case="{cases["far"]}"' not in listed.text
    assert "1,234.56" in listed.text
    assert f'data-case="{case}"' not in client.get("/staff/risk?status=confirmed").text
    assert f'data-case="{case}"' in client.get("/staff/risk?severity=high&rule=R06_retired_below_statutory_age").text
    for bad in ("?status=lost", "?rule=R99", "?severity=huge"):
        assert client.get("/staff/risk" + bad).status_code == 422, bad
    shown = client.get(url)
    assert shown.status_code == 200 and 'data-status="open"' in shown.text and "planted" in shown.text
    # Before it is assigned, evidence is refused in words.
    early = client.post(f"{url}/evidence", data=csrf_form(client, {"once": _once(shown.text, f"{url}/assign")}),
                        files={"file": ("a.pdf", PDF, "application/pdf")}, follow_redirects=False)
    assert early.status_code in (409, 422) and "data-refused" in early.text
    assert _post(client, url, f"{url}/assign").status_code == 303
    assert 'data-assigned>staff:clerk<' in client.get(url).text
    assert _post(client, url, f"{url}/note", {"note": "核对档案，出生日期曾变更"}).status_code == 303
    filed = _post(client, url, f"{url}/evidence", {"note": "户籍档案复印件"}, files={"file": ("档案.pdf", PDF, "image/png")})
    assert filed.status_code == 303, filed.text
    shown = client.get(url).text
    assert "档案.pdf" in shown and "application/pdf" in shown and 'data-status="investigating"' in shown
    bad_file = _post(client, url, f"{url}/evidence", files={"file": ("x.exe", b"MZ\x90\x00", "application/pdf")})
    assert bad_file.status_code == 422 and _refusal(bad_file.text, "evidence")
    assert _count(database, RiskEvidence, RiskEvidence.case_id == case) == 1
    evidence = _evidence_link(shown)
    saved = client.get(evidence)
    assert saved.status_code == 200 and saved.content == PDF and saved.headers["content-type"] == "application/pdf"
    assert "attachment" in saved.headers["content-disposition"] and "%E6%A1%A3%E6%A1%88.pdf" in saved.headers["content-disposition"]
    assert _count(database, AuditRecord, AuditRecord.action == "risk.evidence_opened") == 1  # every opening audited
    for odd in (f"{url}/evidence/abc", f"{url}/evidence/99999999", f"/staff/risk/{cases['far']}/evidence/1"):
        assert client.get(odd).status_code == 404, odd
    for amount in ("12.345", "-5", "abc", "1,000", "9" * 30):
        refused = _post(client, url, f"{url}/conclusion", {"outcome": "confirmed", "overpaid_yuan": amount})
        assert refused.status_code == 422 and _refusal(refused.text, "conclusion"), amount
    none_chosen = _post(client, url, f"{url}/conclusion", {"overpaid_yuan": "1"})
    assert "请选择办结结论" in _refusal(none_chosen.text, "conclusion")
    assert _count(database, RiskRecovery) == 0
    done = _post(client, url, f"{url}/conclusion", {"outcome": "confirmed", "overpaid_yuan": "1234.56"})
    assert done.status_code == 303, done.text
    shown = client.get(url).text
    assert 'data-status="confirmed"' in shown and 'data-overpaid="123456"' in shown
    assert 'data-amount="123456"' in shown and 'data-outstanding="123456"' in shown
    more = _post(client, url, f"{url}/repayment", {"amount_yuan": "1234.57", "reference": "ICBC0001"})
    assert more.status_code == 422 and _refusal(more.text, "repayment")
    assert _count(database, RiskRecoveryMovement) == 0
    repaid = _post(client, url, f"{url}/repayment", {"amount_yuan": "200.5", "reference": "ICBC0001"})
    assert repaid.status_code == 303
    shown = client.get(url).text
    assert 'data-recovered="20050"' in shown and 'data-outstanding="103406"' in shown and 'data-movement="repayment"' in shown
    # A concluded case takes no more notes: refused in words, nothing saved.
    events = _count(database, RiskCaseEvent, RiskCaseEvent.case_id == case)
    once = _once(client.get(f"/staff/risk/{case}").text, f"{url}/repayment")
    late = client.post(f"{url}/note", data=csrf_form(client, {"once": once, "note": "补记"}), follow_redirects=False)
    assert late.status_code == 409 and "已办结" in _refusal(late.text, "note")
    assert _count(database, RiskCaseEvent, RiskCaseEvent.case_id == case) == events
    english = client.get(url + "?lang=en").text
    assert "Recovery of the overpayment" in english and "confirmed" in english


def test_cleared_with_a_reason_and_refusals_in_words(client, database, cases):
    case = cases["risk"]
    url = f"/staff/risk/{case}"
    _as(client, "own")  # the case is about the clerk's own person
    own = _post(client, url, f"{url}/assign")
    assert own.status_code == 403 and "不能办理与本人有关的风险案件" in _refusal(own.text, "assign")
    assert _count(database, RiskCase, RiskCase.id == case, RiskCase.status == "open") == 1
    _as(client, "clerk")
    _post(client, url, f"{url}/assign")
    no_reason = _post(client, url, f"{url}/conclusion", {"outcome": "cleared"})
    assert no_reason.status_code == 422 and "排除的理由" in _refusal(no_reason.text, "conclusion")
    _as(client, "other")  # assigned to another clerk: only they work it
    not_theirs = _post(client, url, f"{url}/note", {"note": "看看"})
    assert not_theirs.status_code == 403 and "只有承办人" in _refusal(not_theirs.text, "note")
    _as(client, "clerk")
    done = _post(client, url, f"{url}/conclusion", {"outcome": "cleared", "reason": "出生日期登记有误，已更正"})
    assert done.status_code == 303
    shown = client.get(url).text
    assert 'data-status="cleared"' in shown and "出生日期登记有误" in shown and "data-recovery" not in shown
    assert f'action="{url}/conclusion"' not in shown
    _as(client, "auditor")
    read = client.get(url)
    assert read.status_code == 200 and "<form method=\"post\" action=\"/staff/risk" not in read.text
    refused = client.post(f"{url}/note", data=csrf_form(client, {"once": "x" * 32, "note": "审计"}), follow_redirects=False)
    assert refused.status_code == 403 and 'data-message="case_read_only"' in refused.text


def test_another_countys_case_is_the_same_404_as_no_case(client, database, cases):
    _as(client, "clerk")
    for kind, far in (("comparison", cases["comparison_far"]), ("risk", cases["far"])):
        outside = client.get(f"/staff/{kind}/{far}")
        nothing = client.get(f"/staff/{kind}/99999999")
        assert outside.status_code == nothing.status_code == 404
        assert outside.text == nothing.text
        for odd in ("abc", "1e5", "-1", "9" * 40):
            assert client.get(f"/staff/{kind}/{odd}").status_code == 404, odd
    page = client.get("/staff/risk")
    once = _once(client.get(f"/staff/risk/{cases['risk']}").text, f"/staff/risk/{cases['risk']}/assign")
    assert page.status_code == 200
    far = client.post(f"/staff/risk/{cases['far']}/assign", data=csrf_form(client, {"once": once}), follow_redirects=False)
    assert far.status_code == 404 and 'data-message="case_not_found"' in far.text
    assert _count(database, RiskCase, RiskCase.id == cases["far"], RiskCase.status == "open") == 1
    outcome = client.post(f"/staff/comparison/{cases['comparison_far']}/outcome", follow_redirects=False,
                          data=csrf_form(client, {"once": once, "outcome": "insured", "note": "x"}))
    assert outcome.status_code == 404
    assert _count(database, CompareCase, CompareCase.id == cases["comparison_far"], CompareCase.status == "open") == 1
    _as(client, "haidian")
    assert client.get(f"/staff/risk/{cases['far']}").status_code == 200


POSTS = [("/staff/comparison/{comparison}/outcome", {"outcome": "insured", "note": "已参保"}),
         ("/staff/risk/{risk}/assign", {}), ("/staff/risk/{risk}/note", {"note": "x"}),
         ("/staff/risk/{risk}/evidence", {"note": "x"}),
         ("/staff/risk/{risk}/conclusion", {"outcome": "cleared", "reason": "x"}),
         ("/staff/risk/{risk}/repayment", {"amount_yuan": "1", "reference": "x"})]


@pytest.mark.parametrize(("action", "fields"), POSTS)
def test_every_case_form_is_refused_without_its_csrf_token(client, database, cases, action, fields):
    _as(client, "clerk")
    path = action.format(**cases)
    before = _count(database, RiskCaseEvent) + _count(database, CompareCaseEvent)
    for sent in (fields, fields | {"csrf": "x" * 43}):
        refused = client.post(path, data=sent, follow_redirects=False)
        assert refused.status_code == 403 and REFUSED in refused.text
        back = refused.text.split('<p><a href="', 1)[1].split('"', 1)[0]
        assert client.get(back).status_code == 200, back
    assert _count(database, RiskCaseEvent) + _count(database, CompareCaseEvent) == before
    assert client.post(path, data=fields | {"csrf": client.cookies.get(CSRF_COOKIE)}, follow_redirects=False).status_code != 403


def test_a_risk_form_sent_twice_does_its_work_once(client, database, cases):
    _as(client, "clerk")
    url = f"/staff/risk/{cases['risk']}"
    _post(client, url, f"{url}/assign")
    once = _once(client.get(url).text, f"{url}/note")
    fields = {"once": once, "note": "只记一次"}
    assert client.post(f"{url}/note", data=csrf_form(client, fields), follow_redirects=False).status_code == 303
    again = client.post(f"{url}/note", data=csrf_form(client, fields), follow_redirects=False)
    assert again.status_code == 409 and 'data-message="already_done"' in again.text
    assert _count(database, RiskCaseEvent, RiskCaseEvent.case_id == cases["risk"], RiskCaseEvent.note == "只记一次") == 1


def test_pages_need_a_staff_login_and_are_in_the_permission_table(client, cases):
    for url in ("/staff/comparison", "/staff/risk", f"/staff/risk/{cases['risk']}"):
        away = client.get(url, follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"] == "/login", url
    routes = {f"{method} {route.path}" for route in staff_case_pages.router.routes for method in route.methods
              if method != "HEAD"}
    assert sorted(routes - set(PAGES)) == []
    for key in routes:
        assert PAGES[key].writes == key.startswith("POST") and not (PAGES[key].writes and Role.AUDITOR in PAGES[key].roles)
