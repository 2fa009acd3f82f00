"""File handling shared by `generate` and `validate`: discovery, reading, windows catalog,
options.

A spec file is read by :func:`read_spec`, which refuses, in one line naming the file, what would
otherwise cost a traceback, minutes or gigabytes: a file over :data:`MAX_SPEC_BYTES` (PyYAML
reads about 70 KB a second), bytes that are not UTF-8 text, a file with no YAML document, and
YAML nested deeper than :data:`MAX_DEPTH` or with more than :data:`MAX_ALIASES` aliases (the
constructor recurses once per level; aliases multiply what the SLOs expand to). It checks with
the parser's events, which take memory for one level, before anything builds the documents.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import typer
import yaml

from slo_scout.core.errors import SpecError
from slo_scout.core.rules import DEFAULT_WINDOWS, WindowsCatalog, parse_alert_windows
from slo_scout.core.specs import parse_duration

YAML_SUFFIXES = (".yaml", ".yml")
MAX_SPEC_BYTES: Final = 256 * 1024  # ~600 SLOs, ~5 s; a 1 MiB spec took 20 s and 460 MB
MAX_DEPTH: Final = 64
MAX_ALIASES: Final = 32
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_spec(path: Path, max_bytes: int = MAX_SPEC_BYTES) -> str:
    """The text of one spec file, or a :class:`SpecError` naming it and what is wrong."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SpecError(f"the file is {size} bytes, over the {max_bytes}-byte limit for a "
                            "spec; split it into several files", source=source)
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read the file: {exc.strerror or exc}", source=source) from exc
    if b"\0" in data:
        raise SpecError("this is a binary file, not YAML text", source=source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} "
                        "(save the file as UTF-8)", source=source) from None
    _check_shape(text, source)
    return text


def _check_shape(text: str, source: str) -> None:
    depth = aliases = nodes = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise SpecError(f"more than {MAX_ALIASES} YAML aliases (*name): write the "
                                    "values out", source=source)
            elif isinstance(event, yaml.CollectionStartEvent):
                nodes += 1
                depth += 1
                if depth > MAX_DEPTH:
                    raise SpecError(f"YAML nested deeper than {MAX_DEPTH} levels",
                                    source=source)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent) and event.value:
                nodes += 1  # an empty document ("---" alone) is one empty scalar
    except yaml.YAMLError:
        return  # not YAML: the spec parser says where, with the line
    if not nodes:
        raise SpecError("the file holds no YAML document: an SLO spec is expected",
                        source=source)


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
    return WindowsCatalog(parse_alert_windows(read_spec(p), source=str(p)) for p in files)


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
