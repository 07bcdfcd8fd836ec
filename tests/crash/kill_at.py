"""Runs one `shebao` command and kills itself with SIGKILL at a chosen point, as a crash would.

    python tests/crash/kill_at.py REPORT PLAN month-end 202610 --db URL …

PLAN is one of
  never     run to the end;
  call:N    SIGKILL just before the Nth database call (a statement, or a commit) — the same point on
            every run of the same data, so a failure can be replayed exactly;
  after:MS  SIGKILL from a timer MS milliseconds after the first database call — it may land inside a
            statement, which a call count never does.

The kill is a real SIGKILL of this process (no cleanup, no rollback, an open transaction left to the
database), not an exception. REPORT is a JSON file: on a normal exit, the calls made, which of them were
commits and the milliseconds from the first call to the last; on a kill, where it struck.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine


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


def main() -> None:
    report, plan, *command = sys.argv[1:]
    killer = Killer(Path(report), plan)
    killer.install()
    from shebao.cli import app

    code = 0
    try:
        app(args=command, prog_name="shebao")
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    killer.finished(code)
    sys.exit(code)


if __name__ == "__main__":
    main()
