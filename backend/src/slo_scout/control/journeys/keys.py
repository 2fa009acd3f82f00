"""SQL for journey keys, their minutes, the trace ledger and spans waiting for their trace.

Plain statements, no rules: ``merge`` and ``recording`` decide what to write. Never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.core.journeys.keystats_codec import (
    StepCounts,
    add_steps,
    decode_steps,
    encode_steps,
)
from slo_scout.core.journeys.model import MinuteStats
from slo_scout.core.journeys.sketch_codec import decode_sketch, encode_sketch
from slo_scout.db.dialect import insert_for
from slo_scout.db.models import (
    Environment,
    JourneyKey,
    JourneyKeyStat,
    JourneyStat,
    PendingSpans,
    Service,
    TraceLedgerEntry,
)

MinuteKey = tuple[int, datetime]  # (journey or key row id, minute)


async def lock_environment(session: AsyncSession, environment_id: int) -> None:
    """Writers of one environment take turns: its folding reads every key it has.

    SQLite has one writer at a time already; PostgreSQL locks the environment's row.
    """
    if session.bind.dialect.name == "postgresql":
        await session.execute(
            select(Environment.id).where(Environment.id == environment_id).with_for_update()
        )


async def in_lock_order(session: AsyncSession, environment_ids: Iterable[int]) -> list[int]:
    """Environments in the order writers lock them (``recording`` goes by entry service name):
    a writer of several takes them in this order, so two writers never wait on each other."""
    ids = sorted(set(environment_ids))
    if not ids:
        return []
    rows = await session.execute(
        select(Environment.id).join(Service, Service.id == Environment.service_id)
        .where(Environment.id.in_(ids)).order_by(Service.name, Environment.name)
    )
    return [row[0] for row in rows]


async def keys_of_environment(session: AsyncSession, environment_id: int) -> list[JourneyKey]:
    rows = await session.scalars(
        select(JourneyKey).where(JourneyKey.environment_id == environment_id)
    )
    return list(rows)


async def add_key(session: AsyncSession, row: JourneyKey) -> JourneyKey:
    session.add(row)
    await session.flush()
    return row


async def point_keys(session: AsyncSession, journey_of_key: Mapping[int, int]) -> None:
    """Files keys under the journeys they fold into now."""
    for key_id, journey_id in journey_of_key.items():
        await session.execute(
            update(JourneyKey).where(JourneyKey.id == key_id).values(journey_id=journey_id)
        )


async def merge_minutes(
    session: AsyncSession, table: type[JourneyStat] | type[JourneyKeyStat],
    deltas: Mapping[MinuteKey, MinuteStats],
    steps: Mapping[MinuteKey, StepCounts] | None = None,
) -> int:
    """Adds per-minute deltas to the rows of ``table`` (counts add, sketches merge); for keys,
    ``steps`` adds each minute's step counts to the row's (migration 0022)."""
    if not deltas:
        return 0
    keyed = table is JourneyKeyStat
    owner = table.key_id if keyed else table.journey_id  # type: ignore[union-attr]
    ids = sorted({owner_id for owner_id, _ in deltas})
    minutes = sorted({minute for _, minute in deltas})
    columns = [owner, table.minute, table.requests, table.errors, table.latency_sketch]
    if keyed:
        columns.append(JourneyKeyStat.steps)
    stored = await session.execute(
        select(*columns).where(owner.in_(ids), table.minute.in_(minutes))
    )
    current = {(row[0], row[1]): row for row in stored}
    values = []
    for (owner_id, minute), delta in sorted(deltas.items()):
        row = current.get((owner_id, minute))
        sketch = delta.latency
        requests, errors = delta.requests, delta.errors
        if row is not None:
            sketch = decode_sketch(row.latency_sketch)
            sketch.merge(delta.latency)
            requests += row.requests
            errors += row.errors
        value = {owner.key: owner_id, "minute": minute, "requests": requests,
                 "errors": errors, "latency_sketch": encode_sketch(sketch)}
        if keyed:
            counts = dict((steps or {}).get((owner_id, minute), {}))
            if row is not None and row.steps:
                counts = decode_steps(row.steps)
                add_steps(counts, (steps or {}).get((owner_id, minute), {}))
            value["steps"] = encode_steps(counts) if counts else None
        values.append(value)
    await replace_minutes(session, table, values)
    return len(values)


async def replace_minutes(
    session: AsyncSession, table: type[JourneyStat] | type[JourneyKeyStat],
    values: list[dict[str, Any]],
) -> None:
    if not values:
        return
    owner = "journey_id" if table is JourneyStat else "key_id"
    replaced = ["requests", "errors", "latency_sketch"]
    if table is JourneyKeyStat:
        replaced.append("steps")
    statement = insert_for(session)(table.__table__)
    statement = statement.on_conflict_do_update(
        index_elements=[owner, "minute"],
        set_={column: statement.excluded[column] for column in replaced},
    )
    await session.execute(statement, values)


async def key_minutes(
    session: AsyncSession, key_ids: Sequence[int]
) -> list[tuple[int, datetime, int, int, str]]:
    """Every stored minute of these keys: (key id, minute, requests, errors, sketch)."""
    if not key_ids:
        return []
    rows = await session.execute(
        select(JourneyKeyStat.key_id, JourneyKeyStat.minute, JourneyKeyStat.requests,
               JourneyKeyStat.errors, JourneyKeyStat.latency_sketch)
        .where(JourneyKeyStat.key_id.in_(key_ids))
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


async def clear_journey_minutes(session: AsyncSession, journey_ids: Iterable[int]) -> None:
    ids = sorted(journey_ids)
    if ids:
        await session.execute(delete(JourneyStat).where(JourneyStat.journey_id.in_(ids)))


async def keys_with_minutes_before(session: AsyncSession, cutoff: datetime) -> list[JourneyKey]:
    """The keys that have minutes before ``cutoff`` (what retention is about to drop)."""
    touched = select(JourneyKeyStat.key_id).where(JourneyKeyStat.minute < cutoff).distinct()
    rows = await session.scalars(
        select(JourneyKey).where(JourneyKey.id.in_(touched)).order_by(JourneyKey.id))
    return list(rows)


async def remove_key(session: AsyncSession, row: JourneyKey) -> None:
    """A key and its minutes (a key left without traffic)."""
    await session.execute(delete(JourneyKeyStat).where(JourneyKeyStat.key_id == row.id))
    await session.execute(delete(JourneyKey).where(JourneyKey.id == row.id))
    session.expunge(row)


async def drop_key_minutes_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await session.execute(delete(JourneyKeyStat).where(JourneyKeyStat.minute < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- the trace ledger -------------------------------------------------------------------------
#
# On PostgreSQL the ledger is partitioned by week of ``minute`` (migration 0005), and a
# partitioned table's unique key must hold the partition column: (trace_id, minute). A trace id
# is kept unique across partitions by the claim itself: it inserts only ids the ledger does not
# hold within a day of the entry's minute (``NOT EXISTS``; the copies of one trace, a fragment
# and the whole trace, a resend, a replay, carry minutes of that trace's own spans, so they lie
# within its duration), and claims of one environment take turns (``lock_ledger``), so two
# writers cannot both insert one trace id under different minutes. The day's bound lets the
# planner probe the one or two weeks concerned instead of every partition (bench.ledger).
# SQLite keeps the plain table keyed by trace id, one writer at a time.

# PostgreSQL takes a batch's ids as one array parameter (one statement however many ids); the
# portable form binds each id and is kept for SQLite.
# Joined from the ids (not ``= ANY(:ids)``, which asyncpg's prepared statement planned as a scan
# of the whole ledger: 27 ms a batch at 10,000 rows, growing with the ledger).
_COUNTED_PG = text(
    "SELECT l.trace_id FROM unnest(CAST(:ids AS text[]), CAST(:minutes AS timestamptz[])) "
    "AS x(t, m) JOIN trace_ledger l ON l.trace_id = x.t "
    "AND l.minute >= x.m - interval '1 day' AND l.minute < x.m + interval '1 day'")
# The claimed ids come back as one array, not a row each: thousands of rows through the
# driver's row machinery cost the stream's writer more Python time than the rest of a batch.
_CLAIM_PG = text(
    "WITH claimed AS (INSERT INTO trace_ledger (trace_id, journey_key, minute, recorded_at) "
    "SELECT t, k, m, :now FROM unnest(CAST(:ids AS text[]), CAST(:keys AS text[]), "
    "CAST(:minutes AS timestamptz[])) AS x(t, k, m) "
    "WHERE NOT EXISTS (SELECT 1 FROM trace_ledger l WHERE l.trace_id = x.t "
    "AND l.minute >= x.m - interval '1 day' AND l.minute < x.m + interval '1 day') "
    "ON CONFLICT (trace_id, minute) DO NOTHING RETURNING trace_id) "
    "SELECT coalesce(array_agg(trace_id), '{}') FROM claimed"
)
_ENSURE_PG = text("SELECT slo_scout_ensure_ledger_partitions(CAST(:minutes AS timestamptz[]))")
_LOCK_PG = text("SELECT pg_advisory_xact_lock(hashtext('slo_scout_trace_ledger'), "
                "hashtext(:environment))")


async def counted(session: AsyncSession, traces: Mapping[str, datetime]) -> set[str]:
    """The trace ids among ``traces`` (id -> the minute of one of its spans) counted already."""
    if not traces:
        return set()
    trace_ids = sorted(traces)
    if session.bind.dialect.name == "postgresql":
        return set(await session.scalars(_COUNTED_PG, {
            "ids": trace_ids, "minutes": [traces[t] for t in trace_ids]}))
    found: set[str] = set()
    for start in range(0, len(trace_ids), 500):
        chunk = trace_ids[start:start + 500]
        rows = await session.scalars(
            select(TraceLedgerEntry.trace_id).where(TraceLedgerEntry.trace_id.in_(chunk))
        )
        found.update(rows)
    return found


async def lock_ledger(session: AsyncSession, environment: str) -> None:
    """Claims of one environment take turns until commit (see above); SQLite needs nothing."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(_LOCK_PG, {"environment": environment})


async def ensure_ledger_partitions(session: AsyncSession, minutes: Iterable[datetime]) -> int:
    """Creates the ledger's weekly partitions these minutes need; returns how many were new."""
    wanted = sorted(set(minutes))
    if not wanted or session.bind.dialect.name != "postgresql":
        return 0
    return int(await session.scalar(_ENSURE_PG, {"minutes": wanted}) or 0)


async def claim(
    session: AsyncSession, entries: Sequence[tuple[str, str | None, datetime]], now: datetime
) -> set[str]:
    """Records (trace id, journey key, minute) entries; returns the ids that were new (a trace
    id twice in ``entries`` is claimed once, under its first minute)."""
    first: dict[str, tuple[str, str | None, datetime]] = {}
    for entry in entries:
        first.setdefault(entry[0], entry)
    entries = list(first.values())
    if not entries:
        return set()
    if session.bind.dialect.name == "postgresql":
        ids, keys_, minutes = (list(column) for column in zip(*entries, strict=True))
        await ensure_ledger_partitions(session, minutes)
        return set(await session.scalar(
            _CLAIM_PG, {"ids": ids, "keys": keys_, "minutes": minutes, "now": now}))
    claimed: set[str] = set()
    for start in range(0, len(entries), 500):
        chunk = entries[start:start + 500]
        statement = (
            sqlite_insert(TraceLedgerEntry.__table__)
            .values([{"trace_id": t, "journey_key": k, "minute": m, "recorded_at": now}
                     for t, k, m in chunk])
            .on_conflict_do_nothing(index_elements=["trace_id"])
            .returning(TraceLedgerEntry.__table__.c.trace_id)
        )
        claimed.update((await session.execute(statement)).scalars())
    return claimed


async def drop_ledger_before(session: AsyncSession, cutoff: datetime) -> int:
    """Retention: PostgreSQL drops the weeks wholly before ``cutoff`` (returns how many) and
    deletes the boundary week's older rows; SQLite deletes the rows (returns how many)."""
    if session.bind.dialect.name == "postgresql":
        return int(await session.scalar(
            text("SELECT slo_scout_drop_ledger_before(:c)"), {"c": cutoff}) or 0)
    result = await session.execute(
        delete(TraceLedgerEntry).where(TraceLedgerEntry.minute < cutoff)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def ledger_partitions(session: AsyncSession) -> list[str]:
    """The ledger's partitions, oldest first (none on SQLite)."""
    if session.bind.dialect.name != "postgresql":
        return []
    return list(await session.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'trace_ledger' ORDER BY 1")))


# -- spans waiting for the rest of their trace --------------------------------------------------

async def add_pending(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(PendingSpans.__table__.insert(), rows)


async def pending_ready(
    session: AsyncSession, environment: str, quiet_since: datetime | None
) -> list[str]:
    """Trace ids of ``environment`` whose latest spans arrived before ``quiet_since``
    (every waiting trace when it is ``None``), oldest first."""
    latest = func.max(PendingSpans.received_at)
    statement = (
        select(PendingSpans.trace_id)
        .where(PendingSpans.environment == environment)
        .group_by(PendingSpans.trace_id)
        .order_by(latest, PendingSpans.trace_id)
    )
    if quiet_since is not None:
        statement = statement.having(latest < quiet_since)
    return list(await session.scalars(statement))


async def pending_span_count(session: AsyncSession) -> int:
    total = await session.scalar(text("SELECT coalesce(sum(span_count), 0) FROM pending_spans"))
    return int(total or 0)


async def oldest_pending(session: AsyncSession, environment: str, spans: int) -> list[str]:
    """The oldest waiting traces of ``environment`` holding at least ``spans`` spans."""
    rows = await session.execute(
        select(PendingSpans.trace_id, PendingSpans.span_count)
        .where(PendingSpans.environment == environment)
        .order_by(PendingSpans.received_at, PendingSpans.id)
    )
    chosen: dict[str, None] = {}
    total = 0
    for trace_id, count in rows:
        if total >= spans:
            break
        chosen[trace_id] = None
        total += count
    return list(chosen)


async def take_pending(
    session: AsyncSession, environment: str, trace_ids: Sequence[str]
) -> list[PendingSpans]:
    """Removes and returns the waiting rows of these traces. On PostgreSQL the rows are locked
    in id order first: a second request closing the same trace waits, then finds them gone
    (never half of a trace each)."""
    taken: list[PendingSpans] = []
    for start in range(0, len(trace_ids), 2000):
        chunk = trace_ids[start:start + 2000]
        statement = select(PendingSpans).where(
            PendingSpans.environment == environment, PendingSpans.trace_id.in_(chunk)
        ).order_by(PendingSpans.id)
        if session.bind.dialect.name == "postgresql":
            statement = statement.with_for_update()
        rows = list(await session.scalars(statement))
        if rows:
            await session.execute(
                delete(PendingSpans).where(PendingSpans.id.in_([r.id for r in rows]))
            )
        taken.extend(rows)
    return taken


async def pending_environments(session: AsyncSession) -> list[str]:
    return sorted(await session.scalars(select(PendingSpans.environment).distinct()))
