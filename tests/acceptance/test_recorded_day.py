"""Recorded data through the API (issue 11's acceptance), on SQLite and PostgreSQL.

A day of the built-in shop recorded in November 2023 (the simulator with a fixed past start) is
uploaded to an API whose clock reads December 2026, with a retention that still holds that day:

- an analysis without ``end`` ends at the environment's newest stored minute and finds the
  journeys; a journey's statistics without parameters cover its own time range;
- traces older than the retention are refused one by one (partial success, each named), the
  good ones in the same upload kept;
- the worker's retention pass, its cutoff in the middle of the recorded day, leaves every
  journey's totals equal to the sum of its statistics.
"""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from tests.api.conftest import ADMIN_KEY, settings_for
from tests.fixtures.control_plane import database_url, migrated_url  # noqa: F401
from tests.fixtures.postgres import postgres_server  # noqa: F401

from slo_scout.api.app import create_app
from slo_scout.control.analysis.recommending import Recommender
from slo_scout.core.simulate import DEFAULT_SHOP, Simulation, encode, scenario_from_dict
from slo_scout.core.slis import FAMILIES, FamilyKind
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.worker.loop import Worker

NOW = datetime(2026, 12, 1, tzinfo=UTC)
RETENTION_DAYS = 1200  # the cutoff is 2023-08-19: the recorded day is within it
DAY = datetime(2023, 11, 14, tzinfo=UTC)
OLD = datetime(2023, 6, 1, tzinfo=UTC)  # before the cutoff


def _recording(start: datetime, seconds: float, seed: int = 7) -> tuple[list[Any], Any]:
    doc = copy.deepcopy(DEFAULT_SHOP)
    doc["rate"] = 0.01  # about 860 requests over the day
    sim = Simulation(scenario_from_dict(doc), seed=seed, start_s=start.timestamp(),
                     duration_s=seconds)
    return [span for batch in sim.batches(512) for span in batch], sim.resources


def _body(*recordings: tuple[list[Any], Any]) -> bytes:
    """One OTLP/JSON export request holding every recording (each with its own resources)."""
    docs = [json.loads(b"".join(encode([spans], resources, "otlp-json", "single")))
            for spans, resources in recordings]
    return json.dumps({"resourceSpans": [r for doc in docs for r in doc["resourceSpans"]]}
                      ).encode()


def _client(url: str) -> TestClient:
    settings = settings_for(url).model_copy(update={"stats_retention_days": RETENTION_DAYS})
    client = TestClient(create_app(settings, clock=lambda: NOW))
    client.headers["X-API-Key"] = ADMIN_KEY
    return client


def _worker(url: str, clock: datetime, retention_days: int | None = None) -> None:
    async def go() -> None:
        engine = create_engine(url)
        try:
            worker = Worker(session_factory(engine), Recommender(FAMILIES[FamilyKind.SPANMETRICS]),
                            name="test-worker", clock=lambda: clock,
                            retention_days=retention_days)
            if retention_days:
                await worker.retention_pass()
            while await worker.run_once():
                pass
        finally:
            await engine.dispose()

    asyncio.run(go())


def _ingest(client: TestClient, body: bytes) -> dict[str, Any]:
    answer = client.post("/api/v1/ingest/traces", content=body, params={
        "team": "shop", "environment": "production", "flush": "true"},
        headers={"Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    out: dict[str, Any] = answer.json()
    return out


def _journeys(client: TestClient) -> list[dict[str, Any]]:
    page = client.get("/api/v1/journeys", params={"environment": "production",
                                                  "limit": 500}).json()
    items: list[dict[str, Any]] = page["items"]
    return items


def _stats_totals(client: TestClient, journey_id: int) -> tuple[int, int, dict[str, Any]]:
    body = client.get(f"/api/v1/journeys/{journey_id}/stats").json()
    return (sum(p["requests"] for p in body["points"]), sum(p["errors"] for p in body["points"]),
            body)


def test_a_day_recorded_in_2023_is_analysed_without_naming_its_end(
    migrated_url: str,  # noqa: F811
) -> None:
    with _client(migrated_url) as client:
        stored = _ingest(client, _body(_recording(DAY, 86400)))
        assert stored["traces"] > 500 and stored["refused_traces"] == 0
        journeys = _journeys(client)
        assert journeys
        busiest = journeys[0]
        job = client.post("/api/v1/analyze", json={
            "service": busiest["service"], "environment": "production", "lookback": "1d"})
        assert job.status_code == 202, job.text
        assert job.json()["end"] is None
        _worker(migrated_url, NOW)
        status = client.get(f"/api/v1/analyze/{job.json()['id']}").json()
        assert status["status"] == "succeeded", status
        result = client.get(status["links"]["result"]).json()
        window = result["summary"]["window"]
        assert datetime.fromisoformat(window["end"]) <= DAY + timedelta(days=1)
        assert datetime.fromisoformat(window["end"]) > DAY + timedelta(hours=23)
        assert result["summary"]["journeys"] >= 1
        assert {r["journey_key"] for r in result["recommendations"]} >= {busiest["key"]}

        # the statistics without parameters: the journey's own time range, all of it
        for journey in journeys:
            requests, errors, body = _stats_totals(client, journey["id"])
            assert (requests, errors) == (journey["requests"], journey["errors"])
            assert datetime.fromisoformat(body["start"]) >= DAY
            assert datetime.fromisoformat(body["end"]) <= DAY + timedelta(days=1, minutes=1)


def test_an_analysis_that_finds_no_requests_names_its_window_and_where_the_data_is(
    migrated_url: str,  # noqa: F811
) -> None:
    with _client(migrated_url) as client:
        _ingest(client, _body(_recording(DAY, 3600)))
        service = _journeys(client)[0]["service"]
        job = client.post("/api/v1/analyze", json={
            "service": service, "environment": "production", "lookback": "7d",
            "end": "2023-10-01T00:00:00Z"})
        assert job.status_code == 202, job.text
        _worker(migrated_url, NOW)
        status = client.get(f"/api/v1/analyze/{job.json()['id']}").json()
        assert status["status"] == "failed"
        assert "2023-09-24T00:00:00+00:00" in status["error"]  # the window
        assert "2023-10-01T00:00:00+00:00" in status["error"]
        assert "2023-11-14T00:00:00+00:00" in status["error"]  # where the data is

        too_long = client.post("/api/v1/analyze", json={
            "service": service, "environment": "production", "lookback": "401d"})
        assert too_long.status_code == 422
        assert "400d" in too_long.text


def test_traces_older_than_the_retention_are_refused_and_retention_keeps_totals_equal_to_stats(
    migrated_url: str,  # noqa: F811
) -> None:
    old = _recording(OLD, 600, seed=8)
    old_traces = {span.trace_id.hex() for span in old[0]}
    with _client(migrated_url) as client:
        stored = _ingest(client, _body(_recording(DAY, 86400), old))
        assert stored["refused_traces"] == len(old_traces) > 0
        assert stored["traces"] > 500
        refused = [p for p in stored["problems"] if "retention" in p["message"]]
        assert refused and {p["record"] for p in refused} <= {f"trace {t}" for t in old_traces}
        assert "2023-08-19" in refused[0]["message"]  # the cutoff it was measured against
        before = sum(j["requests"] for j in _journeys(client))
        assert before == stored["traces"] - sum(f["traces"] for f in stored["fragments"])

        # the cutoff falls at noon of the recorded day: its morning goes
        _worker(migrated_url, DAY + timedelta(hours=12, days=RETENTION_DAYS), RETENTION_DAYS)
        journeys = _journeys(client)
        after = sum(j["requests"] for j in journeys)
        assert 0 < after < before
        for journey in journeys:
            requests, errors, _ = _stats_totals(client, journey["id"])
            assert (requests, errors) == (journey["requests"], journey["errors"]), journey
            assert datetime.fromisoformat(journey["first_seen"]) >= DAY + timedelta(hours=12)
