"""``POST /api/v1/incidents`` beside 10,000 other journeys: is a synchronous answer right?

One journey (frontend -> payment, inventory) is recorded through the one merge every ingest
path ends in (40 minutes, 10 requests a minute; payment fails half the requests from minute 30);
10,000 other journeys get 40 stored minutes each and one key with 40 key minutes carrying step
counts. Then the incident of the recorded journey is asked for 20 times in-process (the ASGI
app, no network) and the median and largest wall time are printed, with a check that payment
ranks first. Nothing is asserted on time.

    python -m bench.incidents [--journeys 10000] [--database-url URL]

Without ``--database-url`` the database is a throwaway SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import insert

from bench.api import _journey_row, _sample_sketch
from slo_scout.api.app import create_app
from slo_scout.control.catalog.service import ensure_environment
from slo_scout.control.journeys.recording import record_traces
from slo_scout.core.journeys import assemble
from slo_scout.core.journeys.model import Trace
from slo_scout.core.telemetry.model import Span
from slo_scout.db import migrate
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.db.models import JourneyKey, JourneyKeyStat, JourneyStat
from slo_scout.settings import Settings

NOW = datetime(2026, 11, 2, tzinfo=UTC)
KEY = "ssk_b3ec0000beef_bench-incidents-admin-key-0123456789abcdef"
MS = 1_000_000
MINUTE_NS = 60_000 * MS
START = datetime(2026, 10, 1, tzinfo=UTC)
BASE_NS = int(START.timestamp()) * 1_000_000_000
MINUTES, BURN, PER_MINUTE = 40, 30, 10
STEPS = '[["payments","Charge",10,0,600000000],["shop-frontend","GET /x",10,0,400000000]]'


def _trace(n: int) -> Trace:
    trace_id, start = f"{n + 1:032x}", BASE_NS + n * (MINUTE_NS // PER_MINUTE)
    fails = n >= BURN * PER_MINUTE and n % 2 == 0

    def span(span_id: str, parent: str | None, service: str, name: str, at: int, ms: int,
             error: bool = False) -> Span:
        return Span(trace_id, span_id, parent, service, name, "server", start + at * MS,
                    start + (at + ms) * MS, "error" if error else "unset", error, {})

    return assemble(trace_id, [
        span("1" * 16, None, "frontend", "POST /checkout", 0, 60, fails),
        span("2" * 16, "1" * 16, "payment", "Charge", 10, 20, fails),
        span("3" * 16, "1" * 16, "inventory", "Reserve", 30, 20),
    ])


async def _seed(url: str, journeys: int) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            await record_traces(session, [_trace(n) for n in range(MINUTES * PER_MINUTE)],
                                environment="prod", team="shop", now=NOW)
            _, _, env = await ensure_environment(session, team="shop", service="shop-frontend",
                                                 environment="production", now=NOW)
            sketch = await _sample_sketch()
            minutes = [START + timedelta(minutes=m) for m in range(MINUTES)]
            for first in range(0, journeys, 1000):
                rows = [_journey_row(env.id, i, sketch)
                        for i in range(first, min(journeys, first + 1000))]
                session.add_all(rows)
                await session.flush()
                keys = [JourneyKey(environment_id=env.id, key=f"k-{r.id}", journey_id=r.id,
                                   summary="{}", requests=400, updated_at=NOW) for r in rows]
                session.add_all(keys)
                await session.flush()
                await session.execute(insert(JourneyStat), [
                    {"journey_id": r.id, "minute": m, "requests": 10, "errors": 0,
                     "latency_sketch": sketch} for r in rows for m in minutes])
                await session.execute(insert(JourneyKeyStat), [
                    {"key_id": k.id, "minute": m, "requests": 10, "errors": 0,
                     "latency_sketch": sketch, "steps": STEPS} for k in keys for m in minutes])
            await session.commit()
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.incidents", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journeys", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/incidents.db"
    migrate.upgrade(url)
    asyncio.run(_seed(url, args.journeys))
    settings = Settings(database_url=url, auth={"bootstrap_admin_key": KEY})
    with TestClient(create_app(settings, clock=lambda: NOW)) as client:
        client.headers["X-API-Key"] = KEY
        [journey] = client.get("/api/v1/journeys", params={"environment": "prod"}).json()["items"]
        started = (START + timedelta(minutes=BURN)).isoformat()
        body = {"journey_id": journey["id"], "started_at": started, "window_minutes": 10,
                "baseline_minutes": 30}
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            answer = client.post("/api/v1/incidents", json=body)
            times.append(time.perf_counter() - t0)
            top = answer.json()["suspects"][0]["service"] if answer.status_code == 200 else None
            if top != "payment":
                print(f"unexpected answer: {answer.status_code} {answer.text[:300]}")
                return 1
    times.sort()
    print(f"{url.split(':')[0]}: {args.journeys + 1:,} journeys, "
          f"{(args.journeys + 1) * MINUTES:,} journey minutes: POST /incidents median "
          f"{times[len(times) // 2] * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms "
          f"({len(times)} requests)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
