"""A journey's stored minutes on a regular grid of steps, empty steps included.

A band needs one value per step at a fixed spacing (a step without traffic is a gap the fit
bridges, not a missing row that would shift the season), so every step from ``start`` to
``end`` is returned. Latency (each step's p99 and the requests slower than an SLO's threshold)
comes from the minutes' sketches, read only when asked for: an availability SLO or band needs
the counts alone.

A step's sketch is merged at the stored form: each minute's bins are summed per key (the JSON
``decode_sketch`` reads), and one sketch per step is built from the sums. That is the sketch
``decode_sketch`` + ``DDSketch.merge`` of the same minutes gives (the same count per key, the
same zero count, count, sum, min and max: merging adds exactly these), for a fraction of the
cost: decoding every minute into a sketch and merging it was most of a forecast's time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ddsketch import DDSketch
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.forecast import repository
from slo_scout.core.journeys.model import SKETCH_RELATIVE_ACCURACY, new_sketch, quantile
from slo_scout.core.recommend.history import count_at_most


@dataclass(frozen=True, slots=True)
class Step:
    start: datetime
    requests: int
    errors: int
    slow: int  # requests slower than the threshold asked for (0 without one)
    p99_s: float | None  # None: no latency in the step, or latency not asked for

    @property
    def availability(self) -> float | None:
        return 1 - self.errors / self.requests if self.requests else None


@dataclass(slots=True)
class _Bins:
    """One step's minutes' sketches summed (only minutes whose sketch holds a value)."""

    positive: dict[int, float] = field(default_factory=dict)
    negative: dict[int, float] = field(default_factory=dict)
    zero: float = 0.0
    count: float = 0.0
    total: float = 0.0
    low: float = float("+inf")
    high: float = float("-inf")

    def add(self, text: str) -> None:
        body = json.loads(text)
        if body.get("a", SKETCH_RELATIVE_ACCURACY) != SKETCH_RELATIVE_ACCURACY:
            raise ValueError(f"stored sketch has relative accuracy {body['a']}, expected 1%")
        if body["c"] <= 0:  # DDSketch.merge skips an empty sketch
            return
        for bins, into in ((body["p"], self.positive), (body["n"], self.negative)):
            for key, count in bins:
                key = int(key)
                into[key] = into.get(key, 0.0) + count
        self.zero += body["z"]
        self.count += body["c"]
        self.total += body["s"]
        if body["lo"] is not None and body["lo"] < self.low:
            self.low = body["lo"]
        if body["hi"] is not None and body["hi"] > self.high:
            self.high = body["hi"]

    def sketch(self) -> DDSketch:
        sketch = new_sketch()
        for key in sorted(self.positive):
            sketch._store.add(key, self.positive[key])
        for key in sorted(self.negative):
            sketch._negative_store.add(key, self.negative[key])
        sketch._zero_count = self.zero
        sketch._count = self.count
        sketch._sum = self.total
        sketch._min, sketch._max = self.low, self.high
        return sketch


async def steps(
    session: AsyncSession, journey_id: int, start: datetime, end: datetime, step: timedelta,
    *, latency: bool = True, threshold_s: float | None = None,
) -> list[Step]:
    """Every step's counts; with ``latency`` also its p99 and (with ``threshold_s``) the
    requests slower than the threshold."""
    count = int((end - start) / step)
    requests = [0] * count
    errors = [0] * count
    merged: dict[int, _Bins] = {}
    step_s = step.total_seconds()
    naive_start = start.replace(tzinfo=None)
    for row in await repository.minutes(session, journey_id, start, start + count * step,
                                        sketches=latency):
        minute = row[0]
        # SQLite hands back naive UTC
        offset = (minute - start if minute.tzinfo is not None else minute - naive_start)
        i = int(offset.total_seconds() // step_s)
        requests[i] += row[1]
        errors[i] += row[2]
        if latency:
            bins = merged.get(i)
            if bins is None:
                bins = merged[i] = _Bins()
            bins.add(row[3])
    out = []
    for i in range(count):
        bins = merged.get(i)
        # a step whose minutes' sketches are all empty still counts its requests slow, as
        # the merged empty sketch did
        sketch = bins.sketch() if bins is not None else None
        slow = 0
        if threshold_s is not None and requests[i] and sketch is not None:
            slow = max(0, requests[i] - round(count_at_most(sketch, threshold_s)))
        out.append(Step(
            start=start + i * step, requests=requests[i], errors=errors[i], slow=slow,
            p99_s=quantile(sketch, 0.99) if sketch is not None and sketch.count > 0 else None,
        ))
    return out
