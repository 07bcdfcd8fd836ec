"""`shebao policy show`: the parameters in force for a region on a day."""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from shebao.clikit import JsonOpt, command_group, emit, fail, out, refuse
from shebao.core.errors import DATE_FORMAT_ZH, DomainError

commands = typer.Typer()  # mounted by `shebao/cli.py`
policy_app = command_group("policy", "Policy parameters in force")
commands.add_typer(policy_app)


@policy_app.command("show")
def policy_show(region_code: str, day: str, as_json: JsonOpt = False) -> None:
    """Every parameter in force for a region on a day, with its source."""
    from shebao.policy.store import default_store

    try:
        when = date.fromisoformat(day)
    except ValueError:
        fail(f"{DATE_FORMAT_ZH}：{day} / a date is YYYY-MM-DD: {day}")
    try:
        snapshot = default_store().at(region_code, when)
    except DomainError as exc:
        refuse(exc, as_json)
    rows = [p.as_dict() for p in snapshot.all()]
    if as_json:
        emit({"region_code": region_code, "date": day, "parameters": rows}, True, "")
    table = Table(title=f"{region_code} · {day}", show_lines=False)
    for column in ("parameter", "value", "since", "from", "source"):
        table.add_column(column, overflow="fold")
    for row in rows:
        value = row["value"] if not isinstance(row["value"], dict) else ", ".join(f"{k}:{v}" for k, v in row["value"].items())
        table.add_row(row["path"], str(value), row["since"], row["jurisdiction"], row["source"])
    out.print(table)
