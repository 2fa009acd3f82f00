"""The server commands' ``--help`` shows how to run them (docs/cli.md points there)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from slo_scout.cli.main import app


@pytest.mark.parametrize(("args", "example"), [
    (["serve"], "slo-scout serve --with-worker"),
    (["worker"], "slo-scout worker --once"),
    (["migrate"], "slo-scout migrate --revision head"),
    (["keys", "create"], "slo-scout keys create --subject dana --team shop --role approver"),
])
def test_help_has_runnable_examples(runner: CliRunner, args: list[str], example: str) -> None:
    shown = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    assert "Examples" in shown.output and example in shown.output
