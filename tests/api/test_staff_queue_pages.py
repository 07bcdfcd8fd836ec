"""The staff console's queue lists (web/staff_queue_pages.py), on SQLite and PostgreSQL: the transfers open in the
clerk's region with their deadlines, overdue first; the receivers suspended for an overdue proof of life with the day
they last certified; each only in the clerk's region as stored, linked from the console's counts."""

from datetime import date, timedelta

from shebao.benefits import payroll
from shebao.core.security import Role
from shebao.web.staff_queue_pages import overdue_first
from tests.integration.test_certification_payroll import BEIJING, _at, retiree  # noqa: F401 - the fixture
from tests.integration.test_pension_award_and_payroll import _apply as _retire
from tests.integration.test_transfers import _apply, clock, mover  # noqa: F401 - the fixtures (a clock in June 2025)
from tests.support import CHAOYANG, HAIDIAN, PASSWORD, csrf_form, make_user


def _as(client, database, clock, username: str, region: str | None) -> None:  # noqa: F811
    make_user(database, clock, username, Role.STAFF if region else Role.AUDITOR,
              **({"region_code": region} if region else {}))
    _login(client, username)


def _login(client, username: str) -> None:
    client.cookies.clear()
    done = client.post("/login", data=csrf_form(client, {"username": username, "password": PASSWORD}),
                       follow_redirects=False)
    assert done.status_code == 303, done.text


def test_the_transfers_queue_lists_the_regions_open_transfers_overdue_first(client, database, cipher, clock, mover):  # noqa: F811
    applied = _apply(database, cipher, clock, mover)
    _as(client, database, clock, "clerk", CHAOYANG)
    page = client.get("/staff/queues/transfers")
    assert page.status_code == 200 and f'data-transfer="{applied["id"]}"' in page.text and "data-overdue" not in page.text
    assert f'data-due="{applied["due_on"]}"' in page.text
    home = client.get("/staff")
    assert 'data-queue="runs_queue_applications">1<' in home.text and 'href="/staff/queues/transfers"' in home.text
    assert 'href="/staff/queues/proofs"' in home.text
    clock.advance(timedelta(days=45))  # the letter not sent in time: overdue, with its working days late
    _login(client, "clerk")  # the session of 45 days ago has expired
    late = client.get("/staff/queues/transfers")
    assert f'data-transfer="{applied["id"]}" data-overdue="' in late.text
    assert 'data-queue="queue_transfers">1<' in client.get("/staff").text
    assert "Transfers to act on" in client.get("/staff/queues/transfers?lang=en").text
    client.get("/staff?lang=zh")
    _as(client, database, clock, "haidian", HAIDIAN)  # another county's clerk: not theirs
    elsewhere = client.get("/staff/queues/transfers")
    assert elsewhere.status_code == 200 and "data-transfer=" not in elsewhere.text and "data-empty" in elsewhere.text
    _as(client, database, clock, "auditor", None)  # auditors read the country's
    assert f'data-transfer="{applied["id"]}"' in client.get("/staff/queues/transfers").text


def test_overdue_first_then_by_the_due_day():
    rows = [{"id": 1, "overdue_working_days": 0, "due_on": "2025-07-01"},
            {"id": 2, "overdue_working_days": 3, "due_on": "2025-05-01"},
            {"id": 3, "overdue_working_days": 0, "due_on": None},
            {"id": 4, "overdue_working_days": 9, "due_on": "2025-04-01"},
            {"id": 5, "overdue_working_days": 0, "due_on": "2025-06-15"}]
    assert [r["id"] for r in overdue_first(rows)] == [4, 2, 5, 1, 3]


def test_the_proofs_queue_lists_the_regions_suspended_receivers_with_dates(client, database, clock, retiree):  # noqa: F811
    _as(client, database, clock, "clerk", CHAOYANG)
    assert "data-empty" in client.get("/staff/queues/proofs").text
    _retire(database, clock, retiree)
    late = date(2025, 8, 1)  # due 2025-06-15, a month's grace: past it
    payroll.sweep_certifications(database=database, province=BEIJING, on=late, now=_at(late).now(), actor="test")
    page = client.get("/staff/queues/proofs")
    assert page.status_code == 200 and f'data-person="{retiree}"' in page.text
    assert 'data-certified="2024-06-15"' in page.text and 'data-total="1"' in page.text
    assert "*" in page.text.split(f'data-person="{retiree}"', 1)[1].split("</tr>", 1)[0]  # masked
    assert 'data-queue="queue_certification">1<' in client.get("/staff").text
    _as(client, database, clock, "haidian", HAIDIAN)
    assert f'data-person="{retiree}"' not in client.get("/staff/queues/proofs").text


def test_the_queues_refuse_other_roles(client, database, clock, mover):  # noqa: F811
    client.cookies.clear()
    for url in ("/staff/queues/transfers", "/staff/queues/proofs"):
        away = client.get(url, follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"] == "/login"
