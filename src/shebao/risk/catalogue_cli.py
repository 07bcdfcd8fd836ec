"""`shebao risk rules [--on DATE] [--region CODE] [--json]`: the rule catalogue, each rule with its parameters' values in
force (risk/rules.py, risk/catalogue.py). Reads only the policy store: it runs without a database or keys.

Kept apart from risk/cli.py (the screening, cases and the fund projection) so that both grew at once; `shebao/cli.py`
mounts `commands` here like any context's."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shebao.clikit import JsonOpt, command_group, emit, out, refuse, today_from
from shebao.core.errors import DomainError

commands = typer.Typer()  # mounted by `shebao/cli.py`
risk_app = command_group("risk", "Risk control (基金监督): the rule catalogue")
commands.add_typer(risk_app)

OnOpt = Annotated[str | None, typer.Option("--on", help="the day whose parameter values to show (default: today in China)")]
RegionOpt = Annotated[str, typer.Option("--region", help="a region code whose values to show (default: national)")]


@risk_app.command("rules")
def risk_rules(on: OnOpt = None, region: RegionOpt = "000000", as_json: JsonOpt = False) -> None:
    """Every risk rule: id, names, severity, when it runs, whom it concerns, its legal basis, and its parameters'
    values in force in the region on the day."""
    from shebao.policy.store import default_store
    from shebao.risk.catalogue import parse_day, rules_in_force

    try:
        day = parse_day(on) if on is not None else today_from(None)
        listing = rules_in_force(store=default_store(), day=day, region_code=region)
    except DomainError as exc:
        refuse(exc, as_json)
    if as_json:
        emit(listing, True, "")
    table = Table(title=f"风险规则目录 risk rules · {escape(region)} · {listing['date']}", show_lines=True)
    for column in ("id", "规则 rule", "级别 severity", "运行 when", "对象 subject", "参数 parameters", "依据 legal basis"):
        table.add_column(column, overflow="fold")
    for rule in listing["rules"]:
        table.add_row(rule["id"], f"{rule['name_zh']}\n{rule['name_en']}", f"{rule['severity_zh']} {rule['severity']}",
                      f"{rule['when_zh']}\n{rule['when']}", f"{rule['subject_zh']} {rule['subject']}",
                      escape("\n".join(_parameter_line(p) for p in rule["parameters"]) or "—"),
                      escape("\n".join(f"{b['document']} {b['article']}" for b in rule["legal_basis"])))
    out.print(table)
    common = "; ".join(_parameter_line(p) for p in listing["common_parameters"])
    out.print(f"每条规则共用 read by every rule: {escape(common)}")
    counts = listing["counts"]
    out.print(f"共 {counts['rules']} 条 rules · 办理时拦截 in process {counts['in_process']} · "
              f"事后筛查 after the fact {counts['after_the_fact']}")


def _parameter_line(parameter: dict) -> str:
    if parameter["state"] in ("not_in_force", "refused"):
        return f"{parameter['path']} = — ({parameter['state_zh']} {parameter['state']})"
    shown = f"{parameter['path']} = {parameter['value']}"
    if parameter.get("range"):
        shown += f" [{parameter['range'][0]}, {parameter['range'][1]}]"
    return shown + (f" ({parameter['state_zh']} {parameter['state']})" if parameter["state"] != "valid" else "")
