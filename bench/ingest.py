"""Streaming throughput, each beside the decode-only ceiling measured in the same run:

1. collector ingest: OTLP/HTTP protobuf requests of 1,000 spans into Kafka (tansu), spans/s;
2. the Flink journey job (MiniCluster, parallelism 1, thread mode): the spans topic is filled
   first with the records the collector writes for requests of 50 traces of 20 spans (one
   bundle each, ``core.telemetry.wire``), then the job runs bounded until it
   has consumed them all; spans/s is timed from the moment the job reports RUNNING to its end
   (so the ~5 s of MiniCluster start are excluded, operator start-up is not), and divided by the
   one core the job's operators run on; and the same spans divided by the CPU seconds the job's
   JVM used meanwhile (the Python operator runs inside it), which other load on the machine
   does not skew. Beside it: the core's own work per record (``decode_fragment``, assembly and
   the catalog's per-key statistics) in-process, without Flink or the database.
3. the same run's steady state, from the trace ledger: every write stamps its traces with one
   ``recorded_at``, so the spans of the traces written after the first write, divided by the
   time from the first write to the last, are the job's sustained rate without its start-up
   (task deployment, the embedded interpreter's imports, the Kafka reader's first fetch, the
   first session gap); the start-up is printed apart (RUNNING to the first write).

``python -m bench.ingest [--job-traces N] [--skip-ingest] [--skip-job]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from slo_scout.core.telemetry.wire import Bundle

ROOT = Path(__file__).resolve().parents[1]
SPANS_PER_REQUEST = 1000
REQUESTS = 200
CONCURRENCY = 8


def _bodies(count: int) -> list[bytes]:
    sys.path.insert(0, str(ROOT))
    from tests.collectors.test_otlp_http import build_request

    return [build_request(traces=50, spans_per_trace=20, seed=i).SerializeToString()
            for i in range(count)]


def decode_ceiling(bodies: list[bytes]) -> float:
    from slo_scout.core.telemetry import decode_bytes

    began = time.perf_counter()
    spans = sum(len(decode_bytes(b, source="bench", fmt="otlp-proto")) for b in bodies)
    return spans / (time.perf_counter() - began)


async def _post_all(url: str, bodies: list[bytes]) -> float:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            while True:
                r = await client.post(url, content=body,
                                      headers={"content-type": "application/x-protobuf"})
                if r.status_code == 200:
                    break
                if r.status_code not in (429, 503):
                    raise RuntimeError(f"collector answered {r.status_code}: {r.text[:200]}")
                await asyncio.sleep(0.05)

    async with httpx.AsyncClient(timeout=60) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        return len(bodies) * SPANS_PER_REQUEST / (time.perf_counter() - began)


def _ingest(broker: Any, bodies: list[bytes]) -> float:
    from tests.collectors.conftest import start_collector, stop_collector

    collector = start_collector(broker)
    try:
        asyncio.run(_post_all(f"{collector.url}/v1/traces", bodies[:10]))  # warm-up
        return asyncio.run(_post_all(f"{collector.url}/v1/traces", bodies))
    finally:
        stop_collector(collector)


def _job_records(traces: int) -> list[Bundle]:
    """The records the collector writes for requests of 50 traces, on a one-partition topic."""
    from slo_scout.core.telemetry import decode_bytes
    from slo_scout.core.telemetry.wire import BUNDLE_MAX_BYTES, encode_bundles, encode_fragments

    out: list[Bundle] = []
    for seed in range(0, traces // 50):
        spans = decode_bytes(_bodies_for(seed), source="bench", fmt="otlp-proto")
        out.extend(encode_bundles(encode_fragments(spans), 1, BUNDLE_MAX_BYTES))
    return out


def _bodies_for(seed: int) -> bytes:
    from tests.collectors.test_otlp_http import build_request

    return build_request(traces=50, spans_per_trace=20, seed=10_000 + seed).SerializeToString()


async def _fill(bootstrap: str, topic: str, records: list[Bundle]) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20,
                                max_batch_size=1024 * 1024)
    await producer.start()
    try:
        # Event time advances as a live stream of 20,000 spans/s would (50 ms a request of
        # 1,000 spans), so sessions close, and writes are held, while the job reads, as live.
        for i, b in enumerate(records):
            await producer.send(topic, b.value, partition=b.shard,
                                timestamp_ms=1_700_000_000_000 + i * 50)
        await producer.flush()
    finally:
        await producer.stop()


def core_ceiling(records: list[Bundle]) -> float:
    """The job's per-trace core work without Flink or the database: split the record, decode
    each fragment, assemble the trace, account it to its journey key (the catalog's per-key
    statistics)."""
    from slo_scout.core.journeys import JourneyCatalog, assemble
    from slo_scout.core.telemetry.wire import decode_fragment, record_fragments

    began = time.perf_counter()
    spans = 0
    catalog = JourneyCatalog()
    for b in records:
        for fragment in record_fragments(b.value.decode()):
            trace_id, decoded = decode_fragment(fragment)
            catalog.add(assemble(trace_id, decoded))
            spans += len(decoded)
    return spans / (time.perf_counter() - began)


def _children_cpu_s() -> float:
    """CPU seconds used so far by this process's descendants (the MiniCluster's JVM and the
    journey job's writer process, its child), from /proc."""
    parents: dict[int, int] = {}
    used: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # ppid; utime and stime follow at 11 and 12
        parents[int(stat.parent.name)] = int(fields[1])
        used[int(stat.parent.name)] = int(fields[11]) + int(fields[12])
    me, total = os.getpid(), 0
    for pid in used:
        ancestor = parents.get(pid)
        while ancestor is not None and ancestor != me:
            ancestor = parents.get(ancestor)
        if ancestor == me:
            total += used[pid]
    return total / os.sysconf("SC_CLK_TCK")


def journey_job(broker: Any, records: list[Bundle], dsn: str) -> tuple[float, float, float]:
    """Spans/s from RUNNING to the end, spans per JVM CPU second, and when (epoch seconds)
    the job reported RUNNING."""
    from pyflink.common.job_client import JobClient  # noqa: F401 (PyFlink must be there)
    from slo_scout_streaming.journey_job import build
    from slo_scout_streaming.settings import PipelineSettings, default_jars_dir

    topic = broker.topic("bench-spans", partitions=1)
    asyncio.run(_fill(broker.bootstrap, topic, records))
    broker.seal(topic)
    settings = PipelineSettings(
        bootstrap_servers=broker.bootstrap, spans_topic=topic,
        journeys_topic=broker.topic("bench-journeys", partitions=1), database_dsn=dsn,
        bounded=True, session_gap_s=5, lateness_s=1, restart_attempts=0, parallelism=1,
        stats_retention_days=0,  # the traffic is from 2023: none refused as too old
        checkpoint_dir=Path(tempfile.mkdtemp(prefix="bench-ckpt-")).as_uri(),
        jars_dir=str(default_jars_dir()), group_id=f"bench{time.time_ns()}")
    client = build(settings).execute_async("bench journeys")
    result = client.get_job_execution_result()
    while client.get_job_status().result().name not in ("RUNNING", "FINISHED", "FAILED"):
        time.sleep(0.01)
    began, cpu, running = time.perf_counter(), _children_cpu_s(), time.time()
    result.result()
    spans = sum(f.spans for f in records)
    return spans / (time.perf_counter() - began), spans / (_children_cpu_s() - cpu), running


def _writes(dsn: str) -> list[tuple[float, int]]:
    """(recorded_at as epoch seconds, traces) of every write the job made, in order."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT recorded_at, count(*) FROM trace_ledger "
                            "GROUP BY recorded_at ORDER BY recorded_at").fetchall()
    return [(r[0].replace(tzinfo=UTC).timestamp() if r[0].tzinfo is None
             else r[0].timestamp(), int(r[1])) for r in rows]


def steady_state(writes: list[tuple[float, int]], spans_per_trace: float) -> float | None:
    """Spans/s from the first write to the last: the traces of every write but the first,
    over the time between them (None with fewer than two writes)."""
    if len(writes) < 2 or writes[-1][0] <= writes[0][0]:
        return None
    traces = sum(n for _, n in writes[1:])
    return traces * spans_per_trace / (writes[-1][0] - writes[0][0])


def _stored(dsn: str) -> int:
    import psycopg

    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT coalesce(sum(requests), 0) FROM journey_stats").fetchone()
    return int(row[0]) if row else 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--job-traces", type=int, default=100_000,
                        help="traces (20 spans each) for the journey job (default 100,000)")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-job", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.fixtures.kafka import Broker, free_port

    bodies = _bodies(REQUESTS)
    ceiling = decode_ceiling(bodies)
    broker = Broker(free_port(), "memory://tansu/")
    broker.start()
    try:
        if not args.skip_ingest:
            ingest = _ingest(broker, bodies)
            print(f"collector OTLP/HTTP protobuf -> Kafka: {ingest:,.0f} spans/s "
                  f"({REQUESTS} requests x {SPANS_PER_REQUEST} spans, {CONCURRENCY} clients)")
        print(f"decode-only ceiling (core OTLP protobuf decoder, same bodies): "
              f"{ceiling:,.0f} spans/s" + ("" if args.skip_ingest
                                            else f" (ingest is {ingest / ceiling:.0%} of it)"))
        if not args.skip_job:
            _run_job_bench(broker, args.job_traces)
    finally:
        broker.stop()


def _run_job_bench(broker: Any, traces: int) -> None:
    from tests.fixtures.postgres import postgres_server

    from slo_scout.core.telemetry.wire import record_fragments
    from slo_scout.db.migrate import upgrade

    records = _job_records(traces)
    core = core_ceiling(records)
    server = postgres_server.__wrapped__()  # the test fixture's generator: start, then stop
    pg = next(server)
    try:
        url = pg.create_database("bench")
        upgrade(url)
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        rate, per_cpu, running = journey_job(broker, records, dsn)
        stored = _stored(dsn)
        writes = _writes(dsn)
    finally:
        next(server, None)
    spans = sum(b.spans for b in records)
    # a record is a bundle of a request's traces: the ledger's writes count traces, not records
    sent = sum(len(record_fragments(b.value.decode())) for b in records)
    print(f"journey job (MiniCluster, parallelism 1, 1 core): {rate:,.0f} spans/s per core "
          f"({len(records):,} records, {sent:,} traces x 20 spans = {spans:,} spans; "
          f"{stored:,} traces stored)")
    print(f"journey job per CPU second of the JVM and the writer process (all their threads): "
          f"{per_cpu:,.0f} spans/s (wall-clock figures above share the machine's cores)")
    print(f"core-only ceiling (decode_fragment + assemble + catalog, same records, no Flink): "
          f"{core:,.0f} spans/s (the job is {rate / core:.0%} of it)")
    steady = steady_state(writes, spans / sent)
    if steady is not None:
        print(f"journey job steady state (first to last of {len(writes)} writes, trace ledger): "
              f"{steady:,.0f} spans/s ({steady / core:.0%} of the core-only ceiling); "
              f"start-up, RUNNING to the first write: {writes[0][0] - running:.1f} s")


if __name__ == "__main__":
    main()
