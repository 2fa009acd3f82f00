"""The embedding job: ``journeys.new`` -> plain-words description -> vector -> Milvus, once.

Why a Kafka consumer process and not a PyFlink operator: in PyFlink's thread mode (the only mode
this project runs; process mode needs Apache Beam) the Python interpreter lives inside the
TaskManager's JVM through pemja, and there the model loads but the first torch operation (even
a 3x3 matmul) never returns, with one or many torch threads. So the job is a plain aiokafka
consumer group: it scales by partitions like a Flink source, and needs no Flink state because
Milvus itself is the state.

Delivery: offsets are committed only after the batch's rows are in Milvus (at least once), and
a row's primary key is ``<environment>/<journey key>``, written by upsert (at most one row per
journey) through the control layer's one store (``slo_scout.control.vectors``) and its one rule
for what to embed (``control.journeys.embedding.embed_new``: only journeys that are new or whose
description changed, so the CLI, the control plane and this job never embed a journey twice).
``journeys.new`` is at least once upstream too (see docs/streaming.md), so a journey published
twice is embedded once. A record that is not a journey description goes to the dead-letter
topic with the error class and reason.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer

from slo_scout.control.journeys.embedding import ToEmbed, embed_new
from slo_scout.control.vectors import JourneyVectors
from slo_scout.core.journeys.description import describe_parts
from slo_scout.core.journeys.model import Edge, Entry
from slo_scout_streaming.consumer import Batches, consume_topics
from slo_scout_streaming.kafka_records import dead_letter
from slo_scout_streaming.settings import PipelineSettings
from slo_scout_streaming.stats_store import JourneyInfo

log = logging.getLogger("slo_scout.embedding_job")


@dataclass
class EmbeddingReport:
    records: int = 0
    embedded: int = 0
    already_stored: int = 0
    dead_letters: int = 0
    ids: list[str] = field(default_factory=list)


def describe_info(info: JourneyInfo) -> str:
    entry = Entry(info.entry_service, info.entry_operation, info.protocol, info.span_name,
                  info.method)
    edges = [Edge(str(c), str(d), str(op), int(n)) for c, d, op, n in info.edges]
    return describe_parts(entry, info.services, edges)


def parse(value: bytes | None) -> JourneyInfo:
    if value is None:
        raise ValueError("empty record")
    info = JourneyInfo.loads(value.decode("utf-8"))
    if not info.key or not info.entry_service:
        raise ValueError("journey key and entry service are required")
    return info


class EmbeddingWorker:
    """The synchronous part (embedding and Milvus), run off the event loop."""

    def __init__(self, settings: PipelineSettings) -> None:
        from slo_scout.control.embedder import Embedder  # torch is loaded here only

        self.settings = settings
        self.embedder = Embedder(threads=settings.embedding_threads)
        self.vectors = JourneyVectors(settings.milvus_uri, settings.milvus_collection,
                                      index=settings.milvus_index).open(create=True)

    def store(self, infos: list[JourneyInfo], report: EmbeddingReport) -> None:
        env = self.settings.environment
        items = [ToEmbed(env, i.key, i.entry_service, i.name, describe_info(i)) for i in infos]
        done = embed_new(self.vectors, lambda: self.embedder, items)
        # a batch may repeat a journey: the repeats count as stored already, like replays
        report.already_stored += len(infos) - done.embedded
        report.embedded += done.embedded
        report.ids.extend(done.ids)

    def close(self) -> None:
        self.vectors.close()


async def consume(settings: PipelineSettings, worker: EmbeddingWorker) -> EmbeddingReport:
    report = EmbeddingReport()

    async def handle(batches: Batches, producer: AIOKafkaProducer) -> None:
        infos: list[JourneyInfo] = []
        for records in batches.values():
            for record in records:
                report.records += 1
                try:
                    infos.append(parse(record.value))
                except (ValueError, TypeError, UnicodeDecodeError) as exc:
                    # json.JSONDecodeError is a ValueError; a wrong field list a TypeError.
                    log.warning("dead letter from %s@%d: %s", record.topic, record.offset, exc)
                    await dead_letter(producer, settings.dead_letter_topic, "journeys",
                                      record.value, exc)
                    report.dead_letters += 1
        if infos:
            await asyncio.to_thread(worker.store, infos, report)

    await consume_topics(settings, (settings.journeys_topic,), settings.embedding_group_id,
                         settings.embedding_batch, handle)
    return report


def run(settings: PipelineSettings) -> EmbeddingReport:
    worker = EmbeddingWorker(settings)
    try:
        report = asyncio.run(consume(settings, worker))
    finally:
        worker.close()
    log.info("embedding job: %s", json.dumps({"records": report.records,
                                              "embedded": report.embedded,
                                              "already_stored": report.already_stored,
                                              "dead_letters": report.dead_letters}))
    return report


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    run(PipelineSettings())
