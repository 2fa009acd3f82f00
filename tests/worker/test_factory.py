"""The worker builds its recommender from settings: a named family is used as is, an unnamed one
is left for the analysis to detect from the Prometheus server."""

from __future__ import annotations

from slo_scout.core.slis import FAMILIES, FamilyKind
from slo_scout.settings import HistorySettings, Settings
from slo_scout.worker.factory import build_recommender


def test_a_configured_family_is_used_as_configured() -> None:
    settings = Settings(history=HistorySettings(metric_family=FamilyKind.TEMPO.value))
    recommender = build_recommender(settings)
    assert recommender.configured is not None
    assert recommender.configured.family == FAMILIES[FamilyKind.TEMPO]


def test_without_a_configured_family_the_prometheus_server_is_asked() -> None:
    settings = Settings(history=HistorySettings(prometheus_url="http://127.0.0.1:9"))
    recommender = build_recommender(settings)
    assert recommender.configured is None
    assert recommender.history is not None
