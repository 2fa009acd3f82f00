"""`slo-scout generate`: Sloth's `generate` (same flags, same rules) for Sloth, OpenSLO specs."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from slo_scout import __version__
from slo_scout.cli._console import fail, stderr
from slo_scout.cli._specs_io import discover, load_catalog, parse_labels, period_ms, read_spec
from slo_scout.core.errors import SloScoutError, SpecError
from slo_scout.core.rules import GenerateOptions, bundle
from slo_scout.core.rules.files import generate_text
from slo_scout.core.specs.model import labels_of
from slo_scout.core.specs.openslo_v1_objects import shared_objects

GENERATOR_VERSION = f"slo-scout-v{__version__}"


def generate_command(
    input_path: Path = typer.Option(  # noqa: B008
        ..., "--input", "-i", help="SLO spec file, or a directory searched recursively for YAML."
    ),
    out: str = typer.Option(
        "-", "--out", "-o", help="Rules file, `-` for stdout; a directory when --input is one."
    ),
    fs_exclude: str | None = typer.Option(
        None, "--fs-exclude", "-e", help="Regex of discovered paths to skip (wins over include)."
    ),
    fs_include: str | None = typer.Option(
        None, "--fs-include", "-n", help="Regex of discovered paths to keep; others are skipped."
    ),
    extra_labels: list[str] = typer.Option(  # noqa: B008
        [], "--extra-labels", "-l", help="key=value label added to every SLO (repeatable)."
    ),
    disable_recordings: bool = typer.Option(
        False, "--disable-recordings", help="No recording rules."
    ),
    disable_alerts: bool = typer.Option(False, "--disable-alerts", help="No alert rules."),
    disable_optimized_rules: bool = typer.Option(
        False, "--disable-optimized-rules", help="Compute the period SLI from the raw queries."
    ),
    windows_path: Path | None = typer.Option(  # noqa: B008
        None,
        "--slo-period-windows-path",
        help="Directory of AlertWindows files (replaces defaults).",
    ),
    default_period: str = typer.Option(
        "30d", "--default-slo-period", help="SLO period for specs that do not set one."
    ),
) -> None:
    """Generate Prometheus SLO rules exactly as Sloth does (Kubernetes input: a PrometheusRule)."""
    try:
        catalog = load_catalog(windows_path)
        options = GenerateOptions(
            version=GENERATOR_VERSION,
            extra_labels=labels_of(parse_labels(extra_labels)),
            disable_recordings=disable_recordings,
            disable_alerts=disable_alerts,
            disable_optimized_rules=disable_optimized_rules,
        )
        period = period_ms(default_period, catalog)
        if input_path.is_dir():
            files = _directory_outputs(input_path, out, fs_exclude, fs_include)
        elif input_path.is_file():
            files = {out: input_path}
        else:
            raise typer.BadParameter(f"{input_path} does not exist", param_hint="--input")
        rendered: dict[str, list[str]] = {}
        errors: list[SpecError] = []
        texts = {str(source): read_spec(source) for source in files.values()}
        # OpenSLO SLOs may name SLIs and alert policies defined in the other files of the run.
        shared = shared_objects(texts) if len(texts) > 1 else None
        for target, source in files.items():
            outcome = generate_text(
                texts[str(source)],
                source=str(source),
                period_ms=period,
                catalog=catalog,
                options=options,
                shared=shared,
            )
            errors.extend(outcome.errors)
            rendered[target] = [outcome.text]
    except SloScoutError as exc:
        fail(exc)
    if errors:
        for err in errors:
            stderr().print(f"[bold red]error:[/] {err.message}", markup=True, highlight=False)
        raise typer.Exit(1)
    for target, text in bundle(rendered).items():
        if target == "-":
            sys.stdout.write(text)
            continue
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        stderr().print(f"wrote {path}")


def _directory_outputs(
    root: Path, out: str, exclude: str | None, include: str | None
) -> dict[str, Path]:
    out_dir = Path(out)
    if out == "-" or not out_dir.is_dir():
        raise typer.BadParameter(
            f"{out!r} is not a directory, however input is a directory", param_hint="--out"
        )
    if out_dir.resolve() == root.resolve():
        raise typer.BadParameter("input and output can't be the same directory", param_hint="--out")
    sources = discover(root, exclude, include)
    if not sources:
        raise SpecError("0 slo specs have been discovered", source=str(root))
    return {str(out_dir / p.relative_to(root)): p for p in sources}
