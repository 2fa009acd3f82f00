"""End to end, all real: an OpenTelemetry SDK app -> collector -> tansu -> PyFlink -> PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
from tests.collectors.conftest import Collector
from tests.collectors.topics import read_topic
from tests.fixtures.kafka import Broker
from tests.fixtures.postgres import PostgresServer
from tests.streaming.flink import JARS, need_flink

from slo_scout.core.journeys.sketch_codec import decode_sketch
from slo_scout.db.migrate import upgrade

pytestmark = pytest.mark.slow


def _send_with_otel_sdk(endpoint: str, checkouts: int, carts: int) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.trace import SpanKind, Status, StatusCode

    def provider(service: str) -> TracerProvider:
        p = TracerProvider(resource=Resource.create({"service.name": service}))
        p.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(f"{endpoint}/v1/traces")))
        return p

    front, pay = provider("frontend"), provider("payment")
    ft, pt = front.get_tracer("shop"), pay.get_tracer("shop")
    for i in range(checkouts):
        with ft.start_as_current_span("POST /checkout", kind=SpanKind.SERVER,
                                      attributes={"http.route": "/checkout",
                                                  "http.request.method": "POST"}) as s:
            with ft.start_as_current_span("POST payment", kind=SpanKind.CLIENT), \
                    pt.start_as_current_span("payment.Charge", kind=SpanKind.SERVER,
                                             attributes={"rpc.system": "grpc",
                                                         "rpc.service": "payment",
                                                         "rpc.method": "Charge"}):
                pass
            if i % 5 == 0:
                s.set_status(Status(StatusCode.ERROR))
    for _ in range(carts):
        with ft.start_as_current_span("GET /cart", kind=SpanKind.SERVER,
                                      attributes={"http.route": "/cart",
                                                  "http.request.method": "GET"}):
            pass
    for p in (front, pay):
        p.force_flush()
        p.shutdown()


def _embed_announced(settings: object, tmp_path: Path) -> None:
    """The embedding job turns what the journey job announced into Milvus Lite rows."""
    pytest.importorskip("torch", reason="torch not installed (the 'embeddings' extra)")
    from slo_scout_streaming.embedding_job import run as embed

    from slo_scout.control.vectors import JourneyVectors

    embedding = settings.model_copy(update={  # type: ignore[attr-defined]
        "milvus_uri": str(tmp_path / "milvus.db"), "embedding_group_id": f"e{time.time_ns()}"})
    report = embed(embedding)
    assert (report.embedded, report.already_stored) == (2, 0)
    vectors = JourneyVectors(embedding.milvus_uri, embedding.milvus_collection).open()
    try:
        rows = vectors.client.query(embedding.milvus_collection, filter="", limit=10,
                                    output_fields=["service", "environment", "description"])
        assert sorted((r["service"], r["environment"], r["description"].split(" (")[0])
                      for r in rows) == [
            ("frontend", "production", "HTTP GET /cart entering at service frontend"),
            ("frontend", "production", "HTTP POST /checkout entering at service frontend")]
    finally:
        vectors.close()


def test_traces_from_an_instrumented_app_become_journey_stats_exactly_once(
    kafka_broker: Broker, collector: Collector, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    need_flink()
    from slo_scout_streaming.journey_job import run
    from slo_scout_streaming.settings import PipelineSettings

    url = postgres_server.create_database("stream")
    upgrade(url)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    _send_with_otel_sdk(collector.url, checkouts=20, carts=7)
    # A bounded run reads up to the end offsets tansu reports; seal makes them right.
    kafka_broker.seal(collector.spans_topic)
    journeys_topic = kafka_broker.topic("journeys", partitions=1)
    settings = PipelineSettings(
        bootstrap_servers=kafka_broker.bootstrap, spans_topic=collector.spans_topic,
        journeys_topic=journeys_topic, database_dsn=dsn, bounded=True, session_gap_s=5,
        write_batch=1, restart_attempts=0, checkpoint_dir=(tmp_path / "ckpt").as_uri(),
        jars_dir=str(JARS), data_dir=tmp_path / "data",
        group_id=f"g{time.time_ns()}")
    run(settings)

    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT j.entry_operation, j.requests, j.errors, sum(s.requests), sum(s.errors), "
            "min(s.latency_sketch) FROM journeys j JOIN journey_stats s ON s.journey_id = j.id "
            "GROUP BY j.id ORDER BY j.entry_operation").fetchall()
        assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [
            ("/cart", 7, 0, 7, 0), ("/checkout", 20, 4, 20, 4)]
        assert decode_sketch(rows[0][5]).count >= 1
        names = sorted(r[0] for r in conn.execute("SELECT name FROM services"))
        assert names == ["frontend"]

    announced = read_topic(kafka_broker.bootstrap, journeys_topic, 2)
    assert len(announced) == 2
    _embed_announced(settings, tmp_path)

    # Replaying the whole topic (as after a restore from an older checkpoint) adds nothing.
    run(settings.model_copy(update={"group_id": f"g{time.time_ns()}"}))
    with psycopg.connect(dsn) as conn:
        total = conn.execute("SELECT sum(requests), sum(errors) FROM journey_stats").fetchone()
        assert total == (27, 4)
