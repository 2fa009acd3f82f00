"""An SLO's error budget: how much is spent, how fast it burns, and when it runs out.

The budget of a request-based SLO over its window is ``(1 - objective) × requests in the
window``. Where the stored history covers only part of the window, the window's requests are
extrapolated from the covered part (``covered``), so three quiet days of a 30-day window do not
read as a nearly empty budget.

A burn rate is the bad-event ratio over the budget ratio ``1 - objective``: 1 spends exactly the
budget in one window. At burn ``b`` with ``r`` of the budget remaining, the budget lasts
``r × window / b``. That assumes nothing leaves the rolling window meanwhile (old failures
ageing out only lengthen it), so the date is the earliest the budget runs out at that rate.

Two rates: the *current* one (the last ``recent`` span's bad ratio, with a Wilson 95% interval
for its sampling error), and the *expected* one (the band's expected bad ratio ahead, with the
interval the caller derived from the band). An interval on the rate gives one on the date: the
higher rate the earliest date, the lower the latest (none where the low rate spends nothing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

Z95 = 1.959964
# Beyond this the date says nothing a team would act on: reported as "not at this rate".
HORIZON = timedelta(days=3650)


@dataclass(frozen=True, slots=True)
class Burn:
    rate: float  # multiples of the rate that spends exactly the budget in one window
    rate_low: float
    rate_high: float
    exhausted_at: datetime | None  # None: not within HORIZON at this rate
    earliest: datetime | None
    latest: datetime | None


@dataclass(frozen=True, slots=True)
class BudgetForecast:
    objective: float
    window_days: int
    now: datetime
    window_requests: float  # extrapolated to the whole window
    bad: int
    budget: float  # bad requests the window allows
    consumed: float  # fraction of the budget spent (may exceed 1)
    remaining: float  # 1 - consumed, at least 0
    current: Burn | None  # None: no traffic in the recent span
    expected: Burn | None  # None: no band to expect from


def wilson(bad: int, total: int, z: float = Z95) -> tuple[float, float]:
    """A binomial proportion's interval (Wilson score): sound at 0 and small counts too."""
    if total <= 0:
        return 0.0, 1.0
    p = bad / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _runs_out(now: datetime, remaining: float, window: timedelta, rate: float
              ) -> datetime | None:
    if remaining <= 0:
        return now
    if rate <= 0:
        return None
    days = window.days * remaining / rate  # a float first: a tiny rate overflows a timedelta
    return now + timedelta(days=days) if days <= HORIZON.days else None


def burn(now: datetime, remaining: float, window: timedelta, allowed: float,
         ratio: float, low: float, high: float) -> Burn:
    """The burn at bad ratio ``ratio`` (interval ``low``..``high``) against ``allowed``."""
    rates = [max(0.0, r) / allowed for r in (ratio, low, high)]
    return Burn(
        rate=round(rates[0], 6), rate_low=round(rates[1], 6), rate_high=round(rates[2], 6),
        exhausted_at=_runs_out(now, remaining, window, rates[0]),
        earliest=_runs_out(now, remaining, window, rates[2]),
        latest=_runs_out(now, remaining, window, rates[1]),
    )


def forecast(
    *, objective: float, window_days: int, now: datetime, requests: int, bad: int,
    covered: timedelta, recent_requests: int, recent_bad: int,
    expected_bad_ratio: tuple[float, float, float] | None,
) -> BudgetForecast:
    """The budget over the window ending at ``now``: ``requests`` and ``bad`` were counted over
    ``covered`` of it; ``recent_*`` over the recent span; ``expected_bad_ratio`` is the band's
    (expected, low, high) bad ratio ahead, or None."""
    if not 0 < objective < 1:
        raise ValueError("objective must lie between 0 and 1")
    if window_days < 1 or bad < 0 or requests < bad or recent_bad > recent_requests:
        raise ValueError("window_days >= 1 and 0 <= bad <= requests")
    window = timedelta(days=window_days)
    share = min(1.0, covered / window) if covered > timedelta(0) else 1.0
    window_requests = requests / share
    allowed = 1 - objective
    budget = allowed * window_requests
    consumed = bad / budget if budget > 0 else 0.0
    remaining = max(0.0, 1 - consumed)
    current = None
    if recent_requests > 0:
        low, high = wilson(recent_bad, recent_requests)
        current = burn(now, remaining, window, allowed, recent_bad / recent_requests, low, high)
    expected = None
    if expected_bad_ratio is not None:
        expected = burn(now, remaining, window, allowed, *expected_bad_ratio)
    return BudgetForecast(
        objective=objective, window_days=window_days, now=now,
        window_requests=round(window_requests, 3), bad=bad, budget=round(budget, 3),
        consumed=round(consumed, 6), remaining=round(remaining, 6),
        current=current, expected=expected,
    )


def sentence(result: BudgetForecast) -> str:
    """'At this rate the 30-day budget is spent on 14 Dec 2026 (between ... and ...).'"""
    days = result.window_days
    if result.remaining <= 0:
        return f"The {days}-day budget is spent."
    burn_ = result.current or result.expected
    if burn_ is None:
        return f"{result.remaining:.0%} of the {days}-day budget remains; no recent traffic."
    if burn_.exhausted_at is None:
        return f"At this rate the {days}-day budget is not spent ({result.remaining:.0%} remains)."
    text = f"At this rate the {days}-day budget is spent on {_day(burn_.exhausted_at)}"
    if burn_.earliest is not None and burn_.latest is not None:
        text += f" (between {_day(burn_.earliest)} and {_day(burn_.latest)})"
    elif burn_.earliest is not None:
        text += f" (at the earliest {_day(burn_.earliest)})"
    return text + "."


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"  # UTC dates: "14 Dec 2026"
