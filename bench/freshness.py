"""Freshness of the stream: from a trace's last span acknowledged to the trace counted.

The collector (``python -m slo_scout_collectors``, i.e. ``slo-scout collect --no-idempotence``)
and the journey job (``python -m slo_scout_streaming.journey_job``, unbounded, MiniCluster,
parallelism 1) run against a tansu broker and a throwaway PostgreSQL, as the tests start them.
Traffic is OTLP/HTTP protobuf at a steady rate: every 100 ms a batch of traces of 10 spans, each
trace split over two requests as two services export it (the backend's 5 spans first, the
frontend's 5, root included, one tick later), with span times at the wall clock, so event time
follows it. For every trace the bench notes when the collector answered 200 to the request that
carried its LAST span (its root); the job stamps ``trace_ledger.recorded_at`` when it writes the
batch that counts the trace (ledger and ``journey_stats`` commit in one transaction). Freshness
is recorded_at - acknowledged, per trace; "visible" is the first poll of the ledger (every
``--poll`` s, by id, for 1 trace in 20) that saw the trace committed: an upper bound that
includes the write's transaction, which recorded_at (stamped as the write begins) does not.

A trace closes once the event-time watermark (latest record time - lateness) passes its last
span + the session gap, so the floor is about gap + lateness. Phases, only (3) is in the figures:
(1) warm-up at a tenth of the rate until the job wrote its first batch (JVM and MiniCluster
start); (2) ``--settle`` s at the full rate; (3) ``--duration`` s measured; (4) gap + lateness
+ 3 s more traffic, so every measured trace is closed by live traffic; then traces an hour
ahead in event time move the watermark past the cool-down traces, which are counted (nothing
lost) but not timed: their close time is the flush's, not the job's.

Also printed: p50 over each sixth of the window (rising: the job falls behind), the share of
polls that found the writer's connection inside a transaction, CPU of the job and PostgreSQL.

``python -m bench.freshness [--rate SPANS_PER_S] [--duration S] [--gap S] [--lateness S]
[--custom-plans]``
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPANS_PER_TRACE = 10
TICK_S = 0.1
SAMPLE = 20  # 1 trace in SAMPLE is polled for by id to time when its write became visible
GOAL_MARGIN_S = 5.0  # issue 10: p99 within the session gap + 5 s
# (route, backend service, backend operation): three journeys, one backend each.
ROUTES = (("/cart", "cart", "GetCart"), ("/checkout", "checkout", "PlaceOrder"),
          ("/product", "catalog", "GetProduct"))


def quantile(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile (q in [0, 1]) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class Sent:
    phase: str
    last_end_s: float  # event time of the trace's last span
    acked_s: float | None = None  # wall clock of the 200 for the request carrying that span


def freshness(traces: dict[str, Sent], counted: dict[str, float], phase: str
              ) -> tuple[list[float], int]:
    """(counted - acknowledged per trace of ``phase``, traces of it never counted)."""
    out, missing = [], 0
    for trace_id, sent in traces.items():
        if sent.phase != phase or sent.acked_s is None:
            continue
        at = counted.get(trace_id)
        if at is None:
            missing += 1
        else:
            out.append(at - sent.acked_s)
    return out, missing


def _requests(ids: list[bytes], now_s: float) -> tuple[bytes, bytes]:
    """(backend halves, frontend halves) of traces that started in the last tick."""
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    from opentelemetry.proto.common.v1 import common_pb2
    from opentelemetry.proto.trace.v1 import trace_pb2

    def kv(key: str, value: str) -> common_pb2.KeyValue:
        return common_pb2.KeyValue(key=key, value=common_pb2.AnyValue(string_value=value))

    server, client = trace_pb2.Span.SPAN_KIND_SERVER, trace_pb2.Span.SPAN_KIND_CLIENT
    back, front = (trace_service_pb2.ExportTraceServiceRequest() for _ in range(2))
    back_scopes = {}
    for _, service, _ in ROUTES:
        rs = back.resource_spans.add()
        rs.resource.attributes.append(kv("service.name", service))
        back_scopes[service] = rs.scope_spans.add()
    rs = front.resource_spans.add()
    rs.resource.attributes.append(kv("service.name", "frontend"))
    front_scope = rs.scope_spans.add()
    ms = 1_000_000
    for i, tid in enumerate(ids):
        route, service, operation = ROUTES[i % len(ROUTES)]
        # Starts spread over the tick, every span ends before ``now_s`` (the root last).
        t0 = int((now_s - 0.15 + TICK_S * i / len(ids)) * 1e9)

        def span(scope: Any, n: int, parent: int, name: str, kind: int, a: int, b: int,
                 tid: bytes = tid, t0: int = t0) -> Any:
            s = scope.spans.add(trace_id=tid, span_id=n.to_bytes(8, "big"), name=name, kind=kind,
                                start_time_unix_nano=t0 + a * ms, end_time_unix_nano=t0 + b * ms)
            if parent:
                s.parent_span_id = parent.to_bytes(8, "big")
            return s

        root = span(front_scope, 1, 0, f"GET {route}", server, 0, 40)
        root.attributes.extend([kv("http.route", route), kv("http.request.method", "GET")])
        span(front_scope, 2, 1, "render", trace_pb2.Span.SPAN_KIND_INTERNAL, 1, 3)
        span(front_scope, 3, 1, "GET session", client, 3, 5)
        span(front_scope, 4, 1, "GET flags", client, 5, 6)
        call = span(front_scope, 5, 1, f"{service}/{operation}", client, 6, 36)
        call.attributes.extend([kv("rpc.system", "grpc"), kv("rpc.service", service),
                                kv("rpc.method", operation)])
        scope = back_scopes[service]
        entry = span(scope, 6, 5, f"{service}/{operation}", server, 7, 35)
        entry.attributes.extend([kv("rpc.system", "grpc"), kv("rpc.service", service),
                                 kv("rpc.method", operation)])
        for n, (a, b) in zip(range(7, 11), ((8, 12), (12, 20), (20, 28), (28, 34)), strict=True):
            span(scope, n, 6, f"SELECT {service} {n - 6}", client, a, b)
    return back.SerializeToString(), front.SerializeToString()


@dataclass
class Traffic:
    url: str
    rate: float  # spans/s
    phase: str = "warmup"
    traces: dict[str, Sent] = field(default_factory=dict)
    spans_acked: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    watch: dict[str, None] | None = None  # the ledger's poll list, fed a sample of the acks
    job_cpu: float = math.nan  # the job's CPU seconds per second over the measured window
    pg_cpu: float = math.nan  # PostgreSQL's, likewise
    stopping: bool = False
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def _post(self, client: Any, body: bytes, phase: str, spans: int,
                    ids: list[str]) -> None:
        """Posts until a 200; ``ids``: the traces whose last span the request carries."""
        while True:
            try:
                r = await client.post(self.url, content=body,
                                      headers={"content-type": "application/x-protobuf"})
            except Exception:  # counted; the run goes on
                self.failed += 1
                return
            if r.status_code == 200:
                acked = time.time()
                break
            if r.status_code not in (429, 503):
                self.failed += 1
                return
            await asyncio.sleep(0.05)
        for trace_id in ids:
            self.traces[trace_id].acked_s = acked
        if self.watch is not None:
            self.watch.update(dict.fromkeys(ids[::SAMPLE]))
        self.spans_acked[phase] = self.spans_acked.get(phase, 0) + spans

    def _send(self, client: Any, body: bytes, phase: str, spans: int, ids: list[str]) -> None:
        task = asyncio.create_task(self._post(client, body, phase, spans, ids))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, client: Any) -> None:
        """Every tick: the backend halves of this tick's traces, the frontend halves (each
        trace's last span) of the previous tick's; until ``stopping``."""
        loop = asyncio.get_running_loop()
        start, tick = loop.time(), 0
        previous: tuple[bytes, str, int, list[str]] | None = None
        carry = 0.0
        while not self.stopping:
            await asyncio.sleep(max(0.0, start + tick * TICK_S - loop.time()))
            tick += 1
            carry += self.rate * TICK_S / SPANS_PER_TRACE
            count, carry = int(carry), carry - int(carry)
            now = time.time()
            raw = [random.getrandbits(128).to_bytes(16, "big") for _ in range(count)]
            ids = [r.hex() for r in raw]
            back, front = _requests(raw, now) if raw else (b"", b"")
            for i, trace_id in enumerate(ids):  # the root ends last, 40 ms after its start
                self.traces[trace_id] = Sent(self.phase, now - 0.11 + TICK_S * i / count)
            half = count * SPANS_PER_TRACE // 2
            if raw:
                self._send(client, back, self.phase, half, [])
            if previous is not None:
                self._send(client, *previous)
            previous = (front, self.phase, half, ids) if raw else None
        if previous is not None:
            self._send(client, *previous)
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    def measured_spans(self) -> int:
        return self.spans_acked.get("measured", 0)


# The job's writer holds one connection (pool_size=1); not idle = inside a batch's transaction.
_WRITER_BUSY = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
                "AND state <> 'idle'")


class Ledger:
    """Polls ``trace_ledger`` by primary key for a sample of the acknowledged traces (1 in
    ``SAMPLE``): when each became visible, i.e. its batch's transaction committed. A lookup by
    id keeps the poll cheap whatever the ledger's size (a scan would load PostgreSQL)."""

    def __init__(self, dsn: str, every_s: float) -> None:
        self.dsn, self.every_s = dsn, every_s
        self.watch: dict[str, None] = {}  # sampled traces acknowledged, not yet seen
        self.visible: dict[str, float] = {}  # sampled trace -> first poll that saw it
        self.total = 0  # ledger rows, counted only once every sampled trace was seen
        self.stop = False
        self.sampling = False  # while measured: is the job's connection inside a transaction?
        self.samples = self.busy = 0

    async def run(self) -> None:
        import psycopg

        async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as conn:
            while not self.stop:
                began = time.time()
                if self.watch:
                    # Never prepared: a generic plan made while the ledger was nearly empty
                    # would scan the whole table at every poll.
                    cur = await conn.execute(
                        "SELECT trace_id FROM trace_ledger WHERE trace_id = ANY(%s)",
                        (list(self.watch),), prepare=False)
                    for (trace_id,) in await cur.fetchall():
                        self.visible[trace_id] = began
                        del self.watch[trace_id]
                elif self.visible:
                    cur = await conn.execute("SELECT count(*) FROM trace_ledger")
                    row = await cur.fetchone()
                    self.total = int(row[0]) if row else 0
                if self.sampling:
                    cur = await conn.execute(_WRITER_BUSY)
                    busy = await cur.fetchone()
                    self.samples += 1
                    self.busy += int(bool(busy and busy[0]))
                await asyncio.sleep(max(0.0, self.every_s - (time.time() - began)))

    def counted(self) -> dict[str, float]:
        import psycopg

        with psycopg.connect(self.dsn) as conn:
            rows = conn.execute("SELECT trace_id, recorded_at FROM trace_ledger").fetchall()
        return {trace_id: at.timestamp() for trace_id, at in rows}


async def _flush(url: str) -> None:
    """Traces an hour ahead in event time, on every partition (64 random keys over 4): they
    move the watermark past every open session. They never close themselves."""
    import httpx

    raw = [random.getrandbits(128).to_bytes(16, "big") for _ in range(64)]
    back, front = _requests(raw, time.time() + 3600)
    async with httpx.AsyncClient(timeout=60) as client:
        for body in (back, front):
            (await client.post(url, content=body,
                               headers={"content-type": "application/x-protobuf"})
             ).raise_for_status()


async def _drive(args: argparse.Namespace, url: str, ledger: Ledger, job: subprocess.Popen[bytes],
                 log: Path) -> tuple[Traffic, float]:
    import httpx
    import psycopg

    with psycopg.connect(ledger.dsn) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        # A backend's parent, read while the backend lives: it exits with the connection.
        postmaster = _stat(int(row[0]))[1]

    traffic = Traffic(url, args.rate / 10, watch=ledger.watch)
    poller = asyncio.create_task(ledger.run())
    async with httpx.AsyncClient(timeout=60,
                                 limits=httpx.Limits(max_connections=32)) as client:
        sender = asyncio.create_task(traffic.run(client))

        async def wait(what: str, done: Any, timeout: float) -> None:
            deadline = time.monotonic() + timeout
            while not done():
                if job.poll() is not None:
                    raise RuntimeError(f"journey job exited ({job.returncode}) waiting for {what}"
                                       f":\n{log.read_text()[-3000:]}")
                if (time.monotonic() > deadline or poller.done()
                        or (sender.done() and not traffic.stopping)):
                    for task in (sender, poller):
                        if task.done() and task.exception():
                            raise task.exception()  # type: ignore[misc]
                    raise RuntimeError(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")
                await asyncio.sleep(0.1)

        began = time.monotonic()
        await wait("the job's first write", lambda: bool(ledger.visible),
                   args.job_start_timeout)
        print(f"job writing after {time.monotonic() - began:.0f} s of warm-up traffic",
              file=sys.stderr)
        traffic.rate, traffic.phase = args.rate, "settle"
        await asyncio.sleep(args.settle)
        traffic.phase = "measured"
        measured_from, ledger.sampling = time.monotonic(), True
        cpu, pg = session_cpu_s(job.pid), children_cpu_s(postmaster)
        await asyncio.sleep(args.duration)
        traffic.phase, ledger.sampling = "cooldown", False
        measured_s = time.monotonic() - measured_from
        traffic.job_cpu = (session_cpu_s(job.pid) - cpu) / measured_s
        traffic.pg_cpu = (children_cpu_s(postmaster) - pg) / measured_s
        await asyncio.sleep(args.gap + args.lateness + 3)
        traffic.stopping = True
        await sender
    await _flush(url)
    expected = sum(1 for s in traffic.traces.values() if s.acked_s is not None)
    await wait("every acknowledged trace counted",
               lambda: not ledger.watch and ledger.total >= expected, 120)
    await asyncio.sleep(2 * args.poll)
    ledger.stop = True
    await poller
    return traffic, measured_s


def _figures(label: str, values: list[float]) -> str:
    return (f"{label}: p50 {quantile(values, 0.5):.2f} s, p99 {quantile(values, 0.99):.2f} s, "
            f"max {max(values):.2f} s")


def _trend(traffic: Traffic, counted: dict[str, float], parts: int = 6) -> str:
    """p50 freshness per sixth of the measured window: flat when the job keeps up."""
    acked = sorted((s.acked_s, counted[t]) for t, s in traffic.traces.items()
                   if s.phase == "measured" and s.acked_s is not None and t in counted)
    if not acked:
        return ""
    first, last = acked[0][0], acked[-1][0]
    width = (last - first) / parts or 1.0
    slices: list[list[float]] = [[] for _ in range(parts)]
    for ack, at in acked:
        slices[min(parts - 1, int((ack - first) / width))].append(at - ack)
    return ("p50 by sixth of the measured window (a rising series: the job falls behind): "
            + ", ".join(f"{quantile(v, 0.5):.1f}" if v else "-" for v in slices) + " s")


def report(args: argparse.Namespace, traffic: Traffic, measured_s: float, ledger: Ledger,
           counted: dict[str, float]) -> None:
    fresh, missing = freshness(traffic.traces, counted, "measured")
    sampled = {t: s for t, s in traffic.traces.items() if t in ledger.visible}
    seen, _ = freshness(sampled, ledger.visible, "measured")
    # The wait the session window itself imposes: last span + gap + lateness, from the ack.
    window = [s.last_end_s + args.gap + args.lateness - s.acked_s
              for s in traffic.traces.values() if s.phase == "measured" and s.acked_s]
    goal = args.gap + GOAL_MARGIN_S
    rate = traffic.measured_spans() / measured_s
    print(f"freshness, collector ack of a trace's last span -> trace counted (trace_ledger and "
          f"journey_stats, one transaction): {len(fresh):,} traces of {SPANS_PER_TRACE} spans "
          f"in 2 requests over {measured_s:.0f} s at {rate:,.0f} spans/s "
          f"(asked {args.rate:,.0f})")
    if not fresh:
        print(f"no measured trace was counted ({missing:,} missing)")
        return
    p99 = quantile(fresh, 0.99)
    print("  " + _figures("recorded_at - ack", fresh)
          + f"  beside  session gap {args.gap:g} s (+ lateness {args.lateness:g} s = "
          f"{args.gap + args.lateness:g} s, the window's own wait); goal p99 <= gap + "
          f"{GOAL_MARGIN_S:g} s = {goal:g} s: {'met' if p99 <= goal else 'NOT met'}")
    if seen:
        print("  " + _figures(f"visible (first ledger poll, every {args.poll:g} s, 1 trace in "
                              f"{SAMPLE}) - ack", seen))
    print("  " + _figures("of which the window's wait, last span + gap + lateness - ack", window)
          + " (the rest: watermark, flush timer, write)")
    print("  " + _trend(traffic, counted))
    sizes: dict[float, int] = {}
    for at in counted.values():
        sizes[at] = sizes.get(at, 0) + 1
    lags = [ledger.visible[t] - counted[t] for t, s in sampled.items()
            if s.phase == "measured" and t in counted]
    if lags and sizes:
        print(f"  writes: {len(sizes):,} batches of {sum(sizes.values()) / len(sizes):,.0f} "
              f"traces on average (largest {max(sizes.values()):,}); seen by a poll after "
              f"recorded_at: p50 {quantile(lags, 0.5):.2f} s, max {max(lags):.2f} s "
              f"(the transaction + up to {args.poll:g} s); the job's connection was inside "
              f"a transaction in {ledger.busy / max(ledger.samples, 1):.0%} of "
              f"{ledger.samples} samples (the share of time the writer is busy)")
    others = {p: sum(1 for s in traffic.traces.values() if s.phase == p)
              for p in ("warmup", "settle", "cooldown")}
    cool, cool_missing = freshness(traffic.traces, counted, "cooldown")
    print(f"  not timed: warm-up {others['warmup']:,} traces (job start), settle "
          f"{others['settle']:,} ({args.settle:g} s), cool-down {others['cooldown']:,} "
          f"(the last gap + lateness + 3 s; closed by a flush an hour ahead in event time: "
          f"{len(cool):,} counted, {cool_missing:,} missing); measured traces never counted: "
          f"{missing:,}; failed requests: {traffic.failed}")


def _stat(pid: int) -> list[int]:
    """/proc/<pid>/stat after the name: ppid at 1, session at 3, utime and stime at 11, 12."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return [0, *(int(f) for f in fields[1:20])]


def _cpu_s(match: Any) -> float:
    total = 0
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = _stat(int(entry.name))
        except (OSError, ValueError):
            continue
        if match(int(entry.name), stat):
            total += stat[11] + stat[12]
    return total / os.sysconf("SC_CLK_TCK")


def session_cpu_s(session: int) -> float:
    """CPU seconds used so far by the live processes of ``session`` (the job's driver, JVM)."""
    return _cpu_s(lambda pid, stat: stat[3] == session)


def children_cpu_s(parent: int) -> float:
    """CPU seconds of ``parent`` and its live children (the postmaster and its backends)."""
    return _cpu_s(lambda pid, stat: pid == parent or stat[1] == parent)


def _start_job(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        # A session of its own: the driver and its JVM stop together at the end.
        return subprocess.Popen([sys.executable, "-m", "slo_scout_streaming.journey_job"],
                                env={**os.environ, **env}, stdout=out, stderr=out,
                                start_new_session=True)


def _stop_job(job: subprocess.Popen[bytes]) -> None:
    if job.poll() is None:
        os.killpg(job.pid, signal.SIGTERM)
        try:
            job.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(job.pid, signal.SIGKILL)
            job.wait(20)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.freshness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=10_000,
                        help="spans/s sent (default 10,000; issue 10 asks under 20,000)")
    parser.add_argument("--duration", type=float, default=60, help="measured seconds (60)")
    parser.add_argument("--gap", type=float, default=5, help="session gap, s (default 5)")
    parser.add_argument("--lateness", type=float, default=1,
                        help="allowed out-of-orderness of the watermark, s (default 1)")
    parser.add_argument("--settle", type=float, default=10,
                        help="seconds at full rate before the measured ones (default 10)")
    parser.add_argument("--poll", type=float, default=0.25,
                        help="seconds between ledger polls (default 0.25)")
    parser.add_argument("--custom-plans", action="store_true",
                        help="ALTER DATABASE ... SET plan_cache_mode = force_custom_plan: the "
                        "writer's prepared statements are planned for their values every time "
                        "(no generic plan kept from a nearly empty ledger); a diagnosis")
    parser.add_argument("--job-start-timeout", type=float, default=300)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.collectors.conftest import start_collector, stop_collector
    from tests.fixtures.kafka import Broker, free_port
    from tests.fixtures.postgres import postgres_server

    from slo_scout.db.migrate import upgrade

    load = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="bench-freshness-"))
    broker = Broker(free_port(), "memory://tansu/")
    broker.start()
    server = postgres_server.__wrapped__()  # the test fixture's generator: start, then stop
    pg = next(server)
    collector = job = None
    try:
        url = pg.create_database("fresh")
        upgrade(url)
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        if args.custom_plans:
            pg.psql(f'ALTER DATABASE "{url.rsplit("/", 1)[1]}" SET plan_cache_mode = '
                    "force_custom_plan")
        collector = start_collector(broker)
        log = tmp / "job.log"
        job = _start_job({
            "SLO_SCOUT_PIPELINE_BOOTSTRAP_SERVERS": broker.bootstrap,
            "SLO_SCOUT_PIPELINE_SPANS_TOPIC": collector.spans_topic,
            "SLO_SCOUT_PIPELINE_JOURNEYS_TOPIC": broker.topic("journeys", partitions=1),
            "SLO_SCOUT_PIPELINE_GROUP_ID": f"bench{time.time_ns()}",
            "SLO_SCOUT_PIPELINE_DATABASE_DSN": dsn,
            "SLO_SCOUT_PIPELINE_DATA_DIR": str(tmp / "data"),
            "SLO_SCOUT_PIPELINE_SESSION_GAP_S": str(args.gap),
            "SLO_SCOUT_PIPELINE_LATENESS_S": str(args.lateness),
            "SLO_SCOUT_PIPELINE_RESTART_ATTEMPTS": "0"}, log)
        ledger = Ledger(dsn, args.poll)
        traffic, measured_s = asyncio.run(
            _drive(args, f"{collector.url}/v1/traces", ledger, job, log))
        counted = ledger.counted()
        report(args, traffic, measured_s, ledger, counted)
        print(f"  load average (1 min) {load:.1f} at start, {os.getloadavg()[0]:.1f} at end, "
              f"{os.cpu_count()} cores; journey job (parallelism 1, write_batch and "
              f"write_flush_ms at their defaults) used {traffic.job_cpu:.2f} CPU s per s "
              f"while measured, PostgreSQL {traffic.pg_cpu:.2f}"
              + ("; database set to plan_cache_mode = force_custom_plan" if args.custom_plans
                 else ""))
    finally:
        if job is not None:
            _stop_job(job)
        if collector is not None:
            stop_collector(collector)
        next(server, None)
        broker.stop()
        shutil.rmtree(tmp, ignore_errors=True)  # checkpoints and Flink's logs of this run


if __name__ == "__main__":
    main()
