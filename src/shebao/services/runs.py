"""Month-end and payroll runs started from the staff console (web/staff_run_pages.py), run in a background thread.

A run is the same job the command line runs (`shebao month-end`, `shebao payroll`: contributions.batch.run_month_end,
benefits.payroll.run_payroll), with the app's database and the clock's time when it was asked for. The request checks
everything the job would refuse at its start (the period, a closed month, the caller's province) and opens the run, so
the page can follow it by its id at once; the thread then resumes that same run. A refusal or a fault inside the
thread is recorded on the run (status `failed`, the reason in words in its detail) and the run may be started again:
it resumes where it stopped. One thread per (kind, province, period) in this process: a second start while one runs
is refused in words.

Who: staff of the province itself (province level, or above) and administrators start runs; the runs listed and shown
are those of the caller's province as stored on the run (administrators and auditors: any), one 404 outside it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from shebao.benefits import payroll
from shebao.contributions import batch as month_end
from shebao.contributions import service as contributions
from shebao.core.db import Database
from shebao.core.errors import Conflict, DomainError, InvalidInput, NotFound
from shebao.core.periods import Period
from shebao.core.regions import province_of
from shebao.core.runs import BatchRun, BatchRunRead, fail_run, open_run
from shebao.core.security import Principal, Role

log = logging.getLogger(__name__)

# What a page may start: the job, the check it makes before it opens its run, and its name in words.
JOBS: dict[str, tuple[Callable[..., BatchRunRead], Callable[..., Period], tuple[str, str]]] = {
    "month_end": (month_end.run_month_end, month_end.check_open_month, ("月末核定征缴", "month-end")),
    "payroll": (payroll.run_payroll, payroll.check_open_period, ("养老金发放", "pension payroll")),
}
KIND_NAMES = {kind: names for kind, (_job, _check, names) in JOBS.items()} | {
    "collection": ("银行代扣", "collection"), "interest": ("个人账户记息", "interest"), "award": ("待遇核定", "awards"),
    "adjustment": ("待遇调整", "pension adjustment")}
STATUS_NAMES = {"running": ("进行中", "running"), "done": ("已完成", "done"), "failed": ("已中断", "stopped by an error")}
SHOWN = 50

_lock = threading.Lock()
_active: dict[tuple[str, str, str], threading.Thread] = {}


def _names(table: dict[str, tuple[str, str]], key: str) -> tuple[str, str]:
    return table.get(key, (key, key))


def describe(run: BatchRunRead) -> dict:
    """A run for a page: its figures, its kind and status in words, how far it has come (None: not yet known)."""
    kind, status = _names(KIND_NAMES, run.kind), _names(STATUS_NAMES, run.status)
    if run.status == "done":
        percent = 100
    elif run.chunks_total:
        percent = min(99, run.chunks_done * 100 // run.chunks_total)
    else:
        percent = None
    detail = _detail(run.detail)
    return run.model_dump() | {"kind_zh": kind[0], "kind_en": kind[1], "status_zh": status[0], "status_en": status[1],
                               "percent": percent, "error": detail.get("error"), "error_en": detail.get("error_en"),
                               "running": run.status == "running"}


def _detail(text: str) -> dict:
    try:
        found = json.loads(text or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def recent_runs(*, session: Session, principal: Principal, province: str, limit: int = SHOWN) -> list[dict]:
    """The latest runs of the caller's province (staff: the province of their region as stored, whatever is asked)."""
    asked = None if principal.role == Role.STAFF else province
    return [describe(run) for run in contributions.batch_runs(session=session, principal=principal, province=asked,
                                                              kind=None, limit=limit)]


def show_run(*, session: Session, principal: Principal, run_id: int) -> dict:
    """One run, judged on its province as stored: outside the caller's province the same 404 as no run at all."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    run = session.get(BatchRun, run_id)
    if run is None or (principal.role == Role.STAFF and run.province != province_of(principal.region_code or "")):
        raise NotFound("run.not_found", "没有这次批处理", "no such batch run")
    return describe(BatchRunRead.model_validate(run, from_attributes=True))


def may_start(principal: Principal, province: str) -> bool:
    """Staff of the province itself (or above) and administrators; never auditors, never a city's or county's clerk."""
    return principal.role in (Role.STAFF, Role.ADMIN) and principal.can_see_region(province)


def start_run(*, database: Database, principal: Principal, kind: str, province: str, period: str,
              now: datetime, on_done: Callable[[], None] | None = None) -> int:
    """Checks and opens the run, starts its thread and returns its id; refusals in words, nothing started.
    `on_done` runs in the thread once the job has succeeded (the caller anchors the audit chain, as the CLI does)."""
    if kind not in JOBS:
        raise InvalidInput("run.kind", "请选择月末核定征缴或养老金发放", "choose the month-end or the pension payroll",
                           field="kind")
    principal.require_role(Role.STAFF, Role.ADMIN)
    principal.require_region(province)
    job, check, (name_zh, name_en) = JOBS[kind]
    month = str(check(database=database, province=province, period=period.strip(), now=now))
    key = (kind, province, month)
    with _lock:
        running = _active.get(key)
        if running is not None and running.is_alive():
            raise Conflict("run.running", f"{month} 的{name_zh}正在进行中", f"the {name_en} of {month} is running now")
        run_id = open_run(database, kind, province, month, now)
        if run_id is None:
            raise Conflict("run.done", f"{month} 的{name_zh}已经完成，不再重复运行",
                           f"the {name_en} of {month} is already done; it does not run twice")
        thread = threading.Thread(target=_execute, name=f"run-{run_id}", daemon=True,
                                  args=(database, job, run_id, province, month, now, principal.actor, key, on_done))
        _active[key] = thread
        thread.start()
    return run_id


def _execute(database: Database, job: Callable[..., BatchRunRead], run_id: int, province: str, month: str,
             now: datetime, actor: str, key: tuple[str, str, str], on_done: Callable[[], None] | None) -> None:
    """The job in its thread: a refusal or a fault is recorded on the run in words, never lost."""
    try:
        job(database=database, province=province, period=month, now=now, actor=actor)
        if on_done is not None:
            on_done()
    except DomainError as exc:
        fail_run(database, run_id, exc.reason, exc.reason_en)
    except Exception:  # noqa: BLE001 - the thread's last word: recorded on the run, the trace to the log
        log.exception("batch run %s failed", run_id)
        fail_run(database, run_id, "运行出错中断，详情已写入日志；可再次启动，从中断处继续",
                 "the run stopped on an error (details in the log); start it again to resume where it stopped")
    finally:
        with _lock:
            if _active.get(key) is threading.current_thread():
                del _active[key]


def wait(run_id: int, timeout: float = 60) -> None:
    """Waits for a run's thread started in this process (tests, and a server shutting down)."""
    for thread in [t for t in list(_active.values()) if t.name == f"run-{run_id}"]:
        thread.join(timeout)
