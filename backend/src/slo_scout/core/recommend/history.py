"""A journey's per-minute history cut into comparable windows.

The history is the journey's complete minutes inside ``[now - lookback, now)``. From the first
to the last observed minute it is split into ``N`` windows of equal whole-minute length,
anchored at the last minute; the oldest ``M mod N`` minutes are left out so every window is
equally long (comparable). Fewer than ``N`` minutes give one window per minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ddsketch import DDSketch

from slo_scout.core.journeys.model import Journey, MinuteStats, new_sketch
from slo_scout.core.recommend.model import WindowCounts

DEFAULT_WINDOWS = 4
DEFAULT_LOOKBACK_S = 30 * 24 * 3600
# Incident detection wants windows short enough to isolate a burst and busy enough to judge
# one: about this many requests each, never fewer than DEFAULT_WINDOWS windows nor shorter
# than a minute.
EVENTS_PER_DETECTION_WINDOW = 50
# ...and at most this many (30 days in hours, a day in 2 minutes): the rule runs once per
# latency bucket boundary over all of them.
MAX_DETECTION_WINDOWS = 720


@dataclass(frozen=True, slots=True)
class Window:
    start_s: int
    end_s: int
    minutes: tuple[MinuteStats, ...]


def split_history(
    journey: Journey,
    *,
    now_s: int,
    lookback_s: int = DEFAULT_LOOKBACK_S,
    windows: int = DEFAULT_WINDOWS,
) -> list[Window]:
    if windows < 1:
        raise ValueError("at least one window is needed")
    keys = sorted(k for k in journey.minutes if now_s - lookback_s <= k and k + 60 <= now_s)
    if not keys:
        return []
    span_min = (keys[-1] - keys[0]) // 60 + 1
    n = min(windows, span_min)
    length_s = (span_min // n) * 60
    end = keys[-1] + 60
    first = end - n * length_s
    # one pass over the sorted minutes (detection windows can number in the tens of thousands)
    buckets: list[list[MinuteStats]] = [[] for _ in range(n)]
    for k in keys:
        if k >= first:
            buckets[(k - first) // length_s].append(journey.minutes[k])
    return [
        Window(first + i * length_s, first + (i + 1) * length_s, tuple(stats))
        for i, stats in enumerate(buckets)
    ]


def detection_windows(journey: Journey, *, now_s: int, lookback_s: int = DEFAULT_LOOKBACK_S,
                      minimum: int = DEFAULT_WINDOWS) -> list[Window]:
    """The history in equal windows of about ``EVENTS_PER_DETECTION_WINDOW`` requests each
    (at most ``MAX_DETECTION_WINDOWS``).

    The window length is chosen so that as few of the oldest minutes as possible fill no
    window: of the lengths between the ideal one and half of it, the one leaving the fewest.
    """
    keys = [k for k in journey.minutes if now_s - lookback_s <= k and k + 60 <= now_s]
    if not keys:
        return []
    span_min = (max(keys) - min(keys)) // 60 + 1
    requests = sum(journey.minutes[k].requests for k in keys)
    wanted = min(MAX_DETECTION_WINDOWS, requests // EVENTS_PER_DETECTION_WINDOW)
    wanted = max(1, min(span_min, max(minimum, wanted)))
    ideal = span_min // wanted
    length = min(range(ideal, max(1, ideal // 2) - 1, -1), key=lambda n: (span_min % n, -n))
    return split_history(journey, now_s=now_s, lookback_s=lookback_s,
                         windows=span_min // length)


def availability_counts(windows: Sequence[Window]) -> list[WindowCounts]:
    out = []
    for w in windows:
        total = sum(m.requests for m in w.minutes)
        errors = min(total, sum(m.errors for m in w.minutes))
        out.append(WindowCounts(w.start_s, w.end_s, total - errors, total))
    return out


def count_at_most(sketch: DDSketch, threshold_s: float) -> float:
    """Requests no slower than ``threshold_s``, to the sketch's relative accuracy (1%)."""
    below = sketch._negative_store.count + sketch._zero_count
    if threshold_s <= 0:
        return float(below)
    store = sketch._store
    limit = sketch._mapping.key(threshold_s)
    upto = limit - store.offset + 1  # bins[i] holds the key i + offset
    if upto > 0:
        below += sum(store.bins[:upto])
    return float(below)


@dataclass(frozen=True, slots=True)
class MergedWindow:
    """A window's request count and latency sketch, merged once for every threshold."""

    start_s: int
    end_s: int
    total: int
    sketch: DDSketch


def merge_windows(windows: Sequence[Window]) -> list[MergedWindow]:
    out = []
    for w in windows:
        if len(w.minutes) == 1:  # a minute's own sketch, only read: no copy needed
            m = w.minutes[0]
            out.append(MergedWindow(w.start_s, w.end_s, m.requests, m.latency))
            continue
        merged = new_sketch()
        total = 0
        for m in w.minutes:
            total += m.requests
            if m.latency.count:
                merged.merge(m.latency)
        out.append(MergedWindow(w.start_s, w.end_s, total, merged))
    return out


def latency_counts(
    windows: Sequence[Window] | Sequence[MergedWindow], threshold_s: float
) -> list[WindowCounts]:
    merged = [w for w in windows if isinstance(w, MergedWindow)]
    if len(merged) != len(windows):
        merged = merge_windows([w for w in windows if isinstance(w, Window)])
    out = []
    for w in merged:
        good = (
            min(w.total, round(count_at_most(w.sketch, threshold_s))) if w.sketch.count else 0
        )
        out.append(WindowCounts(w.start_s, w.end_s, good, w.total))
    return out
