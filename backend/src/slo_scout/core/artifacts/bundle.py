"""The whole artifact set for ``analyze --out DIR``: relative path -> file text.

Layout (``<svc>`` is the service's slug)::

    recommendations.yaml            every recommendation, including the ones with no number
    sloth/<svc>.yaml                Sloth prometheus/v1 spec
    kubernetes/sloth/<svc>.yaml     Sloth PrometheusServiceLevel CRD
    openslo/<svc>.yaml              OpenSLO v1 (DataSource ... SLO)
    pyrra/<svc>.yaml                Pyrra ServiceLevelObjective CRDs
    dashboards/<svc>.json           Grafana dashboard
    runbooks/<svc>/<slo>.md         one runbook per SLO

Every PromQL expression is parsed (``{{.window}}`` replaced by ``5m``) before anything is
returned, so a bad query fails here and not in Prometheus. Prometheus rule files are not part
of this bundle yet: they belong to ``slo_scout.core.rules``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import promql_parser

from slo_scout.core.artifacts._render import dump_yaml, render
from slo_scout.core.artifacts.grafana import render_dashboard
from slo_scout.core.artifacts.model import Slo, build_slos, by_service
from slo_scout.core.artifacts.openslo import render_openslo
from slo_scout.core.artifacts.pyrra import render_pyrra
from slo_scout.core.artifacts.runbook import render_runbook
from slo_scout.core.artifacts.sloth_spec import render_sloth_crd, render_sloth_spec
from slo_scout.core.errors import SloScoutError
from slo_scout.core.journeys.model import Journey
from slo_scout.core.recommend import Recommendation, Strategy
from slo_scout.core.slis import MetricFamily, slug


def check_promql(slos: Iterable[Slo]) -> None:
    """Raise naming the SLO and the query when any query does not parse."""
    for slo in slos:
        for field, query in zip(("error", "total", "good"), slo.sli.queries, strict=True):
            try:
                promql_parser.parse(query.replace("{{.window}}", "5m"))
            except (ValueError, TypeError) as exc:
                raise SloScoutError(
                    f"SLO {slo.name}: the {field} query does not parse: {exc}: {query}"
                ) from exc


def _recommendation_entry(rec: Recommendation, journey: Journey | None) -> dict[str, Any]:
    ev = rec.evidence
    interval = None
    if ev.interval is not None:
        interval = {
            "low": round(ev.interval.low, 6),
            "high": round(ev.interval.high, 6),
            "confidence": round(ev.interval.confidence, 4),
        }
    return {
        "journey": journey.name if journey else rec.journey_id,
        "journey_id": rec.journey_id,
        "sli": rec.kind.value,
        "status": rec.status.value,
        "objective": rec.objective,
        "threshold_seconds": rec.threshold_s,
        "evidence": {
            "good": ev.good,
            "total": ev.total,
            "ratio": None if ev.ratio is None else round(ev.ratio, 6),
            "wilson_interval": interval,
            "windows": ev.windows,
            "windows_with_traffic": ev.windows_with_traffic,
            "worst_window_ratio": (
                None if ev.worst_window_ratio is None else round(ev.worst_window_ratio, 6)
            ),
            "history_seconds": ev.history_s,
            "events_per_30_days": round(ev.events_per_30d, 1),
            "budget_minutes_per_30_days": (
                None if ev.budget_minutes_30d is None else round(ev.budget_minutes_30d, 2)
            ),
            "budget_events_per_30_days": (
                None if ev.budget_events_30d is None else round(ev.budget_events_30d, 1)
            ),
        },
        "low_traffic": rec.low_traffic,
        "low_traffic_reason": rec.low_traffic_reason,
        "rationale": rec.rationale,
    }


def render_recommendations(
    journeys: Sequence[Journey],
    recommendations: Sequence[Recommendation],
    *,
    family: MetricFamily,
    strategy: Strategy,
    now: datetime,
    version: str,
) -> str:
    by_id = {j.id: j for j in journeys}
    ordered = sorted(
        recommendations,
        key=lambda r: (
            by_id[r.journey_id].name if r.journey_id in by_id else "",
            r.journey_id,
            r.kind.value,
        ),
    )
    document = {
        "generated_at": now.isoformat(),
        "strategy": strategy.value,
        "metric_family": {
            "kind": family.kind.value,
            "histogram": family.histogram,
            "unit": family.unit,
        },
        "recommendations": [_recommendation_entry(r, by_id.get(r.journey_id)) for r in ordered],
    }
    return render(
        "yaml_file.yaml.j2",
        version=version,
        generator="recommendations/v1",
        about="Recommended SLO targets and the evidence behind each.",
        body=dump_yaml(document).rstrip("\n"),
    )


def render_bundle(
    journeys: Sequence[Journey],
    recommendations: Sequence[Recommendation],
    *,
    family: MetricFamily,
    strategy: Strategy,
    now: datetime,
    version: str,
    window: str = "rolling",
    namespace: str = "monitoring",
) -> dict[str, str]:
    slos = build_slos(journeys, recommendations, family)
    check_promql(slos)
    files: dict[str, str] = {
        "recommendations.yaml": render_recommendations(
            journeys, recommendations, family=family, strategy=strategy, now=now, version=version
        )
    }
    for service, group in by_service(slos).items():
        name = slug(service)
        files[f"sloth/{name}.yaml"] = render_sloth_spec(service, group, version=version)
        files[f"kubernetes/sloth/{name}.yaml"] = render_sloth_crd(
            service, group, version=version, namespace=namespace
        )
        files[f"openslo/{name}.yaml"] = render_openslo(
            service, group, version=version, now=now, window=window
        )
        files[f"pyrra/{name}.yaml"] = render_pyrra(
            service, group, version=version, namespace=namespace
        )
        files[f"dashboards/{name}.json"] = render_dashboard(service, group)
        for slo in group:
            files[slo.runbook_path] = render_runbook(slo, version=version)
    return dict(sorted(files.items()))
