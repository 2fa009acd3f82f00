"""The model may explain an incident's ranking, through the real OpenAI SDK against a local
server, and never change it: answers that blame another suspect first, or carry instructions
or markup, are refused and the summary keeps the core's ranking."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fixtures.rca_llm import IncidentLlmServer
from tests.fixtures.rca_spans import traces
from typer.testing import CliRunner

from slo_scout.cli.main import app
from slo_scout.core.llm.incident import IncidentExplanation, accept

HEADER = ("TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,"
          "Duration\n")
PODS = {"gateway": "ts-gateway-service-6f6cfc45b-h5m2n",
        "orders": "ts-order-service-5b67c48447-mv5hb",
        "payments": "ts-payment-service-7fc6f5476f-cr76x"}


def _hex(name: str, digits: int) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:digits]


def _csv(path: Path, prefix: str, n: int, slow_ms: int) -> Path:
    rows = [HEADER]
    for s in traces(n, prefix, slow_ms=slow_ms):
        start = 1_674_981_600_000_000_000 + s.start_ns
        end = 1_674_981_600_000_000_000 + s.end_ns
        parent = _hex(s.parent_id, 16) if s.parent_id else "root"
        rows.append(f"{_hex(s.trace_id, 32)},{_hex(s.span_id, 16)},{parent},{PODS[s.service]},"
                    f"{s.name},{start},{end},{(end - start) // 1000}\n")
    path.write_text("".join(rows))
    return path


@pytest.fixture
def server() -> Iterator[IncidentLlmServer]:
    running = IncidentLlmServer()
    try:
        yield running
    finally:
        running.close()


def _rca(tmp_path: Path, server: IncidentLlmServer, mode: str) -> dict:
    server.script.append(mode)
    base = _csv(tmp_path / "base.csv", "b", 40, 0)
    incident = _csv(tmp_path / "incident.csv", "i", 20, 300)
    env = {"SLO_SCOUT_LLM__PROVIDER": "openai", "SLO_SCOUT_LLM__MODEL": "test-model",
           "SLO_SCOUT_LLM__API_KEY": "sk-test-key-0123456789",
           "SLO_SCOUT_LLM__BASE_URL": server.url + "/v1", "SLO_SCOUT_LLM__TIMEOUT_SECONDS": "1",
           "SLO_SCOUT_LLM__MAX_RETRIES": "0", "SLO_SCOUT_LLM__CACHE_DIR": str(tmp_path / mode)}
    result = CliRunner().invoke(app, ["rca", "--traces", str(incident), "--baseline-traces",
                                      str(base), "--at", "1674981600"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_valid_explanation_is_added_and_the_ranking_is_the_core_s(
    tmp_path: Path, server: IncidentLlmServer
) -> None:
    summary = _rca(tmp_path, server, "valid")
    assert summary["suspects"][0]["service"] == "ts-payment-service"
    assert summary["explanation"].startswith("ts-payment-service is the likeliest cause")
    assert summary["model"]["calls"] == 1 and summary["model"]["rejected"] == []
    body = json.JSONDecoder().raw_decode(server.bodies[0])[0]
    prompt = json.dumps(body["messages"])
    assert "<incident>" in prompt and "sk-test-key" not in prompt


@pytest.mark.parametrize("mode", ["rerank", "hostile", "500"])
def test_an_answer_that_reranks_or_misbehaves_is_refused_and_changes_nothing(
    tmp_path: Path, server: IncidentLlmServer, mode: str
) -> None:
    summary = _rca(tmp_path, server, mode)
    assert summary["explanation"] is None
    assert summary["suspects"][0]["service"] == "ts-payment-service"
    if mode == "500":
        assert summary["model"]["fallback"].startswith("the model call failed")
    else:
        assert len(summary["model"]["rejected"]) == 1


def test_the_guard_holds_the_text_to_the_ranking() -> None:
    summary = {"suspects": [{"service": "payments"}, {"service": "orders"}]}
    ok = accept(summary, IncidentExplanation(explanation="payments throws; orders only relays."))
    assert ok == ("payments throws; orders only relays.", None)
    first_other = accept(summary, IncidentExplanation(explanation="orders, then payments."))
    assert first_other[0] is None and "before the top suspect" in str(first_other[1])
    unranked = accept(summary, IncidentExplanation(explanation="gateway fails, so payments."),
                      known=["gateway", "orders", "payments"])
    assert unranked[0] is None and "gateway before the top suspect" in str(unranked[1])
    missing = accept(summary, IncidentExplanation(explanation="The database is slow."))
    assert missing[0] is None and "does not name the top suspect" in str(missing[1])
