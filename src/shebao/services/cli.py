"""`shebao permissions`: the permission table, as the code reads it."""

from __future__ import annotations

import json

from rich.table import Table

from shebao.cli import JsonOpt, app, out
from shebao.services.permissions import as_rows


@app.command("permissions")
def permissions(as_json: JsonOpt = False) -> None:
    """Every endpoint, page and command: who may call it, and on what (the scope rule)."""
    rows = as_rows()
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title="权限表 permission table", show_lines=False)
    for column in ("method", "path", "roles", "scope", "subject", "where", "writes"):
        table.add_column(column, overflow="fold")
    for row in rows:
        roles = "all" if len(row["roles"]) == 6 else ", ".join(row["roles"])
        table.add_row(row["method"], row["path"], roles, row["scope"], row["subject"] or "", row["where"] or "",
                      "write" if row["writes"] else "read")
    out.print(table)
