"""`shebao risk blocked --region CODE [--limit N] [--json]`: the attempts the in-process risk rules blocked in a region
and below (the subject's region as stored), newest first, with counts per rule (risk/guards.py).

Importing this module registers the in-process rules (it imports `shebao.risk.guards`): `shebao/cli.py` mounts the
command on the `risk` group, so every command of the platform runs with the rules in place."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from shebao.clikit import DbOpt, JsonOpt, emit, run_use_case
from shebao.core.db import Database
from shebao.risk import guards

RegionOpt = Annotated[str, typer.Option("--region", help="a province, city, county or street code")]
LimitOpt = Annotated[int, typer.Option("--limit", min=1, max=5000, help="at most this many attempts (newest first)")]


def blocked(region: RegionOpt, limit: LimitOpt = 200, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """The attempts the in-process risk rules blocked in the region: rule, use case, who, on whom, why."""
    def call(*, database: Database, **_: Any) -> dict:  # noqa: ANN401
        with database.unit_of_work() as uow:
            return guards.blocked_attempts(session=uow.session, region=region, limit=limit)

    result = run_use_case(db, as_json, None, {}, call)
    lines = [f"拦截 blocked in {escape(result['region'])}: {result['total']}"
             + "".join(f" · {escape(rule)} {count}" for rule, count in result["by_rule"].items())]
    lines += [f"{a['at']} · {escape(a['rule_id'])} · {escape(a['use_case'])} · {escape(a['actor'])} · "
              f"{escape(a['subject'])}\n  {escape(a['reason'])}\n  {escape(a['reason_en'])}" for a in result["attempts"]]
    emit(result, as_json, "\n".join(lines))
