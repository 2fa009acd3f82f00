"""Recommended SLO targets from a journey's measured history, with the evidence behind them."""

from slo_scout.core.recommend.journey import (
    DEFAULT_LATENCY_OBJECTIVE,
    recommend_availability,
    recommend_availability_counts,
    recommend_journey,
    recommend_latency,
    recommend_latency_counts,
)
from slo_scout.core.recommend.model import (
    EXTENDED_TARGETS,
    POLICIES,
    STANDARD_TARGETS,
    TARGET_LADDER,
    Evidence,
    Incident,
    Interval,
    Policy,
    Recommendation,
    Status,
    Strategy,
    WindowCounts,
)
from slo_scout.core.recommend.stats import MIN_EVENTS, wilson

__all__ = [
    "DEFAULT_LATENCY_OBJECTIVE",
    "EXTENDED_TARGETS",
    "MIN_EVENTS",
    "POLICIES",
    "STANDARD_TARGETS",
    "TARGET_LADDER",
    "Evidence",
    "Incident",
    "Interval",
    "Policy",
    "Recommendation",
    "Status",
    "Strategy",
    "WindowCounts",
    "recommend_availability",
    "recommend_availability_counts",
    "recommend_journey",
    "recommend_latency",
    "recommend_latency_counts",
    "wilson",
]
