"""A real Prometheus (Debian's package) scrapes itself and remote_writes (1.0) to the collector;
its series arrive on the metrics topic as ``prometheus.WriteRequest`` records."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import cramjam
import httpx
import pytest
from slo_scout_collectors.remote_write import WriteRequest
from tests.collectors.conftest import Collector
from tests.collectors.topics import read_topic
from tests.fixtures.kafka import Broker, free_port

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


@pytest.fixture
def prometheus(collector: Collector, tmp_path: Path) -> Iterator[Path]:
    if not Path(PROMETHEUS).exists():
        pytest.skip("prometheus not installed (Debian package 'prometheus')")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:{port}"]
remote_write:
  - url: http://127.0.0.1:{collector.http_port}/api/v1/write
    queue_config:
      batch_send_deadline: 1s
""")
    log = tmp_path / "prometheus.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
             f"--storage.tsdb.path={tmp_path / 'data'}"], stdout=out, stderr=out)
    yield log
    proc.terminate()
    proc.wait(20)


def test_prometheus_remote_write_series_arrive_on_the_metrics_topic(
    kafka_broker: Broker, collector: Collector, prometheus: Path
) -> None:
    names: set[str] = set()
    deadline = time.monotonic() + 60
    while "up" not in names and time.monotonic() < deadline:
        for record in read_topic(kafka_broker.bootstrap, collector.metrics_topic, 1000,
                                 timeout=3):
            assert dict(record.headers)["format"] == b"prometheus.remote_write.v1"
            request = WriteRequest.FromString(record.value)
            for series in request.timeseries:
                labels = {label.name: label.value for label in series.labels}
                assert labels["job"] == "prometheus"
                names.add(labels["__name__"])
                assert all(s.timestamp > 0 for s in series.samples)
    assert {"up", "prometheus_build_info"} <= names, prometheus.read_text()[-3000:]
    metrics = httpx.get(f"{collector.url}/metrics").text
    assert 'protocol="remote_write",signal="metrics"' in metrics


def test_a_remote_write_body_that_is_not_snappy_is_a_400(collector: Collector) -> None:
    resp = httpx.post(f"{collector.url}/api/v1/write", content=b"plain bytes",
                      headers={"content-type": "application/x-protobuf",
                               "content-encoding": "snappy",
                               "x-prometheus-remote-write-version": "0.1.0"})
    assert resp.status_code == 400
    assert "snappy" in resp.text


def test_a_remote_write_series_without_a_name_is_a_400(collector: Collector) -> None:
    request = WriteRequest()
    series = request.timeseries.add()
    series.labels.add(name="job", value="x")
    series.samples.add(value=1.0, timestamp=1_700_000_000_000)
    body = bytes(cramjam.snappy.compress_raw(request.SerializeToString()))
    resp = httpx.post(f"{collector.url}/api/v1/write", content=body,
                      headers={"content-type": "application/x-protobuf",
                               "content-encoding": "snappy",
                               "x-prometheus-remote-write-version": "0.1.0"})
    assert resp.status_code == 400
    assert "__name__" in resp.text


def test_a_remote_write_body_that_would_inflate_past_the_limit_is_a_413(
    collector: Collector,
) -> None:
    # A real snappy bomb: 1 MiB on the wire that inflates past the 20 MiB limit, refused from
    # its length preamble before anything is inflated.
    body = bytes(cramjam.snappy.compress_raw(b"\0" * (21 * 1024 * 1024)))
    resp = httpx.post(f"{collector.url}/api/v1/write", content=body,
                      headers={"content-type": "application/x-protobuf",
                               "content-encoding": "snappy",
                               "x-prometheus-remote-write-version": "0.1.0"})
    assert resp.status_code == 413
    assert "limit" in resp.text


def test_a_remote_write_body_of_garbage_is_a_400_not_a_413(collector: Collector) -> None:
    # Random bytes whose first ones read as a preamble announcing a gigabyte: corrupt, not large
    # (a 413 tells a sender to split and resend what can never decode).
    resp = httpx.post(f"{collector.url}/api/v1/write", content=b"\xff\xff\xff\xff\x03" + b"x" * 64,
                      headers={"content-type": "application/x-protobuf",
                               "content-encoding": "snappy",
                               "x-prometheus-remote-write-version": "0.1.0"})
    assert resp.status_code == 400
    assert "not snappy block data" in resp.text
