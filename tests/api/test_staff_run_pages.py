"""The staff console's batch runs (web/staff_run_pages.py, services/runs.py), on SQLite and PostgreSQL: a provincial
manager starts the month-end of the small billed province from the page, the thread runs it and the progress fragment
ends done (without a trigger, so the polling stops); a bad, future or done period is refused next to the field with
nothing started; a county clerk and an auditor see no form and a form they send anyway is refused; another province's
run is the same 404 page as no run at all; forms need their CSRF token and a form sent twice starts once; a failure in
the thread is recorded on the run and shown in words.
"""

import time

import pytest
from sqlalchemy import func, select

from shebao.audit.checkpoints import Anchor
from shebao.core import audit
from shebao.core.runs import BatchRun
from shebao.core.security import Role
from shebao.services import runs
from shebao.services.permissions import PAGES
from shebao.web import staff_queue_pages, staff_run_pages
from tests.api.test_staff_case_pages import _as
from tests.integration.conftest import province  # noqa: F401 - the small billed province
from tests.support import CHAOYANG, csrf_form, make_user

REFUSED = 'data-message="csrf_refused"'


@pytest.fixture
def staff(client, database, province):  # noqa: F811
    clock = province["clock"]
    for name, role, region in (("manager", Role.STAFF, "110000"), ("clerk", Role.STAFF, CHAOYANG),
                               ("hebei", Role.STAFF, "130000"), ("auditor", Role.AUDITOR, None),
                               ("root", Role.ADMIN, None)):
        make_user(database, clock, name, role, **({"region_code": region} if region else {}))
    yield province
    client.cookies.clear()


def _start(client, kind: str, period: str, *, once: str | None = None):
    page = client.get("/staff/runs")
    token = once or page.text.split('name="once" value="', 1)[1].split('"', 1)[0]
    return client.post("/staff/runs", data=csrf_form(client, {"kind": kind, "period": period, "once": token}),
                       follow_redirects=False)


def _runs(database) -> int:
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(BatchRun))


def _finish(client, location: str) -> str:
    """Polls the progress fragment as htmx does until the run has ended; its last answer."""
    run_id = int(location.rsplit("/", 1)[1])
    runs.wait(run_id, timeout=120)
    deadline = time.monotonic() + 30
    while True:
        fragment = client.get(f"{location}/progress")
        assert fragment.status_code == 200
        if 'data-status="running"' not in fragment.text or time.monotonic() > deadline:
            return fragment.text
        time.sleep(0.1)


def test_a_provincial_manager_starts_a_month_end_and_follows_it_to_done(client, database, staff, settings):
    _as(client, "manager")
    listing = client.get("/staff/runs")
    assert listing.status_code == 200 and 'data-form="start"' in listing.text and 'data-empty' in listing.text
    assert 'href="/staff/runs"' in listing.text  # in the header's links
    started = _start(client, "month_end", "202408")
    assert started.status_code == 303 and started.headers["location"].startswith("/staff/runs/")
    location = started.headers["location"]
    page = client.get(location)
    assert page.status_code == 200 and "<progress" in page.text and "月末核定征缴" in page.text
    done = _finish(client, location)
    assert 'data-status="done"' in done and 'data-percent="100"' in done and 'value="100"' in done
    assert "hx-trigger" not in done and "hx-get" not in done  # an ended run's fragment stops the polling
    assert 'data-persons>' in done and "已完成" in done
    with database.unit_of_work() as uow:
        run = uow.session.scalars(select(BatchRun)).one()
        assert run.status == "done" and run.kind == "month_end" and run.period == "202408" and run.bills > 0
        assert run.province == "110000"
        run_id = run.id
        head_seq, _ = audit.head(uow.session)
    # As after the CLI's batches, a checkpoint anchors what the run appended to the audit chain.
    runs.wait(run_id)  # the run is done; its thread signs the checkpoint just after
    newest = Anchor.for_settings(settings, database.url).file.newest()
    assert newest is not None and newest.seq == head_seq
    # The list shows it with its totals; the run page of a done run has no polling and no self-reload.
    listing = client.get("/staff/runs")
    assert f'data-run="{run_id}"' in listing.text and 'data-status="done"' in listing.text
    page = client.get(location)
    assert "hx-trigger" not in page.text and 'http-equiv="refresh"' not in page.text
    english = client.get(location + "?lang=en")
    assert "month-end" in english.text and "done" in english.text
    client.get("/staff/runs?lang=zh")
    # The same period again: refused in words next to the field, nothing started.
    again = _start(client, "month_end", "202408")
    assert again.status_code == 409 and 'id="period_error"' in again.text and "已经完成" in again.text
    assert _runs(database) == 1


def test_a_running_page_polls_its_fragment_and_reloads_without_javascript(client, database, staff, monkeypatch):
    """While a run is going on, the fragment asks again every second; without JavaScript the page reloads itself."""
    gate = __import__("threading").Event()
    real = runs.JOBS["month_end"]

    def slow(**kwargs):
        gate.wait(30)
        return real[0](**kwargs)

    monkeypatch.setitem(runs.JOBS, "month_end", (slow, real[1], real[2]))
    _as(client, "manager")
    location = _start(client, "month_end", "202408").headers["location"]
    try:
        page = client.get(location)
        assert 'hx-get="' + location + '/progress"' in page.text and 'hx-trigger="every 1s"' in page.text
        assert '<noscript><meta http-equiv="refresh"' in page.text and f'href="{location}"' in page.text
        busy = _start(client, "month_end", "202408")  # a second start while it runs: refused in words
        assert busy.status_code == 409 and "正在进行中" in busy.text
    finally:
        gate.set()
    assert 'data-status="done"' in _finish(client, location)


@pytest.mark.parametrize(("period", "words"), [("2024-8", "六位年月"), ("202413", "不存在"), ("", "六位年月"),
                                               ("203001", "尚未到来"), ("x" * 40, "六位年月")])
def test_a_bad_period_is_refused_next_to_the_field_and_nothing_starts(client, database, staff, period, words):
    _as(client, "manager")
    refused = _start(client, "month_end", period)
    assert refused.status_code == 422 and 'id="period_error"' in refused.text and words in refused.text
    assert 'aria-invalid="true"' in refused.text and _runs(database) == 0
    english = client.post("/staff/runs?lang=en", data=csrf_form(client, {"kind": "payroll", "period": period, "once": (
        client.get("/staff/runs").text.split('name="once" value="', 1)[1].split('"', 1)[0])}), follow_redirects=False)
    assert english.status_code == 422 and 'id="period_error"' in english.text and _runs(database) == 0


def test_an_unknown_kind_is_refused(client, database, staff):
    _as(client, "manager")
    refused = _start(client, "interest", "202408")
    assert refused.status_code == 422 and "请选择" in refused.text and _runs(database) == 0


def test_a_county_clerk_and_an_auditor_follow_runs_but_start_none(client, database, staff):
    _as(client, "manager")
    location = _start(client, "month_end", "202408").headers["location"]
    _finish(client, location)
    for username in ("clerk", "auditor"):
        _as(client, username)
        listing = client.get("/staff/runs")
        assert listing.status_code == 200 and 'data-form="start"' not in listing.text and "data-no-start" in listing.text
        assert client.get(location).status_code == 200  # the province's run, followed
        sent = client.post("/staff/runs", data=csrf_form(client, {"kind": "payroll", "period": "202408",
                                                                   "once": "x" * 32}), follow_redirects=False)
        assert sent.status_code == 403 and _runs(database) == 1


def test_another_provinces_run_is_the_same_404_as_no_run(client, database, staff):
    _as(client, "manager")
    location = _start(client, "month_end", "202408").headers["location"]
    _finish(client, location)
    _as(client, "hebei")
    listing = client.get("/staff/runs")
    assert 'data-run="' not in listing.text  # 河北's list has no 北京 run
    outside, nothing, garbage = (client.get(url) for url in (location, "/staff/runs/999999", "/staff/runs/abc"))
    fragment = client.get(location + "/progress")
    assert outside.status_code == nothing.status_code == garbage.status_code == fragment.status_code == 404
    assert outside.text.count('role="alert"') == nothing.text.count('role="alert"')
    _as(client, "root")  # administrators see every province's runs
    assert client.get(location).status_code == 200


def test_forms_need_the_csrf_token_and_a_form_sent_twice_starts_once(client, database, staff):
    _as(client, "manager")
    token = client.get("/staff/runs").text.split('name="once" value="', 1)[1].split('"', 1)[0]
    fields = {"kind": "month_end", "period": "202408", "once": token}
    for refused in (client.post("/staff/runs", data=fields, follow_redirects=False),
                    client.post("/staff/runs", data=fields | {"csrf": "x" * 43}, follow_redirects=False)):
        assert refused.status_code == 403 and REFUSED in refused.text
    assert _runs(database) == 0
    first = client.post("/staff/runs", data=csrf_form(client, fields), follow_redirects=False)
    assert first.status_code == 303
    second = client.post("/staff/runs", data=csrf_form(client, fields), follow_redirects=False)
    assert second.status_code == 409 and "已经提交过" in second.text
    _finish(client, first.headers["location"])
    assert _runs(database) == 1


def test_a_failure_in_the_thread_is_recorded_and_shown_in_words(client, database, staff, monkeypatch):
    real = runs.JOBS["payroll"]

    def broken(**_kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setitem(runs.JOBS, "payroll", (broken, real[1], real[2]))
    _as(client, "manager")
    location = _start(client, "payroll", "202408").headers["location"]
    ended = _finish(client, location)
    assert 'data-status="failed"' in ended and "data-run-error" in ended and "可再次启动" in ended
    assert "the disk is full" not in ended and "hx-trigger" not in ended
    # Started again, it resumes the same run and ends done.
    monkeypatch.setitem(runs.JOBS, "payroll", real)
    again = _start(client, "payroll", "202408")
    assert again.status_code == 303 and again.headers["location"] == location
    assert 'data-status="done"' in _finish(client, location)
    assert _runs(database) == 1


def test_pages_need_a_staff_login_and_are_in_the_permission_table(client, staff):
    for url in ("/staff/runs", "/staff/runs/1", "/staff/runs/1/progress", "/staff/queues/transfers",
                "/staff/queues/proofs"):
        away = client.get(url, follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"] == "/login", url
    # Polled by htmx after the login has gone: the whole page goes to the login form, not the login into the box.
    polled = client.get("/staff/runs/1/progress", headers={"HX-Request": "true"}, follow_redirects=False)
    assert polled.status_code == 204 and polled.headers["hx-redirect"] == "/login"
    routes = {f"{method} {route.path}" for router in (staff_run_pages.router, staff_queue_pages.router)
              for route in router.routes for method in route.methods if method != "HEAD"}
    assert sorted(routes - set(PAGES)) == []
    for key in routes:
        assert PAGES[key].writes == key.startswith("POST") and not (PAGES[key].writes and Role.AUDITOR in PAGES[key].roles)
