"""`shebao risk screen --province CODE [--as-of DATE] [--rule ID ...] [--json]`: screen a province after the fact
through every rule's query (risk/screening.py), printing the findings and the time per rule, the cases opened and the
rules not screened with their reasons. `shebao/cli.py` attaches it to the `risk` group."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from shebao.clikit import DbOpt, JsonOpt, emit, out, refuse, run_use_case
from shebao.core.errors import DomainError

ProvinceRequired = Annotated[str, typer.Option("--province", help="6-digit province code, e.g. 110000")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="screen as of this day, YYYY-MM-DD (default: today in China)")]
RuleOpt = Annotated[list[str] | None, typer.Option("--rule", help="a rule id to screen (repeatable; default: every "
                                                                   "rule screened after the fact)")]


def screen(province: ProvinceRequired, as_of: AsOfOpt = None, rule: RuleOpt = None, db: DbOpt = None,
           as_json: JsonOpt = False) -> None:
    """Screen a province after the fact: each rule's findings open a case once (one per finding, ever) and update
    what is at stake on cases still being worked; prints the findings and time per rule. The cockpit's figures of the
    province are refreshed after it."""
    from shebao.core.clock import china_today
    from shebao.core.security import SYSTEM
    from shebao.risk.catalogue import parse_day
    from shebao.risk.cockpit import refresh as refresh_cockpit
    from shebao.risk.screening import screen_province

    try:
        day = parse_day(as_of) if as_of is not None else None
    except DomainError as exc:
        refuse(exc, as_json)

    def call(*, database, cipher, command, now) -> dict:  # noqa: ANN001, ARG001 - run_use_case's
        with database.transaction() as session:
            screened = screen_province(session=session, province=province, as_of=day or china_today(now),
                                       actor=SYSTEM.actor, now=now, rules=rule or None, cipher=cipher)
        with database.transaction() as session:  # the batch job refreshes the cockpit's summary of what it changed
            refresh_cockpit(session=session, province=province, as_of=day or china_today(now), now=now)
        return screened

    result = run_use_case(db, as_json, None, {}, call)
    result = {key: result[key] for key in ("run_id", "province", "as_of", "counts", "timings_ms", "cases_opened",
                                           "findings", "not_screened")} | {"cases_updated": result["cases_updated"]}
    if as_json:
        emit(result, True, "")
    table = Table(title=f"事后筛查 screening · {escape(result['province'])} · {result['as_of']} · run {result['run_id']}")
    for heading in ("规则 rule", "发现 findings", "用时 ms"):
        table.add_column(heading, justify="right" if heading != "规则 rule" else "left")
    for rule_id, count in result["counts"].items():
        table.add_row(rule_id, f"{count:,}", f"{result['timings_ms'][rule_id]:,}")
    for rule_id, why in result["not_screened"].items():
        table.add_row(rule_id, "—", "—")
        table.add_row("", escape(f"未筛查 not screened: {why['reason']} / {why['reason_en']}"), "")
    out.print(table)
    out.print(f"发现 findings {result['findings']:,} · 新立案 cases opened {result['cases_opened']:,} · "
              f"更新 cases updated {result['cases_updated']:,}")
