"""Reads back what the collector produced, with a real consumer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from slo_scout.core.telemetry.model import Span
from slo_scout.core.telemetry.wire import decode_fragment, record_fragments


async def _read(bootstrap: str, topic: str, enough: Callable[[list[ConsumerRecord]], bool],
                timeout: float) -> list[ConsumerRecord]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not enough(records) and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for part in batch.values():
                records.extend(part)
    finally:
        await consumer.stop()
    return records


def read_topic(
    bootstrap: str, topic: str, expect: int, timeout: float = 15
) -> list[ConsumerRecord]:
    """Records of ``topic``: stops once ``expect`` arrived or after ``timeout`` seconds."""
    return asyncio.run(_read(bootstrap, topic, lambda records: len(records) >= expect, timeout))


def span_fragments(records: Iterable[ConsumerRecord]) -> list[tuple[str, list[Span]]]:
    """(trace id, spans) of every fragment the span records carry, in order: a record is a
    bundle of fragments, or one bare fragment (``core.telemetry.wire``)."""
    return [decode_fragment(fragment)
            for record in records for fragment in record_fragments(record.value.decode())]


def read_fragments(bootstrap: str, topic: str, fragments: int, timeout: float = 15,
                   max_records: int = 10_000) -> list[ConsumerRecord]:
    """Span records of ``topic``: stops once they carry ``fragments`` trace fragments (a
    request's traces, one fragment each), after ``max_records`` records or after ``timeout``
    seconds. A record holds any number of fragments, so counting records says nothing."""
    counted = [0, 0]  # records looked at, fragments in them

    def enough(records: list[ConsumerRecord]) -> bool:
        for record in records[counted[0]:]:
            counted[1] += len(record_fragments(record.value.decode()))
        counted[0] = len(records)
        return counted[1] >= fragments or len(records) >= max_records

    return asyncio.run(_read(bootstrap, topic, enough, timeout))
