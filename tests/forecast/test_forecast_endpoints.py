"""GET /journeys/{id}/anomalies and GET /slos/{id}/forecast on SQLite and PostgreSQL: the
planted burst is the one anomaly, the daily latency season none; the budget's numbers follow
from the stored minutes; another team's journey and SLO do not exist for its callers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import api_settings, client, seed  # noqa: F401
from tests.fixtures.control_plane import database_url, journey, migrated_url  # noqa: F401
from tests.fixtures.forecast_history import (
    BURST,
    BURST_ERRORS,
    ERRORS,
    NOW,
    REQUESTS,
    latency_at,
    seed_history,
    seed_team,
    slow_hours_per_day,
)
from tests.fixtures.postgres import postgres_server  # noqa: F401

DAY = "2026-11-01T00:00:00Z"
END = "2026-11-02T00:00:00Z"


def _key(api: TestClient, subject: str, role: str, team: str) -> dict[str, str]:
    issued = api.post("/api/v1/api-keys", json={
        "subject": subject, "name": subject, "team": team, "role": role})
    assert issued.status_code == 201, issued.text
    return {"X-API-Key": issued.json()["key"]}


def _slo(api: TestClient, journey_id: int, **fields: object) -> int:
    body = {"service": "shop-frontend", "environment": "prod", "journey_id": journey_id,
            "name": "checkout-availability", "sli_kind": "availability", "objective": 99.0,
            "window_days": 28, **fields}
    created = api.post("/api/v1/slos", json=body)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def test_the_planted_burst_is_the_one_anomaly_and_the_latency_season_none(
    client: TestClient, migrated_url: str  # noqa: F811
) -> None:
    journey_id = seed_history(migrated_url)
    got = client.get(f"/api/v1/journeys/{journey_id}/anomalies",
                     params={"start": DAY, "end": END, "history_days": 6})
    assert got.status_code == 200, got.text
    body = got.json()
    availability, latency = body["slis"]
    assert availability["sli"] == "availability" and availability["status"] == "ok"
    assert len(availability["points"]) == 24
    [burst] = availability["anomalies"]
    assert burst["start"].startswith(BURST.strftime("%Y-%m-%dT%H:%M"))
    assert burst["value"] == pytest.approx(1 - BURST_ERRORS / REQUESTS)
    assert burst["side"] == "low" and burst["score"] < -availability["sigmas"]
    assert latency["sli"] == "latency_p99" and latency["seasonal"] is True
    assert latency["period_steps"] == 24
    assert latency["anomalies"] == []  # its midday-to-morning peak is expected, every day
    peak = latency["points"][6]
    assert peak["value"] == pytest.approx(latency_at(6), rel=0.02)
    assert peak["lower"] <= peak["value"] <= peak["upper"]


def test_without_a_range_the_day_up_to_the_newest_stored_step_is_shown(
    client: TestClient, migrated_url: str  # noqa: F811
) -> None:
    # 90 minutes from 1 Nov 00:00: the newest is 01:29, a day before the API's clock
    seed(migrated_url, journeys=[journey("j-small", minutes=90)])
    [small] = client.get("/api/v1/journeys").json()["items"]
    body = client.get(f"/api/v1/journeys/{small['id']}/anomalies").json()
    assert (body["start"], body["end"]) == ("2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z")
    assert body["slis"][0]["steps_with_traffic"] == 2
    wide = client.get(f"/api/v1/journeys/{small['id']}/anomalies",
                      params={"step_minutes": 240}).json()
    assert wide["end"] == "2026-11-01T04:00:00Z"  # 01:29 lies in the step 00:00-04:00


def test_the_forecast_spends_the_budget_the_stored_minutes_say(
    client: TestClient, migrated_url: str  # noqa: F811
) -> None:
    journey_id = seed_history(migrated_url)
    slo_id = _slo(client, journey_id)
    got = client.get(f"/api/v1/slos/{slo_id}/forecast", params={"at": END})
    assert got.status_code == 200, got.text
    body = got.json()
    hours = 7 * 24
    bad = hours * ERRORS + (BURST_ERRORS - ERRORS)
    # a week of the 28-day window is stored: its requests stand for four times as many
    allowed = 0.01 * 4 * hours * REQUESTS
    assert body["budget"]["bad"] == bad
    assert body["budget"]["allowed_bad"] == pytest.approx(allowed)
    remaining = 1 - bad / allowed
    assert body["budget"]["remaining"] == pytest.approx(remaining, abs=1e-6)
    current = body["current"]
    rate = ERRORS / REQUESTS / 0.01  # the last hour's: 0.5
    assert current["burn_rate"] == pytest.approx(rate)
    assert current["burn_rate_low"] < rate < current["burn_rate_high"]
    runs_out = NOW + timedelta(days=28) * (remaining / rate)
    assert abs(_at(current["exhausted_at"]) - runs_out) < timedelta(seconds=1)
    assert _at(current["earliest"]) < runs_out < _at(current["latest"])
    assert body["expected_status"] == "ok"
    # the band expects the steady 0.5% (the burst is an anomaly, not the expectation)
    assert body["expected"]["burn_rate"] == pytest.approx(rate, abs=0.05)
    assert body["summary"].startswith("At this rate the 28-day budget is spent on "
                                      f"{runs_out.day} {runs_out:%b %Y} (between ")


def test_a_latency_slo_counts_the_requests_slower_than_its_threshold(
    client: TestClient, migrated_url: str  # noqa: F811
) -> None:
    journey_id = seed_history(migrated_url)
    slo_id = _slo(client, journey_id, name="checkout-latency", sli_kind="latency",
                  threshold_seconds=0.2, objective=70.0)
    body = client.get(f"/api/v1/slos/{slo_id}/forecast", params={"at": END}).json()
    assert body["budget"]["bad"] == 7 * slow_hours_per_day(0.2) * REQUESTS
    assert slow_hours_per_day(0.2) == 8
    assert body["sli_kind"] == "latency" and body["objective"] == 70.0


def test_another_teams_journey_and_slo_do_not_exist_for_its_callers(
    client: TestClient, migrated_url: str  # noqa: F811
) -> None:
    journey_id = seed_history(migrated_url)
    slo_id = _slo(client, journey_id)
    seed_team(migrated_url, "ledger", "ledger-api")
    outsider = _key(client, "olga", "viewer", "ledger")
    insider = _key(client, "ivan", "viewer", "shop")
    # without a range the default is read from the journey's minutes: still not for outsiders
    assert client.get(f"/api/v1/journeys/{journey_id}/anomalies",
                      headers=outsider).status_code == 404
    for path in (f"/api/v1/journeys/{journey_id}/anomalies", f"/api/v1/slos/{slo_id}/forecast"):
        hidden = client.get(path, headers=outsider, params={"end": END} if "journeys" in path
                            else {"at": END})
        assert hidden.status_code == 404, hidden.text
        assert hidden.headers["content-type"].startswith("application/problem+json")
        missing = client.get(path.replace(f"/{journey_id}/", "/999/").replace(
            f"/{slo_id}/", "/999/"), headers=insider)
        assert missing.status_code == 404
        assert hidden.json()["detail"].split(" ")[0] == missing.json()["detail"].split(" ")[0]
        seen = client.get(path, headers=insider, params={"end": END} if "journeys" in path
                          else {"at": END})
        assert seen.status_code == 200, seen.text


@pytest.mark.parametrize(("params", "status", "field"), [
    ({"start": END, "end": DAY}, 400, "start"),
    ({"start": "2026-11-01T00:00:00", "end": END}, 400, "start"),
    ({"start": "1700000000", "end": END}, 422, None),
    ({"start": DAY, "end": END, "step_minutes": 7}, 422, "step_minutes"),
    ({"start": DAY, "end": END, "step_minutes": 1, "history_days": 30}, 422, "step_minutes"),
    ({"start": DAY, "end": END, "history_days": 91}, 422, None),
])
def test_bad_parameters_are_refused_with_a_problem_naming_the_field(
    client: TestClient, migrated_url: str, params: dict[str, object], status: int,  # noqa: F811
    field: str | None,
) -> None:
    journey_id = seed_history(migrated_url)
    got = client.get(f"/api/v1/journeys/{journey_id}/anomalies", params=params)
    assert got.status_code == status, got.text
    assert got.headers["content-type"].startswith("application/problem+json")
    if field is not None:
        assert got.json()["errors"][0]["field"] == field


def test_too_little_history_is_a_clear_answer_not_an_error(
    client: TestClient, migrated_url: str  # noqa: F811
) -> None:
    journey_id = seed_history(migrated_url)
    # the key's own hour, a month before: one step of traffic
    got = client.get(f"/api/v1/journeys/{journey_id}/anomalies", params={
        "start": "2026-10-01T00:00:00Z", "end": "2026-10-01T06:00:00Z", "history_days": 0})
    assert got.status_code == 200, got.text
    for sli in got.json()["slis"]:
        assert (sli["status"], sli["steps_with_traffic"], sli["steps_needed"]) == (
            "insufficient_history", 1, 24)
        assert sli["points"] == [] and sli["anomalies"] == []


def _at(text: str):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))
