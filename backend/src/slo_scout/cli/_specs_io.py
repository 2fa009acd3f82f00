"""File handling shared by `generate` and `validate`: discovery, windows catalog, options."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from slo_scout.core.errors import SpecError
from slo_scout.core.rules import DEFAULT_WINDOWS, WindowsCatalog, parse_alert_windows
from slo_scout.core.specs import parse_duration

YAML_SUFFIXES = (".yaml", ".yml")


def discover(root: Path, exclude: str | None, include: str | None) -> list[Path]:
    """YAML files under a directory, sorted; exclude wins over include (as Sloth's --fs-*)."""
    exc = re.compile(exclude) if exclude else None
    inc = re.compile(include) if include else None
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in YAML_SUFFIXES:
            continue
        text = str(path)
        if exc is not None and exc.search(text):
            continue
        if inc is not None and not inc.search(text):
            continue
        found.append(path)
    return found


def load_catalog(windows_path: Path | None) -> WindowsCatalog:
    if windows_path is None:
        return WindowsCatalog(DEFAULT_WINDOWS)
    if not windows_path.is_dir():
        raise typer.BadParameter(
            f"{windows_path} is not a directory", param_hint="--slo-period-windows-path"
        )
    files = [
        p for p in sorted(windows_path.rglob("*")) if p.is_file() and p.suffix in YAML_SUFFIXES
    ]
    return WindowsCatalog(parse_alert_windows(p.read_text(), source=str(p)) for p in files)


def period_ms(text: str, catalog: WindowsCatalog) -> int:
    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--default-slo-period") from exc
    if catalog.get(value) is None:
        raise SpecError(
            f"invalid default slo period: window period {text} missing from the windows catalog",
            field="--default-slo-period",
        )
    return value


def parse_labels(items: list[str]) -> dict[str, str]:
    labels = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{item!r} is not key=value", param_hint="--extra-labels")
        labels[key] = value
    return labels
