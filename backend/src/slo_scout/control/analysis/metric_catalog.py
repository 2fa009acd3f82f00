"""The metric catalog the streaming catalog job records, read as SLI family detection's input.

The catalog job (``slo_scout_streaming.catalog_job``) keeps one ``metric_catalog`` row per
(environment name, metric, label key set) it saw on the metrics topic, with the metric's type
and the wire format it came in. When no family is configured and no Prometheus is named, the
analysis of an environment builds :func:`slo_scout.core.slis.detect_family`'s input from the
rows of that environment's name, as a Prometheus ``/api/v1/metadata`` ``data`` map.

Names that came over remote_write are Prometheus names already (a classic histogram under its
base name). Names that came over OTLP are OpenTelemetry names (``http.server.request.duration``)
and are translated the way Prometheus' OTLP endpoint and the collector's Prometheus exporters
name them: characters outside ``[a-zA-Z0-9_:]`` become ``_``, a monotonic sum gains ``_total``,
and a histogram gains its unit suffix. The catalog keeps no unit, so the suffix comes from the
conventions of the metrics detection knows (semantic conventions: seconds; the spanmetrics
connector: milliseconds by default); any other histogram keeps its bare name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.db.models import Environment

# The table is written by the streaming catalog job (migration 0003); no ORM model maps it.
_catalog = sa.table(
    "metric_catalog",
    sa.column("environment", sa.String),
    sa.column("metric", sa.String),
    sa.column("metric_type", sa.String),
    sa.column("source", sa.String),
)

# OpenTelemetry histogram names -> the unit suffix their Prometheus names carry.
_OTEL_HISTOGRAM_UNITS = {
    "http.server.request.duration": "_seconds",  # semantic conventions: unit "s"
    "traces.span.metrics.duration": "_milliseconds",  # spanmetrics connector default: "ms"
    "traces.spanmetrics.latency": "",  # Tempo's generator, when relayed over OTLP
    "duration": "_milliseconds",  # the spanmetrics connector before its namespace
}
_INVALID = re.compile(r"[^a-zA-Z0-9_:]")


@dataclass(frozen=True, slots=True)
class CatalogMetric:
    metric: str
    metric_type: str  # counter | gauge | histogram | summary | unknown | ...
    source: str  # prometheus.remote_write.v1, prometheus.remote_write.v2, otlp_http, otlp_grpc


async def metrics_of_environment(session: AsyncSession, environment_id: int
                                 ) -> list[CatalogMetric]:
    """The distinct metrics the catalog holds for the environment's name, sorted."""
    name = sa.select(Environment.name).where(Environment.id == environment_id).scalar_subquery()
    rows = await session.execute(
        sa.select(_catalog.c.metric, _catalog.c.metric_type, _catalog.c.source)
        .where(_catalog.c.environment == name)
        .distinct()
        .order_by(_catalog.c.metric, _catalog.c.metric_type, _catalog.c.source)
    )
    return [CatalogMetric(m, t, s) for m, t, s in rows.all()]


def prometheus_name(metric: CatalogMetric) -> str:
    """The metric's name as a Prometheus-compatible server lists it."""
    if not metric.source.startswith("otlp"):
        return metric.metric
    name = _INVALID.sub("_", metric.metric)
    if metric.metric_type == "counter" and not name.endswith("_total"):
        return name + "_total"
    if metric.metric_type == "histogram":
        suffix = _OTEL_HISTOGRAM_UNITS.get(metric.metric, "")
        if suffix and not name.endswith(suffix):
            return name + suffix
    return name


def metadata_of(metrics: Iterable[CatalogMetric]) -> dict[str, list[dict[str, str]]]:
    """A ``/api/v1/metadata`` ``data`` map: one entry per type seen under each name."""
    data: dict[str, list[dict[str, str]]] = {}
    for metric in metrics:
        entries = data.setdefault(prometheus_name(metric), [])
        entry = {"type": metric.metric_type, "help": "", "unit": ""}
        if entry not in entries:
            entries.append(entry)
    return data
