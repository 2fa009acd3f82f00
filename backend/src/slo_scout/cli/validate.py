"""`slo-scout validate`: check Sloth, OpenSLO and Pyrra spec files, naming each problem."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from slo_scout.cli._console import fail, stderr, usage_error
from slo_scout.cli._specs_io import discover, load_catalog, parse_labels, period_ms, read_spec
from slo_scout.cli.generate import GENERATOR_VERSION
from slo_scout.core.errors import SloScoutError, SpecError
from slo_scout.core.rules import GenerateOptions
from slo_scout.core.rules.files import generate_text
from slo_scout.core.specs.model import labels_of
from slo_scout.core.specs.openslo_v1_objects import shared_objects


def validate_command(
    paths: list[Path] | None = typer.Argument(  # noqa: B008
        None, help="Spec files or directories, as pre-commit passes them (or use --input)."
    ),
    inputs: list[Path] = typer.Option(  # noqa: B008
        [], "--input", "-i", help="Spec file or directory (searched recursively); repeatable."
    ),
    fs_exclude: str | None = typer.Option(
        None, "--fs-exclude", "-e", help="Regex of paths to skip."
    ),
    fs_include: str | None = typer.Option(
        None, "--fs-include", "-n", help="Regex of paths to keep."
    ),
    extra_labels: list[str] = typer.Option(  # noqa: B008
        [], "--extra-labels", "-l", help="key=value (repeatable)."
    ),
    windows_path: Path | None = typer.Option(  # noqa: B008
        None, "--slo-period-windows-path", help="Directory of AlertWindows files."
    ),
    default_period: str = typer.Option("30d", "--default-slo-period", help="Default SLO period."),
    fail_on_duplicates: bool = typer.Option(
        False, "--fail-on-duplicates", help="Fail when two files define the same SLO id."
    ),
) -> None:
    """Validate specs: exit 0 when all are valid, 1 with file, document and field of each problem."""  # noqa: E501
    inputs = [*(paths or []), *inputs]
    if not inputs:
        usage_error("name the specs to validate: files or directories, or --input")
    try:
        catalog = load_catalog(windows_path)
        period = period_ms(default_period, catalog)
        options = GenerateOptions(
            version=GENERATOR_VERSION, extra_labels=labels_of(parse_labels(extra_labels))
        )
        files: list[Path] = []
        for item in inputs:
            if item.is_dir():
                files.extend(discover(item, fs_exclude, fs_include))
            elif item.is_file():
                files.append(item)
            else:
                raise typer.BadParameter(f"{item} does not exist", param_hint="--input")
        if not files:
            raise SpecError("0 slo specs have been discovered", source=", ".join(map(str, inputs)))
    except SloScoutError as exc:
        fail(exc)
    problems: list[SpecError] = []
    texts: dict[str, str] = {}
    for path in files:  # a file that cannot be read is one problem; the others are validated
        try:
            texts[str(path)] = read_spec(path)
        except SpecError as unreadable:
            problems.append(unreadable)
    seen: dict[str, str] = {}
    documents = 0
    console = stderr()
    shared = shared_objects(texts) if len(texts) > 1 else None
    for path in files:
        if str(path) not in texts:
            console.print(f"[red]unreadable[/] {escape(str(path))}")
            continue
        outcome = generate_text(
            texts[str(path)],
            source=str(path),
            period_ms=period,
            catalog=catalog,
            options=options,
            allow_pyrra=True,
            shared=shared,
        )
        documents += outcome.documents
        problems.extend(outcome.errors)
        for result in outcome.results:
            first = seen.setdefault(result.slo.id, str(path))
            if first != str(path):
                duplicate = SpecError(
                    f"SLO id {result.slo.id!r} is already defined in {first}", source=str(path)
                )
                if fail_on_duplicates:
                    problems.append(duplicate)
                else:
                    console.print(f"[yellow]warning:[/] {escape(duplicate.message)}")
        status = "[red]invalid[/]" if outcome.errors else "[green]valid[/]"
        console.print(f"{status} {escape(str(path))}")
    for problem in problems:
        console.print(f"[bold red]error:[/] {escape(problem.message)}")
    if problems:
        console.print(f"{len(problems)} problem(s) in {len(files)} file(s)")
        raise typer.Exit(1)
    console.print(f"{documents} document(s) in {len(files)} file(s) are valid")
