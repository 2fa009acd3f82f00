"""Control-plane API under load: journey list and job status at a target request rate.

Starts ``slo-scout serve`` (uvicorn, one worker process) on loopback over a database holding
10,000 journeys and a few hundred analysis jobs, then drives ``GET /api/v1/journeys`` and
``GET /api/v1/analyze/{id}`` from concurrent httpx clients on an open-loop schedule (requests
are sent at the target rate whether or not earlier ones have answered, so a slow server shows
as latency, not as a lower offered load). Prints throughput and p50/p99 latency per endpoint.

    python -m bench.api [--rate 200] [--seconds 20] [--journeys 10000] [--database-url URL]

Without ``--database-url`` the database is a throwaway SQLite file (the embedded default).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from slo_scout.api.catalog.service import ensure_environment
from slo_scout.db import migrate
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.db.models import AnalysisJob, JourneyRow

ADMIN_KEY = "ssk_0123456789ab_bench-admin-secret-not-for-production-use"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass
class Tally:
    latencies_s: list[float] = field(default_factory=list)
    errors: int = 0

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _seed(url: str, journeys: int, jobs: int) -> list[str]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            _, _, env = await ensure_environment(session, team="shop", service="shop-frontend",
                                                 environment="production", now=NOW)
            sketch = await _sample_sketch()
            for start in range(0, journeys, 1000):
                session.add_all(_journey_row(env.id, i, sketch)
                                for i in range(start, min(journeys, start + 1000)))
                await session.flush()
            ids = [str(uuid.UUID(int=i + 1)) for i in range(jobs)]
            session.add_all(AnalysisJob(
                id=job_id, environment_id=env.id, lookback_seconds=86400, strategy="balanced",
                status="succeeded", stage="done", progress=1.0, attempts=1, max_attempts=3,
                requested_by="key:bench", created_at=NOW, started_at=NOW,
                finished_at=NOW + timedelta(seconds=2), timings={"load_s": 0.1},
            ) for job_id in ids)
            await session.commit()
            return ids
    finally:
        await engine.dispose()


async def _sample_sketch() -> str:
    from slo_scout.core.journeys.model import new_sketch
    from slo_scout.core.journeys.sketch_codec import encode_sketch

    sketch = new_sketch()
    for value in (0.02, 0.05, 0.2):
        sketch.add(value)
    return encode_sketch(sketch)


def _journey_row(environment_id: int, i: int, sketch: str) -> JourneyRow:
    route = f"/api/resource-{i % 97}/{i}"
    return JourneyRow(
        environment_id=environment_id, key=f"bench-{i:06d}", name=f"shop-frontend GET {route}",
        entry_service="shop-frontend", entry_operation=route, protocol="http",
        span_name=f"GET {route}", method="GET", fingerprint=f"fp-{i}",
        services=["shop-frontend", "payments"],
        edges=[{"caller": "shop-frontend", "callee": "payments", "operation": "Charge",
                "calls": 1}],
        critical_path=[], sample_trace_ids=[], requests=(i * 7919) % 100_000 + 1,
        errors=i % 13, latency_sketch=sketch, first_seen=NOW, last_seen=NOW,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SLO_SCOUT_DATABASE_URL": url, "SLO_SCOUT_LOG_LEVEL": "warning",
           "SLO_SCOUT_AUTH__BOOTSTRAP_ADMIN_KEY": ADMIN_KEY}
    return subprocess.Popen(
        [sys.executable, "-m", "slo_scout.cli.main", "serve", "--no-migrate",
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )


async def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(600):
            if server.poll() is not None:
                raise RuntimeError("slo-scout serve exited before it was ready")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("slo-scout serve did not become ready in 30 s")


async def _drive(base: str, job_ids: list[str], rate: float, seconds: float,
                 clients: int) -> tuple[dict[str, Tally], float]:
    tallies = {"GET /api/v1/journeys": Tally(), "GET /api/v1/analyze/{id}": Tally()}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": ADMIN_KEY},
                                 limits=limits, timeout=30) as client:
        async def one(i: int) -> None:
            if i % 2 == 0:
                label, path = "GET /api/v1/journeys", f"/api/v1/journeys?limit=50&offset={i % 200}"
            else:
                job = job_ids[i % len(job_ids)]
                label, path = "GET /api/v1/analyze/{id}", f"/api/v1/analyze/{job}"
            began = time.perf_counter()
            try:
                response = await client.get(path)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            tallies[label].latencies_s.append(time.perf_counter() - began)
            tallies[label].errors += 0 if ok else 1

        for i in range(20):  # warm-up: connections, caches
            await one(i)
        for tally in tallies.values():
            tally.latencies_s.clear()
            tally.errors = 0
        total = int(rate * seconds)
        started = time.perf_counter()
        tasks = []
        for i in range(total):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        return tallies, time.perf_counter() - started


def _report(tallies: dict[str, Tally], elapsed: float, args: argparse.Namespace,
            backend: str) -> None:
    print(f"API bench: {args.journeys} journeys on {backend}, one uvicorn worker, target "
          f"{args.rate:g} rps for {args.seconds:g} s, up to {args.clients} connections")
    print(f"{'endpoint':28} {'requests':>8} {'errors':>6} {'rps':>7} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'max ms':>7}")
    every = Tally([x for t in tallies.values() for x in t.latencies_s],
                  sum(t.errors for t in tallies.values()))
    for label, tally in [*tallies.items(), ("all", every)]:
        n = len(tally.latencies_s)
        print(f"{label:28} {n:8d} {tally.errors:6d} {n / elapsed:7.1f} "
              f"{tally.quantile(0.5) * 1000:7.2f} {tally.quantile(0.99) * 1000:7.2f} "
              f"{max(tally.latencies_s, default=0) * 1000:7.2f}")
    p99 = every.quantile(0.99) * 1000
    verdict = "meets" if p99 < 50 and every.errors == 0 else "misses"
    print(f"goal p99 < 50 ms at {args.rate:g} rps: {verdict} (p99 {p99:.2f} ms, "
          f"mean {statistics.fmean(every.latencies_s) * 1000:.2f} ms)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--journeys", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--clients", type=int, default=64, help="concurrent connections")
    parser.add_argument("--database-url", default=None,
                        help="an empty PostgreSQL database (postgresql://...); default SQLite")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="slo-scout-bench-api-") as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        if url.startswith("postgresql://"):
            url = "postgresql+asyncpg://" + url[len("postgresql://"):]
        backend = url.split(":", 1)[0]
        migrate.upgrade(url)
        job_ids = asyncio.run(_seed(url, args.journeys, args.jobs))
        port = _free_port()
        server = _start_server(url, port, Path(tmp) / "serve.log")
        try:
            base = f"http://127.0.0.1:{port}"
            asyncio.run(_wait_ready(base, server))
            tallies, elapsed = asyncio.run(
                _drive(base, job_ids, args.rate, args.seconds, args.clients))
        finally:
            server.terminate()
            server.wait(timeout=30)
        _report(tallies, elapsed, args, backend)
    return 0


if __name__ == "__main__":
    sys.exit(main())
