"""``slo-scout collect`` as the quick start runs it: the command line, its flags, a real broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from tests.collectors.test_otlp_http import PROTO, build_request, spans_in
from tests.fixtures.kafka import Broker, free_port


def test_collect_with_no_idempotence_produces_to_a_broker_without_init_producer_id(
    kafka_broker: Broker, tmp_path: Path
) -> None:
    spans = kafka_broker.topic("spans")
    http_port = free_port()
    # Only the flags: nothing in the environment switches idempotence off (tansu lacks
    # InitProducerId, which an idempotent producer needs).
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLO_SCOUT_COLLECTOR_")}
    env["SLO_SCOUT_COLLECTOR_TOPICS__SPANS"] = spans
    log = tmp_path / "collect.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "slo-scout"), "collect",
             "--kafka", kafka_broker.bootstrap, "--host", "127.0.0.1",
             "--http-port", str(http_port), "--grpc-port", "0", "--no-idempotence"],
            env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{http_port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        body = build_request(traces=3, spans_per_trace=4, seed=7).SerializeToString()
        resp = httpx.post(f"{url}/v1/traces", content=body, headers=PROTO, timeout=30)
        assert resp.status_code == 200, resp.text
        assert sorted(spans_in(kafka_broker, spans, 3).values()) == [4, 4, 4]
    finally:
        proc.terminate()
        proc.wait(10)
