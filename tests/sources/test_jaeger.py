"""Jaeger as a source: services checked, window paged, Jaeger's own errors reported, and
journeys equal to those of the same traces read from a file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures.backends import JaegerServer, jaeger_server, jaeger_trace, otlp_traces
from typer.testing import CliRunner

from slo_scout.cli.main import app
from slo_scout.core.simulate import Simulation, default_shop, encode
from slo_scout.sources import Endpoint, Jaeger, PullReport, Retry, SourceError

FAST = Retry(attempts=3, backoff_s=0.01)
DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "jaeger"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def shop_traces() -> list[dict[str, Any]]:
    sim = Simulation(default_shop(), seed=11, traces=400)
    document = json.loads(b"".join(encode(sim.batches(), sim.resources, "otlp-json")))
    return [jaeger_trace(tid, parts) for tid, parts in sorted(otlp_traces(document).items())]


@pytest.fixture
def jaeger(shop_traces: list[dict[str, Any]]) -> Iterator[JaegerServer]:
    server = jaeger_server()
    for trace in shop_traces:
        server.add(trace)
    yield server
    server.close()


def window_of(server: JaegerServer) -> tuple[int, int]:
    starts = [min(s["startTime"] for s in t["spans"]) for t in server.traces.values()]
    return min(starts) // 10**6 - 1, max(starts) // 10**6 + 1


def pull_all(endpoint: Endpoint, service: str, start: int, end: int, *, limit: int,
             page: int = 200, operation: str | None = None
             ) -> tuple[list[tuple[str, bytes]], PullReport]:
    report = PullReport()

    async def run() -> list[tuple[str, bytes]]:
        async with Jaeger(endpoint, retry=FAST, page=page) as jaeger:
            return [item async for item in jaeger.pull(service, start, end, limit=limit,
                                                       operation=operation, report=report)]

    return asyncio.run(run()), report


def test_every_trace_of_a_window_larger_than_a_page_is_pulled_once(jaeger: JaegerServer) -> None:
    start, end = window_of(jaeger)
    bodies, report = pull_all(Endpoint(jaeger.url), "frontend-proxy", start, end, limit=10_000,
                              page=50)
    assert report.fetched == len(bodies) == 400
    assert len({name for name, _ in bodies}) == 400
    assert report.pages > 8 and report.problems() == []
    first = jaeger.requests_to("/api/traces")[0].params
    assert int(first["start"]) == start * 10**6 and int(first["limit"]) == 50


def test_an_unknown_service_is_an_error_listing_the_known_ones(jaeger: JaegerServer) -> None:
    with pytest.raises(SourceError) as caught:
        pull_all(Endpoint(jaeger.url), "nope", 0, 10, limit=5)
    assert "service 'nope' is not known (known: " in str(caught.value)
    assert "frontend-proxy" in str(caught.value)


def test_an_empty_window_pulls_nothing(jaeger: JaegerServer) -> None:
    bodies, report = pull_all(Endpoint(jaeger.url), "frontend-proxy", 10, 20, limit=5)
    assert bodies == [] and report.found == 0


def test_errors_jaeger_lists_beside_the_data_are_partial_failures(jaeger: JaegerServer) -> None:
    start, end = window_of(jaeger)
    broken = sorted(jaeger.traces)[0]
    jaeger.broken.add(broken)
    _bodies, report = pull_all(Endpoint(jaeger.url), "frontend-proxy", start, end, limit=10_000)
    assert report.fetched == 399
    assert any(broken in line for line in report.problems())


def test_429_is_retried_and_a_tenant_is_sent(shop_traces: list[dict[str, Any]]) -> None:
    server = jaeger_server(tenant="ops")
    for trace in shop_traces[:30]:
        server.add(trace)
    try:
        server.fail("/api/traces", (429, "0"))
        start, end = window_of(server)
        _bodies, report = pull_all(Endpoint(server.url, tenant="ops"), "frontend-proxy", start,
                                  end, limit=100)
        assert report.fetched == 30
        assert all(s.headers["X-Scope-OrgID"] == "ops" for s in server.seen)
    finally:
        server.close()


def journeys_of(out: Path) -> dict[str, Any]:
    document = json.loads((out / "journeys.json").read_text())
    return {"journeys": sorted(document["journeys"], key=lambda j: j["id"]),
            "fragments": document["fragments"]}


def test_journeys_pulled_from_jaeger_equal_those_read_from_the_file(
    runner: CliRunner, tmp_path: Path, jaeger: JaegerServer,
) -> None:
    exported = tmp_path / "jaeger.json"
    exported.write_text(json.dumps({"data": list(jaeger.traces.values())}))
    from_file = runner.invoke(app, ["analyze", str(exported), "--out", str(tmp_path / "file"),
                                    "--no-artifacts", "--no-llm"])
    assert from_file.exit_code == 0, from_file.output
    start, end = window_of(jaeger)
    pulled = runner.invoke(app, [
        "analyze", "--jaeger", jaeger.url, "--service", "frontend-proxy",
        "--since", f"{end - start}s", "--until", str(end), "--limit", "5000",
        "--out", str(tmp_path / "jaeger"), "--no-artifacts", "--no-llm",
    ])
    assert pulled.exit_code == 0, pulled.output
    assert "jaeger: 400 traces found" in pulled.output
    assert journeys_of(tmp_path / "jaeger") == journeys_of(tmp_path / "file")
    assert len(journeys_of(tmp_path / "file")["journeys"]) >= 5


@pytest.mark.skipif(not DATASETS.is_dir(), reason="../shared/datasets is absent (a plain clone)")
def test_the_jaeger_ui_fixture_trace_pulled_gives_the_journey_read_from_its_file(
    runner: CliRunner, tmp_path: Path,
) -> None:
    trace = json.loads((DATASETS / "trace-graph-trace.json").read_text())
    server = jaeger_server()
    server.add(trace)
    try:
        from_file = runner.invoke(app, ["analyze", str(DATASETS / "trace-graph-trace.json"),
                                        "--out", str(tmp_path / "f"), "--no-artifacts",
                                        "--no-llm"])
        assert from_file.exit_code == 0, from_file.output
        service = server.answer("/api/services", {})[1]["data"][0]
        start = min(s["startTime"] for s in trace["spans"]) // 10**6
        pulled = runner.invoke(app, ["analyze", "--jaeger", server.url, "--service", service,
                                     "--until", str(start + 60), "--since", "2m",
                                     "--out", str(tmp_path / "j"), "--no-artifacts",
                                     "--no-llm"])
        assert pulled.exit_code == 0, pulled.output
        assert journeys_of(tmp_path / "j") == journeys_of(tmp_path / "f")
    finally:
        server.close()
