"""A real server on a free loopback port, over a seeded SQLite file, for the browser to visit."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from shebao.app import create_app
from shebao.cards.keys import KeyStore
from shebao.core.clock import FixedClock
from shebao.core.db import Database
from shebao.core.periods import Period
from shebao.core.security import FieldCipher
from shebao.demo.cards import prepare_demo_cards
from shebao.demo.history import run_history
from shebao.demo.retirees import prepare_demo_retirees
from shebao.demo.seed import seed_demo
from shebao.risk.cockpit import refresh as refresh_cockpit
from shebao.settings import Settings
from tests.conftest import TEST_NOW, TEST_SECRET

CHROMIUM = Path("/usr/bin/chromium")
_DATABASES: dict[str, Database] = {}  # each running server's database, for a test that must read what it serves
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(request, sqlite_template, tmp_path_factory) -> Iterator[str]:
    """The demo province served; a test module may add to it first with its own `prepare_demo(database)`."""
    path = tmp_path_factory.mktemp("browser") / "shebao.db"
    shutil.copyfile(sqlite_template, path)
    settings = Settings(environment="test", database_url=f"sqlite:///{path}", secret_key=TEST_SECRET, log_level="WARNING",
                        key_dir=str(path.parent / "keys"), key_passphrase="browser-test")
    database = Database(settings.database_url)
    start = Period(2024, 3)  # a year of history before TEST_NOW (2025-03-01)
    with database.transaction() as session:
        seed_demo(session=session, cipher=FieldCipher(TEST_SECRET), province="110000", persons=400, now=TEST_NOW,
                  history_start=start)
    run_history(database=database, province="110000", start=start, now=TEST_NOW)
    prepare_demo_cards(database=database, cipher=FieldCipher(TEST_SECRET), province="110000", now=TEST_NOW,
                       keys=KeyStore(settings.key_dir, settings.key_passphrase))
    prepare_demo_retirees(database=database, cipher=FieldCipher(TEST_SECRET), province="110000", now=TEST_NOW)
    with database.transaction() as session:  # the cockpit's summary tables, as the batch jobs leave them
        refresh_cockpit(session=session, province="110000", now=TEST_NOW)
    prepare = getattr(request.module, "prepare_demo", None)
    if prepare is not None:
        prepare(database)
    port = _free_port()
    config = uvicorn.Config(create_app(settings, database=database, clock=FixedClock(TEST_NOW)), host="127.0.0.1", port=port, log_level="warning")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    _DATABASES[url] = database
    yield url
    _DATABASES.pop(url, None)
    uvicorn_server.should_exit = True
    thread.join(timeout=10)
    database.dispose()


@pytest.fixture(scope="module")
def server_database(server) -> Database:
    """The database the module's server serves (to find what a journey needs, such as an employee's ID number)."""
    return _DATABASES[server]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
