"""Multi-window multi-burn-rate alert math (Sloth's internal/alert): pure float64 arithmetic.

A burn-rate factor is how fast the error budget must burn to spend `errorBudgetPercent` of it
within the long window: `(percent * period_hours / 100) / long_window_hours`. With the 30-day
catalog: 14.4, 6, 3, 1; with 28 days: 13.44, 5.6000000000000005, 2.8000000000000003,
0.9333333333333333. The operations are done in Go's order so the floats are Sloth's bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

from slo_scout.core.rules.windows import AlertWindows, Window
from slo_scout.core.specs.durations import go_hours


@dataclass(frozen=True)
class MWMBAlert:
    id: str
    short_ms: int
    long_ms: int
    burn_rate_factor: float
    error_budget: float  # percent: 100 - objective
    severity: str


@dataclass(frozen=True)
class MWMBAlertGroup:
    page_quick: MWMBAlert
    page_slow: MWMBAlert
    ticket_quick: MWMBAlert
    ticket_slow: MWMBAlert

    def windows(self) -> list[int]:
        """Every short and long window, unique, shortest first (SLI recording rules need them)."""
        alerts = (self.page_quick, self.page_slow, self.ticket_quick, self.ticket_slow)
        return sorted({w for a in alerts for w in (a.short_ms, a.long_ms)})


def burn_rate_factor(period_ms: int, error_budget_percent: float, long_ms: int) -> float:
    hours_required = error_budget_percent * go_hours(period_ms) / 100
    return hours_required / go_hours(long_ms)


def mwmb_alerts(slo_id: str, objective: float, windows: AlertWindows) -> MWMBAlertGroup:
    error_budget = 100 - objective

    def alert(suffix: str, window: Window, severity: str) -> MWMBAlert:
        return MWMBAlert(
            id=f"{slo_id}-{suffix}",
            short_ms=window.short_ms,
            long_ms=window.long_ms,
            burn_rate_factor=burn_rate_factor(
                windows.slo_period_ms, window.error_budget_percent, window.long_ms
            ),
            error_budget=error_budget,
            severity=severity,
        )

    return MWMBAlertGroup(
        page_quick=alert("page-quick", windows.page_quick, "page"),
        page_slow=alert("page-slow", windows.page_slow, "page"),
        ticket_quick=alert("ticket-quick", windows.ticket_quick, "ticket"),
        ticket_slow=alert("ticket-slow", windows.ticket_slow, "ticket"),
    )
