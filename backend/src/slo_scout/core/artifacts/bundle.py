"""The whole artifact set: relative path -> file text, from the generator chain.

Layout (``<svc>`` is the service's slug; ``<svc>-28d`` for a 28-day period's Sloth files)::

    recommendations.yaml            the recommendations, and the approved SLOs when given
    sloth/<svc>.yaml                Sloth prometheus/v1 spec, one per service and period
    kubernetes/sloth/<svc>.yaml     Sloth PrometheusServiceLevel CRD, likewise
    rules/<svc>.yaml                Prometheus rules (Sloth-identical) for that spec
    kubernetes/rules/<svc>.yaml     the same rules as a PrometheusRule
    openslo/<svc>.yaml              OpenSLO v1 (DataSource ... SLO)
    pyrra/<svc>.yaml                Pyrra ServiceLevelObjective CRDs
    dashboards/<svc>.json           Grafana dashboard
    runbooks/<svc>/<slo>.md         one runbook per SLO

Two entry points: ``render_bundle`` for ``analyze`` (one SLO per ``ok`` recommendation) and
``render_approved`` for the control plane (one SLO per approved record: its name, objective,
threshold, period, description and owner, never the recommendation's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from slo_scout.core.artifacts import generators as g
from slo_scout.core.artifacts.chain import ArtifactGenerator, BundleRequest, run_chain
from slo_scout.core.artifacts.generators import check_promql
from slo_scout.core.artifacts.model import build_slos
from slo_scout.core.artifacts.records import SloRecord, slos_from_records
from slo_scout.core.artifacts.runbook import LoggedError
from slo_scout.core.journeys.model import Journey
from slo_scout.core.recommend import Recommendation, Strategy
from slo_scout.core.recommend.ratio import LOW_TRAFFIC_MIN_FAILURES
from slo_scout.core.slis import MetricFamily

__all__ = ["CHAIN", "check_promql", "render_approved", "render_bundle"]

CHAIN: tuple[ArtifactGenerator, ...] = (
    g.Validate(),
    g.Recommendations(),
    g.SlothSpecs(),
    g.SlothCrds(),
    g.SlothRules(),
    g.OpenSlo(),
    g.Pyrra(),
    g.Dashboards(),
    g.Runbooks(),
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
    logged_errors: Mapping[str, Sequence[LoggedError]] | None = None,
    low_traffic_min_failures: int = LOW_TRAFFIC_MIN_FAILURES,
) -> dict[str, str]:
    """``logged_errors``: per journey id, the error log templates of its traces (runbooks).
    ``low_traffic_min_failures``: failed events the alerts of a low-traffic SLO also need in
    their long window (0: none)."""
    request = BundleRequest(
        slos=tuple(build_slos(journeys, recommendations, family)),
        journeys=tuple(journeys), recommendations=tuple(recommendations), family=family,
        strategy=strategy, now=now, version=version, window=window, namespace=namespace,
        logged_errors=logged_errors or {}, low_traffic_min_failures=low_traffic_min_failures,
    )
    return run_chain(CHAIN, request)


def render_approved(
    journeys: Sequence[Journey],
    records: Sequence[SloRecord],
    *,
    family: MetricFamily,
    strategy: Strategy,
    now: datetime,
    version: str,
    namespace: str = "monitoring",
    logged_errors: Mapping[str, Sequence[LoggedError]] | None = None,
    chain: Sequence[ArtifactGenerator] = CHAIN,
) -> dict[str, str]:
    """The bundle of approved SLO records; SloScoutError naming the SLO that cannot render."""
    slos = tuple(slos_from_records(journeys, records, family))
    request = BundleRequest(
        slos=slos, journeys=tuple(journeys),
        recommendations=tuple(s.recommendation for s in slos), family=family,
        strategy=strategy, now=now, version=version, approved=True, namespace=namespace,
        logged_errors=logged_errors or {},
    )
    return run_chain(chain, request)
