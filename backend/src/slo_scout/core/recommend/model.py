"""What a recommendation says and the evidence it carries.

Objectives are percentages (``99.9``), ratios are fractions (``0.999``). A recommendation with a
status other than ``ok`` carries no objective: SLO Scout never invents a number it cannot back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from slo_scout.core.slis import SliKind

# The targets people use. Rungs below 99 exist so a journey that is not yet at 99 still gets
# an honest, attainable objective; docs/recommendations.md explains the choice.
STANDARD_TARGETS = (99.0, 99.5, 99.9, 99.95, 99.99)
TARGET_LADDER = (90.0, 95.0, 98.0, *STANDARD_TARGETS)

SECONDS_PER_30_DAYS = 30 * 24 * 3600
MINUTES_PER_30_DAYS = 30 * 24 * 60


class Strategy(StrEnum):
    CONSERVATIVE = "conservative"
    BALANCED = "balanced"
    AGGRESSIVE = "aggressive"


class Basis(StrEnum):
    """Which measured ratio a strategy trusts."""

    WORST = "worst of Wilson lower bound and worst window"
    WILSON_LOW = "Wilson lower bound"
    POINT = "measured ratio"


@dataclass(frozen=True, slots=True)
class Policy:
    basis: Basis
    # allowed error rate = headroom x the error rate of the basis: 2.0 means past performance
    # would have spent half the budget.
    headroom: float


POLICIES = {
    Strategy.CONSERVATIVE: Policy(Basis.WORST, 2.0),
    Strategy.BALANCED: Policy(Basis.WILSON_LOW, 1.5),
    Strategy.AGGRESSIVE: Policy(Basis.POINT, 1.0),
}


class Status(StrEnum):
    OK = "ok"
    INSUFFICIENT_DATA = "insufficient data"
    UNMET = "unmet"  # the history does not meet even the loosest target


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """Good and total events in one window ``[start_s, end_s)`` (Unix seconds)."""

    start_s: int
    end_s: int
    good: int
    total: int

    def __post_init__(self) -> None:
        if self.end_s <= self.start_s:
            raise ValueError(f"window end {self.end_s} is not after its start {self.start_s}")
        if not 0 <= self.good <= self.total:
            raise ValueError(f"window counts good={self.good} total={self.total} are impossible")

    @property
    def ratio(self) -> float | None:
        return self.good / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float
    confidence: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


@dataclass(frozen=True, slots=True)
class Evidence:
    good: int
    total: int
    ratio: float | None
    interval: Interval | None
    windows: int
    windows_with_traffic: int
    worst_window_ratio: float | None
    history_s: int
    events_per_30d: float
    budget_minutes_30d: float | None
    budget_events_30d: float | None


@dataclass(frozen=True, slots=True)
class Recommendation:
    journey_id: str
    kind: SliKind
    strategy: Strategy
    status: Status
    objective: float | None  # percent
    threshold_s: float | None  # latency only
    evidence: Evidence
    low_traffic: bool
    low_traffic_reason: str | None
    rationale: str

    @property
    def ok(self) -> bool:
        return self.status is Status.OK
