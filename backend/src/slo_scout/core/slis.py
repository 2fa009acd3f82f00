"""SLI candidates per journey, with the PromQL that measures them on the metrics a team has.

Every journey gets two candidates: *availability* (good = the entry span is not an error) and
*latency* (good = the entry span finished within a threshold). Both are written for one
:class:`MetricFamily` (OpenTelemetry spanmetrics connector, its older names, Tempo's
metrics-generator, or plain ``http.server.request.duration`` histograms), as Sloth-style
``error``/``total`` queries with ``{{.window}}`` and as OpenSLO ``good``/``total`` queries.

Invariants:
- the label matchers select the journey's entry: its service, its span name (or HTTP route and
  method), and the server (or consumer) span kind, so a downstream call of the same name never
  counts;
- a latency threshold is always one of the family's histogram bucket boundaries, so the SLI
  counts exactly the requests below it (no interpolation);
- the integral ``le`` values are matched as ``1000`` or ``1000.0``: Prometheus 3 writes classic
  histogram boundaries as floats (``1.0``) where Prometheus 2 wrote ``1``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from slo_scout.core.errors import SloScoutError
from slo_scout.core.journeys.model import Journey

__all__ = [
    "FAMILIES",
    "FamilyKind",
    "MetricFamily",
    "SliCandidate",
    "SliKind",
    "availability_sli",
    "detect_family",
    "format_le",
    "latency_sli",
    "sli_candidates",
    "slug",
]

# The spanmetrics connector's default explicit buckets, in milliseconds (connector config.go).
SPANMETRICS_BUCKETS_MS = (
    2.0, 4.0, 6.0, 8.0, 10.0, 50.0, 100.0, 200.0, 400.0, 800.0,
    1000.0, 1400.0, 2000.0, 5000.0, 10000.0, 15000.0,
)  # fmt: skip
# Tempo metrics-generator default: prometheus.ExponentialBuckets(0.002, 2, 14), in seconds.
TEMPO_BUCKETS_S = tuple(0.002 * 2**i for i in range(14))
# OpenTelemetry HTTP semantic conventions, advised boundaries for http.server.request.duration.
HTTP_SEMCONV_BUCKETS_S = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)  # fmt: skip


class FamilyKind(StrEnum):
    SPANMETRICS = "spanmetrics"  # OTel collector spanmetrics connector, traces_span_metrics_*
    SPANMETRICS_LEGACY = "spanmetrics-legacy"  # the connector before its namespace: calls_total
    TEMPO = "tempo"  # Tempo metrics-generator: traces_spanmetrics_*
    HTTP_SERVER = "http-server"  # http_server_request_duration_seconds_*


class SliKind(StrEnum):
    AVAILABILITY = "availability"
    LATENCY = "latency"


@dataclass(frozen=True, slots=True)
class MetricFamily:
    """Which metrics exist and how their labels name a journey's entry.

    ``calls`` is the request counter; ``None`` means the histogram's ``_count`` counts requests.
    ``histogram`` is the base name (``_bucket``, ``_count`` are appended). ``unit`` is the unit
    of the ``le`` boundaries (``"ms"`` or ``"s"``) and ``buckets`` the boundaries in that unit.
    """

    kind: FamilyKind
    calls: str | None
    histogram: str
    unit: str
    buckets: tuple[float, ...]
    service_label: str
    operation_label: str  # span_name, or http_route
    kind_label: str | None  # span_kind; None where the family has only server metrics
    error_label: str
    error_match: str  # "=" or "=~"
    error_value: str
    method_label: str | None = None  # http_request_method, for route-based families

    def __post_init__(self) -> None:
        if self.unit not in ("ms", "s"):
            raise SloScoutError(f"metric family unit must be 'ms' or 's', not {self.unit!r}")
        if not self.buckets or list(self.buckets) != sorted(set(self.buckets)):
            raise SloScoutError("metric family buckets must be distinct and ascending")

    @property
    def buckets_s(self) -> tuple[float, ...]:
        scale = 0.001 if self.unit == "ms" else 1.0
        return tuple(b * scale for b in self.buckets)

    def le_for(self, threshold_s: float) -> float:
        """The bucket boundary (in the family's unit) that equals ``threshold_s``."""
        for b, b_s in zip(self.buckets, self.buckets_s, strict=True):
            if abs(b_s - threshold_s) <= 1e-9 * max(1.0, threshold_s):
                return b
        raise SloScoutError(
            f"latency threshold {threshold_s}s is not a bucket boundary of {self.histogram}"
        )

    def with_unit(self, unit: str) -> MetricFamily:
        """The same family with ``le`` in another unit (the connector's ``histogram.unit``)."""
        if unit == self.unit:
            return self
        factor = 1000.0 if unit == "ms" else 0.001
        suffix = {"ms": "_milliseconds", "s": "_seconds"}
        base = self.histogram.removesuffix(suffix[self.unit]) + suffix[unit]
        buckets = tuple(round(b * factor, 9) for b in self.buckets)
        return replace(self, unit=unit, buckets=buckets, histogram=base)


def _span_family(
    kind: FamilyKind,
    calls: str,
    histogram: str,
    unit: str,
    buckets: tuple[float, ...],
    service_label: str,
) -> MetricFamily:
    """A span-derived family: span name and kind select the entry, the span status its errors."""
    return MetricFamily(
        kind,
        calls=calls,
        histogram=histogram,
        unit=unit,
        buckets=buckets,
        service_label=service_label,
        operation_label="span_name",
        kind_label="span_kind",
        error_label="status_code",
        error_match="=",
        error_value="STATUS_CODE_ERROR",
    )


FAMILIES: Mapping[FamilyKind, MetricFamily] = {
    FamilyKind.SPANMETRICS: _span_family(
        FamilyKind.SPANMETRICS,
        "traces_span_metrics_calls_total",
        "traces_span_metrics_duration_milliseconds",
        "ms",
        SPANMETRICS_BUCKETS_MS,
        "service_name",
    ),
    FamilyKind.SPANMETRICS_LEGACY: _span_family(
        FamilyKind.SPANMETRICS_LEGACY,
        "calls_total",
        "duration_milliseconds",
        "ms",
        SPANMETRICS_BUCKETS_MS,
        "service_name",
    ),
    FamilyKind.TEMPO: _span_family(
        FamilyKind.TEMPO,
        "traces_spanmetrics_calls_total",
        "traces_spanmetrics_latency",
        "s",
        TEMPO_BUCKETS_S,
        "service",
    ),
    FamilyKind.HTTP_SERVER: MetricFamily(
        FamilyKind.HTTP_SERVER,
        calls=None,
        histogram="http_server_request_duration_seconds",
        unit="s",
        buckets=HTTP_SEMCONV_BUCKETS_S,
        service_label="job",
        operation_label="http_route",
        kind_label=None,
        # semantic conventions: a server span is an error for 5xx, not for 4xx
        error_label="http_response_status_code",
        error_match="=~",
        error_value="5..",
        method_label="http_request_method",
    ),
}


# Candidate histogram and counter names per family, in the order detection prefers them.
_DETECT: tuple[tuple[FamilyKind, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        FamilyKind.SPANMETRICS,
        ("traces_span_metrics_calls_total", "traces_span_metrics_calls"),
        (
            "traces_span_metrics_duration_milliseconds",
            "traces_span_metrics_duration_seconds",
            "traces_span_metrics_duration",
        ),
    ),
    (
        FamilyKind.TEMPO,
        ("traces_spanmetrics_calls_total", "traces_spanmetrics_calls"),
        ("traces_spanmetrics_latency",),
    ),
    (
        FamilyKind.SPANMETRICS_LEGACY,
        ("calls_total", "calls"),
        ("duration_milliseconds", "duration_seconds", "duration"),
    ),
    (FamilyKind.HTTP_SERVER, (), ("http_server_request_duration_seconds",)),
)


def detect_family(metadata: Mapping[str, Any]) -> MetricFamily | None:
    """Pick the metric family from a Prometheus ``/api/v1/metadata`` response body.

    The body is ``{"status": "success", "data": {name: [{"type", "help", "unit"}]}}`` (the
    ``data`` mapping alone is accepted too). Histograms are listed by their base name. The unit
    comes from the name's suffix, else the metadata ``unit``, else the family's default (the
    spanmetrics connector's default unit is milliseconds). ``None`` when no family is present.
    """
    data = metadata.get("data", metadata)
    if not isinstance(data, Mapping):
        raise SloScoutError("metadata response has no 'data' mapping")
    for kind, calls_names, histo_names in _DETECT:
        histo = next((n for n in histo_names if _is_type(data, n, "histogram")), None)
        if histo is None:
            continue
        calls = next((n for n in calls_names if _is_type(data, n, "counter")), None)
        if calls_names and calls is None:
            continue
        family = FAMILIES[kind]
        unit = _unit_of(histo, data, family.unit)
        family = family.with_unit(unit)
        if calls is not None and not calls.endswith("_total"):
            calls = calls + "_total"  # OpenMetrics lists counters without the suffix
        return replace(family, histogram=histo, calls=calls)
    return None


def _is_type(data: Mapping[str, Any], name: str, kind: str) -> bool:
    entries = data.get(name)
    if not isinstance(entries, list):
        return False
    return any(isinstance(e, Mapping) and e.get("type") == kind for e in entries)


def _unit_of(histo: str, data: Mapping[str, Any], default: str) -> str:
    if histo.endswith("_milliseconds"):
        return "ms"
    if histo.endswith("_seconds"):
        return "s"
    for entry in data.get(histo, []):
        unit = entry.get("unit") if isinstance(entry, Mapping) else None
        if unit in ("ms", "milliseconds"):
            return "ms"
        if unit in ("s", "seconds"):
            return "s"
    return default


@dataclass(frozen=True, slots=True)
class SliCandidate:
    """One SLI for one journey, with its queries for Sloth and OpenSLO."""

    journey_id: str
    name: str  # DNS-1123 label: "<journey>-availability"
    kind: SliKind
    description: str
    service: str
    family: MetricFamily
    matchers: tuple[tuple[str, str, str], ...]  # the entry selector: (label, op, value)
    error_query: str  # Sloth events.error_query, with {{.window}}
    total_query: str  # Sloth events.total_query and OpenSLO total, with {{.window}}
    good_query: str  # OpenSLO ratioMetric good, with {{.window}}
    threshold_s: float | None = None  # latency only
    le: float | None = None  # latency only, the bucket boundary in the family's unit

    @property
    def queries(self) -> tuple[str, str, str]:
        return (self.error_query, self.total_query, self.good_query)


_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slug(text: str, *, limit: int = 63) -> str:
    """A DNS-1123 label (what OpenSLO, Pyrra and Kubernetes accept as a name)."""
    out = _SLUG_RE.sub("-", text.lower()).strip("-") or "x"
    if len(out) > limit:
        out = out[:limit].rstrip("-")
    return out


def format_le(value: float) -> str:
    """A boundary as Prometheus 2 exposition writes it (Go's shortest ``%g``)."""
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return repr(float(value))


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _selector(metric: str, matchers: tuple[tuple[str, str, str], ...]) -> str:
    inner = ",".join(f"{label}{op}{_quote(value)}" for label, op, value in matchers)
    return f"{metric}{{{inner}}}"


def _rate(metric: str, matchers: tuple[tuple[str, str, str], ...]) -> str:
    return f"sum(rate({_selector(metric, matchers)}[{{{{.window}}}}]))"


def entry_matchers(journey: Journey, family: MetricFamily) -> tuple[tuple[str, str, str], ...]:
    """The label matchers that select the journey's entry in ``family``'s metrics."""
    entry = journey.entry
    out: list[tuple[str, str, str]] = [(family.service_label, "=", entry.service)]
    if family.method_label is not None:
        out.append((family.operation_label, "=", entry.operation))
        if entry.method:
            out.append((family.method_label, "=", entry.method))
    else:
        out.append((family.operation_label, "=", entry.span_name))
    if family.kind_label is not None:
        span_kind = "SPAN_KIND_CONSUMER" if entry.protocol == "messaging" else "SPAN_KIND_SERVER"
        out.append((family.kind_label, "=", span_kind))
    return tuple(out)


def _requests_metric(family: MetricFamily) -> str:
    return family.calls if family.calls is not None else family.histogram + "_count"


def availability_sli(journey: Journey, family: MetricFamily) -> SliCandidate:
    matchers = entry_matchers(journey, family)
    errors = (*matchers, (family.error_label, family.error_match, family.error_value))
    good_op = "!=" if family.error_match == "=" else "!~"
    good = (*matchers, (family.error_label, good_op, family.error_value))
    metric = _requests_metric(family)
    return SliCandidate(
        journey_id=journey.id,
        name=slug(journey.name, limit=50) + "-availability",
        kind=SliKind.AVAILABILITY,
        description=f"Share of {journey.entry.label} requests that did not fail.",
        service=journey.entry.service,
        family=family,
        matchers=matchers,
        error_query=_rate(metric, errors),
        total_query=_rate(metric, matchers),
        good_query=_rate(metric, good),
    )


def latency_sli(journey: Journey, family: MetricFamily, threshold_s: float) -> SliCandidate:
    le = family.le_for(threshold_s)
    matchers = entry_matchers(journey, family)
    text = format_le(le)
    le_matcher = ("le", "=~", f"{text}(\\.0)?") if le == int(le) else ("le", "=", text)
    total = _rate(family.histogram + "_count", matchers)
    good = _rate(family.histogram + "_bucket", (*matchers, le_matcher))
    return SliCandidate(
        journey_id=journey.id,
        name=slug(journey.name, limit=50) + "-latency",
        kind=SliKind.LATENCY,
        description=(
            f"Share of {journey.entry.label} requests served within {_human_s(threshold_s)}."
        ),
        service=journey.entry.service,
        family=family,
        matchers=matchers,
        error_query=f"{total} - {good}",
        total_query=total,
        good_query=good,
        threshold_s=threshold_s,
        le=le,
    )


def default_threshold_s(journey: Journey, family: MetricFamily, quantile: float = 0.99) -> float:
    """The smallest bucket boundary at or above the journey's measured ``quantile``."""
    measured = journey.quantile(quantile)
    bounds = family.buckets_s
    if measured is None:
        return bounds[len(bounds) // 2]
    return next((b for b in bounds if b >= measured), bounds[-1])


def sli_candidates(
    journey: Journey, family: MetricFamily, *, latency_threshold_s: float | None = None
) -> tuple[SliCandidate, SliCandidate]:
    """Availability and latency SLIs for ``journey``; the threshold defaults to its p99 bucket."""
    threshold = latency_threshold_s
    if threshold is None:
        threshold = default_threshold_s(journey, family)
    return availability_sli(journey, family), latency_sli(journey, family, threshold)


def _human_s(seconds: float) -> str:
    if seconds < 1:
        ms = seconds * 1000
        return f"{ms:g} ms" if ms == round(ms, 3) else f"{ms:.3f} ms"
    return f"{seconds:g} s"
