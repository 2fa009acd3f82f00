"""Pictures of one journey as inline SVG: latency histogram, traffic over time, critical path.

Matplotlib runs headless (figures are built without pyplot, so no GUI backend is touched) and
writes SVG with text kept as text, no date, and a hash salt per picture, so ids never collide
between pictures on one page and the same data gives the same bytes on every run.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Sequence

import matplotlib
from ddsketch import DDSketch
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from slo_scout.core.journeys.model import Journey, StepShare, quantile

_INK = "#1f2937"
_ACCENT = "#2563eb"
_ERROR = "#dc2626"
_MUTED = "#9ca3af"


def svg(fig: Figure, salt: str) -> str:
    """The figure as an ``<svg>`` element (no XML prologue), deterministic for its salt."""
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=96)
    fig.set_layout_engine("constrained")
    return fig


def sketch_buckets(sketch: DDSketch) -> list[tuple[float, float]]:
    """(value, count) for every non-empty bucket of the sketch's positive store, ascending.

    DDSketch has no public bucket iterator; its store and mapping are stable across 2.x and 3.x.
    """
    store = sketch._store
    mapping = sketch._mapping
    out = [
        (mapping.value(store.offset + i), float(count))
        for i, count in enumerate(store.bins)
        if count > 0
    ]
    if sketch._zero_count:
        out.insert(0, (0.0, float(sketch._zero_count)))
    return out


def latency_histogram(journey: Journey, salt: str) -> str | None:
    buckets = [(v * 1000.0, c) for v, c in sketch_buckets(journey.latency) if v > 0]
    if not buckets:
        return None
    low = min(v for v, _ in buckets)
    high = max(v for v, _ in buckets)
    # Regroup the sketch's 2%-wide buckets into about 40 log-spaced bars a reader can take in.
    bars = 40
    lo_log = math.log10(low) - 0.05
    hi_log = math.log10(high) + 0.05
    step = (hi_log - lo_log) / bars
    counts = [0.0] * bars
    for value, count in buckets:
        counts[min(int((math.log10(value) - lo_log) / step), bars - 1)] += count
    edges = [10 ** (lo_log + i * step) for i in range(bars + 1)]
    fig = new_figure(6.4, 2.6)
    ax = fig.add_subplot()
    ax.bar(edges[:-1], counts, width=[b - a for a, b in itertools.pairwise(edges)],
           align="edge", color=_ACCENT, alpha=0.75)
    ax.set_xscale("log")
    # Plain milliseconds on the axis; 4×10¹ makes people do arithmetic.
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    for q, style in ((0.5, "-"), (0.9, "--"), (0.99, ":")):
        seconds = journey.quantile(q)
        if seconds is not None:
            ax.axvline(seconds * 1000.0, color=_INK, linestyle=style, linewidth=1,
                       label=f"p{round(q * 100)} {seconds * 1000.0:.1f} ms")
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_ylabel("requests")
    ax.legend(fontsize=8, frameon=False)
    _tidy(ax)
    return svg(fig, salt)


def traffic_timeline(journey: Journey, salt: str) -> str | None:
    if not journey.minutes:
        return None
    minutes = sorted(journey.minutes)
    origin = minutes[0]
    xs = [(m - origin) / 60.0 for m in minutes]
    stats = [journey.minutes[m] for m in minutes]
    fig = new_figure(6.4, 2.6)
    ax = fig.add_subplot()
    ax.bar(xs, [s.requests for s in stats], width=0.9, color=_MUTED, label="requests")
    ax.bar(xs, [s.errors for s in stats], width=0.9, color=_ERROR, label="errors")
    ax.set_xlabel("minutes since first request")
    ax.set_ylabel("requests / minute")
    p99 = [quantile(s.latency, 0.99) if s.requests else None for s in stats]
    right = ax.twinx()
    right.plot([x for x, v in zip(xs, p99, strict=True) if v is not None],
               [v * 1000.0 for v in p99 if v is not None],
               color=_ACCENT, linewidth=1.2, marker="." if len(xs) < 30 else None, label="p99")
    right.set_ylabel("p99 latency (ms)", color=_ACCENT)
    right.set_ylim(bottom=0)  # a regression should look as big as it is, not fill the axis
    handles = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    ax.legend(handles[0] + more[0], handles[1] + more[1], fontsize=8, frameon=False,
              loc="upper left")
    _tidy(ax)
    right.spines["top"].set_visible(False)
    return svg(fig, salt)


def critical_path_chart(steps: Sequence[StepShare], salt: str, top: int = 10) -> str | None:
    shown = sorted(steps, key=lambda s: (-s.share, s.service, s.operation))[:top]
    if not shown:
        return None
    shown.reverse()
    fig = new_figure(6.4, 0.35 * len(shown) + 0.8)
    ax = fig.add_subplot()
    labels = [_shorten(f"{s.service} {s.operation}", 48) for s in shown]
    ax.barh(labels, [s.share * 100 for s in shown],
            color=[_ERROR if s.error_ratio > 0.05 else _ACCENT for s in shown])
    ax.set_xlabel("share of the critical path (%)")
    ax.tick_params(axis="y", labelsize=8)
    _tidy(ax)
    return svg(fig, salt)


def _tidy(ax: object) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)  # type: ignore[attr-defined]


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
