"""Fixtures the command-line tests share."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture
def db_url(sqlite_template, tmp_path):
    """A migrated SQLite database of the test's own, copied from the session's template."""
    target = tmp_path / "cli.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"
