"""Builds the worker's collaborators from settings (the one place that reads them)."""

from __future__ import annotations

from slo_scout.api.analysis.history import PrometheusHistory
from slo_scout.api.analysis.recommending import Recommender
from slo_scout.core.slis import FAMILIES, FamilyKind
from slo_scout.settings import Settings


def build_recommender(settings: Settings) -> Recommender:
    # No configured family: the analysis asks the Prometheus server, else uses spanmetrics.
    configured = settings.history.metric_family
    family = FAMILIES[FamilyKind(configured)] if configured else None
    history = None
    if settings.history.prometheus_url:
        token = settings.history.bearer_token
        history = PrometheusHistory(
            settings.history.prometheus_url,
            bearer_token=token.get_secret_value() if token else None,
            timeout_s=settings.history.timeout_seconds,
        )
    return Recommender(family, history)
