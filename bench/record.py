"""The one merge every ingest path ends in (``record_traces``): CPU seconds per span stored.

20,000 traces of 6 spans (a root calling five services, one in seven failing in its first
call), 100 a minute over 200 minutes, recorded in 20 batches of 1,000 into a fresh SQLite file
(or ``--database-url``), best of ``--runs`` (3). This is the hot write path that per-minute
step counts (migration 0022) were added to; run it on two checkouts to compare them.

    python -m bench.record [--runs 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime

from slo_scout.control.journeys.recording import record_traces
from slo_scout.core.journeys import assemble
from slo_scout.core.journeys.model import Trace
from slo_scout.core.telemetry.model import Span
from slo_scout.db import migrate
from slo_scout.db.engine import create_engine, session_factory

MS = 1_000_000
NOW = datetime(2026, 11, 2, tzinfo=UTC)
START_NS = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp()) * 1_000_000_000
TRACES, BATCH, SPANS = 20_000, 1_000, 6


def _trace(n: int) -> Trace:
    trace_id, start = f"{n + 1:032x}", START_NS + n * 600 * MS
    spans = [Span(trace_id, "1" * 16, None, "frontend", "POST /checkout", "server", start,
                  start + 60 * MS, "unset", False, {})]
    for i, service in enumerate(("payment", "inventory", "cart", "user", "shipping")):
        failed = n % 7 == 0 and i == 0
        spans.append(Span(trace_id, f"{i + 2:016x}", "1" * 16, service, f"Op{i}", "server",
                          start + (i + 1) * MS, start + (i + 6) * MS,
                          "error" if failed else "unset", failed, {}))
    return assemble(trace_id, spans)


async def _record(url: str, batches: list[list[Trace]]) -> float:
    engine = create_engine(url)
    cpu = 0.0
    try:
        for batch in batches:
            async with session_factory(engine)() as session:
                started = time.process_time()
                await record_traces(session, batch, environment="prod", team="shop", now=NOW)
                await session.commit()
                cpu += time.process_time() - started
    finally:
        await engine.dispose()
    return cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.record", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="empty each run: a fresh SQLite "
                        "file when not given")
    args = parser.parse_args(argv)
    traces = [_trace(n) for n in range(TRACES)]
    batches = [traces[i:i + BATCH] for i in range(0, TRACES, BATCH)]
    best = None
    for _ in range(args.runs):
        url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/record.db"
        migrate.upgrade(url)
        cpu = asyncio.run(_record(url, batches))
        best = cpu if best is None else min(best, cpu)
        if args.database_url:  # one run only: the database is not emptied
            break
    assert best is not None
    spans = TRACES * SPANS
    print(f"record_traces: {TRACES:,} traces x {SPANS} spans in {len(batches)} batches: best "
          f"CPU {best:.2f} s, {spans / best:,.0f} spans per CPU-second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
