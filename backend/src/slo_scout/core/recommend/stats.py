"""Closed-form statistics for recommendations: the Wilson score interval and budget arithmetic.

Wilson rather than Clopper-Pearson: it is closed-form (no scipy), it stays inside [0, 1], and it
keeps sensible coverage at the extremes our ratios live in (0.99 and above), where the normal
approximation collapses to a zero-width interval when no error was seen.
"""

from __future__ import annotations

import math

from slo_scout.core.recommend.model import (
    MINUTES_PER_30_DAYS,
    TARGET_LADDER,
    Interval,
)

# Two-sided 95%: the normal quantile 0.975.
Z_95 = 1.959963984540054

# Below this many events nothing is said at all. Above it the interval's width decides which
# rungs can be told apart (``strictest_rung``), never whether there is an answer.
MIN_EVENTS = 100


def wilson(good: int, total: int, z: float = Z_95) -> Interval:
    """Wilson score interval of ``good / total`` at the confidence that ``z`` stands for."""
    if total <= 0:
        raise ValueError("the Wilson interval needs at least one event")
    if not 0 <= good <= total:
        raise ValueError(f"good={good} is outside [0, total={total}]")
    p = good / total
    z2 = z * z
    denom = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denom
    confidence = math.erf(z / math.sqrt(2))
    return Interval(max(0.0, centre - half), min(1.0, centre + half), confidence)


def step_above(target: float) -> float:
    """Percentage points from ``target`` to the next stricter rung (to 100 for the strictest)."""
    stricter = [t for t in TARGET_LADDER if t > target]
    return (min(stricter) if stricter else 100.0) - target


def strictest_rung(max_ratio: float, half_width: float) -> float | None:
    """The strictest ladder target at or below ``max_ratio`` that the data can resolve.

    A rung is resolvable when the interval's half-width is no wider than the step to the next
    stricter rung. Steps shrink as targets tighten, so the resolvable rungs are the loose end
    of the ladder and the answer is monotone in both arguments.
    """
    best = None
    for target in TARGET_LADDER:
        # targets are compared in percent, rounded so 0.999 * 100 does not miss 99.9
        if target <= round(max_ratio * 100, 9) and half_width * 100 <= step_above(target) + 1e-12:
            best = target
    return best


def budget_minutes_30d(objective: float) -> float:
    return (1 - objective / 100) * MINUTES_PER_30_DAYS


def budget_events_30d(objective: float, events_per_30d: float) -> float:
    return (1 - objective / 100) * events_per_30d


def hours_to_exhaust(burn_rate: float, period_days: int = 30) -> float:
    """How long a budget lasts at a constant burn rate (1x spends it in exactly the period)."""
    return period_days * 24 / burn_rate
