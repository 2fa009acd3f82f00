"""Where a bundle's files go in a team's repository, and which of them go.

A bundle (``slo-scout analyze --out``, or a bundle rendered by the control plane) is a set of
relative paths, per service slug ``<svc>``:

    openslo/<svc>.yaml  pyrra/<svc>.yaml  dashboards/<svc>.json  runbooks/<svc>/<slo>.md
    sloth/<svc>[-28d].yaml  rules/<svc>[-28d].yaml  kubernetes/{sloth,rules}/<svc>[-28d].yaml

(the Sloth files and the rules made from them hold one period each: ``<svc>`` for 30 days,
``<svc>-28d`` for 28, since Sloth's spec has no period field)

plus bundle-wide files (``recommendations.yaml``, the report) that are evidence, not
configuration: their content goes into the pull request's body instead. Each service is
delivered on its own branch, under a prefix made from a template (``slo/{team}/{service}/
{environment}`` by default), keeping the bundle's relative paths below it. Which outputs go is
configurable: a team that runs the Prometheus Operator takes ``kubernetes`` and leaves ``rules``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from slo_scout.core.errors import SpecError
from slo_scout.core.slis import slug

OUTPUTS = ("sloth", "rules", "kubernetes", "openslo", "pyrra", "dashboards", "runbooks")
DEFAULT_PATH = "slo/{team}/{service}/{environment}"
DEFAULT_BRANCH = "slo-scout/{service}/{environment}"
PLACEHOLDERS = ("team", "service", "environment")
CONFIG_FILE = ".slo-scout.yaml"

_SERVICE_FILE = re.compile(r"^(sloth|openslo|pyrra|rules|dashboards)/([a-z0-9-]+)\.(yaml|json)$")
_KUBERNETES_FILE = re.compile(r"^kubernetes/(sloth|rules)/([a-z0-9-]+)\.yaml$")
_RUNBOOK = re.compile(r"^runbooks/([a-z0-9-]+)/[a-z0-9-]+\.md$")
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")
_PERIOD_SUFFIX = re.compile(r"-\d+d$")
_PER_PERIOD = ("sloth", "rules", "kubernetes")


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    """How a repository takes bundles: from flags, or its ``.slo-scout.yaml``'s ``delivery``."""

    path: str = DEFAULT_PATH
    branch: str = DEFAULT_BRANCH
    outputs: tuple[str, ...] = OUTPUTS
    labels: tuple[str, ...] = ("slo",)
    reviewers: tuple[str, ...] = ()

    def with_overrides(self, **given: Any) -> DeliveryConfig:
        """This configuration with the given (not None) values instead, each checked."""
        changes = {name: value for name, value in given.items() if value is not None}
        return _checked(replace(self, **changes), "the command line")


@dataclass(frozen=True, slots=True)
class Target:
    """What a delivery is for: one service of one team in one environment."""

    team: str
    service: str  # the bundle's slug of the service
    environment: str
    values: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", {
            "team": slug(self.team), "service": slug(self.service),
            "environment": slug(self.environment)})


def read_config(text: str, source: str = CONFIG_FILE) -> DeliveryConfig:
    """The ``delivery`` section of a repository's ``.slo-scout.yaml`` (absent: the defaults)."""
    try:
        document = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise SpecError(f"not YAML: {exc}", source=source) from exc
    if not isinstance(document, dict):
        raise SpecError("expected a mapping at the top", source=source)
    section = document.get("delivery") or {}
    if not isinstance(section, dict):
        raise SpecError("expected a mapping", source=source, field="delivery")
    unknown = sorted(set(section) - {"path", "branch", "outputs", "labels", "reviewers"})
    if unknown:
        raise SpecError(f"unknown keys: {', '.join(unknown)} (known: path, branch, outputs, "
                        "labels, reviewers)", source=source, field="delivery")
    values: dict[str, Any] = {}
    for name in ("path", "branch"):
        if name in section:
            if not isinstance(section[name], str):
                raise SpecError("expected a string", source=source, field=f"delivery.{name}")
            values[name] = section[name]
    for name in ("outputs", "labels", "reviewers"):
        if name in section:
            items = section[name]
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise SpecError("expected a list of strings", source=source,
                                field=f"delivery.{name}")
            values[name] = tuple(items)
    return _checked(DeliveryConfig(**values), source)


def _checked(config: DeliveryConfig, source: str) -> DeliveryConfig:
    unknown = sorted(set(config.outputs) - set(OUTPUTS))
    if unknown or not config.outputs:
        raise SpecError(f"unknown outputs {unknown} (choose from {', '.join(OUTPUTS)})"
                        if unknown else "no outputs chosen", source=source, field="outputs")
    for name in ("path", "branch"):
        template = getattr(config, name)
        try:
            expand(template, Target("team", "service", "environment"), what=name)
        except SpecError as exc:
            raise SpecError(exc.reason, source=source, field=name) from exc
    return config


def expand(template: str, target: Target, *, what: str = "path") -> str:
    """The template with ``{team}``, ``{service}``, ``{environment}`` filled in: a relative
    path of plain segments (no ``..``, no absolute path), or a SpecError saying why not."""
    try:
        text = template.format(**target.values)
    except (KeyError, IndexError, ValueError) as exc:
        raise SpecError(f"{what} template {template!r}: unknown placeholder {exc} (use "
                        f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)})") from exc
    segments = text.rstrip("/").split("/")
    if any(s in ("", ".", "..") or not _SAFE_SEGMENT.match(s) for s in segments):
        raise SpecError(f"{what} template {template!r} gives {text!r}: use relative segments "
                        "of letters, digits, '.', '_' and '-'")
    return "/".join(segments)


def kind_and_stem(path: str) -> tuple[str, str] | None:
    """(output, file stem: the service slug, with ``-<N>d`` for a period's Sloth file and
    rules) of a bundle file, or None for bundle-wide files."""
    if m := _SERVICE_FILE.match(path):
        return m.group(1), m.group(2)
    if m := _KUBERNETES_FILE.match(path):
        return "kubernetes", m.group(2)
    if m := _RUNBOOK.match(path):
        return "runbooks", m.group(1)
    return None


def services_in(files: Mapping[str, str]) -> list[str]:
    """The service slugs a bundle has files for, sorted (from the files that are one per
    service whatever the periods: OpenSLO, Pyrra, dashboards, runbooks)."""
    found = {kind_and_stem(path) for path in files}
    exact = {stem for kind, stem in filter(None, found) if kind not in _PER_PERIOD}
    if exact:
        return sorted(exact)
    return sorted({_PERIOD_SUFFIX.sub("", stem) for _, stem in filter(None, found)})


def service_of(path: str, services: Sequence[str]) -> tuple[str, str] | None:
    """(output, service slug) of a bundle file among ``services``, or None."""
    found = kind_and_stem(path)
    if found is None:
        return None
    kind, stem = found
    owners = [s for s in services if stem == s or (
        kind in _PER_PERIOD and _PERIOD_SUFFIX.sub("", stem) == s and stem != s)]
    return (kind, max(owners, key=len)) if owners else None


def plan(files: Mapping[str, str], target: Target, config: DeliveryConfig) -> dict[str, str]:
    """Repository path -> text of the service's files that ``config`` delivers."""
    prefix = expand(config.path, target)
    services = services_in(files)
    chosen = {path: text for path, text in files.items()
              if (found := service_of(path, services)) is not None
              and found[1] == target.values["service"] and found[0] in config.outputs}
    return {f"{prefix}/{path}": text for path, text in sorted(chosen.items())}


def branch_name(config: DeliveryConfig, target: Target) -> str:
    return expand(config.branch, target, what="branch")


def outputs_of(paths: Sequence[str]) -> list[str]:
    """The outputs present among bundle paths, in OUTPUTS order."""
    present = {found[0] for path in paths if (found := kind_and_stem(path))}
    return [name for name in OUTPUTS if name in present]
