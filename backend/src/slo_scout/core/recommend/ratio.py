"""The recommendation rule for one good/total ratio, shared by availability and latency.

Rule (docs/recommendations.md has it in words):
1. pool the windows: ``good``, ``total``, measured ratio ``p``, its Wilson 95% interval;
2. too few events (``total < MIN_EVENTS``) or an interval wider than ``±MAX_HALF_WIDTH``:
   status *insufficient data*, no number;
3. the strategy picks a *basis* (worst of the lower bound and the worst window, the lower
   bound, or ``p``) and a *headroom* h; the objective may allow ``h x (1 - basis)`` errors;
4. snap down to the strictest ladder target the interval can resolve; none: *unmet*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slo_scout.core.recommend.model import (
    POLICIES,
    SECONDS_PER_30_DAYS,
    Basis,
    Evidence,
    Interval,
    Strategy,
    WindowCounts,
)
from slo_scout.core.recommend.stats import (
    MAX_HALF_WIDTH,
    MIN_EVENTS,
    budget_events_30d,
    budget_minutes_30d,
    strictest_rung,
    wilson,
)

# One failure may burn at most this share of a 30-day budget before traffic counts as low.
LOW_TRAFFIC_BURN_SHARE = 0.10


@dataclass(frozen=True, slots=True)
class Assessment:
    good: int
    total: int
    ratio: float | None
    interval: Interval | None
    windows: int
    windows_with_traffic: int
    worst: float | None
    history_s: int

    @property
    def sufficient(self) -> bool:
        return (
            self.total >= MIN_EVENTS
            and self.interval is not None
            and self.interval.half_width <= MAX_HALF_WIDTH
        )

    @property
    def events_per_30d(self) -> float:
        return self.total * SECONDS_PER_30_DAYS / self.history_s if self.history_s else 0.0

    def basis(self, strategy: Strategy) -> float | None:
        if self.ratio is None or self.interval is None:
            return None
        kind = POLICIES[strategy].basis
        if kind is Basis.POINT:
            return self.ratio
        if kind is Basis.WILSON_LOW:
            return self.interval.low
        worst = self.worst if self.worst is not None else self.interval.low
        return min(self.interval.low, worst)

    def max_ratio(self, strategy: Strategy) -> float | None:
        """The strictest ratio the strategy would promise (before snapping)."""
        basis = self.basis(strategy)
        if basis is None:
            return None
        return 1 - POLICIES[strategy].headroom * (1 - basis)

    def objective(self, strategy: Strategy) -> float | None:
        top = self.max_ratio(strategy)
        if top is None or self.interval is None or not self.sufficient:
            return None
        return strictest_rung(top, self.interval.half_width)

    def evidence(self, objective: float | None) -> Evidence:
        per_30d = self.events_per_30d
        return Evidence(
            good=self.good,
            total=self.total,
            ratio=self.ratio,
            interval=self.interval,
            windows=self.windows,
            windows_with_traffic=self.windows_with_traffic,
            worst_window_ratio=self.worst,
            history_s=self.history_s,
            events_per_30d=per_30d,
            budget_minutes_30d=None if objective is None else budget_minutes_30d(objective),
            budget_events_30d=(
                None if objective is None else budget_events_30d(objective, per_30d)
            ),
        )


def assess(windows: Sequence[WindowCounts]) -> Assessment:
    good = sum(w.good for w in windows)
    total = sum(w.total for w in windows)
    ratios = [r for r in (w.ratio for w in windows) if r is not None]
    return Assessment(
        good=good,
        total=total,
        ratio=good / total if total else None,
        interval=wilson(good, total) if total else None,
        windows=len(windows),
        windows_with_traffic=len(ratios),
        worst=min(ratios) if ratios else None,
        history_s=sum(w.end_s - w.start_s for w in windows),
    )


def low_traffic(objective: float, events_per_30d: float) -> str | None:
    """Why traffic is too low for ``objective``, or ``None`` when one failure is affordable."""
    allowed = budget_events_30d(objective, events_per_30d)
    if allowed * LOW_TRAFFIC_BURN_SHARE >= 1:
        return None
    if allowed <= 0:
        return f"no traffic projected over 30 days: a {objective:g}% objective cannot be judged"
    share = min(1.0, 1 / allowed) * 100
    return (
        f"about {events_per_30d:,.0f} requests per 30 days: a {objective:g}% objective allows "
        f"{allowed:,.1f} failed requests, so one failure burns {share:.0f}% of the budget"
    )
