"""The poll loop the consumer jobs share: read a batch, let the job store it, commit, repeat.

Offsets are committed only after the job's handler returns (at least once). A bounded run stops
once every assigned partition is read up to the offsets it had when the partitions were first
assigned and a poll comes back empty.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from slo_scout_streaming.kafka_records import reached
from slo_scout_streaming.settings import PipelineSettings

Batches = dict[TopicPartition, list[ConsumerRecord]]
# Takes one poll's records and the producer to dead-letter bad ones with.
BatchHandler = Callable[[Batches, AIOKafkaProducer], Awaitable[None]]


async def consume_topics(settings: PipelineSettings, topics: tuple[str, ...], group_id: str,
                         max_records: int, handle: BatchHandler) -> None:
    """Runs until a bounded run reaches its end offsets; an unbounded run never returns."""
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=settings.bootstrap_servers, group_id=group_id,
        enable_auto_commit=False, auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    await consumer.start()
    await producer.start()
    try:
        ends: dict[TopicPartition, int] | None = None
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=max_records)
            await handle(batches, producer)
            if batches:
                await consumer.commit()
            if settings.bounded:
                assigned = consumer.assignment()
                if ends is None and assigned:
                    ends = await consumer.end_offsets(list(assigned))
                if ends is not None and not batches and await reached(consumer, ends):
                    return
    finally:
        await consumer.stop()
        await producer.stop()
