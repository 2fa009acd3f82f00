"""Journey names from a model through the real OpenAI and Anthropic SDKs, against a local server
speaking each wire format: guarded, cached, falling back to the rules' names on any failure,
and never sent a secret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.api.otlp_payloads import otlp_json, trace_spans
from tests.fixtures.llm_server import HOSTILE_NAMES, LlmServer
from typer.testing import CliRunner

from slo_scout.cli.main import app
from slo_scout.core.llm.guards import journey_name
from slo_scout.core.llm.redact import redact


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shop") / "shop.otlp.json"
    result = CliRunner().invoke(app, ["simulate", "--out", str(path), "--traces", "800",
                                      "--seed", "4"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def server() -> Iterator[LlmServer]:
    running = LlmServer()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(params=["openai", "anthropic"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _analyze(traces: Path, out: Path, server: LlmServer, provider: str, cache: Path,
             *extra: str) -> dict[str, Any]:
    env = {"SLO_SCOUT_LLM__PROVIDER": provider, "SLO_SCOUT_LLM__MODEL": "test-model",
           "SLO_SCOUT_LLM__API_KEY": "sk-test-key-0123456789",
           "SLO_SCOUT_LLM__BASE_URL": server.url + ("/v1" if provider == "openai" else ""),
           "SLO_SCOUT_LLM__TIMEOUT_SECONDS": "1", "SLO_SCOUT_LLM__MAX_RETRIES": "1",
           "SLO_SCOUT_LLM__CACHE_DIR": str(cache)}
    result = CliRunner().invoke(app, ["analyze", str(traces), "--out", str(out),
                                      "--no-artifacts", *extra], env=env)
    assert result.exit_code == 0, result.output
    return json.loads((out / "journeys.json").read_text())  # type: ignore[no-any-return]


def test_names_pass_the_guards_and_an_unchanged_analysis_asks_again_for_nothing(
    shop: Path, server: LlmServer, provider: str, tmp_path: Path,
) -> None:
    first = _analyze(shop, tmp_path / "a", server, provider, tmp_path / "cache")
    journeys = first["journeys"]
    assert all(j["named_by"] == "model" for j in journeys)
    assert len({j["display_name"] for j in journeys}) == len(journeys)
    assert all(j["name"] != j["display_name"] for j in journeys)  # the rules' name stays
    assert (first["model"]["calls"], first["model"]["tokens"]) == (1, 350)
    again = _analyze(shop, tmp_path / "b", server, provider, tmp_path / "cache")
    assert (again["model"]["calls"], again["model"]["cache_hits"]) == (0, 1)
    assert [j["display_name"] for j in again["journeys"]] == [
        j["display_name"] for j in journeys]
    assert len(server.bodies) == 1


def test_every_hostile_answer_is_refused_and_the_rules_names_stay(
    shop: Path, server: LlmServer, provider: str, tmp_path: Path,
) -> None:
    server.script.extend(["hostile"])
    doc = _analyze(shop, tmp_path / "out", server, provider, tmp_path / "cache")
    shown = json.dumps(doc["journeys"])
    for hostile in [*HOSTILE_NAMES, "Pay the bill"]:
        assert hostile not in shown
    assert all(j["named_by"] == "rules" for j in doc["journeys"])
    rejected = doc["model"]["rejected"]
    assert len(rejected) == len(doc["journeys"]) + 1  # every name, and the invented id
    assert any("'invented-id' does not exist" in r for r in rejected)


@pytest.mark.parametrize(("script", "calls", "fallback"), [
    (["429"], 1, None),  # retried after Retry-After by the SDK, then answered
    (["500", "500"], 0, "the model call failed"),
    (["stall", "stall"], 0, "the model call failed"),
    (["malformed"], 0, "the model call failed"),
    (["schema"], 0, "the model call failed"),
])
def test_failures_fall_back_to_the_rules_and_say_so(
    shop: Path, server: LlmServer, provider: str, tmp_path: Path, script: list[str],
    calls: int, fallback: str | None,
) -> None:
    server.script.extend(script)
    doc = _analyze(shop, tmp_path / "out", server, provider, tmp_path / "cache")
    assert doc["model"]["calls"] == calls
    if fallback is None:
        assert doc["model"]["fallback"] is None
        assert all(j["named_by"] == "model" for j in doc["journeys"])
    else:
        assert doc["model"]["fallback"].startswith(fallback)
        assert all(j["named_by"] == "rules" for j in doc["journeys"])


SECRETS = ["alice@example.com", "hunter2", "ghp_abcdefghijklmnop1234", "10.1.2.3",
           "4111111111111111", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"]


def test_planted_secrets_never_reach_the_model(
    server: LlmServer, provider: str, tmp_path: Path,
) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    route = ("/users/alice@example.com/cards/4111111111111111?token=ghp_abcdefghijklmnop1234"
             "&jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")
    spans = [s for i in range(5) for s in trace_spans(i, start, route=route)]
    for span in spans:
        if span.get("parentSpanId"):
            span["name"] = "GET https://svc:hunter2@10.1.2.3:5432/orders"
    traces = tmp_path / "secrets.otlp.json"
    traces.write_bytes(otlp_json(spans))
    _analyze(traces, tmp_path / "out", server, provider, tmp_path / "cache")
    assert server.bodies, "the model was asked"
    sent = "\n".join(server.bodies)
    for secret in SECRETS:
        assert secret not in sent


def test_redaction_and_guards_on_their_own() -> None:
    assert redact("GET https://u:p@h/x?api_key=abc123 from 192.168.0.1") == (
        "GET https://<redacted>@h/x?api_key=<redacted> from <ip>")
    assert journey_name("  Browse a product ") == ("Browse a product", None)
    assert journey_name("Checkout\nnow")[1] == "more than one line"
    assert journey_name("sum(rate(x[5m]))")[1] is not None
    assert journey_name("12345")[1] == "empty"
