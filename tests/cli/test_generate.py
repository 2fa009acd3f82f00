"""`slo-scout generate` takes Sloth's flags and writes what Sloth writes."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml
from tests.core.rules.spec_builders import SERVICE_SPEC
from tests.core.rules.test_burn_rates import WINDOWS_7D
from typer.testing import CliRunner

from slo_scout.cli.generate import generate_command

app = typer.Typer()
app.command("generate")(generate_command)
app.command("noop")(lambda: None)  # keeps `generate` a sub-command, as in the real app
runner = CliRunner()


def _spec(tmp_path: Path, text: str = SERVICE_SPEC, name: str = "svc.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_generate_to_stdout_by_default(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "-i", str(_spec(tmp_path))])
    assert result.exit_code == 0, result.output
    groups = yaml.safe_load(result.stdout)["groups"]
    assert groups[0]["name"] == "sloth-slo-sli-recordings-svc01-slo1"


def test_generate_flags_match_sloths(tmp_path: Path) -> None:
    windows = tmp_path / "windows"
    windows.mkdir()
    (windows / "7d.yaml").write_text(WINDOWS_7D)
    out = tmp_path / "rules.yaml"
    result = runner.invoke(
        app,
        [
            "generate",
            "--input",
            str(_spec(tmp_path)),
            "--out",
            str(out),
            "--default-slo-period",
            "7d",
            "--slo-period-windows-path",
            str(windows),
            "-l",
            "env=prod",
            "-l",
            "region=eu",
            "--disable-alerts",
        ],
    )
    assert result.exit_code == 0, result.output
    groups = yaml.safe_load(out.read_text())["groups"]
    assert all("alerts" not in g["name"] for g in groups)
    labels = groups[0]["rules"][-1]["labels"]
    assert (labels["sloth_window"], labels["env"], labels["region"]) == ("1w", "prod", "eu")


def test_kubernetes_input_gives_a_prometheus_rule(tmp_path: Path) -> None:
    k8s = (
        "apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\n"
        "metadata: {name: svc, namespace: obs}\nspec:\n"
        + "\n".join("  " + line for line in SERVICE_SPEC.splitlines()[1:])
        .replace("error_query", "errorQuery")
        .replace("total_query", "totalQuery")
        .replace("error_ratio_query", "errorRatioQuery")
        .replace("page_alert", "pageAlert")
        .replace("ticket_alert", "ticketAlert")
    )
    result = runner.invoke(app, ["generate", "-i", str(_spec(tmp_path, k8s))])
    assert result.exit_code == 0, result.output
    obj = yaml.safe_load(result.stdout)
    assert (obj["kind"], obj["metadata"]["namespace"]) == ("PrometheusRule", "obs")


def test_a_directory_input_mirrors_its_tree_in_the_output_directory(tmp_path: Path) -> None:
    src = tmp_path / "specs"
    _spec(src, name="team-a/svc.yaml")
    _spec(src, SERVICE_SPEC.replace("svc01", "svc02"), name="team-b/svc.yml")
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(app, ["generate", "-i", str(src), "-o", str(out), "-e", "team-b"])
    assert result.exit_code == 0, result.output
    assert (out / "team-a" / "svc.yaml").is_file()
    assert not (out / "team-b").exists()


def test_a_bad_spec_exits_1_naming_file_document_and_field_and_writes_nothing(
    tmp_path: Path,
) -> None:
    bad = _spec(tmp_path, SERVICE_SPEC.replace("objective: 95", "objective: 101"))
    out = tmp_path / "rules.yaml"
    result = runner.invoke(app, ["generate", "-i", str(bad), "-o", str(out)])
    assert result.exit_code == 1
    assert "document 1, field 'slos[1].objective'" in result.output
    assert not out.exists()


def test_an_unknown_default_period_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["generate", "-i", str(_spec(tmp_path)), "--default-slo-period", "7d"]
    )
    assert result.exit_code == 1
    assert "7d" in result.output


def test_openslo_slos_in_one_file_find_slis_in_another_file_of_the_directory(
    tmp_path: Path,
) -> None:
    from tests.core.specs.test_openslo_v1 import SLI_DOC, SLO_DOC

    src, out = tmp_path / "specs", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    (src / "slis.yaml").write_text(SLI_DOC)
    (src / "slos.yaml").write_text(SLO_DOC)
    result = runner.invoke(app, ["generate", "-i", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "slo:sli_error:ratio_rate5m" in (out / "slos.yaml").read_text()
    assert (out / "slis.yaml").read_text() == ""  # an SLI alone generates nothing

    (src / "slis.yaml").unlink()
    result = runner.invoke(app, ["generate", "-i", str(src), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "slos.yaml, document 1, field 'spec.indicatorRef'" in result.output
