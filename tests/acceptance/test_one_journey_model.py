"""The same traffic gives the same journeys whichever path it takes (issue 10's acceptance).

The opaque shop (its front end names no route, so journeys are told apart by their work and
optional steps must fold) goes through:

- ``slo-scout analyze`` on a file (one pass of the core),
- API ingest in three uploads, every trace's spans split across them (as collectors send them),
- the Flink journey job reading a topic of four partitions, each trace in several records,

and each path must give identical journey ids, names, request and error counts and latency
quantiles. Some traces lost their root (as a recording cut mid-request does): each path lists
them apart as the same fragments, never as journeys. All real: the CLI process, the API on
PostgreSQL, tansu, a Flink MiniCluster.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import ADMIN_KEY
from tests.fixtures.kafka import Broker, kafka_broker  # noqa: F401
from tests.fixtures.postgres import PostgresServer, postgres_server  # noqa: F401
from tests.fixtures.shops import opaque_shop
from tests.streaming.flink import JARS, need_flink

from slo_scout.api.app import create_app
from slo_scout.core.simulate import encode
from slo_scout.core.telemetry import decode_stream
from slo_scout.core.telemetry.model import Span
from slo_scout.core.telemetry.wire import BUNDLE_MAX_BYTES, encode_bundles, encode_fragments
from slo_scout.db.migrate import upgrade
from slo_scout.settings import Settings

pytestmark = pytest.mark.slow

SEEDS = (1, 2, 3)
TRACES = 2_000
ROOTLESS_EVERY = 97  # one trace in about a hundred loses its root span


def _opaque_shop(seed: int, folder: Path) -> tuple[Path, list[bytes]]:
    """The traffic as one file, and as three upload bodies that each hold part of every trace."""
    sim = opaque_shop(seed, TRACES)
    batches = [[span for span in batch
                if span.parent_id or int.from_bytes(span.trace_id[-4:]) % ROOTLESS_EVERY]
               for batch in sim.batches(512)]
    path = folder / f"shop-{seed}.otlp.jsonl"
    path.write_bytes(b"".join(encode(batches, sim.resources, "otlp-jsonl", "single")))
    every = [span for batch in batches for span in batch]
    uploads = [b"".join(encode([every[part::3]], sim.resources, "otlp-json", "single"))
               for part in range(3)]
    return path, uploads


def _spans(path: Path) -> list[Span]:
    return [s for batch in decode_stream([path.read_bytes()], source=path.name) for s in batch]


Fragments = dict[str, tuple[int, int]]  # top span "service operation" -> (traces, spans)


def _summary(journeys: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {j["id"]: (j["name"], j["requests"], j["errors"], j["p50"], j["p99"])
            for j in journeys}


def _by_cli(path: Path, out: Path) -> tuple[dict[str, tuple[Any, ...]], Fragments]:
    subprocess.run([sys.executable, "-m", "slo_scout.cli.main", "analyze", str(path),
                    "--out", str(out)], check=True, capture_output=True)
    doc = json.loads((out / "journeys.json").read_text())
    return _summary([{**j, "p50": j["latency_ms"]["p50"], "p99": j["latency_ms"]["p99"]}
                     for j in doc["journeys"]]), {
        f["entry"]: (f["traces"], f["spans"]) for f in doc["fragments"]}


def _by_api(uploads: list[bytes], url: str) -> tuple[dict[str, tuple[Any, ...]], Fragments]:
    # the shop's traffic is from 2023: no retention, so none of it is refused as too old
    settings = Settings(database_url=url, auth={"bootstrap_admin_key": ADMIN_KEY},
                        stats_retention_days=0)
    with TestClient(create_app(settings)) as client:
        client.headers["X-API-Key"] = ADMIN_KEY
        # Every trace's spans dealt over three uploads: no upload holds a whole trace.
        for part, body in enumerate(uploads):
            response = client.post("/api/v1/ingest/traces", content=body, params={
                "team": "shop", "environment": "prod", "flush": str(part == 2).lower()},
                headers={"Content-Type": "application/json"})
            assert response.status_code == 200, response.text
        items = client.get("/api/v1/journeys", params={"limit": 100}).json()["items"]
        fragments = client.get("/api/v1/fragments", params={"limit": 100}).json()["items"]
    return _summary([{**j, "id": j["key"], "p50": round(j["p50_s"] * 1000, 3),
                      "p99": round(j["p99_s"] * 1000, 3)} for j in items]), {
        f"{f['service']} {f['operation']}": (f["traces"], f["spans"]) for f in fragments}


def _produce(bootstrap: str, topic: str, spans: list[Span], partitions: int) -> None:
    from aiokafka import AIOKafkaProducer

    async def go() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
        await producer.start()
        try:
            # Every trace in two requests (the spans of each half), 25 traces a request pair,
            # as the collector writes them: a bundle per partition and request, so a trace's
            # halves travel in two bundles. Event time moves forward as it does live.
            by_trace: dict[str, list[Span]] = {}
            for span in spans:
                by_trace.setdefault(span.trace_id, []).append(span)
            traces = list(by_trace.values())
            for start in range(0, len(traces), 25):
                group = traces[start:start + 25]
                for part in range(2):
                    request = [s for trace in group for s in trace[part::2]]
                    for b in encode_bundles(encode_fragments(request), partitions,
                                            BUNDLE_MAX_BYTES):
                        await producer.send(topic, b.value, partition=b.shard,
                                            timestamp_ms=b.timestamp_ms)
            await producer.flush()
        finally:
            await producer.stop()

    asyncio.run(go())


def _by_flink(spans: list[Span], broker: Broker, url: str, folder: Path
              ) -> tuple[dict[str, Any], Fragments]:
    import psycopg
    from slo_scout_streaming.journey_job import run
    from slo_scout_streaming.settings import PipelineSettings

    from slo_scout.core.journeys.sketch_codec import sketch_quantiles

    topic = broker.topic("spans", partitions=4)
    _produce(broker.bootstrap, topic, spans, 4)
    broker.seal(topic)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    run(PipelineSettings(
        bootstrap_servers=broker.bootstrap, spans_topic=topic,
        journeys_topic=broker.topic("journeys", partitions=1), database_dsn=dsn, bounded=True,
        team="shop", environment="prod", restart_attempts=0, parallelism=2,
        stats_retention_days=0,
        checkpoint_dir=(folder / "ckpt").as_uri(), jars_dir=str(JARS),
        group_id=f"g{time.time_ns()}"))
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT key, name, requests, errors, latency_sketch FROM journeys "
                            "WHERE requests > 0").fetchall()
        fragments = {f"{service} {operation}": (traces, spans) for service, operation, traces, spans
                     in conn.execute("SELECT service, operation, traces, spans "
                                     "FROM journey_fragments").fetchall()}
    out = {}
    for key, name, requests, errors, sketch in rows:
        p50, p99 = sketch_quantiles(sketch, (0.5, 0.99))
        out[key] = (name, requests, errors, round(p50 * 1000, 3), round(p99 * 1000, 3))
    return out, fragments


@pytest.mark.parametrize("seed", SEEDS)
def test_analyze_api_ingest_and_the_flink_job_find_the_same_journeys(
    seed: int, tmp_path: Path, postgres_server: PostgresServer,  # noqa: F811
    kafka_broker: Broker,  # noqa: F811
) -> None:
    need_flink()
    path, uploads = _opaque_shop(seed, tmp_path)
    expected = _by_cli(path, tmp_path / "cli")
    journeys, fragments = expected
    assert len(journeys) == 7  # the shop's seven request kinds, nothing split
    assert sum(traces for traces, _ in fragments.values()) >= 10  # the rootless traces

    api_url = postgres_server.create_database(f"api{seed}")
    upgrade(api_url)
    assert _by_api(uploads, api_url) == expected

    stream_url = postgres_server.create_database(f"stream{seed}")
    upgrade(stream_url)
    assert _by_flink(_spans(path), kafka_broker, stream_url, tmp_path) == expected
