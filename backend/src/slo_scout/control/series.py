"""A journey's stored per-minute statistics over a time range, in steps of whole minutes.

Each step merges its minutes' latency sketches (mergeable summaries), so a step's quantiles are
those of every request in it, not an average of per-minute quantiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.journeys import repository
from slo_scout.core.journeys.model import quantile
from slo_scout.core.journeys.sketch_codec import decode_sketch


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    start: datetime
    requests: int
    errors: int
    p50_s: float | None
    p99_s: float | None


async def stats_series(
    session: AsyncSession, journey_id: int, start: datetime, end: datetime, step_minutes: int
) -> list[SeriesPoint]:
    rows = await repository.stats_between(session, [journey_id], start, end)
    step = timedelta(minutes=step_minutes)
    buckets: dict[datetime, list[Any]] = {}
    for row in rows:
        slot = start + ((row.minute - start) // step) * step
        buckets.setdefault(slot, []).append(row)
    points = []
    for slot in sorted(buckets):
        group = buckets[slot]
        sketch = None
        for row in group:
            part = decode_sketch(row.latency_sketch)
            if sketch is None:
                sketch = part
            else:
                sketch.merge(part)  # in place
        has = sketch is not None and sketch.count > 0
        points.append(SeriesPoint(
            start=slot, requests=sum(r.requests for r in group),
            errors=sum(r.errors for r in group),
            p50_s=quantile(sketch, 0.5) if has else None,
            p99_s=quantile(sketch, 0.99) if has else None,
        ))
    return points


async def counts_series(
    session: AsyncSession, journey_id: int, start: datetime, end: datetime, step_minutes: int
) -> list[tuple[datetime, int, int]]:
    """(step start, requests, errors) per step: :func:`stats_series` without the quantiles."""
    step = timedelta(minutes=step_minutes)
    buckets: dict[datetime, list[int]] = {}
    for minute, requests, errors in await repository.counts_between(
            session, journey_id, start, end):
        slot = buckets.setdefault(start + ((minute - start) // step) * step, [0, 0])
        slot[0] += requests
        slot[1] += errors
    return [(slot, *buckets[slot]) for slot in sorted(buckets)]  # type: ignore[misc]
