"""Collector ingest: OTLP/HTTP protobuf requests of 1,000 spans into Kafka (tansu), in spans/s,
beside the decode-only ceiling (the core decoder on the same bodies) measured in the same run.

Not measured here yet: the Flink journey job's spans/s per core (see docs/streaming.md).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SPANS_PER_REQUEST = 1000
REQUESTS = 200
CONCURRENCY = 8


def _bodies(count: int) -> list[bytes]:
    sys.path.insert(0, str(ROOT))
    from tests.collectors.test_otlp_http import build_request

    return [build_request(traces=50, spans_per_trace=20, seed=i).SerializeToString()
            for i in range(count)]


def decode_ceiling(bodies: list[bytes]) -> float:
    from slo_scout.core.telemetry import decode_bytes

    began = time.perf_counter()
    spans = sum(len(decode_bytes(b, source="bench", fmt="otlp-proto")) for b in bodies)
    return spans / (time.perf_counter() - began)


async def _post_all(url: str, bodies: list[bytes]) -> float:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            while True:
                r = await client.post(url, content=body,
                                      headers={"content-type": "application/x-protobuf"})
                if r.status_code == 200:
                    break
                if r.status_code not in (429, 503):
                    raise RuntimeError(f"collector answered {r.status_code}: {r.text[:200]}")
                await asyncio.sleep(0.05)

    async with httpx.AsyncClient(timeout=60) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        return len(bodies) * SPANS_PER_REQUEST / (time.perf_counter() - began)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.collectors.conftest import start_collector, stop_collector
    from tests.fixtures.kafka import Broker, free_port

    bodies = _bodies(REQUESTS)
    ceiling = decode_ceiling(bodies)
    broker = Broker(free_port(), "memory://tansu/")
    broker.start()
    try:
        collector = start_collector(broker)
        try:
            asyncio.run(_post_all(f"{collector.url}/v1/traces", bodies[:10]))  # warm-up
            ingest = asyncio.run(_post_all(f"{collector.url}/v1/traces", bodies))
        finally:
            stop_collector(collector)
    finally:
        broker.stop()
    print(f"collector OTLP/HTTP protobuf -> Kafka: {ingest:,.0f} spans/s "
          f"({REQUESTS} requests x {SPANS_PER_REQUEST} spans, {CONCURRENCY} clients)")
    print(f"decode-only ceiling (core decoder, same bodies): {ceiling:,.0f} spans/s "
          f"(ingest is {ingest / ceiling:.0%} of it)")


if __name__ == "__main__":
    main()
