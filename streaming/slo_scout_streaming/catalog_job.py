"""The catalog job: metrics and logs topics -> metric catalog and error log templates.

A Kafka consumer group over ``otlp.metrics`` and ``otlp.logs`` (like the embedding job, and for
a simpler reason than torch: it keeps no state Flink would need to checkpoint; the tables are
sets and PostgreSQL is the state). Per poll: decode each record by its ``format`` header
(``telemetry_catalog``), collect the metric names and label sets seen and mine the error lines
into templates (``log_templates``), write all of it in one transaction (``catalog_store``),
then commit the offsets. A record that cannot be decoded goes to the dead-letter topic with
its error class; the rest of the poll is stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer, ConsumerRecord
from google.protobuf.message import DecodeError as ProtoDecodeError

from slo_scout.control.logs.mining import TemplateCount, TemplateMiners
from slo_scout_streaming.catalog_store import CatalogStore
from slo_scout_streaming.consumer import Batches, consume_topics
from slo_scout_streaming.kafka_records import dead_letter
from slo_scout_streaming.schema import SchemaError, check_schema
from slo_scout_streaming.settings import PipelineSettings
from slo_scout_streaming.telemetry_catalog import MetricSeen, error_lines, metrics_seen

log = logging.getLogger("slo_scout.catalog_job")
_BAD_RECORD = (ProtoDecodeError, ValueError, KeyError, TypeError, IndexError)


@dataclass
class CatalogReport:
    records: int = 0
    metric_sets: int = 0
    error_lines: int = 0
    dead_letters: int = 0


def _format(record: ConsumerRecord) -> str:
    for key, value in record.headers or ():
        if key == "format":
            return bytes(value).decode("utf-8", "replace")
    raise ValueError("record has no 'format' header")


class CatalogWorker:
    def __init__(self, settings: PipelineSettings) -> None:
        self.settings = settings
        self.miners = TemplateMiners(settings.environment)
        self.store = CatalogStore(settings.database_dsn, settings.environment)
        self.store.open()

    def take(self, record: ConsumerRecord, metrics: set[MetricSeen],
             templates: dict[str, TemplateCount], report: CatalogReport) -> None:
        fmt = _format(record)
        if record.topic == self.settings.metrics_topic:
            found = metrics_seen(record.value or b"", fmt)
            metrics |= found
            report.metric_sets += len(found)
            return
        for line in error_lines(record.value or b"", fmt):
            self.miners.add(templates, line.service, line.line, line.trace_id)
            report.error_lines += 1

    def close(self) -> None:
        self.store.close()


async def consume(settings: PipelineSettings, worker: CatalogWorker) -> CatalogReport:
    report = CatalogReport()

    async def handle(batches: Batches, producer: AIOKafkaProducer) -> None:
        metrics: set[MetricSeen] = set()
        templates: dict[str, TemplateCount] = {}
        latest = 0
        for records in batches.values():
            for record in records:
                report.records += 1
                latest = max(latest, record.timestamp)
                try:
                    worker.take(record, metrics, templates, report)
                except _BAD_RECORD as exc:
                    log.warning("dead letter from %s@%d: %s: %s", record.topic,
                                record.offset, type(exc).__name__, exc)
                    signal = "metrics" if record.topic == settings.metrics_topic else "logs"
                    await dead_letter(producer, settings.dead_letter_topic, signal,
                                      record.value, exc)
                    report.dead_letters += 1
        if metrics or templates:
            seen_at = datetime.fromtimestamp(latest / 1000, UTC)
            await asyncio.to_thread(worker.store.write, metrics, templates, seen_at)

    await consume_topics(settings, (settings.metrics_topic, settings.logs_topic),
                         settings.catalog_group_id, 500, handle)
    return report


def run(settings: PipelineSettings) -> CatalogReport:
    check_schema(settings.database_dsn)
    worker = CatalogWorker(settings)
    try:
        report = asyncio.run(consume(settings, worker))
    finally:
        worker.close()
    log.info("catalog job: %s", json.dumps(report.__dict__, sort_keys=True))
    return report


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    try:
        run(PipelineSettings())
    except SchemaError as exc:
        sys.exit(f"catalog job: {exc}")
