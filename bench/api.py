"""Control-plane API under load: journey list and job status at a target request rate.

Starts ``slo-scout serve`` (uvicorn, one worker process) on loopback over a database holding
10,000 journeys and a few hundred analysis jobs, then drives ``GET /api/v1/journeys`` and
``GET /api/v1/analyze/{id}`` over concurrent keep-alive connections on an open-loop schedule
(requests are sent at the target rate whether or not earlier ones have answered, so a slow server
shows as latency, not as a lower offered load). Prints throughput, p50/p99 latency per endpoint,
and the CPU time the server and the load client spent per request.

    python -m bench.api [--rate 200] [--seconds 20] [--journeys 10000] [--database-url URL]

Without ``--database-url`` the database is a throwaway SQLite file (the embedded default).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text

from slo_scout.control.catalog.service import ensure_environment
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
        if engine.dialect.name == "postgresql":
            # Steady state: autovacuum has analyzed a live table (so the planner walks the list
            # index) and set its visibility map (so counting is an index-only scan); a table
            # bulk-loaded a second ago has neither.
            async with engine.connect() as conn:
                await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(
                    text("VACUUM ANALYZE"))
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


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _implementations() -> str:
    """What uvicorn's "auto" loop and HTTP parser resolve to here."""
    found = {name: importlib.util.find_spec(name) is not None for name in ("uvloop", "httptools")}
    return (f"loop {'uvloop' if found['uvloop'] else 'asyncio'}, "
            f"http {'httptools' if found['httptools'] else 'h11'}")


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


class _Connections:
    """Keep-alive HTTP/1.1 connections on plain asyncio streams: the load client.

    httpx costs 1.5-2.5 ms of CPU per request, as much as the server, and the client shares the
    machine with it; this reads the status line, headers and Content-Length body in ~0.1 ms.
    A request waits for a free connection like a pooled client does (counted in its latency)."""

    def __init__(self, port: int, size: int) -> None:
        self._port, self._size = port, size
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue())

    async def open(self) -> None:
        for _ in range(self._size):
            self._idle.put_nowait(await asyncio.open_connection("127.0.0.1", self._port))

    async def get(self, path: str) -> tuple[int, bytes]:
        reader, writer = await self._idle.get()
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         f"X-API-Key: {ADMIN_KEY}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), None)
            if length is None:
                raise ValueError("the response has no Content-Length")
            body = await reader.readexactly(length)
        except (OSError, ValueError, asyncio.IncompleteReadError):
            writer.close()
            self._idle.put_nowait(await asyncio.open_connection("127.0.0.1", self._port))
            raise
        self._idle.put_nowait((reader, writer))
        return status, body

    async def close(self) -> None:
        while not self._idle.empty():
            _, writer = self._idle.get_nowait()
            writer.close()


async def _drive(port: int, job_ids: list[str], rate: float, seconds: float,
                 clients: int, on_start: Callable[[], None]) -> tuple[dict[str, Tally], float]:
    tallies = {"GET /api/v1/journeys": Tally(), "GET /api/v1/analyze/{id}": Tally()}
    connections = _Connections(port, clients)
    await connections.open()

    async def one(i: int) -> None:
        if i % 2 == 0:
            label, path = "GET /api/v1/journeys", f"/api/v1/journeys?limit=50&offset={i % 200}"
        else:
            job = job_ids[i % len(job_ids)]
            label, path = "GET /api/v1/analyze/{id}", f"/api/v1/analyze/{job}"
        began = time.perf_counter()
        try:
            status, body = await connections.get(path)
            ok = status == 200 and body.startswith(b"{")
        except (OSError, ValueError, asyncio.IncompleteReadError):
            ok = False
        tallies[label].latencies_s.append(time.perf_counter() - began)
        tallies[label].errors += 0 if ok else 1

    try:
        for i in range(20):  # warm-up: connections, caches
            await one(i)
        for tally in tallies.values():
            tally.latencies_s.clear()
            tally.errors = 0
        on_start()
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
    finally:
        await connections.close()


def _report(tallies: dict[str, Tally], elapsed: float, args: argparse.Namespace,
            backend: str, cpu: tuple[float | None, float]) -> None:
    print(f"API bench: {args.journeys} journeys on {backend}, one uvicorn worker "
          f"({_implementations()}), target {args.rate:g} rps for {args.seconds:g} s, up to "
          f"{args.clients} connections, {os.cpu_count()} CPUs shared with the load client")
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
    served = len(every.latencies_s)
    server_cpu, client_cpu = cpu
    if server_cpu is not None and served:
        print(f"CPU: server {server_cpu / served * 1000:.2f} ms per request "
              f"({server_cpu / elapsed * 100:.0f}% of a core), load client "
              f"{client_cpu / served * 1000:.2f} ms per request")
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
            began: list[float | None] = []  # server and client CPU after the warm-up
            tallies, elapsed = asyncio.run(_drive(
                port, job_ids, args.rate, args.seconds, args.clients,
                lambda: began.extend((_cpu_seconds(server.pid), time.process_time()))))
            after = _cpu_seconds(server.pid)
            cpu = (None if began[0] is None or after is None else after - began[0],
                   time.process_time() - (began[1] or 0.0))
        finally:
            server.terminate()
            server.wait(timeout=30)
        _report(tallies, elapsed, args, backend, cpu)
    return 0


if __name__ == "__main__":
    sys.exit(main())
