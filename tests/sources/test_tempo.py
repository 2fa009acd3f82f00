"""Tempo as a source: search pages, concurrent fetches, retries, partial failures, tenants, and
journeys equal to those of the same traces read from a file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures.backends import TempoServer, self_signed, tempo_server
from typer.testing import CliRunner

from slo_scout.cli.main import app
from slo_scout.core.simulate import Simulation, default_shop, encode
from slo_scout.sources import Endpoint, PullReport, Retry, SourceError, Tempo

FAST = Retry(attempts=3, backoff_s=0.01)


def shop_document(traces: int, seed: int = 7) -> dict[str, Any]:
    sim = Simulation(default_shop(), seed=seed, traces=traces)
    return json.loads(b"".join(encode(sim.batches(), sim.resources, "otlp-json")))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def shop() -> dict[str, Any]:
    return shop_document(600)


@pytest.fixture
def tempo(shop: dict[str, Any]) -> Iterator[TempoServer]:
    server = tempo_server()
    server.add_document(shop)
    yield server
    server.close()


def window_of(server: TempoServer) -> tuple[int, int]:
    starts = [t.start_ns for t in server.traces.values()]
    return min(starts) // 10**9 - 1, max(starts) // 10**9 + 1


def pull_all(endpoint: Endpoint, start: int, end: int, *, limit: int, query: str = "{}",
             **options: Any) -> tuple[list[tuple[str, bytes]], PullReport]:
    report = PullReport()

    async def run() -> list[tuple[str, bytes]]:
        async with Tempo(endpoint, retry=FAST, **options) as tempo:
            await tempo.ready()
            return [item async for item in tempo.pull(query, start, end, limit=limit,
                                                      report=report)]

    return asyncio.run(run()), report


def test_a_limit_larger_than_one_search_answer_is_reached_by_splitting_the_window(
    tempo: TempoServer,
) -> None:
    start, end = window_of(tempo)
    bodies, report = pull_all(Endpoint(tempo.url), start, end, limit=450, page=100)
    assert len(bodies) == report.fetched == report.found == 450
    assert len({name for name, _ in bodies}) == 450
    assert report.pages > 4  # split into pages of at most 100
    assert all(int(s.params["limit"]) == 100 for s in tempo.requests_to("/api/search"))
    assert report.problems() == []


def test_every_trace_of_the_window_is_pulled_when_the_limit_allows(tempo: TempoServer) -> None:
    start, end = window_of(tempo)
    _bodies, report = pull_all(Endpoint(tempo.url), start, end, limit=10_000, page=64)
    assert report.fetched == len(tempo.traces) == 600
    assert report.saturated == []


def test_an_empty_window_finds_nothing_and_says_so_without_error(tempo: TempoServer) -> None:
    bodies, report = pull_all(Endpoint(tempo.url), 1_000, 2_000, limit=100)
    assert bodies == [] and report.found == 0 and report.pages == 1


def test_a_traceql_query_is_sent_and_narrows_the_search(tempo: TempoServer) -> None:
    start, end = window_of(tempo)
    query = '{ resource.service.name = "payment" }'
    _bodies, report = pull_all(Endpoint(tempo.url), start, end, limit=10_000, query=query)
    paying = [t for t in tempo.traces.values() if "payment" in t.services]
    assert 0 < report.fetched == len(paying) < 600
    assert tempo.requests_to("/api/search")[0].params["q"] == query


def test_429_and_5xx_are_retried_after_retry_after(tempo: TempoServer) -> None:
    start, end = window_of(tempo)
    tempo.fail("/api/search", (429, "0"), (503, None))
    tempo.fail("/api/v2/traces/", (502, "0"))
    _bodies, report = pull_all(Endpoint(tempo.url), start, end, limit=20)
    assert report.fetched == 20 and report.problems() == []
    assert len(tempo.requests_to("/api/search")) == 3


def test_a_server_failing_past_the_attempts_is_an_error_naming_source_url_and_status(
    tempo: TempoServer,
) -> None:
    tempo.fail("/api/search", *[(500, "0")] * 5)
    with pytest.raises(SourceError) as caught:
        pull_all(Endpoint(tempo.url), 1, 2, limit=5)
    message = str(caught.value)
    assert message == (f"tempo at {tempo.url}/api/search: HTTP 500 after 3 attempts")
    assert caught.value.status == 500


def test_a_trace_that_disappears_between_search_and_fetch_is_reported_not_fatal(
    tempo: TempoServer,
) -> None:
    start, end = window_of(tempo)
    gone = sorted(tempo.traces)[:3]
    tempo.vanish_after_search.update(gone)
    _bodies, report = pull_all(Endpoint(tempo.url), start, end, limit=10_000)
    assert report.fetched == 597
    assert sorted(report.missing) == gone
    assert [p for p in report.problems() if "gone between search and fetch" in p]


def test_a_fetch_failing_past_its_retries_is_a_partial_failure(tempo: TempoServer) -> None:
    start, end = window_of(tempo)
    tempo.fail("/api/v2/traces/", *[(503, "0")] * 3)
    _bodies, report = pull_all(Endpoint(tempo.url), start, end, limit=10, concurrency=1)
    assert report.fetched == 9 and len(report.failed) == 1
    assert "HTTP 503 after 3 attempts" in report.failed[0]


def test_a_tempo_before_2_5_is_read_through_the_v1_api(shop: dict[str, Any]) -> None:
    server = tempo_server(api="v1")
    server.add_document(shop)
    try:
        start, end = window_of(server)
        bodies, report = pull_all(Endpoint(server.url), start, end, limit=50)
        assert report.fetched == 50 and report.problems() == []
        assert b'"batches"' in bodies[0][1]
        assert len(server.requests_to("/api/v2/traces/")) <= 3  # learnt, then v1 only
    finally:
        server.close()


def test_a_tenant_the_server_requires_is_sent_and_its_absence_named(
    shop: dict[str, Any],
) -> None:
    server = tempo_server(tenant="team-a", bearer="s3cret", prefix="/tempo")
    server.add_document(shop)
    try:
        start, end = window_of(server)
        with pytest.raises(SourceError) as caught:
            pull_all(Endpoint(server.url, bearer_token="s3cret"), start, end, limit=5)
        assert "HTTP 401" in str(caught.value) and "X-Scope-OrgID" in str(caught.value)
        _bodies, report = pull_all(Endpoint(server.url, tenant="team-a", bearer_token="s3cret"),
                                  start, end, limit=5)
        assert report.fetched == 5
        assert server.requests_to("/tempo/api/echo")
    finally:
        server.close()


def test_basic_auth_from_the_url_is_sent_and_never_shown(shop: dict[str, Any]) -> None:
    server = tempo_server(basic=("team", "pa55word"))
    server.add_document(shop)
    try:
        start, end = window_of(server)
        with_credentials = server.url.replace("http://", "http://team:pa55word@")
        bodies, report = pull_all(Endpoint(with_credentials), start, end, limit=3)
        assert report.fetched == 3
        assert all("pa55word" not in name for name, _ in bodies)
        wrong = server.url.replace("http://", "http://team:nope@")
        with pytest.raises(SourceError) as caught:
            pull_all(Endpoint(wrong), start, end, limit=3)
        assert "nope" not in str(caught.value) and "***@" in str(caught.value)
    finally:
        server.close()


def journeys_of(out: Path) -> dict[str, Any]:
    document = json.loads((out / "journeys.json").read_text())
    return {"journeys": sorted(document["journeys"], key=lambda j: j["id"]),
            "fragments": document["fragments"]}


def test_journeys_pulled_from_tempo_equal_those_read_from_the_file(
    runner: CliRunner, tmp_path: Path, shop: dict[str, Any], tempo: TempoServer,
) -> None:
    traces = tmp_path / "shop.json"
    traces.write_text(json.dumps(shop))
    from_file = runner.invoke(app, ["analyze", str(traces), "--out", str(tmp_path / "file"),
                                    "--no-artifacts", "--no-llm"])
    assert from_file.exit_code == 0, from_file.output
    start, end = window_of(tempo)
    pulled = runner.invoke(app, [
        "analyze", "--tempo", tempo.url, "--since", f"{end - start}s",
        "--until", f"{end}", "--limit", "5000", "--out", str(tmp_path / "tempo"),
        "--no-artifacts", "--no-llm",
    ])
    assert pulled.exit_code == 0, pulled.output
    assert "tempo: 600 traces found" in pulled.output
    assert journeys_of(tmp_path / "tempo") == journeys_of(tmp_path / "file")
    assert len(journeys_of(tmp_path / "file")["journeys"]) >= 5


def test_analyze_names_the_source_url_and_status_when_the_tenant_is_missing(
    runner: CliRunner, tmp_path: Path, shop: dict[str, Any],
) -> None:
    server = tempo_server(tenant="team-a")
    server.add_document(shop)
    try:
        args = ["analyze", "--tempo", server.url, "--until", "1700000100", "--since", "10m",
                "--out", str(tmp_path / "o"), "--no-artifacts", "--no-llm"]
        refused = runner.invoke(app, args)
        assert refused.exit_code == 1
        assert f"tempo at {server.url}/api/echo: HTTP 401" in refused.output
        assert "Traceback" not in refused.output
        server.vanish_after_search.update(sorted(server.traces)[:2])
        done = runner.invoke(app, [*args, "--tenant", "team-a"])
        assert done.exit_code == 0, done.output
        assert "tempo: 600 traces found in" in done.output
        assert "2 problems (listed in report.html)" in done.output
        assert "gone between search and fetch" in (tmp_path / "o" / "report.html").read_text()
    finally:
        server.close()


def test_a_tempo_behind_tls_with_a_private_ca_is_trusted_only_through_ca_file(
    runner: CliRunner, tmp_path: Path, shop: dict[str, Any],
) -> None:
    cert, key = self_signed(tmp_path)
    server = tempo_server(tls=(cert, key))
    server.add_document(shop)
    try:
        start, end = window_of(server)
        with pytest.raises(SourceError, match="TLS certificate is not trusted"):
            pull_all(Endpoint(server.url), start, end, limit=3)
        _bodies, report = pull_all(Endpoint(server.url, ca_file=cert), start, end, limit=3)
        assert report.fetched == 3
        _bodies, report = pull_all(Endpoint(server.url, verify=False), start, end, limit=3)
        assert report.fetched == 3
        args = ["analyze", "--tempo", server.url, "--until", str(end), "--since",
                f"{end - start}s", "--out", str(tmp_path / "o"), "--no-artifacts", "--no-llm"]
        assert runner.invoke(app, args).exit_code == 1
        done = runner.invoke(app, [*args, "--ca-file", cert])
        assert done.exit_code == 0, done.output
    finally:
        server.close()
