"""The whole review loop on a recorded day, on SQLite and PostgreSQL (issue 11's acceptance).

A day of TrainTicket traffic (the Nezha recording of 2023-01-29, 84 minutes of spans from 08:43
to 15:44 UTC) is ingested through the API and analysed; an editor adopts the largest journey's
availability and latency recommendations, renames both, moves them to a 28-day window and
changes the latency threshold and objective; a second person approves; the bundle is rendered.
Every file of the bundle must show the approved names, window and threshold (and none of the
recommendation's), the rule file must pass ``promtool check rules``, and ``promtool test rules``
suites built for Sloth's 28-day windows must see the alerts fire when they should.

The API and the worker run with their clock at the end of the recorded day, so the analysis
window (the day before "now") covers the recording; the data keeps its own timestamps.
"""

from __future__ import annotations

import asyncio
import gzip
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from tests.api.conftest import ADMIN_KEY, settings_for
from tests.fixtures.control_plane import database_url, migrated_url  # noqa: F401
from tests.fixtures.postgres import postgres_server  # noqa: F401

from slo_scout.api.app import create_app
from slo_scout.control.analysis.recommending import Recommender
from slo_scout.core.rules import WindowsCatalog
from slo_scout.core.rules.burn import mwmb_alerts
from slo_scout.core.rules.promtool_tests import build_suite
from slo_scout.core.slis import FAMILIES, FamilyKind
from slo_scout.core.specs.documents import read_documents
from slo_scout.core.specs.durations import DAY
from slo_scout.core.specs.model import SLOSpec
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.worker.loop import Worker

pytestmark = pytest.mark.slow

DAY_FOLDER = (Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
              / "nezha-trainticket" / "rca_data" / "2023-01-29" / "trace")
END_OF_DAY = datetime(2023, 1, 29, 16, 0, tzinfo=UTC)
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
SERVICE = "ts-travel-service"
NAMES = {"availability": "trips-left-availability", "latency": "trips-left-latency"}
THRESHOLD_S, THRESHOLD_LE = 2.0, "2000"  # spanmetrics buckets are in milliseconds


def _key(client: TestClient, subject: str, role: str) -> dict[str, str]:
    issued = client.post("/api/v1/api-keys", json={
        "subject": subject, "name": subject, "team": "tt", "role": role})
    assert issued.status_code == 201, issued.text
    return {"X-API-Key": issued.json()["key"]}


def _ingest_the_day(client: TestClient) -> None:
    files = sorted(DAY_FOLDER.glob("*_trace.csv.gz"))
    assert len(files) == 84
    for index, path in enumerate(files):
        response = client.post(
            "/api/v1/ingest/traces", content=gzip.decompress(path.read_bytes()),
            params={"team": "tt", "environment": "prod",
                    "flush": str(index == len(files) - 1).lower()},
            headers={"Content-Type": "text/csv"})
        assert response.status_code == 200, response.text
        assert response.json()["rejected_records"] == 0


def _analyse(client: TestClient, url: str) -> dict[str, Any]:
    job = client.post("/api/v1/analyze", json={
        "service": SERVICE, "environment": "prod", "lookback": "1d"}).json()

    async def work() -> None:
        engine = create_engine(url)
        try:
            worker = Worker(session_factory(engine),
                            Recommender(FAMILIES[FamilyKind.SPANMETRICS]),
                            name="loop-worker", clock=lambda: END_OF_DAY)
            while await worker.run_once():
                pass
        finally:
            await engine.dispose()

    asyncio.run(work())
    status = client.get(f"/api/v1/analyze/{job['id']}").json()
    assert status["status"] == "succeeded", status
    result: dict[str, Any] = client.get(status["links"]["result"]).json()
    return result


def _adopt_and_edit(client: TestClient, result: dict[str, Any], editor: dict[str, str]
                    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(the recommendations adopted, the SLOs as edited), by SLI kind."""
    [entry] = result["recommendations"]
    recs = {r["kind"]: r for r in entry["recommendations"]}
    assert {k: r["status"] for k, r in recs.items()} == {"availability": "ok", "latency": "ok"}
    assert recs["latency"]["threshold_s"] != THRESHOLD_S
    slos = {}
    for kind, changes in (
        ("availability", {"name": NAMES["availability"], "window_days": 28}),
        ("latency", {"name": NAMES["latency"], "window_days": 28,
                     "threshold_seconds": THRESHOLD_S, "objective": 99.5}),
    ):
        adopted = client.post("/api/v1/slos/from-recommendation", headers=editor, json={
            "result_id": result["id"], "journey_key": entry["journey_key"], "sli_kind": kind})
        assert adopted.status_code == 201, adopted.text
        edited = client.patch(f"/api/v1/slos/{adopted.json()['id']}", headers=editor,
                              json={**changes, "comment": "our quarter is four weeks"})
        assert edited.status_code == 200, edited.text
        slos[kind] = {**edited.json(), "generated_name": adopted.json()["name"]}
    return recs, slos


def _files(client: TestClient, bundle: dict[str, Any]) -> dict[str, str]:
    return {f["path"]: client.get(f["href"]).text for f in bundle["files"]}


def _check_every_file(files: dict[str, str], slos: dict[str, dict[str, Any]],
                      recommended_le: str) -> None:
    stem = "ts-travel-service"
    assert sorted(files) == sorted([
        "recommendations.yaml", f"sloth/{stem}-28d.yaml", f"kubernetes/sloth/{stem}-28d.yaml",
        f"rules/{stem}-28d.yaml", f"kubernetes/rules/{stem}-28d.yaml", f"openslo/{stem}.yaml",
        f"pyrra/{stem}.yaml", f"dashboards/{stem}.json",
        *(f"runbooks/{stem}/{name}.md" for name in NAMES.values())])
    for path, text in files.items():
        names = [n for n in NAMES.values() if not path.startswith("runbooks/") or n in path]
        for name in names:
            assert name in text, f"{path} lacks the approved name {name}"
        for slo in slos.values():
            assert slo["generated_name"] not in text, f"{path} has the recommendation's name"
        if not path.startswith(("runbooks/", "recommendations")):
            assert "30d" not in text and "ratio_rate30d" not in text, f"{path} says 30 days"
    # The window, as each tool spells it.
    for path in (f"rules/{stem}-28d.yaml", f"kubernetes/rules/{stem}-28d.yaml"):
        assert "slo:sli_error:ratio_rate4w" in files[path] and "vector(28)" in files[path]
    assert "--default-slo-period 28d" in files[f"sloth/{stem}-28d.yaml"]
    openslo = list(yaml.safe_load_all(files[f"openslo/{stem}.yaml"]))
    assert {d["spec"]["timeWindow"][0]["duration"] for d in openslo if d["kind"] == "SLO"} == {
        "28d"}
    pyrra = list(yaml.safe_load_all(files[f"pyrra/{stem}.yaml"]))
    assert {(d["metadata"]["name"], d["spec"]["window"], d["spec"]["target"]) for d in pyrra} == {
        (NAMES["availability"], "28d", "99.5"), (NAMES["latency"], "28d", "99.5")}
    board = files[f"dashboards/{stem}.json"]
    assert "Error budget remaining (28d)" in board and "page alerts start at 13.44x" in board
    assert f"99.5% within {THRESHOLD_S:g} s over 28d" in board
    # The threshold: the approved bucket everywhere a query selects one, never the recommended.
    for path in (f"sloth/{stem}-28d.yaml", f"kubernetes/sloth/{stem}-28d.yaml",
                 f"rules/{stem}-28d.yaml", f"openslo/{stem}.yaml", f"pyrra/{stem}.yaml"):
        assert re.search(rf'le=~?\\?"{THRESHOLD_LE}[(\\"]', files[path]), path
        assert f'"{recommended_le}' not in files[path], path
    # Nowhere but in the recommendation's own words (recommendations.yaml, the runbook's "Why
    # this objective") does the recommended threshold appear.
    recommended_s = f"{float(recommended_le) / 1000:g} s"
    for path, text in files.items():
        if path != "recommendations.yaml":
            assert recommended_s not in text.split("## Why this objective")[0], path
    report = yaml.safe_load(files["recommendations.yaml"])
    assert sorted((e["slo"]["name"], e["slo"]["window_days"], e["slo"]["threshold_seconds"])
                  for e in report["recommendations"]) == [
        (NAMES["availability"], 28, None), (NAMES["latency"], 28, THRESHOLD_S)]


def _check_runbook(text: str, recommended: dict[str, Any]) -> None:
    objective_row = next(line for line in text.splitlines() if line.startswith("| Objective"))
    assert objective_row == (f"| Objective | 99.5% of requests within {THRESHOLD_S:g} s, over "
                             "28 days |")
    assert "| page | 13.44x | 1h | 5m | 2% |" in text
    why = text.split("## Why this objective", 1)[1].strip()
    assert why.startswith(f"Approved: 99.5% of requests within {THRESHOLD_S:g} s over 28 days "
                          "(version 2, last changed by key:erin, approved by key:dave).")
    assert (f"The analysis recommended {recommended['objective']:g}% of requests within "
            f"{recommended['threshold_s']:g} s over 30 days" in why)


def _promtool(*args: str, cwd: Path) -> None:
    done = subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _selector(query: str) -> str:
    """The series selector inside the first ``rate(...)`` of a query."""
    found = re.search(r"rate\((\w+\{[^}]*\})\[", query)
    assert found, query
    return found.group(1)


def _concrete(selector: str) -> str:
    """A series the selector matches: ``=~"2000(\\.0)?"`` becomes ``="2000"``,
    ``!="STATUS_CODE_ERROR"`` becomes ``="STATUS_CODE_UNSET"``."""
    selector = re.sub(r'=~"([^"(]*)\(\\\\\.0\)\?"', r'="\1"', selector)
    return selector.replace('!="STATUS_CODE_ERROR"', '="STATUS_CODE_UNSET"')


def _summed(first: str, second: str) -> str:
    """Two counters in promtool's expanding notation over the same segments, added."""
    parts = []
    for a, b in zip(first.split(), second.split(), strict=True):
        (a0, a1, n), (b0, b1, m) = (re.fullmatch(r"(\d+)\+(\d+)x(\d+)", p).groups()  # type: ignore[union-attr]
                                    for p in (a, b))
        assert n == m
        parts.append(f"{int(a0) + int(b0)}+{int(a1) + int(b1)}x{n}")
    return " ".join(parts)


def _suite(slo: SLOSpec, rule_file: str, sli: dict[str, str]) -> str:
    """A promtool suite for Sloth's 28-day windows. Availability: the error query's series
    counts the bad requests, the good query's the others. Latency: the histogram's ``_count`` is
    every request and its ``_bucket`` at the threshold the good ones, so the error query
    (count - bucket) sees the bad ones."""
    windows = WindowsCatalog().get(28 * DAY)
    assert windows is not None
    alerts = mwmb_alerts(slo.id, slo.objective, windows)
    good = _concrete(_selector(sli["good"]))
    if "_bucket" not in good:
        return build_suite(rule_file=rule_file, slo=slo, alerts=alerts,
                           bad_series=_selector(sli["error"]), good_series=good)
    total = _selector(sli["total"])
    suite = yaml.safe_load(build_suite(rule_file=rule_file, slo=slo, alerts=alerts,
                                       bad_series=total, good_series=good))
    for test in suite["tests"]:
        bad, good_series = test["input_series"]
        bad["values"] = _summed(bad["values"], good_series["values"])
    return yaml.safe_dump(suite, sort_keys=False, default_flow_style=False, width=1000)


def _check_rules_with_promtool(files: dict[str, str], tmp_path: Path) -> None:
    stem = "ts-travel-service-28d"
    (tmp_path / "rules.yaml").write_text(files[f"rules/{stem}.yaml"])
    _promtool("check", "rules", "rules.yaml", cwd=tmp_path)
    [result] = read_documents(files[f"kubernetes/sloth/{stem}.yaml"], source="crd",
                              period_ms=28 * DAY)
    assert result.spec is not None and not result.errors
    spec = yaml.safe_load(files[f"sloth/{stem}.yaml"])
    queries = {s["name"]: s["sli"]["events"] for s in spec["slos"]}
    openslo = {d["metadata"]["name"]: d["spec"]["ratioMetric"]
               for d in yaml.safe_load_all(files["openslo/ts-travel-service.yaml"])
               if d["kind"] == "SLI"}
    for slo in result.spec.slos:
        assert slo.period_ms == 28 * DAY
        sli = {"error": queries[slo.name]["errorQuery" if "errorQuery" in queries[slo.name]
                                          else "error_query"],
               "total": queries[slo.name]["total_query"],
               "good": openslo[slo.name]["good"]["metricSource"]["spec"]["query"]}
        suite = tmp_path / f"{slo.name}.test.yaml"
        suite.write_text(_suite(slo, "rules.yaml", sli))
        assert "sloth_severity: page" in suite.read_text()
        _promtool("test", "rules", suite.name, cwd=tmp_path)


@pytest.mark.skipif(not Path(PROMTOOL).exists(), reason="promtool is not installed")
def test_a_recorded_day_goes_from_ingest_to_a_bundle_of_what_was_approved(
    migrated_url: str, tmp_path: Path  # noqa: F811
) -> None:
    if not DAY_FOLDER.is_dir():
        pytest.skip(f"shared datasets not present at {DAY_FOLDER}")
    app = create_app(settings_for(migrated_url), clock=lambda: END_OF_DAY)
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as client:
        _ingest_the_day(client)
        result = _analyse(client, migrated_url)
        editor, approver = _key(client, "erin", "editor"), _key(client, "dave", "approver")
        recommended, slos = _adopt_and_edit(client, result, editor)
        for slo in slos.values():
            own = client.post(f"/api/v1/slos/{slo['id']}/approve", headers=editor,
                              json={"comment": "mine", "version": slo["version"]})
            assert own.status_code == 403
            approved = client.post(f"/api/v1/slos/{slo['id']}/approve", headers=approver,
                                   json={"comment": "four weeks it is",
                                         "version": slo["version"]})
            assert approved.status_code == 200, approved.text
        rendered = client.post("/api/v1/artifacts", headers=editor,
                               json={"service": SERVICE, "environment": "prod"})
        assert rendered.status_code == 201, rendered.text
        files = _files(client, rendered.json())

    recommended_ms = recommended["latency"]["threshold_s"] * 1000
    _check_every_file(files, slos, f"{recommended_ms:g}")
    _check_runbook(files[f"runbooks/{SERVICE}/{NAMES['latency']}.md"], recommended["latency"])
    _check_rules_with_promtool(files, tmp_path)
