"""The `shebao` command: it only mounts each context's commands; `--json` is for machines.

Where a command lives (each module's docstring lists its commands):

    registry/cli.py       id check · uscc check · regions import
    policy/cli.py         policy show · policy expired
    contributions/cli.py  contrib assess · month-end
    ledger/cli.py         interest credit · interest recompute · interest calc · fund settle · fund statement
    risk/cli.py           fund project (attached below to the ledger's `fund` group: risk sits above the ledger)
    benefits/cli.py       retirement date · pension … · payroll · certification … ·
                          unemployment … · injury claim · maternity claim
    payouts/cli.py        bank batches · bank show · bank prepare · bank approve · bank file · bank returned ·
                          bank reconcile
    transfers/cli.py      transfer amount · transfer plan|apply|step|status|list|gather|convert · benefit-place
    comparison/cli.py     exchange import · link run · link review · link decide
    risk/catalogue_cli.py risk rules
    risk/guards_cli.py    risk blocked (attached below to the `risk` group; importing it registers the in-process rules)
    risk/cases_cli.py     risk cases · risk case · risk assign|note|evidence|conclude · risk repay|write-off
    risk/cockpit_cli.py   cockpit figures · refresh
    risk/screen_cli.py    risk screen (attached below to the `risk` group)
    services/cli.py       person register · person record · person hash-phones · death record · permissions · bank import-returns · bank account-fixed
    cards/cli.py          keys … · ecard …
    accounts/cli.py       user …
    audit/cli.py          audit …
    demo/cli.py           demo seed · run
    platform_cli.py       db upgrade · serve

What every command shares — the options, the refusal message, the production-secrets check, progress
bars and batch runs, reading a user's files — is in `clikit.py`.
"""

from __future__ import annotations

import sys

import typer
from sqlalchemy.exc import DBAPIError

from shebao import platform_cli
from shebao.accounts import cli as accounts
from shebao.audit import cli as audit
from shebao.benefits import cli as benefits
from shebao.cards import cli as cards
from shebao.clikit import database_failure, guard_every_command
from shebao.comparison import cli as comparison
from shebao.contributions import cli as contributions
from shebao.demo import cli as demo
from shebao.ledger import cli as ledger
from shebao.payouts import cli as payouts
from shebao.policy import cli as policy
from shebao.registry import cli as registry
from shebao.risk import cases_cli as risk_cases
from shebao.risk import catalogue_cli as risk_catalogue
from shebao.risk import cli as risk
from shebao.risk import cockpit_cli as cockpit
from shebao.risk import guards_cli as risk_guards
from shebao.risk import screen_cli as risk_screen
from shebao.services import cli as services
from shebao.transfers import cli as transfers

app = typer.Typer(help="shebao 社保 — national social security information platform", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.callback()(guard_every_command)  # weak production secrets refused before any command that reads data or keys

for context in (registry, policy, contributions, ledger, payouts, benefits, transfers, comparison, risk_catalogue, cockpit,
                services,
                cards, accounts, audit, demo, platform_cli):
    app.add_typer(context.commands)
# A command of a higher context in a lower context's group: the root attaches it, so that neither imports upward.
ledger.fund_app.command("project")(risk.fund_project)
risk_catalogue.risk_app.command("blocked")(risk_guards.blocked)
for name, command in (("cases", risk_cases.cases), ("case", risk_cases.case), ("assign", risk_cases.assign),
                      ("note", risk_cases.note), ("evidence", risk_cases.evidence), ("conclude", risk_cases.conclude),
                      ("repay", risk_cases.repay), ("write-off", risk_cases.write_off)):
    risk_catalogue.risk_app.command(name)(command)
risk_catalogue.risk_app.command("screen")(risk_screen.screen)


def main() -> None:
    try:
        app()
    except DBAPIError as exc:  # any command, any context: one message instead of a driver's traceback
        try:
            database_failure(exc, as_json="--json" in sys.argv)
        except typer.Exit as refused:  # raised outside the command's own context, so exit here
            sys.exit(refused.exit_code)


if __name__ == "__main__":
    main()
