"""Month-end and payroll killed with SIGKILL at random points and rerun end exactly as an uninterrupted run.

On copies of a small demo province each job runs as the `shebao` command in a process of its own
(forked by tests/crash/kill_at.py from a server that imported shebao once), is killed one to three
times — at a chunk boundary, just before a commit, before any database call, or from a timer that may
strike inside a statement — and is then rerun to its end. The result is compared with an uninterrupted
run on another copy: every entry balances, no bill, payment, payroll line or journal key is doubled,
the same bills, assessments and payroll lines with the same amounts, the same balance on every ledger
account, the run recorded as done once, the audit chain intact.

The kill points come from a seeded random. The seed is printed and in every failure; replay with
SHEBAO_CRASH_SEED=<seed> SHEBAO_CRASH_DEMO_DAY=<day> pytest tests/crash (a `call:N` kill strikes at
the same point again; a timer only about). Deselect with `-m "not crash"`.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from shebao.core.periods import Period
from tests.crash.demo import KEY_PASSPHRASE, PROVINCE, SECRET, PostgresDemo, SqliteDemo, demo_day, seed_small_demo
from tests.crash.outcome import broken_invariants, differences, snapshot

pytestmark = pytest.mark.crash

POSTGRES_URL = os.environ.get("SHEBAO_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
SEED = int(os.environ.get("SHEBAO_CRASH_SEED") or secrets.randbelow(1_000_000))
COPIES = {"sqlite": 3, "postgresql": 2}  # crashed copies per job; fewer on PostgreSQL, where each run is slower
MAX_KILLS = 3  # kills per copy before the run that is let finish
KILL_AT = Path(__file__).with_name("kill_at.py")


@dataclass(frozen=True)
class Job:
    name: str  # the `shebao` command
    kind: str  # its batch_runs.kind
    months_after_demo: int  # the month it runs: the demo day's month, or the one after
    chunks: tuple[str, ...]  # small chunks: many commits to be killed between

    def period(self, day: date) -> str:
        return str(Period.of(day).plus_months(self.months_after_demo))

    def command(self, day: date, url: str) -> list[str]:
        return [self.name, self.period(day), "--province", PROVINCE, "--db", url, "--json", *self.chunks]

    def wrote_something(self, outcome: dict, period: str) -> bool:
        """Bills of the month (month-end) or lines paid in it (payroll): the test is not about an empty run."""
        if self.kind == "month_end":
            return any(key[0] == period for key in outcome["bills"])
        return any(line[2] == "paid" and line[4] == period for line in outcome["payroll_lines"].values())


# Month-end: 10 assessment chunks, the bills, 5 posting chunks, the close. Payroll: 6 chunks of awards, the close.
JOBS = [Job("month-end", "month_end", 0, ("--person-chunk", "100", "--bill-chunk", "16")),
        Job("payroll", "payroll", 1, ("--chunk", "8"))]


@dataclass
class Seeded:
    backend: str
    day: date
    copies: SqliteDemo | PostgresDemo


class Jobs:
    """kill_at.py's fork server: shebao imported once, each run of a job a process of its own."""

    def __init__(self, key_dir: Path) -> None:
        env = {**os.environ, "SHEBAO_ENVIRONMENT": "test", "SHEBAO_SECRET_KEY": SECRET, "SHEBAO_KEY_DIR": str(key_dir),
               "SHEBAO_KEY_PASSPHRASE": KEY_PASSPHRASE, "SHEBAO_LOG_LEVEL": "WARNING"}
        self.server = subprocess.Popen([sys.executable, str(KILL_AT), "serve"], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True, env=env)

    def run(self, demo: Seeded, job: Job, url: str, plan: str, report: Path) -> dict:
        """Runs the job under a kill plan; what happened, as kill_at.py reported it."""
        report.unlink(missing_ok=True)
        self.server.stdin.write(json.dumps({"report": str(report), "plan": plan,
                                            "command": job.command(demo.day, url)}) + "\n")
        self.server.stdin.flush()
        answer = self.server.stdout.readline()
        assert answer, f"the kill_at.py server ended (exit {self.server.poll()})"
        returncode = json.loads(answer)["returncode"]
        result = json.loads(report.read_text()) if report.exists() else {"killed": None}
        log = Path(f"{report}.log").read_text() if Path(f"{report}.log").exists() else ""
        if result["killed"]:
            assert returncode == -signal.SIGKILL, f"{plan}: exit {returncode}\n{log}"
        else:
            assert returncode == 0, f"{job.name} under {plan} failed (exit {returncode}):\n{log}"
        return result

    def close(self) -> None:
        self.server.stdin.close()
        self.server.wait(timeout=60)


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    server = Jobs(tmp_path_factory.mktemp("keys"))
    yield server
    server.close()


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    day, folder = demo_day(), tmp_path_factory.mktemp("crash")
    print(f"crash test: SHEBAO_CRASH_SEED={SEED} SHEBAO_CRASH_DEMO_DAY={day.isoformat()}")
    if request.param == "sqlite":
        copies: SqliteDemo | PostgresDemo = SqliteDemo(folder / "template.db", folder / "copies")
        template_url = f"sqlite:///{copies.template}"
    else:
        copies = PostgresDemo(POSTGRES_URL)
        template_url = copies.create_template()
    seed_small_demo(template_url, day, folder / "keys")
    yield Seeded(request.param, day, copies)
    copies.drop_copies()


def draw_plan(rng: random.Random, reference: dict) -> str:
    """A kill point, drawn from what the uninterrupted run did: its database calls, commits and duration."""
    chunk_commits = reference["commits"][:-1]  # after the last commit the run is over: nothing to kill
    match rng.choice(("chunk boundary", "before commit", "any call", "timer")):
        case "chunk boundary":
            return f"call:{rng.choice(chunk_commits) + 1}"
        case "before commit":
            return f"call:{rng.choice(reference['commits'])}"
        case "any call":
            return f"call:{rng.randint(1, reference['calls'])}"
        case _:
            return f"after:{rng.uniform(0, reference['ms']):.0f}"


def told(result: dict) -> str:
    if not result["killed"]:
        return f"{result['plan']} (finished first)"
    return f"{result['plan']} killed at call {result['at_call']} ({result['statement'][:60]})"


@pytest.mark.parametrize("job", JOBS, ids=[job.name for job in JOBS])
def test_a_job_killed_and_rerun_ends_as_an_uninterrupted_run(demo: Seeded, jobs: Jobs, job: Job, tmp_path: Path) -> None:
    rng = random.Random(f"{SEED}:{demo.backend}:{job.name}")
    period, report = job.period(demo.day), tmp_path / "report.json"

    reference_url = demo.copies.copy(f"{job.kind}_reference")
    reference = jobs.run(demo, job, reference_url, "never", report)
    assert broken_invariants(reference_url, kind=job.kind, province=PROVINCE, period=period) == []
    expected = snapshot(reference_url)
    assert len(reference["commits"]) >= 6, "the job should commit chunk by chunk, or there is little to kill between"
    assert job.wrote_something(expected, period), f"the demo left nothing for {job.name} {period} to do"
    jobs.run(demo, job, reference_url, "never", report)
    assert differences(expected, snapshot(reference_url)) == [], "a second run of a finished month changed it"

    for copy in range(COPIES[demo.backend]):
        url = demo.copies.copy(f"{job.kind}_{copy}")
        story = []
        for _ in range(rng.randint(1, MAX_KILLS)):
            result = jobs.run(demo, job, url, draw_plan(rng, reference), report)
            story.append(told(result))
            if not result["killed"]:
                break
        jobs.run(demo, job, url, "never", report)
        context = (f"SHEBAO_CRASH_SEED={SEED} SHEBAO_CRASH_DEMO_DAY={demo.day} {demo.backend} {job.name} {period} "
                   f"copy {copy}: " + " → ".join(story))
        print(context)
        assert broken_invariants(url, kind=job.kind, province=PROVINCE, period=period) == [], context
        assert differences(expected, snapshot(url)) == [], context
