"""Recommendations for a journey: availability and latency, from its history or from counts.

``recommend_*_counts`` take window counts a runtime read from Prometheus (``increase()`` over
equal windows); the ``recommend_availability``/``recommend_latency`` helpers cut a journey's
per-minute statistics into such windows first. Everything is deterministic: ``now`` is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from slo_scout.core.journeys.model import Journey
from slo_scout.core.recommend.history import (
    DEFAULT_LOOKBACK_S,
    DEFAULT_WINDOWS,
    Window,
    availability_counts,
    latency_counts,
    split_history,
)
from slo_scout.core.recommend.model import (
    POLICIES,
    Recommendation,
    Status,
    Strategy,
    WindowCounts,
)
from slo_scout.core.recommend.ratio import Assessment, assess, low_traffic
from slo_scout.core.recommend.stats import MAX_HALF_WIDTH, MIN_EVENTS, budget_minutes_30d
from slo_scout.core.slis import MetricFamily, SliKind

DEFAULT_LATENCY_OBJECTIVE = 99.0


def recommend_availability_counts(
    journey_id: str, windows: Sequence[WindowCounts], *, strategy: Strategy
) -> Recommendation:
    a = assess(windows)
    objective = a.objective(strategy)
    status = _status(a, objective)
    reason = low_traffic(objective, a.events_per_30d) if objective is not None else None
    return Recommendation(
        journey_id=journey_id,
        kind=SliKind.AVAILABILITY,
        strategy=strategy,
        status=status,
        objective=objective,
        threshold_s=None,
        evidence=a.evidence(objective),
        low_traffic=reason is not None,
        low_traffic_reason=reason,
        rationale=_availability_rationale(a, status, objective, strategy),
    )


def recommend_latency_counts(
    journey_id: str,
    by_threshold: Mapping[float, Sequence[WindowCounts]],
    *,
    strategy: Strategy,
    objective: float = DEFAULT_LATENCY_OBJECTIVE,
) -> Recommendation:
    """Latency: the objective is fixed, the strategy moves the threshold.

    ``by_threshold`` maps each candidate threshold (seconds, a bucket boundary) to its window
    counts (good = requests no slower than it). The answer is the smallest threshold at which
    the strategy would promise ``objective``.
    """
    if not by_threshold:
        raise ValueError("latency needs at least one candidate threshold")
    chosen: tuple[float, Assessment] | None = None
    last: tuple[float, Assessment] | None = None
    for threshold in sorted(by_threshold):
        a = assess(by_threshold[threshold])
        last = (threshold, a)
        reached = a.objective(strategy)
        if reached is not None and reached >= objective:
            chosen = (threshold, a)
            break
    assert last is not None
    threshold, a = chosen or last
    if chosen is not None:
        status, target = Status.OK, objective
    else:
        status, target = _status(a, None), None
    reason = low_traffic(target, a.events_per_30d) if target is not None else None
    return Recommendation(
        journey_id=journey_id,
        kind=SliKind.LATENCY,
        strategy=strategy,
        status=status,
        objective=target,
        threshold_s=threshold if chosen is not None else None,
        evidence=a.evidence(target),
        low_traffic=reason is not None,
        low_traffic_reason=reason,
        rationale=_latency_rationale(a, status, target, threshold, strategy),
    )


def recommend_availability(
    journey: Journey,
    *,
    strategy: Strategy,
    now_s: int,
    lookback_s: int = DEFAULT_LOOKBACK_S,
    windows: int = DEFAULT_WINDOWS,
) -> Recommendation:
    parts = split_history(journey, now_s=now_s, lookback_s=lookback_s, windows=windows)
    return recommend_availability_counts(journey.id, availability_counts(parts), strategy=strategy)


def recommend_latency(
    journey: Journey,
    family: MetricFamily,
    *,
    strategy: Strategy,
    now_s: int,
    objective: float = DEFAULT_LATENCY_OBJECTIVE,
    lookback_s: int = DEFAULT_LOOKBACK_S,
    windows: int = DEFAULT_WINDOWS,
) -> Recommendation:
    parts = split_history(journey, now_s=now_s, lookback_s=lookback_s, windows=windows)
    return _latency_from_parts(journey.id, parts, family, strategy=strategy, objective=objective)


def recommend_journey(
    journey: Journey,
    family: MetricFamily,
    *,
    strategy: Strategy,
    now_s: int,
    lookback_s: int = DEFAULT_LOOKBACK_S,
    windows: int = DEFAULT_WINDOWS,
    latency_objective: float = DEFAULT_LATENCY_OBJECTIVE,
) -> tuple[Recommendation, Recommendation]:
    """Availability and latency recommendations for ``journey``."""
    parts = split_history(journey, now_s=now_s, lookback_s=lookback_s, windows=windows)
    return (
        recommend_availability_counts(journey.id, availability_counts(parts), strategy=strategy),
        _latency_from_parts(
            journey.id, parts, family, strategy=strategy, objective=latency_objective
        ),
    )


def _latency_from_parts(
    journey_id: str,
    parts: Sequence[Window],
    family: MetricFamily,
    *,
    strategy: Strategy,
    objective: float,
) -> Recommendation:
    by_threshold = {b: latency_counts(parts, b) for b in family.buckets_s}
    return recommend_latency_counts(
        journey_id, by_threshold, strategy=strategy, objective=objective
    )


def _status(a: Assessment, objective: float | None) -> Status:
    if not a.sufficient:
        return Status.INSUFFICIENT_DATA
    return Status.OK if objective is not None else Status.UNMET


def _measured(a: Assessment) -> str:
    assert a.ratio is not None and a.interval is not None
    return (
        f"{a.good:,} of {a.total:,} requests were good ({a.ratio * 100:.3f}%, 95% Wilson "
        f"interval {a.interval.low * 100:.3f}–{a.interval.high * 100:.3f}%) over "
        f"{a.windows_with_traffic} of {a.windows} equal windows"
    )


def _insufficient(a: Assessment) -> str:
    if a.total < MIN_EVENTS:
        return (
            f"Insufficient data: {a.total:,} requests seen, at least {MIN_EVENTS} are needed "
            f"before any target is proposed."
        )
    assert a.interval is not None
    return (
        f"Insufficient data: {_measured(a)}; the interval is ±{a.interval.half_width * 100:.2f} "
        f"points wide, more than the ±{MAX_HALF_WIDTH * 100:.1f} needed to tell 99% from 99.5%."
    )


def _strategy_words(strategy: Strategy) -> str:
    policy = POLICIES[strategy]
    return (
        f"The {strategy.value} strategy trusts the {policy.basis.value} and allows "
        f"{policy.headroom:g}x its error rate"
    )


def _availability_rationale(
    a: Assessment, status: Status, objective: float | None, strategy: Strategy
) -> str:
    if status is Status.INSUFFICIENT_DATA:
        return _insufficient(a)
    worst = f"; the worst window had {a.worst * 100:.3f}%" if a.worst is not None else ""
    if objective is None:
        return (
            f"{_measured(a)}{worst}. {_strategy_words(strategy)}, which is below every usual "
            f"target: fix the failures before adopting an availability SLO."
        )
    return (
        f"{_measured(a)}{worst}. {_strategy_words(strategy)}, so the strictest target it "
        f"supports is {objective:g}%: an error budget of {budget_minutes_30d(objective):,.1f} "
        f"minutes per 30 days."
    )


def _latency_rationale(
    a: Assessment,
    status: Status,
    objective: float | None,
    threshold_s: float,
    strategy: Strategy,
) -> str:
    if status is Status.INSUFFICIENT_DATA:
        return _insufficient(a)
    if objective is None:
        return (
            f"Even at the largest bucket boundary ({threshold_s:g} s) {_measured(a)}. "
            f"{_strategy_words(strategy)}, which is below the latency objective: no threshold "
            f"of this histogram supports it."
        )
    return (
        f"At {threshold_s:g} s (a bucket boundary, so the SLI is exact) {_measured(a)}. "
        f"{_strategy_words(strategy)}; this is the smallest boundary at which it supports "
        f"{objective:g}% of requests being that fast."
    )
