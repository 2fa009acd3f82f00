"""`slo-scout validate` exits 0 for valid specs and 1 naming file, document and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from tests.core.rules.spec_builders import SERVICE_SPEC
from typer.testing import CliRunner

from slo_scout.cli.validate import validate_command

CASES = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "sloth" / "validate"
app = typer.Typer()
app.command("validate")(validate_command)
app.command("noop")(lambda: None)
runner = CliRunner()


@pytest.mark.skipif(not CASES.is_dir(), reason=f"conformance cases not found at {CASES}")
def test_sloths_good_cases_validate() -> None:
    result = runner.invoke(app, ["validate", "-i", str(CASES / "good")])
    assert result.exit_code == 0, result.output


@pytest.mark.skipif(not CASES.is_dir(), reason=f"conformance cases not found at {CASES}")
@pytest.mark.parametrize(
    "name", ["bad-aa.yaml", "bad-k8s.yaml", "bad-multi.yaml", "bad-openslo.yaml"]
)
def test_each_of_sloths_bad_cases_fails_on_its_own(name: str) -> None:
    result = runner.invoke(app, ["validate", "-i", str(CASES / "bad" / name)])
    assert result.exit_code == 1
    assert f"{name}, document" in result.output and "field '" in result.output


def test_several_inputs_report_every_problem(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(SERVICE_SPEC)
    bad = tmp_path / "bad.yaml"
    bad.write_text(SERVICE_SPEC.replace('service: "svc01"', 'service: "-x"'))
    result = runner.invoke(app, ["validate", "-i", str(good), "-i", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml, document 1, field 'service'" in result.output
    assert "good.yaml, document" not in result.output


def test_duplicate_slo_ids_across_files_fail_only_when_asked(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(SERVICE_SPEC)
    assert runner.invoke(app, ["validate", "-i", str(tmp_path)]).exit_code == 0
    strict = runner.invoke(app, ["validate", "-i", str(tmp_path), "--fail-on-duplicates"])
    assert strict.exit_code == 1
    assert "already defined" in strict.output
