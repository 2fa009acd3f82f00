"""What a recommendation says and the evidence it carries.

Objectives are percentages (``99.9``), ratios are fractions (``0.999``). A recommendation with a
status other than ``ok`` carries no objective: SLO Scout never invents a number it cannot back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from slo_scout.core.slis import SliKind

# The targets people use. The extended rungs below 99 exist so a journey that is not yet at 99
# still gets an honest, attainable objective (status "below standard targets", with the
# reliability work it needs); docs/recommendations.md explains the choice.
STANDARD_TARGETS = (99.0, 99.5, 99.9, 99.95, 99.99)
EXTENDED_TARGETS = (90.0, 95.0, 97.5, 98.0)
TARGET_LADDER = (*EXTENDED_TARGETS, *STANDARD_TARGETS)

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
    Strategy.BALANCED: Policy(Basis.WILSON_LOW, 1.0),
    Strategy.AGGRESSIVE: Policy(Basis.POINT, 1.0),
}


class Status(StrEnum):
    OK = "ok"  # a standard target (99 and up)
    # Enough data, and the journey meets none of the standard targets: the objective is an
    # extended rung (below 99) and the rationale says it needs reliability work.
    BELOW_STANDARD = "below standard targets"
    INSUFFICIENT_DATA = "insufficient data"  # too few requests to say anything
    UNMET = "unmet"  # enough data, below even the loosest extended rung


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
class Incident:
    """A run of detection windows in which the journey burned: kept out of the estimate.

    ``baseline_ratio`` is the steady-state ratio it was judged against. ``burn_rate`` and the
    budget shares are relative to the recommended objective (None without one): the share of
    the error budget the objective allows over the analysed history, and over 30 days at the
    measured traffic.
    """

    start_s: int
    end_s: int
    good: int
    total: int
    baseline_ratio: float
    burn_rate: float | None = None
    budget_share_history: float | None = None
    budget_share_30d: float | None = None

    @property
    def bad(self) -> int:
        return self.total - self.good

    @property
    def ratio(self) -> float:
        return self.good / self.total if self.total else 1.0


@dataclass(frozen=True, slots=True)
class Backtest:
    """An objective estimated on ``[estimate_start_s, split_s)`` and judged on ``[split_s,
    end_s)``. ``objective`` None: the earlier half supported none (nothing is judged)."""

    estimate_start_s: int
    split_s: int
    end_s: int
    objective: float | None
    threshold_s: float | None
    test_good: int
    test_total: int
    held: bool | None
    held_share: float | None
    budget_consumed: float | None
    page_alerts: int | None
    ticket_alerts: int | None


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
    # Incidents found in the history; unless ``incidents_included`` their windows are left out
    # of every figure above (counts, interval, windows, history length).
    incidents: tuple[Incident, ...] = ()
    incidents_included: bool = False
    detection_windows: int = 0
    excluded_windows: int = 0
    # What the same rule gives with the incidents treated the other way (included when they
    # were excluded), so a reviewer sees what including them would cost; None when none.
    alternative_objective: float | None = None
    alternative_threshold_s: float | None = None
    # The same rule on the earlier half of the history, judged on the later half.
    backtest: Backtest | None = None


class DraftSource(StrEnum):
    """Where a provisional objective came from (docs/recommendations.md, "Thin evidence")."""

    SIMILAR = "similar journeys"
    MODEL = "model"
    CONVENTION = "convention"


@dataclass(frozen=True, slots=True)
class Provisional:
    """A draft objective for a journey whose evidence is too thin for the rule: chosen among
    ``objectives`` (ladder rungs not above the Wilson upper bound) and, for latency,
    ``thresholds_s`` (bucket boundaries the requests seen allow), from ``source``; ``basis``
    says in words what it rests on."""

    source: DraftSource
    objectives: tuple[float, ...]
    thresholds_s: tuple[float, ...]
    basis: str


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
    # Set on a draft for thin evidence (status stays "insufficient data"): every artifact marks it.
    provisional: Provisional | None = None
    rationale_by: str = "rules"  # "rules" or "model" (a guarded model explanation)

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    @property
    def has_objective(self) -> bool:
        """An objective to render: backed by the data (``ok`` or ``below standard targets``) or
        a provisional draft a team reviews."""
        if self.objective is None:
            return False
        return self.provisional is not None or self.status in (Status.OK, Status.BELOW_STANDARD)
