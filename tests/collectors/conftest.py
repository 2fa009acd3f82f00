from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from tests.fixtures.kafka import Broker, free_port, kafka_broker  # noqa: F401


@dataclass
class Collector:
    http_port: int
    grpc_port: int
    spans_topic: str
    metrics_topic: str
    logs_topic: str
    dead_letter_topic: str
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


def start_collector(broker: Broker, *, spans_partitions: int = 4,
                    **overrides: str) -> Collector:
    topics = {
        "spans": broker.topic("spans", partitions=spans_partitions),
        "metrics": broker.topic("metrics", partitions=1),
        "logs": broker.topic("logs", partitions=1),
        "dead_letter": broker.topic("dlq", partitions=1),
    }
    http_port, grpc_port = free_port(), free_port()
    env = {
        **os.environ,
        "SLO_SCOUT_COLLECTOR_BOOTSTRAP_SERVERS": broker.bootstrap,
        "SLO_SCOUT_COLLECTOR_HOST": "127.0.0.1",
        # tansu does not implement InitProducerId (see CollectorSettings.idempotent).
        "SLO_SCOUT_COLLECTOR_IDEMPOTENT": "false",
        "SLO_SCOUT_COLLECTOR_HTTP_PORT": str(http_port),
        "SLO_SCOUT_COLLECTOR_GRPC_PORT": str(grpc_port),
        **{f"SLO_SCOUT_COLLECTOR_TOPICS__{k.upper()}": v for k, v in topics.items()},
        **{f"SLO_SCOUT_COLLECTOR_{k.upper()}": v for k, v in overrides.items()},
    }
    proc = subprocess.Popen([sys.executable, "-m", "slo_scout_collectors"], env=env)
    collector = Collector(http_port, grpc_port, topics["spans"], topics["metrics"],
                          topics["logs"], topics["dead_letter"], proc)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"collector exited with {proc.returncode}")
        try:
            if httpx.get(f"{collector.url}/healthz", timeout=0.5).status_code == 200:
                return collector
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("collector did not start")


def stop_collector(collector: Collector) -> None:
    collector.proc.terminate()
    try:
        collector.proc.wait(10)
    except subprocess.TimeoutExpired:
        collector.proc.kill()
        collector.proc.wait()


@pytest.fixture(scope="module")
def collector(kafka_broker: Broker) -> Iterator[Collector]:  # noqa: F811
    c = start_collector(kafka_broker)
    yield c
    stop_collector(c)
