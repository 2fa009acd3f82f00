"""Kafka helpers the consumer jobs share: dead letters and the end of a bounded run."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition


async def dead_letter(producer: AIOKafkaProducer, topic: str, signal: str,
                      value: bytes | None, exc: Exception) -> None:
    """The record as it came, tagged with the signal, the error class and the reason."""
    headers = [("signal", signal.encode()), ("error", type(exc).__name__.encode()),
               ("reason", str(exc).encode()[:4096])]
    await producer.send_and_wait(topic, value or b"", headers=headers)


async def reached(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    """Whether every partition was read up to the offsets it had when the run began."""
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True
