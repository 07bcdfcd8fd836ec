"""`shebao db upgrade`, `shebao serve`: the platform as a whole — its schema and reference data, its server —
rather than one context. (`shebao run`, which adds the demo province, is in `demo/cli.py`.)"""

from __future__ import annotations

from typing import Annotated

import typer

from shebao.clikit import DbOpt, command_group, out, settings_for
from shebao.core.db import Database
from shebao.settings import Settings

commands = typer.Typer()  # mounted by `shebao/cli.py`: `shebao db …` and `shebao serve`
db_app = command_group("db", "Database schema and reference data")
commands.add_typer(db_app)

HostOpt = Annotated[str | None, typer.Option(help="address to bind")]
PortOpt = Annotated[int | None, typer.Option(help="port")]


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None) -> None:
    """Migrate the schema to the newest revision and load the division codes."""
    settings = settings_for(db)
    loaded = prepare_database(settings)
    out.print(f"schema up to date; {loaded} region codes loaded · {settings.database_url}")


def prepare_database(settings: Settings) -> int:
    """Migrates the schema to the newest revision and loads the division codes; how many were loaded."""
    from shebao.core.migrate import upgrade
    from shebao.registry.service import load_divisions

    upgrade(settings.database_url)
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            return load_divisions(session=session)
    finally:
        database.dispose()


@commands.command()
def serve(host: HostOpt = None, port: PortOpt = None, db: DbOpt = None) -> None:
    """Serve the API and the web pages."""
    import uvicorn

    from shebao.app import create_app

    settings = settings_for(db)
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port, log_level="warning")
