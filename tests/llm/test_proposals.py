"""Rationales and provisional picks from a model through the real OpenAI and Anthropic SDKs,
against a local server speaking each wire format: guarded (numbers only from the evidence,
targets only among the options), cached, and falling back to the rules on any failure."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.fixtures.llm_server import HOSTILE_RATIONALES, LlmServer
from typer.testing import CliRunner

from slo_scout.cli.main import app
from slo_scout.core.llm import proposals
from slo_scout.core.llm.guards import cites_only, rationale
from slo_scout.core.recommend import Strategy, recommend_availability_counts
from slo_scout.core.recommend.model import DraftSource, WindowCounts
from slo_scout.core.recommend.similar import ApprovedObjective, SimilarJourney
from slo_scout.core.slis import SliKind

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


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


def _analyze(traces: Path, out: Path, server: LlmServer, provider: str, cache: Path
             ) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    env = {"SLO_SCOUT_LLM__PROVIDER": provider, "SLO_SCOUT_LLM__MODEL": "test-model",
           "SLO_SCOUT_LLM__API_KEY": "sk-test-key-0123456789",
           "SLO_SCOUT_LLM__BASE_URL": server.url + ("/v1" if provider == "openai" else ""),
           "SLO_SCOUT_LLM__TIMEOUT_SECONDS": "1", "SLO_SCOUT_LLM__MAX_RETRIES": "1",
           "SLO_SCOUT_LLM__CACHE_DIR": str(cache)}
    result = CliRunner().invoke(app, ["analyze", str(traces), "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    model = json.loads((out / "journeys.json").read_text())["model"]
    recs = yaml.safe_load((out / "recommendations.yaml").read_text())["recommendations"]
    return model, recs, result.output


def _everything(out: Path) -> str:
    """Every output but the log of refused answers (journeys.json: model.rejected)."""
    journeys = json.loads((out / "journeys.json").read_text())["journeys"]
    return json.dumps(journeys) + "\n".join(
        p.read_text() for p in sorted(out.rglob("*")) if p.is_file() and p.name != "journeys.json")


def test_the_model_explains_and_picks_drafts_and_an_unchanged_analysis_asks_nothing(
    shop: Path, server: LlmServer, provider: str, tmp_path: Path,
) -> None:
    model, recs, output = _analyze(shop, tmp_path / "a", server, provider, tmp_path / "cache")
    assert (model["calls"], model["tokens"], model["rejected"]) == (2, 700, [])
    assert model["explained"] == len(recs) == 14
    assert all(r["rationale_by"] == "model" for r in recs)
    drafts = [r for r in recs if r["provisional"] is not None]
    assert drafts and model["drafted"] == len(drafts)
    for rec in drafts:
        assert rec["provisional"]["source"] == "model"
        assert rec["objective"] in rec["provisional"]["allowed_objectives"]
        assert rec["rationale"].startswith("Provisional, for review: ")
        if rec["sli"] == "latency":
            assert rec["threshold_seconds"] == rec["provisional"]["allowed_thresholds_seconds"][-1]
    assert "rationales: 14, provisional picks: " in output
    again, recs_again, _ = _analyze(shop, tmp_path / "b", server, provider, tmp_path / "cache")
    assert (again["calls"], again["cache_hits"]) == (0, 2)
    assert recs_again == recs
    assert len(server.bodies) == 2


def test_every_hostile_proposal_is_refused_and_the_rules_stay(
    shop: Path, server: LlmServer, provider: str, tmp_path: Path,
) -> None:
    server.script.extend(["valid", "hostile"])  # names, then proposals
    model, recs, _ = _analyze(shop, tmp_path / "out", server, provider, tmp_path / "cache")
    written = _everything(tmp_path / "out")
    for hostile in [*HOSTILE_RATIONALES, "12,345", "99.999", "0.123", "evil.example",
                    "A fine journey"]:
        assert hostile not in written
    assert all(r["rationale_by"] == "rules" for r in recs)
    assert all(r["provisional"] is None or r["provisional"]["source"] != "model" for r in recs)
    assert len(model["rejected"]) == len(recs) + 1  # every answer, and the invented id
    assert model["explained"] == model["drafted"] == 0
    assert any("'invented-id' ('availability') does not exist" in r for r in model["rejected"])
    assert any("a number not in the evidence" in r for r in model["rejected"])


@pytest.mark.parametrize(("script", "calls", "fallback"), [
    (["valid", "429"], 2, None),  # retried after Retry-After by the SDK, then answered
    (["valid", "500", "500"], 1, "the model call failed"),
    (["valid", "stall", "stall"], 1, "the model call failed"),
    (["valid", "malformed"], 1, "the model call failed"),
    (["valid", "schema"], 1, "the model call failed"),
])
def test_a_failed_proposal_call_falls_back_to_the_rules_and_says_so(
    shop: Path, server: LlmServer, provider: str, tmp_path: Path, script: list[str],
    calls: int, fallback: str | None,
) -> None:
    server.script.extend(script)
    model, recs, _ = _analyze(shop, tmp_path / "out", server, provider, tmp_path / "cache")
    assert model["calls"] == calls
    if fallback is None:
        assert model["fallback"] is None
        assert all(r["rationale_by"] == "model" for r in recs)
    else:
        assert model["fallback"].startswith(fallback)
        assert all(r["rationale_by"] == "rules" for r in recs)
        assert all(r["provisional"] is None or r["provisional"]["source"] != "model"
                   for r in recs)


def test_trainticket_drafts_picked_by_the_model_are_marked_and_promtool_accepts_them(
    server: LlmServer, tmp_path: Path,
) -> None:
    csv = DATASETS / "trainticket" / "2023-01-29_trace.csv"
    if not csv.exists():
        pytest.skip(f"shared datasets not present at {DATASETS}")
    model, recs, _ = _analyze(csv, tmp_path / "out", server, "openai", tmp_path / "cache")
    drafted = [r for r in recs if r["objective"] is not None]
    assert drafted and all(r["provisional"]["source"] == "model" for r in drafted)
    assert model["drafted"] == len(drafted)
    for path in sorted((tmp_path / "out" / "rules").glob("*.yaml")):
        assert "slo_scout_provisional: model" in path.read_text()
        checked = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True,
                                 text=True, check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_rationale_guard_reads_numbers_as_people_write_them() -> None:
    evidence = [1583, 99.5, 0.99876, 43.2, 30]
    assert cites_only("1,583 requests, 99.50% and 99.876% over 30 days", evidence) is None
    assert cites_only("a budget of 43.2 minutes, ratio 0.995", evidence) is None
    assert cites_only("1,584 requests", evidence) == "1584"
    assert cites_only("99.95% would be safe", evidence) == "99.95"
    assert cites_only("about 99.88%, or 99.9% rounded", evidence) is None  # as written
    assert cites_only("99.99%", evidence) == "99.99"
    assert rationale("Met 99.5% of the time.", evidence) == ("Met 99.5% of the time.", None)
    assert rationale("Met **99.5%**", evidence)[1] == "contains markup"
    assert rationale("x" * 601, evidence)[1] == "longer than 600 characters"


def test_a_draft_is_asked_with_its_options_and_similar_journeys_and_the_pick_is_guarded() -> None:
    near = SimilarJourney("n1", "prod", "shop", "Checkout token=abc123", 0.9,
                          (ApprovedObjective("s1", 2, SliKind.AVAILABILITY, 99.5),))
    far = SimilarJourney("n2", "prod", "shop", "Unrelated", 0.3,
                         (ApprovedObjective("s2", 1, SliKind.AVAILABILITY, 90.0),))
    rec = recommend_availability_counts("j1", [WindowCounts(0, 60, 3, 4)],
                                        strategy=Strategy.BALANCED, similar=[near, far])
    assert rec.provisional is not None and rec.objective == 95.0  # 99.5 snapped to the options
    sent = proposals.request([rec], {"j1": [near, far]})
    item = json.loads(sent.split("<evidence>", 1)[1].split("</evidence>", 1)[0])[0]
    assert item["objective_options"] == [90.0, 95.0]
    assert item["similar_journeys"] == [{"name": "Checkout token=<redacted>", "similarity": 0.9,
                                         "approved": [{"objective_percent": 99.5,
                                                       "threshold_seconds": None}]}]
    answer = proposals.Proposals(proposals=[proposals.Proposal(
        journey_id="j1", sli="availability", objective=90.0,
        rationale="3 of 4 requests were good; 90% leaves room until more traffic is seen.")])
    [picked], rejected = proposals.accept([rec], answer, {"j1": [near]})
    assert rejected == [] and picked.objective == 90.0
    assert picked.provisional is not None and picked.provisional.source is DraftSource.MODEL
    above = answer.model_copy(update={"proposals": [answer.proposals[0].model_copy(
        update={"objective": 99.5})]})
    [kept], rejected = proposals.accept([rec], above, {"j1": [near]})
    assert kept == rec and "not one of the options" in rejected[0]
