"""Charts as SVG drawn on the server: no chart library, no script, readable without colour.

Each function takes numbers and returns an ``<svg>`` element (``Markup``) with a ``<title>``
and an ``aria-label`` saying what it shows, and a table-like text fallback is on the page
beside it. Presentation attributes only (no ``style``): the pages' CSP allows no inline style.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime

from ddsketch import DDSketch
from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 200, 56, 36, 12
BAR, ERROR, LINE, AXIS = "#2f5f98", "#b3261e", "#6b4e16", "#444"


def _svg(label: str, body: list[str], width: int = WIDTH, height: int = HEIGHT) -> Markup:
    text = escape(label)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{text}"><title>{text}</title>'
        + "".join(body) + "</svg>")


def _axis(plot_h: int, top_value: str) -> list[str]:
    bottom = PAD_TOP + plot_h
    return [
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{bottom}" stroke="{AXIS}"/>',
        f'<line x1="{PAD_LEFT}" y1="{bottom}" x2="{WIDTH - 8}" y2="{bottom}" stroke="{AXIS}"/>',
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + 10}" font-size="11" text-anchor="end" '
        f'fill="{AXIS}">{escape(top_value)}</text>',
        f'<text x="{PAD_LEFT - 6}" y="{bottom}" font-size="11" text-anchor="end" '
        f'fill="{AXIS}">0</text>',
    ]


def latency_buckets(sketch: DDSketch, per_decade: int = 5) -> list[tuple[float, float, int]]:
    """The sketch's requests in log-spaced latency buckets: [(low_s, high_s, count)]."""
    store, mapping = sketch._store, sketch._mapping  # ddsketch keeps its bins here
    counts: dict[int, float] = {}
    for i, count in enumerate(store.bins):
        if count:
            value = mapping.value(store.offset + i)
            slot = math.floor(math.log10(max(value, 1e-6)) * per_decade)
            counts[slot] = counts.get(slot, 0.0) + count
    if not counts:
        return []
    slots = range(min(counts), max(counts) + 1)
    return [(10 ** (s / per_decade), 10 ** ((s + 1) / per_decade), round(counts.get(s, 0)))
            for s in slots]


def _ms_label(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.0f}ms" if ms >= 10 else f"{ms:.1f}ms"


def latency_histogram(buckets: Sequence[tuple[float, float, int]], name: str) -> Markup:
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    if not buckets:
        return _svg(f"No requests recorded for {name}", [])
    top = max(c for _, _, c in buckets) or 1
    step = (WIDTH - PAD_LEFT - 16) / len(buckets)
    body = _axis(plot_h, f"{top:,}")
    label_every = max(1, len(buckets) // 8)
    for i, (low, high, count) in enumerate(buckets):
        h = plot_h * count / top
        x = PAD_LEFT + 2 + i * step
        body.append(f'<rect x="{x:.1f}" y="{PAD_TOP + plot_h - h:.1f}" width="{step - 2:.1f}" '
                    f'height="{h:.1f}" fill="{BAR}"><title>{_ms_label(low)}–{_ms_label(high)}: '
                    f'{count:,} requests</title></rect>')
        if i % label_every == 0:
            body.append(f'<text x="{x:.1f}" y="{HEIGHT - 18}" font-size="11" fill="{AXIS}">'
                        f'{_ms_label(low)}</text>')
    body.append(f'<text x="{WIDTH - 8}" y="{HEIGHT - 4}" font-size="11" text-anchor="end" '
                f'fill="{AXIS}">latency (log scale)</text>')
    return _svg(f"Latency distribution of {name}: requests per latency bucket, "
                f"{_ms_label(buckets[0][0])} to {_ms_label(buckets[-1][1])}", body)


def traffic(points: Sequence[tuple[datetime, int, int]], name: str) -> Markup:
    """Requests (blue) and errors (red) per step."""
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    if not points:
        return _svg(f"No traffic recorded for {name}", [])
    top = max(r for _, r, _ in points) or 1
    step = (WIDTH - PAD_LEFT - 16) / len(points)
    body = _axis(plot_h, f"{top:,}")
    for i, (start, requests, errors) in enumerate(points):
        x = PAD_LEFT + 1 + i * step
        h, e = plot_h * requests / top, plot_h * errors / top
        tip = f"{start:%Y-%m-%d %H:%M}: {requests:,} requests, {errors:,} errors"
        body.append(f'<rect x="{x:.1f}" y="{PAD_TOP + plot_h - h:.1f}" '
                    f'width="{max(step - 1, 0.5):.1f}" height="{h:.1f}" fill="{BAR}">'
                    f'<title>{escape(tip)}</title></rect>')
        if errors:
            body.append(f'<rect x="{x:.1f}" y="{PAD_TOP + plot_h - max(e, 1):.1f}" '
                        f'width="{max(step - 1, 0.5):.1f}" height="{max(e, 1):.1f}" '
                        f'fill="{ERROR}"/>')
    first, last = points[0][0], points[-1][0]
    for x, moment, anchor in ((PAD_LEFT, first, "start"), (WIDTH - 8, last, "end")):
        body.append(f'<text x="{x}" y="{HEIGHT - 18}" font-size="11" text-anchor="{anchor}" '
                    f'fill="{AXIS}">{moment:%m-%d %H:%M}</text>')
    errors = sum(e for _, _, e in points)
    return _svg(f"Traffic of {name} from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC: "
                f"{sum(r for _, r, _ in points):,} requests, {errors:,} errors", body)


def share_bar(share: float, label: str) -> Markup:
    """One critical-path step's share of the request, as a bar 0..100%."""
    width = max(0.0, min(1.0, share)) * 200
    text = escape(f"{label}: {share * 100:.1f}% of the critical path")
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 12" width="200" height="12" '
        f'role="img" aria-label="{text}"><rect x="0" y="0" width="200" height="12" '
        f'fill="#e4e8ee"/><rect x="0" y="0" width="{width:.1f}" height="12" fill="{BAR}"/>'
        "</svg>")


BAND = "#d6e2f0"


def band(times: Sequence[datetime], values: Sequence[float | None],
         expected: Sequence[float], lower: Sequence[float], upper: Sequence[float],
         marked: Sequence[int], label: str, fmt: Callable[[float], str]) -> Markup:
    """One SLI per step: the expected band shaded, the expected value dashed, the values as a
    line (broken where a step had no traffic) and the anomalies (indices in ``marked``) as red
    dots, each dot's title saying when, the value and the band."""
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    seen = [v for v in values if v is not None]
    low, high = min([*lower, *seen]), max([*upper, *seen])
    if seen and min(seen) >= 0:  # a band's lower edge may dip below 0; the values cannot
        low = max(low, 0.0)
    if high - low < 1e-12:
        low, high = low - 0.5 * abs(low or 1) * 0.01, high + 0.5 * abs(high or 1) * 0.01
    step = (WIDTH - PAD_LEFT - 16) / max(len(times) - 1, 1)

    def xy(i: int, v: float) -> str:
        v = min(max(v, low), high)
        return f"{PAD_LEFT + 2 + i * step:.1f},{PAD_TOP + plot_h * (high - v) / (high - low):.1f}"

    body = [*_axis(plot_h, fmt(high))[:3],  # the axis's "0" label replaced by the low end
            f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + plot_h}" font-size="11" '
            f'text-anchor="end" fill="{AXIS}">{escape(fmt(low))}</text>']
    edge = [xy(i, v) for i, v in enumerate(upper)] + [
        xy(i, v) for i, v in reversed(list(enumerate(lower)))]
    body.append(f'<polygon points="{" ".join(edge)}" fill="{BAND}"/>')
    body.append(f'<polyline points="{" ".join(xy(i, v) for i, v in enumerate(expected))}" '
                f'fill="none" stroke="{AXIS}" stroke-dasharray="4 3"/>')
    run: list[str] = []
    for i, v in enumerate([*values, None]):
        if v is not None:
            run.append(xy(i, v))
            continue
        if len(run) > 1:
            body.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{BAR}" '
                        'stroke-width="1.5"/>')
        elif run:
            cx, cy = run[0].split(",")
            body.append(f'<circle cx="{cx}" cy="{cy}" r="1.5" fill="{BAR}"/>')
        run = []
    for i in marked:
        v = values[i]
        if v is None:
            continue
        cx, cy = xy(i, v).split(",")
        tip = (f"{times[i]:%Y-%m-%d %H:%M}: {fmt(v)}, expected {fmt(lower[i])} to "
               f"{fmt(upper[i])}")
        body.append(f'<circle cx="{cx}" cy="{cy}" r="4" fill="{ERROR}"><title>{escape(tip)}'
                    "</title></circle>")
    for x, moment, anchor in ((PAD_LEFT, times[0], "start"), (WIDTH - 8, times[-1], "end")):
        body.append(f'<text x="{x}" y="{HEIGHT - 18}" font-size="11" text-anchor="{anchor}" '
                    f'fill="{AXIS}">{moment:%m-%d %H:%M}</text>')
    return _svg(f"{label} from {times[0]:%Y-%m-%d %H:%M} to {times[-1]:%Y-%m-%d %H:%M} UTC "
                f"with its expected band: {len(marked)} anomalies", body)
