"""Retention: what the worker's pass drops, older than ``stats_retention_days``.

Two transactions, both short of anything but their own work:

1. The trace ledger (``prune_ledger``): on PostgreSQL dropping or creating a partition locks the
   whole table, so this one stays short. It creates this week's and next week's partitions
   ahead (live traffic then never waits on a CREATE), drops the weeks wholly before the cutoff
   and deletes the boundary week's older rows.
2. The statistics (``drop_statistics``): the keys' minutes and the folded minutes before the
   cutoff go (whole partitions or chunks, and the boundary's rows, so both series end exactly
   at the cutoff), and, in the same transaction, every key that lost minutes gets its totals
   again from the minutes it keeps (requests, errors, latency, first seen; a key left with none
   goes) and its environment is folded again (``merge.merge_keys``). So a journey's totals are
   always the sum of its stored statistics, before the pass and after it. What the totals do
   not hold is kept as seen: names, services, edges and step counts, the critical path and
   sample trace ids describe all traffic the journey had.

Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.journeys import keys, repository
from slo_scout.control.journeys.merge import merge_keys
from slo_scout.core.journeys.keystats_codec import decode_keystats, encode_keystats
from slo_scout.core.journeys.model import new_sketch
from slo_scout.core.journeys.sketch_codec import decode_sketch

AHEAD = timedelta(days=7)  # the ledger partitions created ahead: this week's and the next


@dataclass
class Dropped:
    stats: int = 0  # the folded series' partitions, chunks or rows
    keys_refreshed: int = 0  # keys whose totals were taken again from their remaining minutes
    keys_removed: int = 0  # keys left without minutes
    environments: int = 0  # environments folded again


async def prune_ledger(session: AsyncSession, *, cutoff: datetime, now: datetime) -> int:
    """Drops the ledger's entries before ``cutoff``; returns the partitions (PostgreSQL) or
    rows (SQLite) dropped."""
    await keys.ensure_ledger_partitions(session, [now, now + AHEAD])
    return await keys.drop_ledger_before(session, cutoff)


async def drop_statistics(session: AsyncSession, *, cutoff: datetime, now: datetime) -> Dropped:
    """Drops the statistics before ``cutoff`` and brings the totals of what lost minutes back
    to the sum of what is left (see above)."""
    touched = await keys.keys_with_minutes_before(session, cutoff)
    # the environments first, in the writers' order, then the tables: as a writer takes them
    environments = await keys.in_lock_order(session, {row.environment_id for row in touched})
    for environment_id in environments:
        await keys.lock_environment(session, environment_id)
    dropped = Dropped(stats=await repository.drop_stats_before(session, cutoff))
    if not touched:  # nothing older: the boundary holds nothing either (and is not locked)
        return dropped
    await repository.drop_boundary_stats_before(session, cutoff)
    remaining: dict[int, list[tuple[datetime, int, int, str]]] = {k.id: [] for k in touched}
    for key_id, minute, requests, errors, sketch in await keys.key_minutes(
            session, sorted(remaining)):
        remaining[key_id].append((minute, requests, errors, sketch))
    for row in touched:
        minutes = remaining[row.id]
        if not minutes:
            await keys.remove_key(session, row)
            dropped.keys_removed += 1
            continue
        summary = decode_keystats(row.summary)
        summary.requests = sum(m[1] for m in minutes)
        summary.errors = sum(m[2] for m in minutes)
        summary.latency = new_sketch()
        for _, _, _, sketch in minutes:
            summary.latency.merge(decode_sketch(sketch))
        first_ns = int(min(m[0] for m in minutes).timestamp()) * 1_000_000_000
        summary.first_ns = max(summary.first_ns, first_ns)
        summary.last_ns = max(summary.last_ns, summary.first_ns)
        row.summary, row.requests, row.updated_at = encode_keystats(summary), summary.requests, now
        dropped.keys_refreshed += 1
    for environment_id in environments:
        await merge_keys(session, environment_id, [], now)
    dropped.environments = len(environments)
    return dropped
