"""A journey's SLI bands as one inline SVG: availability and p99 per step, the expected band
shaded, the steps outside it marked.

Drawn only when the journey's minutes hold enough history for a band (24 steps with traffic,
``core.forecast``): the step is the smallest of 1, 5, 15 or 60 minutes that keeps a recording
under 2,000 steps, and the season (one day) is fitted only from three full days on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from matplotlib.axes import Axes

from slo_scout.core.forecast import Band, InsufficientHistory, anomalies, fit_band
from slo_scout.core.forecast.policy import SliName, sli_policy
from slo_scout.core.journeys.model import MinuteStats, new_sketch, quantile
from slo_scout.report.charts import _ACCENT, _ERROR, _INK, _MUTED, _tidy, new_figure, svg

STEPS = (1, 5, 15, 60)
MAX_STEPS = 2000


def step_minutes(first_s: int, last_s: int) -> int:
    span = (last_s - first_s) // 60 + 1
    return next((s for s in STEPS if span / s <= MAX_STEPS), STEPS[-1])


def sli_series(minutes: Mapping[int, MinuteStats], step: int
               ) -> tuple[list[int], list[float | None], list[float | None]]:
    """Step starts (Unix seconds), availability and p99 (seconds) per step; None: no traffic."""
    first, last = min(minutes), max(minutes)
    width = step * 60
    count = (last - first) // width + 1
    requests, errors = [0] * count, [0] * count
    sketches = [new_sketch() for _ in range(count)]
    for minute, stats in minutes.items():
        i = (minute - first) // width
        requests[i] += stats.requests
        errors[i] += stats.errors
        sketches[i].merge(stats.latency)
    starts = [first + i * width for i in range(count)]
    availability = [1 - e / r if r else None for r, e in zip(requests, errors, strict=True)]
    p99 = [quantile(s, 0.99) if r else None for r, s in zip(requests, sketches, strict=True)]
    return starts, availability, p99


def _band(sli: SliName, values: Sequence[float | None], step: int) -> Band | None:
    try:
        return fit_band(values, sli_policy(sli, step, values))
    except InsufficientHistory:
        return None


def _panel(ax: Axes, xs: Sequence[datetime], values: Sequence[float | None], band: Band,
           scale: float, label: str) -> None:
    ax.fill_between(xs, [v * scale for v in band.lower], [v * scale for v in band.upper],
                    color=_ACCENT, alpha=0.15, linewidth=0, label="expected band")
    ax.plot(xs, [v * scale for v in band.expected], color=_ACCENT, linewidth=0.8,
            linestyle="--", label="expected")
    shown = [(x, v * scale) for x, v in zip(xs, values, strict=True) if v is not None]
    ax.plot([x for x, _ in shown], [v for _, v in shown], color=_INK, linewidth=0.9,
            label=label)
    outside = anomalies(values, band)
    if outside:
        ax.scatter([xs[a.index] for a in outside], [a.value * scale for a in outside],
                   color=_ERROR, s=14, zorder=3, label=f"anomalies ({len(outside)})")
    ax.set_ylabel(label)
    ax.legend(fontsize=7, frameon=False, loc="best")
    ax.tick_params(axis="x", labelsize=7, colors=_MUTED)
    _tidy(ax)


def band_chart(minutes: Mapping[int, MinuteStats], salt: str) -> str | None:
    """The SVG, or None where neither SLI has the history for a band."""
    if not minutes:
        return None
    step = step_minutes(min(minutes), max(minutes))
    starts, availability, p99 = sli_series(minutes, step)
    bands = [(values, band, scale, label) for values, band, scale, label in (
        (availability, _band("availability", availability, step), 100.0, "availability (%)"),
        (p99, _band("latency_p99", p99, step), 1000.0, "p99 (ms)"),
    ) if band is not None]
    if not bands:
        return None
    xs = [datetime.fromtimestamp(s, UTC).replace(tzinfo=None) for s in starts]
    fig = new_figure(6.4, 1.9 * len(bands) + 0.4)
    axes = fig.subplots(len(bands), 1, sharex=True, squeeze=False)
    for row, (values, band, scale, label) in zip(axes, bands, strict=True):
        _panel(row[0], xs, values, band, scale, label)
    axes[-1][0].set_xlabel(f"UTC, {step}-minute steps")
    return svg(fig, salt)
