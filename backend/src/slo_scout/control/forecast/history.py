"""A journey's stored minutes on a regular grid of steps, empty steps included.

A band needs one value per step at a fixed spacing (a step without traffic is a gap the fit
bridges, not a missing row that would shift the season), so every step from ``start`` to
``end`` is returned. Each step merges its minutes' latency sketches once, for its p99 and for
the requests no slower than an SLO's threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ddsketch import DDSketch
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.journeys import repository
from slo_scout.core.journeys.model import quantile
from slo_scout.core.journeys.sketch_codec import decode_sketch
from slo_scout.core.recommend.history import count_at_most


@dataclass(frozen=True, slots=True)
class Step:
    start: datetime
    requests: int
    errors: int
    slow: int  # requests slower than the threshold asked for (0 without one)
    p99_s: float | None

    @property
    def availability(self) -> float | None:
        return 1 - self.errors / self.requests if self.requests else None


async def steps(
    session: AsyncSession, journey_id: int, start: datetime, end: datetime, step: timedelta,
    *, threshold_s: float | None = None,
) -> list[Step]:
    count = int((end - start) / step)
    # sketches only for steps with traffic, the first minute's decoded one kept as is: a long
    # range is mostly empty steps, and making and merging empty sketches was most of the cost
    sketches: dict[int, DDSketch] = {}
    requests = [0] * count
    errors = [0] * count
    for row in await repository.stats_between(session, [journey_id], start, start + count * step):
        minute = row.minute if row.minute.tzinfo is not None else row.minute.replace(
            tzinfo=start.tzinfo)  # SQLite hands back naive UTC
        i = int((minute - start) / step)
        requests[i] += row.requests
        errors[i] += row.errors
        decoded = decode_sketch(row.latency_sketch)
        if i in sketches:
            sketches[i].merge(decoded)
        else:
            sketches[i] = decoded
    out = []
    for i in range(count):
        sketch = sketches.get(i)
        slow = 0
        if threshold_s is not None and requests[i] and sketch is not None:
            slow = max(0, requests[i] - round(count_at_most(sketch, threshold_s)))
        out.append(Step(
            start=start + i * step, requests=requests[i], errors=errors[i], slow=slow,
            p99_s=quantile(sketch, 0.99) if sketch is not None and sketch.count > 0 else None,
        ))
    return out
