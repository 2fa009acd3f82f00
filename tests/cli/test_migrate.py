"""`slo-scout migrate` upgrades the control plane's database, as the chart's hook Job runs it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slo_scout.cli.main import app
from slo_scout.db import migrate
from slo_scout.db.engine import create_engine
from slo_scout.settings import get_settings


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The SQLite file SLO_SCOUT_DATABASE_URL names, in a folder that does not exist yet."""
    path = tmp_path / "not-yet" / "slo.db"
    monkeypatch.setenv("SLO_SCOUT_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def _revision(path: Path) -> str | None:
    async def read() -> str | None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            return await migrate.current_revision(engine)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master "
                                                     "WHERE type = 'table'")}


def test_migrate_brings_an_empty_database_to_the_latest_revision(
    database: Path, runner: CliRunner
) -> None:
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert _revision(database) == migrate.head_revision()
    assert {"analysis_jobs", "journeys"} <= _tables(database)
    assert f"schema at revision {migrate.head_revision()} (the latest)" in result.output


def test_migrate_twice_leaves_an_up_to_date_database_as_it_is(
    database: Path, runner: CliRunner
) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    tables = _tables(database)
    second = runner.invoke(app, ["migrate"])
    assert second.exit_code == 0, second.output
    assert _tables(database) == tables and _revision(database) == migrate.head_revision()


def test_migrate_to_an_older_revision_stops_there_and_says_which_is_latest(
    database: Path, runner: CliRunner
) -> None:
    result = runner.invoke(app, ["migrate", "--revision", "0001"])
    assert result.exit_code == 0, result.output
    assert _revision(database) == "0001" != migrate.head_revision()
    assert f"the latest is {migrate.head_revision()}" in result.output
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert _revision(database) == migrate.head_revision()


def test_an_unknown_revision_is_a_usage_error_naming_it(
    database: Path, runner: CliRunner
) -> None:
    result = runner.invoke(app, ["migrate", "--revision", "9999"])
    assert result.exit_code == 2
    assert "--revision 9999" in result.output and "Traceback" not in result.output


def test_an_unreachable_database_fails_in_one_line_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("SLO_SCOUT_DATABASE_URL",
                       f"postgresql://scout:s3cret@127.0.0.1:{port}/slo_scout")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["migrate"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "cannot migrate" in result.output and f"127.0.0.1:{port}" in result.output
    assert "s3cret" not in result.output and "Traceback" not in result.output
