"""Backtest: would an SLO have held, and what would its burn-rate alerts have done?

Two uses, one evaluation:

- every recommendation is backtested on its own history: the same rule estimates an objective
  on the earlier half of the detection windows and is judged on the later half;
- ``slo-scout backtest`` judges an existing SLO (Sloth or OpenSLO spec) on its history.

Judged on a test period (incidents *included*: it is what happened):

- ``held``: the period's pooled ratio met the objective;
- ``held_share``: the share of its windows (with traffic) that met it;
- ``budget_consumed``: bad events / the bad events the objective allows over the period (1.0 is
  the whole budget, pro rata to the period's traffic);
- page and ticket alerts: the multi-window multi-burn-rate alerts the generated rules carry
  (Google SRE workbook windows, as Sloth: page 2% of a 30-day budget in 1h with 5m, 5% in 6h with
  30m; ticket 10% in 1d with 2h, 10% in 3d with 6h), evaluated at the end of every window of the
  series: an alert fires when both its long and short window burn faster than its factor; each
  run of consecutive firing evaluations is one alert. Windows are rounded up to whole series
  windows, so the series' resolution bounds the short windows (per-minute journey history is
  exact to the minute; 6-hour windows from a history server make the 5m and 30m windows 6h).
  A long window reaching back before the series averages over what there is; evaluations start
  once the slow page alert's long window (6h) is covered, so the first minutes of a recording
  never page on their own. A recommendation's backtest evaluates only the later half, with the
  earlier half as the windows' lookback.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from slo_scout.core.recommend.model import Backtest, WindowCounts
from slo_scout.core.rules.burn import mwmb_alerts
from slo_scout.core.rules.windows import google_windows
from slo_scout.core.specs.durations import DAY

DEFAULT_PERIOD_DAYS = 30


@dataclass(frozen=True, slots=True)
class Alerts:
    page: int
    ticket: int


@dataclass(frozen=True, slots=True)
class Judgement:
    held: bool | None
    held_share: float | None
    budget_consumed: float | None
    alerts: Alerts | None
    good: int
    total: int


def alerts(
    series: Sequence[WindowCounts],
    objective: float,
    *,
    period_days: int = DEFAULT_PERIOD_DAYS,
    from_s: int | None = None,
) -> Alerts:
    """Page and ticket alerts the burn-rate rules of ``objective`` fire over ``series``
    (equal, consecutive windows), evaluated at the window ends after ``from_s`` (default: once
    the slow page alert's long window is covered)."""
    if not series or objective >= 100:
        return Alerts(0, 0)
    length_ms = (series[0].end_s - series[0].start_s) * 1000
    group = mwmb_alerts("backtest", objective, google_windows(period_days * DAY))
    if from_s is None:
        from_s = series[0].start_s + group.page_slow.long_ms // 1000
    allowed = 1 - objective / 100
    bad = [0, *accumulate(w.total - w.good for w in series)]
    total = [0, *accumulate(w.total for w in series)]

    def burning(end: int, window_ms: int, factor: float) -> bool:
        n = max(1, math.ceil(window_ms / length_ms))
        start = max(0, end - n)
        events = total[end] - total[start]
        return events > 0 and (bad[end] - bad[start]) / events / allowed > factor

    counts = {}
    for severity, pair in (("page", (group.page_quick, group.page_slow)),
                           ("ticket", (group.ticket_quick, group.ticket_slow))):
        firing, episodes = False, 0
        for end in range(1, len(series) + 1):
            if series[end - 1].end_s <= from_s:
                continue
            now = any(burning(end, a.long_ms, a.burn_rate_factor)
                      and burning(end, a.short_ms, a.burn_rate_factor) for a in pair)
            episodes += now and not firing
            firing = now
        counts[severity] = episodes
    return Alerts(counts["page"], counts["ticket"])


def judge(
    windows: Sequence[WindowCounts],
    objective: float,
    *,
    series: Sequence[WindowCounts] | None = None,
    period_days: int = DEFAULT_PERIOD_DAYS,
    from_s: int | None = None,
) -> Judgement:
    """``objective`` (percent) against ``windows``; alerts on ``series`` (default: windows)
    evaluated after ``from_s``."""
    good = sum(w.good for w in windows)
    total = sum(w.total for w in windows)
    if total == 0:
        return Judgement(None, None, None, None, 0, 0)
    target = objective / 100
    ratios = [w.good / w.total for w in windows if w.total]
    allowed = (1 - target) * total
    bad = total - good
    return Judgement(
        held=good / total >= target - 1e-12,
        held_share=sum(r >= target - 1e-12 for r in ratios) / len(ratios),
        budget_consumed=bad / allowed if allowed > 0 else (0.0 if bad == 0 else math.inf),
        alerts=alerts(series if series is not None else windows, objective,
                      period_days=period_days, from_s=from_s),
        good=good,
        total=total,
    )


def halves(windows: Sequence[WindowCounts]) -> tuple[list[WindowCounts], list[WindowCounts]]:
    """Earlier and later half of ``windows`` (the later one takes the odd window)."""
    cut = len(windows) // 2
    return list(windows[:cut]), list(windows[cut:])


def in_period(series: Sequence[WindowCounts], start_s: int, end_s: int) -> list[WindowCounts]:
    return [w for w in series if start_s <= w.start_s and w.end_s <= end_s]


def backtest(
    earlier: Sequence[WindowCounts],
    later: Sequence[WindowCounts],
    objective: float | None,
    *,
    threshold_s: float | None = None,
    series: Sequence[WindowCounts] | None = None,
) -> Backtest | None:
    """The result of an ``objective`` estimated on ``earlier`` judged on ``later``; ``series``:
    finer windows of the whole history for the alerts, evaluated in the later period only.
    None without two halves to compare."""
    if not earlier or not later:
        return None
    start, split, end = earlier[0].start_s, later[0].start_s, later[-1].end_s
    if objective is None:
        return Backtest(start, split, end, None, threshold_s, sum(w.good for w in later),
                        sum(w.total for w in later), None, None, None, None, None)
    verdict = judge(later, objective, series=series if series is not None else
                    [*earlier, *later], from_s=split)
    return Backtest(
        start, split, end, objective, threshold_s, verdict.good, verdict.total, verdict.held,
        verdict.held_share, verdict.budget_consumed,
        verdict.alerts.page if verdict.alerts else None,
        verdict.alerts.ticket if verdict.alerts else None,
    )
