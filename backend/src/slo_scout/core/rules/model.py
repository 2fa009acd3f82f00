"""Prometheus rules as data: what the generators produce and the renderers write."""

from __future__ import annotations

from dataclasses import dataclass, field

from slo_scout.core.rules.burn import MWMBAlertGroup
from slo_scout.core.specs.model import Labels, SLOSpec


@dataclass(frozen=True)
class Rule:
    """A recording rule (`record`) or an alerting rule (`alert`)."""

    expr: str
    record: str = ""
    alert: str = ""
    for_duration: str = ""  # alerting rules only; empty: fire at once
    labels: Labels = ()
    annotations: Labels = ()


@dataclass(frozen=True)
class Info:
    """What the `sloth_slo_info` rule says about the generator and the input."""

    version: str
    mode: str
    spec: str


@dataclass(frozen=True)
class GenerationRequest:
    info: Info
    slo: SLOSpec
    alerts: MWMBAlertGroup
    # Low traffic: each burn-rate condition also needs this many failed events in its long
    # window (0: none, as Sloth). docs/recommendations.md, "Low traffic".
    min_failures: int = 0


@dataclass(frozen=True)
class SLORules:
    """The three rule groups of one SLO, in the order Sloth writes them."""

    sli_recordings: tuple[Rule, ...] = ()
    meta_recordings: tuple[Rule, ...] = ()
    alerts: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class SLOResult:
    slo: SLOSpec
    rules: SLORules = field(default_factory=SLORules)
