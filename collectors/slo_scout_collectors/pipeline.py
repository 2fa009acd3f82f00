"""From a decoded request to acknowledged Kafka records, with a bounded buffer.

Every receiver (OTLP/HTTP, OTLP/gRPC, remote_write, Loki) hands its decoded items here. The
answer to the client is sent only after Kafka acknowledged every record of the request
(acks=all, idempotent producer), so an acknowledged span is never lost by the collector.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, MessageSizeTooLargeError, RecordListTooLargeError

from slo_scout.core.telemetry.wire import BUNDLE_MAX_BYTES, Fragment, encode_bundles
from slo_scout_collectors.metrics import CollectorMetrics
from slo_scout_collectors.settings import CollectorSettings


class Backpressure(Exception):
    """The buffer is full: the client should retry after a pause (429)."""


class TooLarge(Exception):
    """One request holds more items than the whole buffer: split it, never retry it (413)."""


class RecordTooLarge(Exception):
    """One record is over what Kafka accepts: it can never be delivered, so the client must not
    retry it (413 / INVALID_ARGUMENT) and the payload goes to the dead-letter topic."""


class KafkaUnavailable(Exception):
    """Kafka did not acknowledge in time: the client should retry (503)."""


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    value: bytes
    key: bytes | None = None
    timestamp_ms: int | None = None
    headers: tuple[tuple[str, bytes], ...] = ()
    partition: int | None = None  # None: Kafka's partitioner (by key)


class KafkaPipeline:
    def __init__(self, settings: CollectorSettings, metrics: CollectorMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self._buffered = 0
        self._producer: AIOKafkaProducer | None = None
        metrics.buffer_capacity.set(settings.max_buffered_items)

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.bootstrap_servers,
            acks="all",
            enable_idempotence=self.settings.idempotent,
            linger_ms=self.settings.linger_ms,
            max_batch_size=1024 * 1024,
            max_request_size=self.settings.max_record_bytes + 1024 * 1024,
            request_timeout_ms=int(self.settings.kafka_timeout_s * 1000),
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    def _reserve(self, items: int) -> None:
        # A request larger than the whole buffer could only be let through by giving up the
        # memory bound (a million spans decode to over a gigabyte): the client must split it.
        if items > self.settings.max_buffered_items:
            raise TooLarge(f"{items} items in one request; at most "
                           f"{self.settings.max_buffered_items} are accepted: split the batch")
        if self._buffered and self._buffered + items > self.settings.max_buffered_items:
            raise Backpressure(f"{self._buffered} items already wait for Kafka")
        self._buffered += items
        self.metrics.buffer_fill.set(self._buffered)

    def _release(self, items: int) -> None:
        self._buffered -= items
        self.metrics.buffer_fill.set(self._buffered)

    async def send(self, records: Sequence[Record], items: int) -> None:
        """Produces the records and waits for every acknowledgement."""
        if not records:
            return
        assert self._producer is not None, "pipeline not started"
        self._reserve(items)
        began = time.perf_counter()
        try:
            futures = [
                await self._producer.send(r.topic, r.value, key=r.key, partition=r.partition,
                                          timestamp_ms=r.timestamp_ms,
                                          headers=list(r.headers) or None)
                for r in records
            ]
            await asyncio.wait_for(asyncio.gather(*futures), self.settings.kafka_timeout_s)
        except (MessageSizeTooLargeError, RecordListTooLargeError) as exc:
            # Our own limit or the broker's (message.max.bytes): retrying cannot help.
            raise RecordTooLarge(f"Kafka refused a record as too large: {exc}") from exc
        except (KafkaError, TimeoutError) as exc:
            raise KafkaUnavailable(f"Kafka did not acknowledge: {type(exc).__name__}") from exc
        finally:
            self._release(items)
        self.metrics.kafka_latency.observe(time.perf_counter() - began)

    async def send_spans(self, fragments: Sequence[Fragment]) -> None:
        """The request's fragments as one bundle per partition (``core.telemetry.wire``): the
        partition is the trace's shard, so every fragment of a trace meets one job subtask."""
        assert self._producer is not None, "pipeline not started"
        topic = self.settings.topics.spans
        try:
            partitions = sorted(await asyncio.wait_for(self._producer.partitions_for(topic),
                                                       self.settings.kafka_timeout_s))
        except (KafkaError, TimeoutError) as exc:
            raise KafkaUnavailable(f"no partitions of {topic}: {type(exc).__name__}") from exc
        limit = min(self.settings.max_record_bytes, BUNDLE_MAX_BYTES)
        records = [Record(topic, b.value, timestamp_ms=b.timestamp_ms,
                          partition=partitions[b.shard])
                   for b in encode_bundles(fragments, len(partitions), limit)]
        await self.send(records, sum(f.spans for f in fragments))

    async def send_payload(self, signal: str, payload: bytes, items: int, fmt: str) -> None:
        """One request's metrics or logs as one record, tagged with its format."""
        if len(payload) > self.settings.max_record_bytes:
            raise RecordTooLarge(f"the request's {signal} make a {len(payload)}-byte record, "
                                 f"over the {self.settings.max_record_bytes}-byte limit: "
                                 "split the batch")
        topic = self.settings.topics.metrics if signal == "metrics" else self.settings.topics.logs
        await self.send([Record(topic, payload, headers=(("format", fmt.encode()),))], items)

    async def dead_letter(self, signal: str, reason: str, payload: bytes,
                          content_type: str) -> None:
        """Best effort: a refused payload must not be retried, so a failure here is only counted."""
        cut = payload[: self.settings.dead_letter_max_bytes]
        headers = (("signal", signal.encode()), ("reason", reason.encode()[:4096]),
                   ("content-type", content_type.encode()),
                   ("truncated", b"true" if len(cut) < len(payload) else b"false"))
        try:
            await self.send([Record(self.settings.topics.dead_letter, cut, headers=headers)], 0)
        except (KafkaUnavailable, Backpressure, TooLarge, RecordTooLarge):
            return
        self.metrics.dead_letters.labels(signal).inc()
