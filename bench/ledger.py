"""The trace ledger's cost before and after weekly partitions (issue 10), at 1,000,000 rows.

A throwaway PostgreSQL (the tests' fixture) gets two databases: one at revision 0004 (one
unpartitioned table keyed by trace id, with 0004's statements, copied here), one at head (weekly
partitions, ``control.journeys.keys``' statements). Each is filled with ``--rows`` entries
spread evenly over 90 days (13 or 14 weeks) and analysed, untimed. Then, per database, the
same work in the same order, each batch its own committed transaction:

- claim: ``--batch`` new trace ids (the minutes of the last hour), ``--batches`` times;
- lookup: ``--batch`` stored ids, found (``counted``: late spans, resent uploads);
- resend: claiming ``--batch`` stored ids again, with their minutes (all refused);
- retention: entries older than 83 days dropped (DELETE before; partitions + boundary DELETE
  after).

Printed: per batch, median and 90th percentile in ms; retention once. Nothing is asserted.

``python -m bench.ledger [--rows N] [--batch N] [--batches N]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

# revision 0004's statements (control/journeys/keys.py before issue 10)
_CLAIM_0004 = text(
    "INSERT INTO trace_ledger (trace_id, journey_key, minute, recorded_at) "
    "SELECT t, k, m, :now FROM unnest(CAST(:ids AS text[]), CAST(:keys AS text[]), "
    "CAST(:minutes AS timestamptz[])) AS x(t, k, m) "
    "ON CONFLICT (trace_id) DO NOTHING RETURNING trace_id"
)
_COUNTED_0004 = text("SELECT l.trace_id FROM unnest(CAST(:ids AS text[])) AS x(t) "
                     "JOIN trace_ledger l ON l.trace_id = x.t")

_FILL = text(
    "INSERT INTO trace_ledger (trace_id, journey_key, minute, recorded_at) "
    "SELECT md5('s' || i), 'k', m, m FROM (SELECT i, CAST(:now AS timestamptz) - (i * (90 * "
    "86400.0 / CAST(:rows AS integer))) "
    "* interval '1 second' AS m FROM generate_series(1, :rows) AS i) AS x"
)


async def _fill(url: str, rows: int, partitioned: bool) -> None:
    from slo_scout.db.engine import create_engine

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            if partitioned:
                weeks = [NOW - timedelta(days=d) for d in range(0, 98, 7)]
                await conn.execute(text(
                    "SELECT slo_scout_ensure_ledger_partitions(CAST(:w AS timestamptz[]))"),
                    {"w": weeks})
            await conn.execute(_FILL, {"now": NOW, "rows": rows})
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE trace_ledger"))
    finally:
        await engine.dispose()


async def _measure(url: str, partitioned: bool, rows: int, batch: int,
                   batches: int) -> dict[str, list[float]]:
    from slo_scout.control.journeys import keys
    from slo_scout.db.engine import create_engine, session_factory

    engine = create_engine(url)
    sessions = session_factory(engine)
    times: dict[str, list[float]] = {"claim": [], "lookup": [], "resend": [], "retention": []}

    async def timed(name: str, work: Callable[..., Awaitable[object]]) -> object:
        async with sessions() as session:
            began = time.perf_counter()
            out = await work(session)
            await session.commit()
            times[name].append((time.perf_counter() - began) * 1000)
        return out

    try:
        import hashlib
        for b in range(batches):
            ids = [uuid.uuid4().hex for _ in range(batch)]
            minutes = [NOW - timedelta(seconds=(i * 3600) // batch) for i in range(batch)]
            entries = [(t, "k", m) for t, m in zip(ids, minutes, strict=True)]
            if partitioned:
                async def claim(s, entries=entries):  # type: ignore[no-untyped-def]
                    await keys.lock_ledger(s, "production")
                    return await keys.claim(s, entries, NOW)
            else:
                async def claim(s, entries=entries):  # type: ignore[no-untyped-def]
                    cols = [list(c) for c in zip(*entries, strict=True)]
                    return set(await s.scalars(_CLAIM_0004, {
                        "ids": cols[0], "keys": cols[1], "minutes": cols[2], "now": NOW}))
            assert len(await timed("claim", claim)) == batch  # type: ignore[arg-type]
            picked = [1 + (b * 7919 + i * 104729) % rows for i in range(batch)]
            stored = [hashlib.md5(f"s{n}".encode()).hexdigest() for n in picked]
            # a resend (or a replay) carries the trace's own minute, as stored by _FILL
            again = [(t, "k", NOW - timedelta(seconds=n * 90 * 86400 / rows))
                     for t, n in zip(stored, picked, strict=True)]
            if partitioned:
                found = await timed("lookup", lambda s, e=again: keys.counted(
                    s, {t: m for t, _, m in e}))
            else:
                found = await timed("lookup", lambda s, ids=stored: _counted_0004(s, ids))
            assert len(found) == len(set(stored))  # type: ignore[arg-type]
            if partitioned:
                refused = await timed("resend", lambda s, e=again: keys.claim(s, e, NOW))
            else:
                async def resend(s, e=again):  # type: ignore[no-untyped-def]
                    cols = [list(c) for c in zip(*e, strict=True)]
                    return set(await s.scalars(_CLAIM_0004, {
                        "ids": cols[0], "keys": cols[1], "minutes": cols[2], "now": NOW}))
                refused = await timed("resend", resend)
            assert refused == set()
        cutoff = NOW - timedelta(days=83)
        if partitioned:
            await timed("retention", lambda s: keys.drop_ledger_before(s, cutoff))
        else:
            await timed("retention", lambda s: s.execute(
                text("DELETE FROM trace_ledger WHERE minute < :c"), {"c": cutoff}))
    finally:
        await engine.dispose()
    return times


async def _counted_0004(session, ids):  # type: ignore[no-untyped-def]
    return set(await session.scalars(_COUNTED_0004, {"ids": list(ids)}))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--batches", type=int, default=40)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.fixtures.postgres import postgres_server

    from slo_scout.db.migrate import upgrade

    server = postgres_server.__wrapped__()  # the test fixture's generator: start, then stop
    pg = next(server)
    try:
        results = {}
        for label, revision, partitioned in (("0004 (one table)", "0004", False),
                                             ("0005 (weekly partitions)", "head", True)):
            url = pg.create_database("ledger")
            upgrade(url, revision)
            began = time.perf_counter()
            asyncio.run(_fill(url, args.rows, partitioned))
            print(f"{label}: {args.rows:,} rows filled in {time.perf_counter() - began:.1f} s "
                  "(untimed)", file=sys.stderr)
            results[label] = asyncio.run(
                _measure(url, partitioned, args.rows, args.batch, args.batches))
        print(f"trace ledger at {args.rows:,} rows, {args.batch} ids a batch, "
              f"{args.batches} batches (ms per batch: median / p90)")
        for label, times in results.items():
            cells = []
            for name in ("claim", "lookup", "resend"):
                values = sorted(times[name])
                p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
                cells.append(f"{name} {statistics.median(values):.1f} / {p90:.1f}")
            cells.append(f"retention (83 d) {times['retention'][0]:.0f}")
            print(f"  {label}: " + ", ".join(cells))
    finally:
        next(server, None)


if __name__ == "__main__":
    main()
