"""Every probe in the rendered manifests is served by the process it probes: each runtime is
started with the environment, command and arguments its pod gets (the database swapped for a
SQLite file, the broker for a local tansu, the port for a free one) and asked for the paths."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.fixtures.kafka import Broker, free_port, kafka_broker  # noqa: F401
from tests.infrastructure.chart import of_kind, one, pod_spec

PROBES = ("startupProbe", "livenessProbe", "readinessProbe")


def _container(suffix: str) -> dict[str, Any]:
    return pod_spec(one("default", "Deployment", suffix))["containers"][0]  # type: ignore[index]


def _http_probes(container: dict[str, Any]) -> list[tuple[str, int]]:
    """(path, container port) of each HTTP probe, with named ports resolved."""
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    found = []
    for probe in PROBES:
        get = container[probe]["httpGet"]
        port = get["port"]
        found.append((get["path"], ports[port] if isinstance(port, str) else port))
    return found


def _plain_env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container["env"] if "value" in e}


def _wait_ok(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode} before serving {url}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never answered 200")


def _cli() -> str:
    cli = shutil.which("slo-scout", path=str(Path(sys.executable).parent))
    assert cli is not None, "the slo-scout console script is not installed in this environment"
    return cli


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _migrate(env: dict[str, str]) -> None:
    """The migration hook Job's own command creates the schema, as it does before the pods
    start; the control plane image's entrypoint is `slo-scout`, so its pods give only arguments."""
    job = pod_spec(one("default", "Job", "-migrations"))["containers"][0]  # type: ignore[index]
    subprocess.run([_cli(), *job["args"]], env=env, check=True, timeout=120)


def _swap_option(args: list[str], option: str, value: str) -> list[str]:
    """The pod's arguments with one option's value replaced (a free port, a local address)."""
    assert option in args, f"{option} missing from {args}"
    at = args.index(option) + 1
    return [*args[:at], value, *args[at + 1:]]


@pytest.fixture
def api_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, dict[str, Any]]]:
    container = _container("-api")
    env = {**os.environ, **_plain_env(container)}
    # The pod's probes name the port the server listens on: the one SLO_SCOUT_PORT sets.
    assert {port for _, port in _http_probes(container)} == {int(env["SLO_SCOUT_PORT"])}
    port = free_port()
    env.update(SLO_SCOUT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'slo.db'}",
               SLO_SCOUT_DATA_DIR=str(tmp_path), SLO_SCOUT_HOST="127.0.0.1",
               SLO_SCOUT_PORT=str(port))
    _migrate(env)
    proc = subprocess.Popen([_cli(), *container["args"]], env=env)
    try:
        _wait_ok(f"http://127.0.0.1:{port}/healthz", proc)
        yield proc, port, container
    finally:
        _stop(proc)


def test_the_api_serves_its_probe_paths_and_metrics(api_process) -> None:  # type: ignore[no-untyped-def]
    _, port, container = api_process
    for path, _ in _http_probes(container):
        response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert metrics.status_code == 200 and "slo_scout_http_requests_total" in metrics.text


def test_the_worker_serves_its_probe_paths_and_metrics(tmp_path: Path) -> None:
    container = _container("-worker")
    args = container["args"]
    assert args[0] == "worker"
    # The probes name the port the worker's --metrics-port opens, on every address.
    assert {port for _, port in _http_probes(container)} == {
        int(args[args.index("--metrics-port") + 1])}
    assert args[args.index("--metrics-host") + 1] == "0.0.0.0"
    env = {**os.environ, **_plain_env(container)}
    env.update(SLO_SCOUT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'slo.db'}",
               SLO_SCOUT_DATA_DIR=str(tmp_path))
    _migrate(env)
    port = free_port()
    args = _swap_option(_swap_option(args, "--metrics-port", str(port)),
                        "--metrics-host", "127.0.0.1")
    proc = subprocess.Popen([_cli(), *args], env=env)
    try:
        _wait_ok(f"http://127.0.0.1:{port}/healthz", proc)
        # Readiness follows the first pass of the job loop against the migrated database.
        _wait_ok(f"http://127.0.0.1:{port}/readyz", proc)
        for path, _ in _http_probes(container):
            response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
            assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert metrics.status_code == 200
        assert "slo_scout_worker_jobs_claimed_total" in metrics.text
        assert 'slo_scout_worker_jobs_finished_total{outcome="lease_lost"}' in metrics.text
    finally:
        _stop(proc)
    assert proc.returncode == 0, "SIGTERM lets the worker finish and exit cleanly"


def test_every_service_monitor_reaches_a_container_port_of_the_pods_it_scrapes() -> None:
    services = {s.doc["metadata"]["labels"]["app.kubernetes.io/component"]: s
                for s in of_kind("default", "Service")}
    for monitor in of_kind("default", "ServiceMonitor"):
        component = monitor.doc["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
        service = services[component]
        assert monitor.doc["spec"]["selector"]["matchLabels"].items() <= \
            service.doc["metadata"]["labels"].items(), monitor.ref
        workloads = [m for m in of_kind("default", "Deployment", "StatefulSet")
                     if m.doc["spec"]["selector"]["matchLabels"] == service.doc["spec"]["selector"]]
        assert len(workloads) == 1, f"{service.ref} selects {workloads}"
        container_ports = {p["name"] for c in pod_spec(workloads[0])["containers"]  # type: ignore[index]
                           for p in c.get("ports", [])}
        by_name = {p["name"]: p for p in service.doc["spec"]["ports"]}
        for endpoint in monitor.doc["spec"]["endpoints"]:
            port = by_name[endpoint["port"]]
            assert port["targetPort"] in container_ports, f"{monitor.ref}: {port}"


def test_the_collector_serves_its_probe_paths_and_metrics(kafka_broker: Broker) -> None:  # noqa: F811
    container = _container("-collector")
    env = {**os.environ, **_plain_env(container)}
    assert {port for _, port in _http_probes(container)} == {
        int(env["SLO_SCOUT_COLLECTOR_HTTP_PORT"])}
    grpc_port = {p["name"]: p["containerPort"] for p in container["ports"]}["otlp-grpc"]
    assert grpc_port == int(env["SLO_SCOUT_COLLECTOR_GRPC_PORT"])
    http_port = free_port()
    env.update(SLO_SCOUT_COLLECTOR_BOOTSTRAP_SERVERS=kafka_broker.bootstrap,
               SLO_SCOUT_COLLECTOR_HOST="127.0.0.1",
               SLO_SCOUT_COLLECTOR_HTTP_PORT=str(http_port),
               SLO_SCOUT_COLLECTOR_GRPC_PORT=str(free_port()),
               # tansu has no InitProducerId; a real Kafka keeps the idempotent default.
               SLO_SCOUT_COLLECTOR_IDEMPOTENT="false")
    kafka_broker.create_topics(*(v for k, v in env.items()
                                 if k.startswith("SLO_SCOUT_COLLECTOR_TOPICS__")), partitions=1)
    assert container["command"][0] == "slo-scout", container["command"]
    proc = subprocess.Popen([_cli(), *container["command"][1:]], env=env)
    try:
        _wait_ok(f"http://127.0.0.1:{http_port}/healthz", proc)
        for path, _ in _http_probes(container):
            assert httpx.get(f"http://127.0.0.1:{http_port}{path}", timeout=5).status_code == 200
        metrics = httpx.get(f"http://127.0.0.1:{http_port}/metrics", timeout=5)
        assert metrics.status_code == 200 and "slo_scout_collector_accepted_items" in metrics.text
    finally:
        _stop(proc)
