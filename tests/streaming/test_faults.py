"""Faults, all real: the broker restarts mid-stream, the journey job is SIGKILLed and restored.

Both tests end with the same claim: every trace the collector acknowledged (or, for the job,
every trace on the topic) is counted exactly once in the stored totals, per journey.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import psycopg
import pytest
from tests.collectors.conftest import Collector, start_collector, stop_collector
from tests.collectors.test_otlp_http import PROTO, build_request
from tests.fixtures.kafka import Broker, S3Server, s3_broker, s3_server  # noqa: F401
from tests.fixtures.postgres import PostgresServer
from tests.streaming.flink import JARS, need_flink

from slo_scout.core.telemetry.model import Span
from slo_scout.core.telemetry.wire import BUNDLE_MAX_BYTES, encode_bundles, encode_fragments
from slo_scout.db.migrate import upgrade

pytestmark = pytest.mark.slow


def _database(postgres_server: PostgresServer) -> str:
    url = postgres_server.create_database("faults")
    upgrade(url)
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _totals(dsn: str) -> dict[str, tuple[int, int, int]]:
    """Per journey entry: (journey requests, sum of minute requests, ledger rows)."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT j.entry_operation, j.requests, "
            "(SELECT coalesce(sum(s.requests), 0) FROM journey_stats s WHERE s.journey_id = j.id),"
            " (SELECT count(*) FROM trace_ledger l WHERE l.journey_key = j.key) "
            "FROM journeys j ORDER BY 1").fetchall()
    return {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows}


def _ledger_rows(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        try:
            row = conn.execute("SELECT count(*) FROM trace_ledger").fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return int(row[0]) if row else 0


# --- (a) the broker stops and restarts while an instrumented app keeps sending -------------


class _Acknowledged:
    """Wraps the real OTLP/HTTP exporter and notes the traces of every batch it got a 200 for."""

    def __init__(self, endpoint: str) -> None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # A long timeout lets the exporter's own retries (honouring Retry-After) span the outage.
        self.inner = OTLPSpanExporter(f"{endpoint}/v1/traces", timeout=90)
        self.traces: dict[str, set[str]] = {}  # trace id -> span ids acknowledged
        self.failed = 0
        self.lock = threading.Lock()

    def export(self, spans: Sequence[object]) -> object:
        from opentelemetry.sdk.trace.export import SpanExportResult

        result = self.inner.export(spans)  # type: ignore[arg-type]
        with self.lock:
            if result == SpanExportResult.SUCCESS:
                for s in spans:
                    ctx = s.context  # type: ignore[attr-defined]
                    self.traces.setdefault(f"{ctx.trace_id:032x}", set()).add(
                        f"{ctx.span_id:016x}")
            else:
                self.failed += len(spans)
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


def _instrumented_app(exporter: _Acknowledged, traces: int, pause_s: float,
                      sent: list[int]) -> None:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.trace import SpanKind

    provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
    # A queue large enough that nothing is dropped while the exporter waits out the outage.
    provider.add_span_processor(BatchSpanProcessor(
        exporter, max_queue_size=100_000, schedule_delay_millis=100,  # type: ignore[arg-type]
        max_export_batch_size=200))
    tracer = provider.get_tracer("fault-test")
    for i in range(traces):
        if i % 3 == 0:
            with tracer.start_as_current_span("GET /cart", kind=SpanKind.SERVER,
                                              attributes={"http.route": "/cart",
                                                          "http.request.method": "GET"}):
                pass
        else:
            with tracer.start_as_current_span("POST /checkout", kind=SpanKind.SERVER,
                                              attributes={"http.route": "/checkout",
                                                          "http.request.method": "POST"}), \
                    tracer.start_as_current_span("SELECT orders", kind=SpanKind.CLIENT,
                                                 attributes={"db.system": "postgresql"}):
                pass
        sent[0] = i + 1
        time.sleep(pause_s)
    provider.force_flush(120_000)
    provider.shutdown()


def _run_job_to_the_end(broker: Broker, topic: str, dsn: str, tmp: Path) -> None:
    from slo_scout_streaming.journey_job import run
    from slo_scout_streaming.settings import PipelineSettings

    broker.seal(topic)
    run(PipelineSettings(
        bootstrap_servers=broker.bootstrap, spans_topic=topic,
        journeys_topic=broker.topic("journeys", partitions=1), database_dsn=dsn, bounded=True,
        session_gap_s=5, write_batch=200, write_flush_ms=200, restart_attempts=0,
        checkpoint_dir=(tmp / "ckpt").as_uri(), jars_dir=str(JARS), data_dir=tmp / "data",
        group_id=f"g{time.time_ns()}"))


def test_a_broker_restart_mid_stream_loses_no_acknowledged_span_and_counts_none_twice(
    s3_broker: Broker, postgres_server: PostgresServer, tmp_path: Path  # noqa: F811
) -> None:
    need_flink()
    dsn = _database(postgres_server)
    collector = start_collector(s3_broker, kafka_timeout_s="2", retry_after_s="1")
    try:
        exporter = _Acknowledged(collector.url)
        sent = [0]
        app = threading.Thread(target=_instrumented_app, args=(exporter, 600, 0.01, sent))
        app.start()
        while sent[0] < 150:
            time.sleep(0.05)
        s3_broker.stop()
        # While the broker is down the collector turns requests away as retryable.
        during, probe_acknowledged = _post_until_refused(collector)
        assert during.status_code == 503
        assert during.headers["retry-after"] == "1"
        time.sleep(2)
        s3_broker.start()
        app.join(180)
        assert not app.is_alive()
        metrics = httpx.get(f"{collector.url}/metrics").text
    finally:
        stop_collector(collector)

    assert exporter.failed == 0, "the exporter gave up on a batch instead of retrying it"
    assert 'reason="kafka_unavailable"' in metrics
    expected = {"/cart": 0, "/checkout": 0}
    for spans in exporter.traces.values():
        expected["/cart" if len(spans) == 1 else "/checkout"] += 1
    assert sum(expected.values()) == 600

    _run_job_to_the_end(s3_broker, collector.spans_topic, dsn, tmp_path)
    totals = _totals(dsn)
    # The probe's trace was acknowledged or refused; a refused one may still reach Kafka once
    # the producer reconnects (the client would have retried it): at most once either way.
    probe = totals.pop("GET /cart", None)
    assert probe == (1, 1, 1) if probe_acknowledged else probe in (None, (1, 1, 1))
    assert totals == {k: (n, n, n) for k, n in expected.items()}


def _post_until_refused(collector: Collector) -> tuple[httpx.Response, bool]:
    body = build_request(1, 2, seed=4242).SerializeToString()
    acknowledged = False
    deadline = time.monotonic() + 30
    while True:
        resp = httpx.post(f"{collector.url}/v1/traces", content=body, headers=PROTO,
                          timeout=30)
        if resp.status_code != 200 or time.monotonic() > deadline:
            return resp, acknowledged
        acknowledged = True
        time.sleep(0.2)


# --- (b) the journey job is SIGKILLed mid-stream and restored from its last checkpoint ------

BASE_MS = 1_700_000_000_000


def _trace(i: int) -> list[Span]:
    tid, start = f"{i + 1:032x}", (BASE_MS + i * 50) * 1_000_000
    if i % 2:
        return [Span(tid, f"{1:016x}", None, "shop", "GET /cart", "server", start,
                     start + 3_000_000, attributes={"http.route": "/cart",
                                                    "http.request.method": "GET"})]
    return [Span(tid, f"{1:016x}", None, "shop", "POST /checkout", "server", start,
                 start + 9_000_000, attributes={"http.route": "/checkout",
                                                "http.request.method": "POST"}),
            Span(tid, f"{2:016x}", f"{1:016x}", "shop", "SELECT orders", "client",
                 start + 1_000_000, start + 8_000_000, attributes={"db.system": "postgresql"})]


def _produce(bootstrap: str, topic: str, traces: range, pause_s: float,
             partition: int = 0) -> None:
    """Requests of 40 traces, as the collector writes them: one bundle each, to ``partition``."""
    from aiokafka import AIOKafkaProducer

    async def go() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        await producer.start()
        try:
            for chunk in range(traces.start, traces.stop, 40):
                fragments = [f for i in range(chunk, min(chunk + 40, traces.stop))
                             for f in encode_fragments(_trace(i))]
                for b in encode_bundles(fragments, 1, BUNDLE_MAX_BYTES):
                    await producer.send(topic, b.value, partition=partition,
                                        timestamp_ms=b.timestamp_ms)
                await producer.flush()
                await asyncio.sleep(pause_s)
        finally:
            await producer.stop()

    asyncio.run(go())


def _start_job(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        # A session of its own: SIGKILL reaches the Python driver and its JVM together.
        return subprocess.Popen([sys.executable, "-m", "slo_scout_streaming.journey_job"],
                                env={**os.environ, **env}, stdout=out, stderr=out,
                                start_new_session=True)


def _kill(job: subprocess.Popen[bytes]) -> None:
    if job.poll() is None:
        os.killpg(job.pid, signal.SIGKILL)
    job.wait(30)


def _latest_checkpoint(root: Path) -> Path | None:
    done = [m.parent for m in root.glob("*/chk-*/_metadata")]
    return max(done, key=lambda p: int(p.name.split("-")[1]), default=None)


def _wait(what: str, condition: object, timeout: float, job: subprocess.Popen[bytes],
          log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if job.poll() is not None:
            raise AssertionError(f"job exited ({job.returncode}) waiting for {what}:\n"
                                 + log.read_text()[-3000:])
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n" + log.read_text()[-3000:])
        time.sleep(0.1)


def test_a_journey_job_killed_mid_stream_and_restored_from_its_checkpoint_counts_exactly_once(
    kafka_broker: Broker, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    need_flink()
    dsn = _database(postgres_server)
    topic = kafka_broker.topic("spans", partitions=1)
    checkpoints = tmp_path / "checkpoints"
    log = tmp_path / "job.log"
    env = {**_job_env(kafka_broker, topic, dsn, tmp_path, f"g{time.time_ns()}"),
           # the default hold: a trace's state outlives its write long enough to be replayed
           "SLO_SCOUT_PIPELINE_WRITE_HOLD_S": "10", "SLO_SCOUT_PIPELINE_WRITE_BATCH": "25",
           "SLO_SCOUT_PIPELINE_CHECKPOINT_DIR": checkpoints.as_uri()}
    total = 2000
    producer = threading.Thread(target=_produce,
                                args=(kafka_broker.bootstrap, topic, range(total), 0.25))
    job = _start_job(env, log)
    restored: subprocess.Popen[bytes] | None = None
    try:
        producer.start()
        # Kill once a checkpoint is retained and stats were written after it, so the restored
        # job replays outcomes the store already holds.
        _wait("a completed checkpoint", lambda: _latest_checkpoint(checkpoints) is not None,
              90, job, log)
        written = _ledger_rows(dsn)
        _wait("stats written after the checkpoint", lambda: _ledger_rows(dsn) > written,
              60, job, log)
        _kill(job)
        at_kill = _ledger_rows(dsn)
        assert 0 < at_kill < total, "the kill did not land mid-stream"
        chk = _latest_checkpoint(checkpoints)
        assert chk is not None
        restored = _start_job({**env, "SLO_SCOUT_PIPELINE_RESTORE_FROM": chk.as_uri()}, log)
        producer.join(120)
        # One trace an hour later moves the watermark past every session of the real ones.
        _produce(kafka_broker.bootstrap, topic, range(total + 72_000, total + 72_001), 0)
        _wait("every trace stored", lambda: _ledger_rows(dsn) >= total, 90, restored, log)
        time.sleep(1.5)  # two more flush intervals: a late double count would show now
        assert _totals(dsn) == {"/cart": (1000, 1000, 1000), "/checkout": (1000, 1000, 1000)}
    finally:
        _kill(job)
        if restored is not None:
            _kill(restored)


# --- (c) one partition stays idle: the others' traces are still written ---------------------


def _produce_to(bootstrap: str, topic: str, traces: range, partition: int | None = None,
                offset_ms: int = 0) -> dict[int, int]:
    """Produces one record per trace (shifted ``offset_ms`` in event time), to ``partition``
    or by key; returns the next offset of every partition written to."""
    from aiokafka import AIOKafkaProducer

    async def go() -> dict[int, int]:
        ends: dict[int, int] = {}
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        await producer.start()
        try:
            sent = []
            for i in traces:
                for f in encode_fragments(_trace(i)):
                    sent.append(await producer.send(
                        topic, f.value, key=f.trace_id.encode(), partition=partition,
                        timestamp_ms=f.timestamp_ms + offset_ms))
            for meta in await asyncio.gather(*sent):
                ends[meta.partition] = max(ends.get(meta.partition, 0), meta.offset + 1)
        finally:
            await producer.stop()
        return ends

    return asyncio.run(go())


def _job_env(broker: Broker, topic: str, dsn: str, tmp: Path, group: str) -> dict[str, str]:
    return {"SLO_SCOUT_PIPELINE_BOOTSTRAP_SERVERS": broker.bootstrap,
            "SLO_SCOUT_PIPELINE_SPANS_TOPIC": topic,
            "SLO_SCOUT_PIPELINE_JOURNEYS_TOPIC": broker.topic("journeys", partitions=1),
            "SLO_SCOUT_PIPELINE_GROUP_ID": group, "SLO_SCOUT_PIPELINE_DATABASE_DSN": dsn,
            "SLO_SCOUT_PIPELINE_DATA_DIR": str(tmp / "data"),
            "SLO_SCOUT_PIPELINE_SESSION_GAP_S": "1", "SLO_SCOUT_PIPELINE_LATENESS_S": "0.2",
            "SLO_SCOUT_PIPELINE_WRITE_HOLD_S": "1", "SLO_SCOUT_PIPELINE_IDLENESS_S": "1",
            "SLO_SCOUT_PIPELINE_CHECKPOINT_INTERVAL_MS": "1000",
            "SLO_SCOUT_PIPELINE_WRITE_BATCH": "50", "SLO_SCOUT_PIPELINE_WRITE_FLUSH_MS": "200",
            "SLO_SCOUT_PIPELINE_RESTART_ATTEMPTS": "0",
            "SLO_SCOUT_PIPELINE_STATS_RETENTION_DAYS": "0"}  # BASE_MS is in 2023: keep it all


HOUR_MS = 3_600_000


def test_one_idle_partition_does_not_hold_back_the_traces_of_the_others(
    kafka_broker: Broker, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    need_flink()
    dsn = _database(postgres_server)
    topic = kafka_broker.topic("spans", partitions=4)
    log = tmp_path / "job.log"
    job = _start_job(_job_env(kafka_broker, topic, dsn, tmp_path, f"g{time.time_ns()}"), log)
    try:
        # Partitions 0 to 2 carry the traffic; partition 3 never gets a record.
        for p in range(3):
            _produce_to(kafka_broker.bootstrap, topic, range(p * 100, p * 100 + 100), p)
            # An upgrade under way: 20 of these traces again, as one bundle of a new collector
            # (keyed by shard, where the bare fragments were keyed by trace id): two sessions
            # of one trace id in the job, counted once.
            _produce(kafka_broker.bootstrap, topic, range(p * 100, p * 100 + 20), 0, p)
            # A trace an hour later moves this partition's watermark past every session.
            _produce_to(kafka_broker.bootstrap, topic, range(10_000 + p, 10_001 + p), p, HOUR_MS)
        # Without idleness the watermark (the least over the 4 partitions) never moves and
        # nothing is written while the job runs; with it, every trace is.
        _wait("every trace stored", lambda: _ledger_rows(dsn) >= 300, 120, job, log)
        assert job.poll() is None, "the unbounded job ended"
        assert _totals(dsn) == {"/cart": (150, 150, 150), "/checkout": (150, 150, 150)}
    finally:
        _kill(job)


# --- (d) a plain restart (no --restore-from) resumes from the committed offsets -------------


def _committed(bootstrap: str, group: str, topic: str, partitions: int) -> dict[int, int]:
    """The group's committed offsets (OffsetFetch as a consumer sends it; tansu answers the
    admin client's newer version in a form aiokafka cannot decode)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def go() -> dict[int, int]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                    enable_auto_commit=False)
        await consumer.start()
        try:
            offsets = {p: await consumer.committed(TopicPartition(topic, p))
                       for p in range(partitions)}
        finally:
            await consumer.stop()
        return {p: o for p, o in offsets.items() if o is not None}

    return asyncio.run(go())


def _trace_ids(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        return {r[0] for r in conn.execute("SELECT trace_id FROM trace_ledger")}


def test_a_plain_restart_resumes_from_the_committed_offsets_not_from_the_start(
    kafka_broker: Broker, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    need_flink()
    first_db, second_db = _database(postgres_server), _database(postgres_server)
    topic = kafka_broker.topic("spans", partitions=1)
    group = f"g{time.time_ns()}"
    log = tmp_path / "job.log"
    job = _start_job(_job_env(kafka_broker, topic, first_db, tmp_path, group), log)
    restarted: subprocess.Popen[bytes] | None = None
    try:
        _produce_to(kafka_broker.bootstrap, topic, range(200))
        ends = _produce_to(kafka_broker.bootstrap, topic, range(9_000, 9_001), offset_ms=HOUR_MS)
        _wait("the first run's traces stored", lambda: _ledger_rows(first_db) >= 200, 120,
              job, log)
        # Offsets are committed when a checkpoint completes.
        _wait("offsets committed up to the end", lambda: _committed(
            kafka_broker.bootstrap, group, topic, 1) == ends, 60, job, log)
        _kill(job)

        # The same group, no --restore-from, and a database of its own: whatever the
        # restarted job reads from the topic shows there.
        restarted = _start_job(_job_env(kafka_broker, topic, second_db, tmp_path, group), log)
        _produce_to(kafka_broker.bootstrap, topic, range(1_000, 1_100), offset_ms=2 * HOUR_MS)
        _produce_to(kafka_broker.bootstrap, topic, range(9_001, 9_002), offset_ms=3 * HOUR_MS)
        _wait("the second run's traces stored", lambda: _ledger_rows(second_db) >= 100, 120,
              restarted, log)
        time.sleep(1.5)  # more flush intervals: a replay of the first run's records shows now
        assert _trace_ids(second_db) == {f"{i + 1:032x}" for i in range(1_000, 1_100)}
        assert _trace_ids(first_db) == {f"{i + 1:032x}" for i in range(200)}
    finally:
        _kill(job)
        if restarted is not None:
            _kill(restarted)
