"""`shebao demo seed`, `shebao run`: the synthetic demo province, and the platform served with it."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from shebao.clikit import DbOpt, JsonOpt, command_group, emit, out, progress_bars, refuse, settings_for
from shebao.core.clock import SystemClock, china_today
from shebao.core.db import Database
from shebao.core.errors import DomainError
from shebao.platform_cli import HostOpt, PortOpt, prepare_database, serve
from shebao.settings import Settings

commands = typer.Typer()  # mounted by `shebao/cli.py`: `shebao demo …` and `shebao run`
demo_app = command_group("demo", "The synthetic demo province")
commands.add_typer(demo_app)


@demo_app.command("seed")
def demo_seed(persons: Annotated[int, typer.Option(help="how many persons")] = 10_000,
              province: Annotated[str, typer.Option(help="6-digit province code")] = "110000",
              seed: Annotated[int, typer.Option(help="random seed (same seed, same province)")] = 20240701,
              history_months: Annotated[int, typer.Option(help="months of contribution history to run (0: none)")] = 36,
              db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Seed a believable synthetic province (Faker zh_CN), with a few years of contribution history."""
    settings = settings_for(db)
    prepare_database(settings)
    try:
        report = _seed(settings, persons=persons, province=province, seed=seed, history_months=history_months)
    except DomainError as exc:
        refuse(exc, as_json)
    emit(report.as_dict(), as_json, f"seeded {report.persons:,} persons ({report.migrants:,} migrants), "
                                    f"{report.employers:,} employers, {report.streets} streets in {province}")


def _seed(settings: Settings, *, persons: int, province: str, seed: int, history_months: int = 36):  # noqa: ANN202
    from shebao.cards.keys import KeyStore
    from shebao.core.periods import Period
    from shebao.core.security import FieldCipher
    from shebao.demo.cards import prepare_demo_cards
    from shebao.demo.comparison import prepare_demo_comparison
    from shebao.demo.history import run_history
    from shebao.demo.retirees import prepare_demo_retirees
    from shebao.demo.risk import prepare_demo_risk
    from shebao.demo.seed import seed_demo
    from shebao.demo.unemployed import prepare_demo_laidoff, prepare_demo_unemployed
    from shebao.risk.cockpit import refresh as refresh_cockpit

    if not 0 <= history_months <= 120:
        raise typer.BadParameter("history months are 0 to 120")
    database = Database(settings.database_url)
    now = SystemClock().now()
    start = Period.of(china_today(now)).plus_months(-history_months) if history_months else None
    try:
        with progress_bars() as report:
            with database.transaction() as session:
                result = seed_demo(session=session, cipher=FieldCipher(settings.secret_key), province=province,
                                   persons=persons, now=now, random_seed=seed, progress=report, history_start=start)
            if start is not None:
                run_history(database=database, province=province, start=start, now=now, progress=report)
            prepare_demo_cards(database=database, cipher=FieldCipher(settings.secret_key),
                               keys=KeyStore(settings.key_dir, settings.key_passphrase), province=province, now=now)
            prepare_demo_retirees(database=database, cipher=FieldCipher(settings.secret_key), province=province, now=now,
                                  random_seed=seed, progress=report)
            if start is not None:
                prepare_demo_unemployed(database=database, province=province, now=now)
                prepare_demo_laidoff(database=database, province=province, now=now)
            report("comparison", 0, 1)
            prepare_demo_comparison(database=database, cipher=FieldCipher(settings.secret_key), province=province,
                                    now=now, random_seed=seed)
            report("comparison", 1, 1)
            report("risk screening", 0, 1)
            prepare_demo_risk(database=database, cipher=FieldCipher(settings.secret_key), province=province, now=now)
            report("risk screening", 1, 1)
            with database.transaction() as session:  # the cockpit's summary tables, after every batch job above
                refresh_cockpit(session=session, province=province, now=now)
            return result
    finally:
        database.dispose()


@commands.command()
def run(host: HostOpt = None, port: PortOpt = None, db: DbOpt = None,
        persons: Annotated[int | None, typer.Option(help="persons to seed into an empty database")] = None,
        province: Annotated[str | None, typer.Option(help="province to seed")] = None) -> None:
    """Migrate, seed the demo province when the database is empty, and serve."""
    from shebao.demo.accounts import DEMO_ACCOUNTS
    from shebao.registry.service import holdings

    settings = settings_for(db)
    if province:
        settings = settings.model_copy(update={"demo_province": province})
    prepare_database(settings)
    database = Database(settings.database_url)
    with database.unit_of_work() as uow:
        empty = holdings(session=uow.session)["persons"] == 0
    database.dispose()
    if empty:
        _seed(settings, persons=persons or settings.demo_persons, province=settings.demo_province, seed=20240701)
    address = f"http://{host or settings.host}:{port or settings.port}"
    table = Table(title=f"shebao 社保 · {address}  (API docs: {address}/docs)")
    for column in ("role 角色", "username 用户名", "password 密码"):
        table.add_column(column)
    for account in DEMO_ACCOUNTS:
        table.add_row(f"{account.label_zh} {account.label_en}", account.username, account.password)
    out.print(table)
    out.print(f"[bold]Open {address}[/bold] — Ctrl-C stops the server.")
    sys.stdout.flush()
    serve(host=host, port=port, db=db)
