"""The one merge: per-key statistics in, the environment's folded journeys out.

Every runtime that stores traffic (API ingest, the stream's writer, seeding) ends here, so a
journey cannot depend on the path its traffic took:

1. Each key's summary (``journey_keys``) merges with the delta, and its minutes merge into
   ``journey_key_stats``: exact, in any order and any grouping.
2. All keys of the environment are folded and named by the core's catalog (the same rules the
   CLI applies to one file), and the folded view is written: ``journeys`` rows (names,
   services, edges, critical path, totals) and their ``journey_stats`` minutes.
3. When folding moves a key to another journey (a base arrived, a step turned out optional),
   the minutes of the journeys concerned are rebuilt from their keys' minutes; otherwise the
   delta's minutes are added to the journey's minutes.

Writers of one environment take turns (``keys.lock_environment``). Never commits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.journeys import keys, repository
from slo_scout.control.journeys.convert import (
    journey_fields,
    minute_to_datetime,
    row_from_journey,
)
from slo_scout.core.journeys import Journey, JourneyCatalog
from slo_scout.core.journeys.keystats import KeyStats
from slo_scout.core.journeys.keystats_codec import (
    StepCounts,
    add_steps,
    decode_keystats,
    encode_keystats,
)
from slo_scout.core.journeys.model import MinuteStats
from slo_scout.core.journeys.sketch_codec import decode_sketch, encode_sketch
from slo_scout.db.models import JourneyKey, JourneyKeyStat, JourneyRow, JourneyStat, Slo


@dataclass
class Merged:
    journeys: list[Journey]  # the environment's folded journeys after the merge
    new_journeys: list[Journey]  # the ones that got a row just now
    minute_rows: int  # journey minutes written or merged
    journey_of_key: dict[str, str]  # every key -> the id of the journey it folds into


async def merge_keys(
    session: AsyncSession, environment_id: int, deltas: Sequence[KeyStats], now: datetime
) -> Merged:
    await keys.lock_environment(session, environment_id)
    rows = {row.key: row for row in await keys.keys_of_environment(session, environment_id)}
    catalog = JourneyCatalog()
    old_journey = {row.id: row.journey_id for row in rows.values()}
    summaries = {key: decode_keystats(row.summary) for key, row in rows.items()}
    key_minutes: dict[keys.MinuteKey, MinuteStats] = {}
    key_steps: dict[keys.MinuteKey, StepCounts] = {}
    for delta in deltas:
        minutes, minute_steps = delta.minutes, delta.minute_steps
        delta = dataclasses.replace(delta, minutes={}, minute_steps={})
        summary = summaries.get(delta.key_id)
        if summary is None:
            summary = summaries[delta.key_id] = delta.copy()
        else:
            summary.merge(delta)
        row = rows.get(delta.key_id)
        if row is None:
            row = rows[delta.key_id] = await keys.add_key(session, JourneyKey(
                environment_id=environment_id, key=delta.key_id, journey_id=None,
                summary=encode_keystats(summary), requests=summary.requests, updated_at=now))
        else:
            row.summary, row.requests, row.updated_at = (
                encode_keystats(summary), summary.requests, now)
        for minute_s, stats in minutes.items():
            _add(key_minutes, (row.id, minute_to_datetime(minute_s)), stats)
        for minute_s, step_counts in minute_steps.items():
            add_steps(key_steps.setdefault((row.id, minute_to_datetime(minute_s)), {}),
                      step_counts)
    await keys.merge_minutes(session, JourneyKeyStat, key_minutes, key_steps)

    for summary in summaries.values():
        catalog.add_key(summary)
    journeys = catalog.journeys()
    stored = {row.key: row for row in await repository.journeys_of_environment(
        session, environment_id)}
    new: list[Journey] = []
    for journey in journeys:
        journey_row = stored.get(journey.id)
        if journey_row is None:
            stored[journey.id] = await repository.add_journey(
                session, row_from_journey(journey, environment_id))
            new.append(journey)
        else:
            for column, value in journey_fields(journey).items():
                setattr(journey_row, column, value)
    journey_of_key = {rows[key].id: stored[catalog.resolve(key)].id for key in summaries}
    changed = {k: j for k, j in journey_of_key.items() if old_journey.get(k) != j}
    # the journeys a key joined or left: their minutes are rebuilt from their keys'
    moved = set(changed.values()) | {j for k in changed if (j := old_journey.get(k)) is not None}
    await keys.point_keys(session, changed)
    written = await _journey_minutes(session, journey_of_key, key_minutes, moved)
    await _drop_emptied(session, set(stored) - {j.id for j in journeys}, stored)
    return Merged(journeys, new, written, {key: catalog.resolve(key) for key in summaries})


def _add(into: dict[keys.MinuteKey, MinuteStats], at: keys.MinuteKey, stats: MinuteStats) -> None:
    mine = into.get(at)
    if mine is None:
        mine = into[at] = MinuteStats()
    mine.requests += stats.requests
    mine.errors += stats.errors
    mine.latency.merge(stats.latency)


async def _journey_minutes(
    session: AsyncSession, journey_of_key: dict[int, int],
    key_minutes: dict[keys.MinuteKey, MinuteStats], moved: set[int],
) -> int:
    """Adds the delta to unchanged journeys; rebuilds the minutes of journeys whose keys moved."""
    deltas: dict[keys.MinuteKey, MinuteStats] = {}
    for (key_id, minute), stats in key_minutes.items():
        journey_id = journey_of_key[key_id]
        if journey_id not in moved:
            _add(deltas, (journey_id, minute), stats)
    rebuilt: dict[keys.MinuteKey, MinuteStats] = {}
    if moved:
        members = [key_id for key_id, j in journey_of_key.items() if j in moved]
        for key_id, minute, requests, errors, sketch in await keys.key_minutes(session, members):
            _add(rebuilt, (journey_of_key[key_id], minute),
                 MinuteStats(requests, errors, decode_sketch(sketch)))
        await keys.clear_journey_minutes(session, moved)
    minutes = sorted({minute for _, minute in (*deltas, *rebuilt)})
    await repository.ensure_partitions(session, minutes)
    written = await keys.merge_minutes(session, JourneyStat, deltas)
    await keys.replace_minutes(session, JourneyStat, [
        {"journey_id": j, "minute": minute, "requests": s.requests, "errors": s.errors,
         "latency_sketch": encode_sketch(s.latency)}
        for (j, minute), s in sorted(rebuilt.items())
    ])
    return written + len(rebuilt)


async def _drop_emptied(
    session: AsyncSession, emptied: set[str], stored: dict[str, JourneyRow]
) -> None:
    """Journeys whose keys all folded elsewhere: gone, unless an SLO still names them."""
    for key in sorted(emptied):
        row = stored[key]
        await keys.clear_journey_minutes(session, [row.id])
        named = await session.scalar(select(Slo.id).where(Slo.journey_id == row.id).limit(1))
        if named is None:
            await session.execute(delete(JourneyRow).where(JourneyRow.id == row.id))
        else:
            row.requests = row.errors = 0
