"""The SLO spec model every reader produces and every rule generator consumes.

It is Sloth's internal model (pkg/common/model PromSLO) as frozen dataclasses: whatever the input
format (Sloth prometheus/v1, the Kubernetes PrometheusServiceLevel CRD, OpenSLO v1alpha or v1),
an SLO is a service, a name, an objective in percent, a period, one SLI (events or raw error
ratio, both PromQL templates over `{{.window}}`), labels, and page/ticket alert metadata.
Labels are tuples of (name, value) pairs sorted by name so the model is hashable and ordered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

Labels = tuple[tuple[str, str], ...]


def labels_of(mapping: Mapping[str, str] | None) -> Labels:
    """A sorted label tuple from a mapping."""
    return tuple(sorted((mapping or {}).items()))


def merge_labels(*layers: Labels | Mapping[str, str]) -> Labels:
    """Later layers override earlier ones (Sloth's MergeLabels)."""
    merged: dict[str, str] = {}
    for layer in layers:
        merged.update(layer if isinstance(layer, Mapping) else dict(layer))
    return labels_of(merged)


class SpecKind(StrEnum):
    """The input format a spec came from; it sets `sloth_mode` and `sloth_spec` of the info rule."""

    PROMETHEUS_V1 = "prometheus/v1"
    KUBERNETES_V1 = "sloth.slok.dev/v1"
    OPENSLO_V1ALPHA = "openslo/v1alpha"
    OPENSLO_V1 = "openslo/v1"

    @property
    def mode(self) -> str:
        return {
            SpecKind.PROMETHEUS_V1: "cli-gen-prom",
            SpecKind.KUBERNETES_V1: "cli-gen-k8s",
            SpecKind.OPENSLO_V1ALPHA: "cli-gen-openslo",
            SpecKind.OPENSLO_V1: "cli-gen-openslo",
        }[self]


@dataclass(frozen=True)
class SLIEvents:
    """Bad events over total events; both PromQL templates using `{{.window}}`."""

    error_query: str
    total_query: str


@dataclass(frozen=True)
class SLIRaw:
    """A query that already returns the error ratio (0..1) over `{{.window}}`."""

    error_ratio_query: str


@dataclass(frozen=True)
class AlertMeta:
    """One of the two alerts (page or ticket) of an SLO."""

    disable: bool = True
    name: str = ""
    labels: Labels = ()
    annotations: Labels = ()


@dataclass(frozen=True)
class BurnRateCondition:
    """An OpenSLO `burnrate` AlertCondition: the burn rate over `long_ms` and over `long_ms / 12`
    (the short window of the Google SRE workbook, which Sloth's windows follow) compared with
    `threshold` by `op` (a PromQL comparison), for `alert_after_ms` before firing."""

    name: str
    threshold: float
    long_ms: int
    op: str = ">"
    alert_after_ms: int = 0

    @property
    def short_ms(self) -> int:
        return self.long_ms // 12


@dataclass(frozen=True)
class PolicyAlert:
    """An OpenSLO AlertPolicy: one alert rule per condition, all named after the policy."""

    name: str
    severity: str  # page or ticket (the sloth_severity label)
    conditions: tuple[BurnRateCondition, ...]
    labels: Labels = ()
    annotations: Labels = ()


@dataclass(frozen=True)
class CalendarWindow:
    """A calendar-aligned SLO period (OpenSLO `isRolling: false`), in UTC.

    Periods are either `count` calendar months from `start_month` (`unit` "M", count 1) or fixed
    lengths of `length_s` seconds from `start_s` (units m, h, d, w). `label` is the OpenSLO
    spelling (`1M`), used as the period's window name in the rules.
    """

    label: str
    unit: str
    length_s: int = 0
    start_s: int = 0
    start_month: int = 1


@dataclass(frozen=True)
class SLOSpec:
    """One SLO, as Sloth's PromSLO. `objective` is a percent in (0, 100]; `period_ms` the window."""

    id: str
    name: str
    service: str
    objective: float
    period_ms: int
    sli: SLIEvents | SLIRaw | None
    description: str = ""
    labels: Labels = ()
    page_alert: AlertMeta = field(default_factory=AlertMeta)
    ticket_alert: AlertMeta = field(default_factory=AlertMeta)
    policy_alerts: tuple[PolicyAlert, ...] = ()
    calendar: CalendarWindow | None = None


@dataclass(frozen=True)
class KubernetesMeta:
    """Object metadata of a Kubernetes input; the PrometheusRule written for it reuses it."""

    name: str
    namespace: str = ""
    labels: Labels = ()
    annotations: Labels = ()


@dataclass(frozen=True)
class ServiceSpec:
    """The SLOs of one input document (Sloth's PromSLOGroup), with where they came from."""

    kind: SpecKind
    slos: tuple[SLOSpec, ...]
    source: str = "<input>"
    document: int = 1
    kubernetes: KubernetesMeta | None = None
