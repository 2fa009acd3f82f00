"""The recommendation rule for one good/total ratio, shared by availability and latency.

Rule (docs/recommendations.md has it in words):
1. find the incidents in the detection windows (``incidents.detect``) and, unless told to
   include them, leave their windows out;
2. pool the rest: ``good``, ``total``, measured ratio ``p``, its Wilson 95% interval;
3. fewer than ``MIN_EVENTS`` events: status *insufficient data*, no number;
4. the strategy picks a *basis* (worst of the lower bound and the worst comparable window,
   the lower bound, or ``p``) and a *headroom* h; the objective may allow ``h x (1 - basis)``
   errors;
5. snap down to the strictest ladder target the interval can resolve: a standard target is
   *ok*, an extended one (below 99) *below standard targets*; below the loosest rung *unmet*;
   rungs at or below the ratio exist but the interval resolves none: *insufficient data*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from slo_scout.core.recommend.incidents import detect, incidents
from slo_scout.core.recommend.model import (
    POLICIES,
    SECONDS_PER_30_DAYS,
    STANDARD_TARGETS,
    TARGET_LADDER,
    Basis,
    Evidence,
    Incident,
    Interval,
    Status,
    Strategy,
    WindowCounts,
)
from slo_scout.core.recommend.stats import (
    MIN_EVENTS,
    budget_events_30d,
    budget_minutes_30d,
    strictest_rung,
    wilson,
)

# The worst-window statistic compares this many equal, consecutive groups of detection windows.
COMPARABLE_WINDOWS = 4


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
    incidents: tuple[Incident, ...] = ()
    incidents_included: bool = False
    detection_windows: int = 0
    excluded_windows: int = 0
    # good/total of the whole history, incidents and all (for budget shares)
    all_total: int = 0

    @property
    def sufficient(self) -> bool:
        return self.total >= MIN_EVENTS and self.interval is not None

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

    def status(self, strategy: Strategy) -> Status:
        if not self.sufficient:
            return Status.INSUFFICIENT_DATA
        objective = self.objective(strategy)
        if objective is not None:
            return Status.OK if objective >= STANDARD_TARGETS[0] else Status.BELOW_STANDARD
        top = self.max_ratio(strategy)
        assert top is not None
        if round(top * 100, 9) < TARGET_LADDER[0]:
            return Status.UNMET
        return Status.INSUFFICIENT_DATA  # rungs below the ratio exist, none resolvable

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
            incidents=tuple(self._priced(i, objective) for i in self.incidents),
            incidents_included=self.incidents_included,
            detection_windows=self.detection_windows,
            excluded_windows=self.excluded_windows,
        )

    def _priced(self, incident: Incident, objective: float | None) -> Incident:
        """The incident's burn rate and budget shares at ``objective``."""
        if objective is None or objective >= 100:
            return incident
        allowed = 1 - objective / 100
        per_30d = self.all_total * SECONDS_PER_30_DAYS / max(1, self._all_history_s)
        return replace(
            incident,
            burn_rate=(1 - incident.ratio) / allowed,
            budget_share_history=incident.bad / (allowed * self.all_total),
            budget_share_30d=incident.bad / (allowed * per_30d) if per_30d else None,
        )

    @property
    def _all_history_s(self) -> int:
        extra = sum(i.end_s - i.start_s for i in self.incidents)
        return self.history_s if self.incidents_included else self.history_s + extra


def _groups(n: int, count: int) -> list[range]:
    """``n`` consecutive indices in ``count`` groups whose sizes differ by at most one."""
    count = min(count, n)
    out, start = [], 0
    for g in range(count):
        size = n // count + (1 if g < n % count else 0)
        out.append(range(start, start + size))
        start += size
    return out


def assess(
    windows: Sequence[WindowCounts],
    *,
    include_incidents: bool = False,
    comparable: int = COMPARABLE_WINDOWS,
) -> Assessment:
    """The pooled counts of ``windows`` (equal, consecutive detection windows)."""
    flagged, baseline = detect(windows)
    found = incidents(windows, flagged, baseline) if flagged and baseline is not None else ()
    left_out = frozenset() if include_incidents else flagged
    kept = [w for i, w in enumerate(windows) if i not in left_out]
    good = sum(w.good for w in kept)
    total = sum(w.total for w in kept)
    ratios = []
    for group in _groups(len(windows), comparable):
        g_total = sum(windows[i].total for i in group if i not in left_out)
        if g_total:
            ratios.append(sum(windows[i].good for i in group if i not in left_out) / g_total)
    return Assessment(
        good=good,
        total=total,
        ratio=good / total if total else None,
        interval=wilson(good, total) if total else None,
        windows=min(comparable, len(windows)),
        windows_with_traffic=len(ratios),
        worst=min(ratios) if ratios else None,
        history_s=sum(w.end_s - w.start_s for w in kept),
        incidents=found,
        incidents_included=include_incidents and bool(found),
        detection_windows=len(windows),
        excluded_windows=len(left_out),
        all_total=sum(w.total for w in windows),
    )


# One failure may burn at most this share of a 30-day budget before traffic counts as low.
LOW_TRAFFIC_BURN_SHARE = 0.10
# The burn-rate alerts of a low-traffic SLO also need this many failed requests in their long
# window: one or two failures are noise at a few requests an hour, three are a pattern.
LOW_TRAFFIC_MIN_FAILURES = 3


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
