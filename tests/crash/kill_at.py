"""Runs `shebao` commands in processes that kill themselves with SIGKILL at a chosen point, as a crash would.

    python tests/crash/kill_at.py REPORT PLAN month-end 202610 --db URL …   one command, in this process
    python tests/crash/kill_at.py serve                                      many, one forked process each

PLAN is one of
  never     run to the end;
  call:N    SIGKILL just before the Nth database call (a statement, or a commit) — the same point on
            every run of the same data, so a failure can be replayed exactly;
  after:MS  SIGKILL from a timer MS milliseconds after the first database call — it may land inside a
            statement, which a call count never does.

The kill is a real SIGKILL of the process running the command (no cleanup, no rollback, an open
transaction left to the database), not an exception. REPORT is a JSON file: on a normal exit, the calls
made, which of them were commits and the milliseconds from the first call to the last; on a kill, where
it struck.

`serve` imports shebao once and then reads one JSON request a line on stdin ({"report", "plan",
"command"}), forks a process for each — the command's output goes to REPORT + ".log" — and answers with
a JSON line {"returncode"} (negative: the signal that ended it), so a test pays the imports only once.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

CHILD_TIME_LIMIT_S = 600  # a command stuck this long (a lock never granted) is killed and reported


class Killer:
    """Counts the database calls of every engine in this process and kills the process at the plan's point."""

    def __init__(self, report: Path, plan: str) -> None:
        self.report, self.plan = report, plan
        self.kind, _, value = plan.partition(":")
        self.limit = int(value) if value else 0
        self.calls, self.commits = 0, []
        self.first_at: float | None = None
        self.last_at = 0.0
        self.last_statement = ""
        self.timer: threading.Timer | None = None

    def install(self) -> None:
        event.listen(Engine, "before_cursor_execute", self._before_statement)
        event.listen(Engine, "commit", self._before_commit)

    def _before_statement(self, _conn, _cursor, statement, *_rest) -> None:  # noqa: ANN001 - SQLAlchemy's signature
        self._call(" ".join(statement.split())[:120])

    def _before_commit(self, _conn) -> None:  # noqa: ANN001
        self.commits.append(self.calls + 1)
        self._call("COMMIT")

    def _call(self, what: str) -> None:
        if self.first_at is None:
            self.first_at = time.perf_counter()
            if self.kind == "after":
                self.timer = threading.Timer(self.limit / 1000, self._die, args=("timer",))
                self.timer.daemon = True
                self.timer.start()
        self.calls += 1
        self.last_at, self.last_statement = time.perf_counter(), what
        if self.kind == "call" and self.calls == self.limit:
            self._die("call")

    def _die(self, how: str) -> None:
        self._write({"killed": how, "plan": self.plan, "at_call": self.calls, "statement": self.last_statement})
        os.kill(os.getpid(), signal.SIGKILL)

    def finished(self, code: int) -> None:
        if self.timer is not None:
            self.timer.cancel()  # the command ended before the timer: nothing left to kill
        elapsed = (self.last_at - self.first_at) * 1000 if self.first_at is not None else 0.0
        self._write({"killed": None, "plan": self.plan, "exit_code": code, "calls": self.calls,
                     "commits": self.commits, "ms": round(elapsed, 1)})

    def _write(self, payload: dict) -> None:
        self.report.write_text(json.dumps(payload, ensure_ascii=False))


def run(report: Path, plan: str, command: list[str]) -> int:
    """The command as `shebao` would run it, under the plan; its exit code if it lives to the end."""
    killer = Killer(report, plan)
    killer.install()
    from shebao.cli import app

    code = 0
    try:
        app(args=command, prog_name="shebao")
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    killer.finished(code)
    return code


def serve() -> None:
    # What the two jobs import when they start, loaded once here so that each forked run is only the job.
    import shebao.benefits.payroll  # noqa: F401
    import shebao.cli  # noqa: F401
    import shebao.contributions.batch  # noqa: F401
    import shebao.models  # noqa: F401
    from shebao.policy.store import default_store

    default_store()  # the parameter files, read once (cached) rather than in every run

    for line in sys.stdin:
        request = json.loads(line)
        print(json.dumps({"returncode": _fork(Path(request["report"]), request["plan"], request["command"])}), flush=True)


def _fork(report: Path, plan: str, command: list[str]) -> int:
    pid = os.fork()
    if pid == 0:  # the child: output to the log, the command, and out without the parent's cleanup
        log = os.open(f"{report}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(log, 1)
        os.dup2(log, 2)
        code = 1
        try:
            code = run(report, plan, command)
        except BaseException:  # noqa: BLE001 - any failure is the child's exit code, told in its log
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    watchdog = threading.Timer(CHILD_TIME_LIMIT_S, os.kill, args=(pid, signal.SIGKILL))
    watchdog.start()
    _, status = os.waitpid(pid, 0)
    watchdog.cancel()
    watchdog.join()  # no thread left behind at the next fork
    return os.waitstatus_to_exitcode(status)


def main() -> None:
    if sys.argv[1:] == ["serve"]:
        serve()
        return
    report, plan, *command = sys.argv[1:]
    sys.exit(run(Path(report), plan, command))


if __name__ == "__main__":
    main()
