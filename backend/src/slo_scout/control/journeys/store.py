"""Stores discovered journeys and merges their per-minute statistics into the time series.

The same journey seen again (same environment, same core id) keeps its row; its totals add up
and minute rows merge (counts add, latency sketches merge), so ingesting traffic in several
batches gives the same statistics as one batch. Never commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.journeys import repository
from slo_scout.control.journeys.convert import minute_to_datetime, ns_to_datetime, row_from_journey
from slo_scout.core.journeys.model import Journey
from slo_scout.core.journeys.sketch_codec import decode_sketch, encode_sketch, merge_encoded
from slo_scout.db.models import JourneyRow


async def store_journeys(
    session: AsyncSession, environment_id: int, journeys: Sequence[Journey]
) -> tuple[int, int]:
    """Returns (new journeys, minute rows written)."""
    created = 0
    rows: list[tuple[JourneyRow, Journey]] = []
    for journey in journeys:
        row = await repository.get_by_key(session, environment_id, journey.id)
        if row is None:
            row = await repository.add_journey(session, row_from_journey(journey, environment_id))
            created += 1
        else:
            _merge_totals(row, journey)
        rows.append((row, journey))
    written = await _merge_minutes(session, rows)
    return created, written


def _merge_totals(row: JourneyRow, journey: Journey) -> None:
    row.requests += journey.requests
    row.errors += journey.errors
    row.latency_sketch = merge_encoded(row.latency_sketch, journey.latency)
    row.first_seen = min(row.first_seen, ns_to_datetime(journey.first_seen_ns))
    row.last_seen = max(row.last_seen, ns_to_datetime(journey.last_seen_ns))
    row.sample_trace_ids = sorted({*row.sample_trace_ids, *journey.sample_trace_ids})[:10]
    row.name = journey.name
    row.edges = [
        {"caller": e.caller, "callee": e.callee, "operation": e.operation, "calls": e.calls}
        for e in journey.edges
    ] or row.edges


async def _merge_minutes(
    session: AsyncSession, rows: list[tuple[JourneyRow, Journey]]
) -> int:
    minutes = sorted({minute_to_datetime(m) for _, j in rows for m in j.minutes})
    await repository.ensure_partitions(session, minutes)
    existing = await repository.stats_rows(session, [r.id for r, _ in rows], minutes)
    values = []
    for row, journey in rows:
        for minute_s, stats in sorted(journey.minutes.items()):
            minute = minute_to_datetime(minute_s)
            stored = existing.get((row.id, minute))
            if stored is None:
                values.append({
                    "journey_id": row.id, "minute": minute, "requests": stats.requests,
                    "errors": stats.errors, "latency_sketch": encode_sketch(stats.latency),
                })
            else:
                merged = decode_sketch(stored.latency_sketch)
                merged.merge(stats.latency)
                values.append({
                    "journey_id": row.id, "minute": minute,
                    "requests": stored.requests + stats.requests,
                    "errors": stored.errors + stats.errors,
                    "latency_sketch": encode_sketch(merged),
                })
    await repository.upsert_stats(session, values)
    return len(values)
