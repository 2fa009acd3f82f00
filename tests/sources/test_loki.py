"""Loki as a source: a service's error lines paged through query_range, trace ids found, and
the lines mined into templates linked to the traces (and journeys) they were logged in."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures.backends import LokiServer, loki_server, tempo_server
from typer.testing import CliRunner

from slo_scout.cli.main import app
from slo_scout.core.simulate import Simulation, default_shop, encode
from slo_scout.sources import Endpoint, LogLine, Loki, Retry, SourceError, error_query

FAST = Retry(attempts=3, backoff_s=0.01)
T0 = 1_700_000_000 * 10**9


def lines_of(server: LokiServer, query: str, *, limit: int = 10_000, page: int = 1000,
             endpoint: Endpoint | None = None) -> list[LogLine]:
    async def run() -> list[LogLine]:
        async with Loki(endpoint or Endpoint(server.url), page=page, retry=FAST) as loki:
            return [line async for line in loki.lines(query, T0, T0 + 10**12, limit=limit)]

    return asyncio.run(run())


def test_pages_follow_each_other_and_lines_sharing_a_nanosecond_are_not_lost_or_repeated(
) -> None:
    values = [(T0 + i // 3, f"error: payment {i} failed trace_id={i:032x}") for i in range(250)]
    server = loki_server(streams=[({"service_name": "payment"}, values)])
    try:
        got = lines_of(server, error_query("payment"), page=50)
        assert len(got) == 250  # none repeated
        assert sorted(g.line for g in got) == sorted(v for _, v in values)  # none lost
        assert [g.ts_ns for g in got] == sorted(g.ts_ns for g in got)  # oldest first
        assert {g.trace_id for g in got} == {f"{i:032x}" for i in range(250)}
        assert {g.service for g in got} == {"payment"}
        assert len(server.requests_to("/loki/api/v1/query_range")) >= 5
        first = server.requests_to("/loki/api/v1/query_range")[0].params
        assert first["direction"] == "forward" and first["limit"] == "50"
    finally:
        server.close()


def test_only_error_lines_of_the_service_are_read_and_an_empty_window_is_empty() -> None:
    server = loki_server(streams=[
        ({"service_name": "payment"}, [(T0, "GET /pay 200 ok"), (T0 + 1, "Exception: boom")]),
        ({"service_name": "cart"}, [(T0 + 2, "error in cart")]),
    ])
    try:
        assert [g.line for g in lines_of(server, error_query("payment"))] == ["Exception: boom"]
        assert lines_of(server, error_query("nobody")) == []
    finally:
        server.close()


def test_a_tenant_is_required_429_is_retried_and_a_metric_query_is_refused() -> None:
    server = loki_server(tenant="ops", streams=[({"service_name": "a"}, [(T0, "error x")])])
    try:
        with pytest.raises(SourceError, match=r"loki at .*query_range: HTTP 401"):
            lines_of(server, error_query("a"))
        server.fail("/loki/api/v1/query_range", (429, "0"), (502, None))
        assert len(lines_of(server, error_query("a"),
                            endpoint=Endpoint(server.url, tenant="ops"))) == 1
    finally:
        server.close()


def test_a_trace_id_is_found_in_structured_metadata_labels_or_the_text() -> None:
    from slo_scout.sources.loki import trace_id_of

    assert trace_id_of({"traceID": "ABCDEF0123456789"}, "x") == "0" * 16 + "abcdef0123456789"
    assert trace_id_of({}, '{"level":"error","traceId":"0af7651916cd43dd8448eb211c80319c"}') \
        == "0af7651916cd43dd8448eb211c80319c"
    assert trace_id_of({}, "error: no trace here") is None


def test_analyze_mines_loki_error_lines_into_templates_linked_to_traces_and_journeys(
    tmp_path: Path,
) -> None:
    sim = Simulation(default_shop(), seed=3, traces=200)
    document: dict[str, Any] = json.loads(b"".join(encode(sim.batches(), sim.resources,
                                                          "otlp-json")))
    tempo = tempo_server()
    tempo.add_document(document)
    traces = sorted(tempo.traces.values(), key=lambda t: t.start_ns)
    payment = [t for t in traces if "payment" in t.services]
    lines = [(t.start_ns, f"ERROR charge failed for order {i} after 250ms trace_id={t.trace_id}")
             for i, t in enumerate(payment)]
    lines += [(t.start_ns + 1, "INFO charge ok") for t in payment]
    loki = loki_server(streams=[({"service_name": "payment"}, lines)])
    try:
        start = traces[0].start_ns // 10**9 - 1
        end = traces[-1].start_ns // 10**9 + 1
        out = tmp_path / "o"
        result = CliRunner().invoke(app, [
            "analyze", "--tempo", tempo.url, "--loki", loki.url, "--until", str(end),
            "--since", f"{end - start}s", "--out", str(out), "--no-artifacts", "--no-llm"])
        assert result.exit_code == 0, result.output
        mined = json.loads((out / "log-templates.json").read_text())
        assert mined["lines"] == len(payment) > 10
        (template,) = mined["templates"]
        assert template["service"] == "payment"
        assert template["template"] == ("ERROR charge failed for order <NUM> after <DURATION> "
                                        "trace_id=<HEX>")
        assert template["occurrences"] == template["trace_count"] == len(payment)
        journeys = json.loads((out / "journeys.json").read_text())["journeys"]
        linked = {j["id"] for j in journeys
                  if set(j["samples"]) & {t.trace_id for t in payment}}
        assert linked and set(template["journeys"]) == linked
        queried = {s.params["query"] for s in loki.requests_to("/loki/api/v1/query_range")}
        assert 'service_name="payment"' in " ".join(queried)
    finally:
        tempo.close()
        loki.close()
