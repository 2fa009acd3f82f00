"""The artifact bundle: deterministic, parseable, and complete for each tool it feeds."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime

import promql_parser
import pytest
import yaml
from tests.golden.journeys import build_journey, traffic

from slo_scout.core.artifacts import build_slos, render_bundle
from slo_scout.core.artifacts.bundle import check_promql
from slo_scout.core.errors import SloScoutError
from slo_scout.core.journeys.model import StepShare
from slo_scout.core.recommend import Strategy, recommend_journey
from slo_scout.core.slis import FAMILIES, FamilyKind
from slo_scout.core.specs.documents import read_documents

START = 1_700_000_000 - 1_700_000_000 % 60
NOW_S = START + 1440 * 60
NOW = datetime.fromtimestamp(NOW_S, UTC)
FAMILY = FAMILIES[FamilyKind.SPANMETRICS]


def _journeys():
    checkout = build_journey(
        name="POST /api/checkout",
        service="frontend",
        operation="/api/checkout",
        method="POST",
        minutes=traffic(
            start_s=START,
            minutes=1440,
            per_minute=60,
            error_every=3000,
            latencies_s=(0.03, 0.05, 0.12, 0.35),
        ),
        critical_path=(
            StepShare("payment", "Charge", 0.55, 0.004),
            StepShare("frontend", "POST /api/checkout", 0.25, 0.0),
        ),
    )
    search = build_journey(
        name="GET /search",
        service="search-api",
        operation="/search",
        minutes=traffic(start_s=START, minutes=1440, per_minute=40, latencies_s=(0.007,)),
    )
    rare = build_journey(
        name="DELETE /account",
        service="frontend",
        operation="/account",
        method="DELETE",
        minutes=traffic(start_s=START, minutes=3, per_minute=2),
    )
    return [checkout, search, rare]


@pytest.fixture(scope="module")
def bundle():
    journeys = _journeys()
    recs = [
        r
        for j in journeys
        for r in recommend_journey(j, FAMILY, strategy=Strategy.BALANCED, now_s=NOW_S)
    ]
    return (
        journeys,
        recs,
        render_bundle(
            journeys, recs, family=FAMILY, strategy=Strategy.BALANCED, now=NOW, version="test"
        ),
    )


def test_rendering_twice_gives_identical_bytes(bundle):
    journeys, recs, files = bundle
    again = render_bundle(
        journeys, recs, family=FAMILY, strategy=Strategy.BALANCED, now=NOW, version="test"
    )
    assert again == files


def test_the_bundle_has_every_format_per_service(bundle):
    _, _, files = bundle
    for svc in ("frontend", "search-api"):
        for path in (
            f"sloth/{svc}.yaml",
            f"kubernetes/sloth/{svc}.yaml",
            f"openslo/{svc}.yaml",
            f"pyrra/{svc}.yaml",
            f"rules/{svc}.yaml",
            f"kubernetes/rules/{svc}.yaml",
            f"dashboards/{svc}.json",
        ):
            assert path in files
    assert "runbooks/frontend/post-api-checkout-availability.md" in files
    assert "recommendations.yaml" in files


def test_journeys_without_enough_data_get_a_draft_marked_provisional(bundle):
    _, _, files = bundle
    sloth = yaml.safe_load(files["sloth/frontend.yaml"])
    drafts = [s for s in sloth["slos"] if "slo_scout_provisional" in s["labels"]]
    assert sorted(s["name"] for s in drafts) == ["delete-account-availability",
                                                 "delete-account-latency"]
    assert all(s["labels"]["slo_scout_provisional"] == "convention" for s in drafts)
    assert all(s["description"].startswith("Provisional draft (convention)") for s in drafts)
    report = yaml.safe_load(files["recommendations.yaml"])
    rare = [r for r in report["recommendations"] if r["journey"] == "DELETE /account"]
    assert {r["status"] for r in rare} == {"insufficient data"}
    assert all(r["provisional"]["source"] == "convention" for r in rare)
    assert all(r["objective"] in r["provisional"]["allowed_objectives"] for r in rare)
    sure = [r for r in report["recommendations"] if r["journey"] != "DELETE /account"]
    assert all(r["provisional"] is None for r in sure)


def _queries(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("error_query", "total_query", "errorQuery", "totalQuery", "query"):
                yield value
            else:
                yield from _queries(value)
    elif isinstance(node, list):
        for item in node:
            yield from _queries(item)


def test_every_generated_promql_parses(bundle):
    _, _, files = bundle
    count = 0
    for path, text in files.items():
        if path.startswith(("sloth/", "kubernetes/sloth/", "openslo/")):
            for doc in yaml.safe_load_all(text):
                for query in _queries(doc):
                    promql_parser.parse(query.replace("{{.window}}", "5m"))
                    count += 1
        elif path.startswith("pyrra/"):
            for doc in yaml.safe_load_all(text):
                for part in doc["spec"]["indicator"].values():
                    for sel in part.values():
                        parsed = promql_parser.parse(sel["metric"])
                        assert isinstance(parsed, promql_parser.VectorSelector)
                        count += 1
        elif path.startswith("dashboards/"):
            for panel in json.loads(text)["panels"]:
                for target in panel.get("targets", []):
                    expr = target["expr"].replace("$__rate_interval", "5m")
                    promql_parser.parse(expr)
                    count += 1
        elif path.startswith("runbooks/"):
            for block in re.findall(r"```promql\n(.*?)```", text, re.S):
                for query in block.strip().split("\n") if "/\n" not in block else [block]:
                    promql_parser.parse(query)
                    count += 1
    assert count > 50


def test_openslo_output_is_read_back_by_the_openslo_reader(bundle):
    _, _, files = bundle
    kinds = {d["kind"] for d in yaml.safe_load_all(files["openslo/frontend.yaml"])}
    assert kinds == {
        "DataSource",
        "Service",
        "SLI",
        "SLO",
        "AlertPolicy",
        "AlertCondition",
        "AlertNotificationTarget",
    }
    period_ms = 30 * 86_400_000
    results = read_documents(files["openslo/frontend.yaml"], source="openslo", period_ms=period_ms)
    assert [e for r in results for e in r.errors] == []
    from_openslo = sorted((s.name, s.objective) for r in results if r.spec for s in r.spec.slos)
    sloth = read_documents(files["sloth/frontend.yaml"], source="sloth", period_ms=period_ms)
    from_sloth = sorted((s.name, s.objective) for r in sloth if r.spec for s in r.spec.slos)
    assert from_openslo == from_sloth and len(from_sloth) == 4  # 2 provisional drafts


def test_calendar_windows_start_on_the_first_of_the_month():
    journeys = _journeys()
    recs = [
        r
        for j in journeys
        for r in recommend_journey(j, FAMILY, strategy=Strategy.BALANCED, now_s=NOW_S)
    ]
    files = render_bundle(
        journeys,
        recs,
        family=FAMILY,
        strategy=Strategy.BALANCED,
        now=NOW,
        version="test",
        window="calendar",
    )
    slos = [d for d in yaml.safe_load_all(files["openslo/frontend.yaml"]) if d["kind"] == "SLO"]
    assert slos[0]["spec"]["timeWindow"] == [
        {
            "duration": "1M",
            "calendar": {"startTime": "2023-11-01 00:00:00", "timeZone": "UTC"},
            "isRolling": False,
        }
    ]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_the_generated_rule_files_pass_promtool(bundle, tmp_path):
    _, _, files = bundle
    for path, text in files.items():
        if path.startswith("rules/"):
            target = tmp_path / path.replace("/", "_")
            target.write_text(text)
            done = subprocess.run(
                ["promtool", "check", "rules", str(target)], capture_output=True, text=True
            )
            assert done.returncode == 0, done.stdout + done.stderr


def test_grafana_dashboards_have_what_import_needs(bundle):
    _, _, files = bundle
    board = json.loads(files["dashboards/frontend.json"])
    assert board["uid"] == "slo-frontend" and len(board["uid"]) <= 40
    assert isinstance(board["schemaVersion"], int) and board["schemaVersion"] >= 36
    variables = board["templating"]["list"]
    assert {"name": "datasource", "type": "datasource", "query": "prometheus"}.items() <= (
        variables[0].items()
    )
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    cells = set()
    for panel in board["panels"]:
        pos = panel["gridPos"]
        assert {"h", "w", "x", "y"} <= pos.keys() and pos["x"] + pos["w"] <= 24
        for dx in range(pos["w"]):
            for dy in range(pos["h"]):
                cell = (pos["x"] + dx, pos["y"] + dy)
                assert cell not in cells, f"panel {panel['title']} overlaps another"
                cells.add(cell)
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}"
    titles = {p["title"] for p in board["panels"]}
    assert {
        "Error budget remaining (30d)",
        "Burn rate per window",
        "Latency percentiles",
        "Alert state",
    } <= titles


def test_runbooks_explain_the_alerts_in_numbers_and_name_the_suspects(bundle):
    _, _, files = bundle
    text = files["runbooks/frontend/post-api-checkout-availability.md"]
    assert "| page | 14.4x | 1h | 5m | 2% | 2.1 days (50 hours) |" in text
    assert "| ticket | 1x | 3d | 6h | 10% | 30.0 days (720 hours) |" in text
    assert "`payment` | `Charge` | 55%" in text
    assert "`slo-frontend`" in text


def test_a_query_that_does_not_parse_is_refused_before_anything_is_written(bundle):
    journeys, recs, _ = bundle
    slo = build_slos(journeys, recs, FAMILY)[0]
    broken = dataclasses.replace(slo, sli=dataclasses.replace(slo.sli, total_query="sum(rate("))
    with pytest.raises(SloScoutError, match="total query does not parse"):
        check_promql([broken])
