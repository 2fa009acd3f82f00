"""What the commands show on stderr: a progress bar only when it helps, errors in one line."""

from __future__ import annotations

import pytest
import typer
from rich.progress import Progress

from slo_scout.cli._console import PROGRESS_MIN_BYTES, byte_progress, fail
from slo_scout.core.errors import DecodeError


def test_a_progress_bar_appears_only_for_large_inputs_on_a_terminal() -> None:
    with byte_progress(PROGRESS_MIN_BYTES, enabled=True) as progress:
        assert isinstance(progress, Progress)
    with byte_progress(PROGRESS_MIN_BYTES - 1, enabled=True) as progress:
        assert progress is None
    with byte_progress(10 * PROGRESS_MIN_BYTES, enabled=False) as progress:
        assert progress is None


def test_a_domain_error_is_one_line_with_its_hint_and_exit_code_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    error = DecodeError("not a hex id", source="t.json", record=3, field="spanId")
    with pytest.raises(typer.Exit) as exited:
        fail(error)
    assert exited.value.exit_code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == ["error: t.json, record 3, field 'spanId': not a hex id "
                     "(fix or skip the record (--skip-invalid))"]
