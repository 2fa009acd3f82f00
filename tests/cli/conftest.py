"""The command line, driven through typer's runner in-process."""

from __future__ import annotations

import pytest
from tests.fixtures.control_plane import database_url, migrated_url  # noqa: F401
from tests.fixtures.postgres import postgres_server  # noqa: F401
from typer.testing import CliRunner


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
