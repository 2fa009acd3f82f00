"""Reads back what the collector produced, with a real consumer."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, ConsumerRecord


async def _read(bootstrap: str, topic: str, expect: int, timeout: float) -> list[ConsumerRecord]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(records) < expect and loop.time() < deadline:
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
    return asyncio.run(_read(bootstrap, topic, expect, timeout))
