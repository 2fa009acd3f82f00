"""The journey page's SLI bands and anomalies and the SLO page's budget forecast and incidents,
on SQLite and PostgreSQL, from a week of stored hourly statistics with one planted error burst
(``tests/fixtures/forecast_history.py``): the burst is the one anomaly and the one incident, the
budget's numbers follow from the stored minutes, too little history is said in words, and
Milvus not answering leaves the page standing with a sentence in the similar section."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.fixtures.control_plane import journey, seed_keys
from tests.fixtures.forecast_history import (
    BURST,
    BURST_ERRORS,
    ERRORS,
    NOW,
    REQUESTS,
    seed_history,
    slow_hours_per_day,
)
from tests.fixtures.ui_stage import signed_in

from slo_scout.api.app import create_app
from slo_scout.control.catalog.service import ensure_environment
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.settings import Settings

ADMIN_KEY = "ssk_1a51647a11a0_insight-admin-secret-0123456789abcdef"
BURST_AT = BURST.strftime("%Y-%m-%d %H:%M UTC")


def _seed_small(url: str) -> None:
    """A second shop journey with 90 minutes of traffic: two hours with traffic, no band."""
    async def go() -> None:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                _, _, env = await ensure_environment(session, team="shop",
                                                     service="shop-frontend",
                                                     environment="prod", now=NOW)
                await seed_keys(session, env.id, [journey("j-small", operation="GET /small",
                                                          minutes=90)], NOW)
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(go())


@pytest.fixture
def stage(migrated_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, int]]:
    journey_id = seed_history(migrated_url)
    _seed_small(migrated_url)
    settings = Settings(database_url=migrated_url,
                        vectors={"uri": str(tmp_path / "no-milvus-here" / "milvus.db")},
                        auth={"bootstrap_admin_key": ADMIN_KEY, "allow_self_approval": True})
    with TestClient(create_app(settings, clock=lambda: NOW)) as client:
        yield client, journey_id


def _api(client: TestClient) -> dict[str, str]:
    return {"X-API-Key": ADMIN_KEY}


def _key(client: TestClient, team: str, role: str = "viewer") -> str:
    issued = client.post("/api/v1/api-keys", headers=_api(client), json={
        "subject": f"{team}-{role}", "name": "k", "team": team, "role": role})
    assert issued.status_code == 201, issued.text
    return str(issued.json()["key"])


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    return html[start:html.index("</section>", start)]


def test_the_journey_page_draws_both_bands_and_marks_the_planted_burst(
    stage: tuple[TestClient, int],
) -> None:
    client, journey_id = stage
    signed_in(client, _key(client, "shop"))
    page = client.get(f"/ui/journeys/{journey_id}")
    assert page.status_code == 200, page.text[:500]
    # the page loads its bands after it is shown: htmx swaps the section in
    assert f'hx-get="/ui/journeys/{journey_id}/bands"' in page.text
    swapped = client.get(f"/ui/journeys/{journey_id}/bands", headers={"HX-Request": "true"})
    assert swapped.status_code == 200
    assert swapped.text.startswith('<section aria-labelledby="band-h"')
    assert "<html" not in swapped.text
    alone = client.get(f"/ui/journeys/{journey_id}/bands")  # no script: a page around it
    assert "<html" in alone.text and f'href="/ui/journeys/{journey_id}"' in alone.text
    bands = _section(swapped.text, "band-h")
    assert bands == _section(alone.text, "band-h")
    # the default range: the day up to the newest stored hour, as the anomalies endpoint
    assert "from 2026-11-01 00:00 UTC to 2026-11-02 00:00 UTC" in bands
    availability, latency = bands.split("<h3>")[1:]
    assert availability.startswith("Availability")
    assert availability.count("<svg") == 1 and "1 anomalies" in availability
    assert availability.count('fill="#b3261e"') == 1  # one red dot: the burst
    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"num bad\">([^<]+)</td>", availability)
    assert rows == [(BURST_AT, f"{(1 - BURST_ERRORS / REQUESTS) * 100:.2f}%")]
    # the daily latency season is expected, every day: no anomaly
    assert latency.startswith("p99 latency") and "0 anomalies" in latency
    assert "No anomalies: every step within its band." in latency
    # the JSON endpoint agrees on what is an anomaly
    api = client.get(f"/api/v1/journeys/{journey_id}/anomalies", headers=_api(client)).json()
    assert [a["start"][:16] for a in api["slis"][0]["anomalies"]] == [
        BURST.strftime("%Y-%m-%dT%H:%M")]


def test_too_little_history_and_no_milvus_are_said_in_words(
    stage: tuple[TestClient, int],
) -> None:
    client, _ = stage
    signed_in(client, _key(client, "shop"))
    ids = {j["key"]: j["id"] for j in client.get(
        "/api/v1/journeys", headers=_api(client)).json()["items"]}
    page = client.get(f"/ui/journeys/{ids['j-small']}/bands")
    assert page.status_code == 200, page.text[:500]
    bands = _section(page.text, "band-h")
    assert "<svg" not in bands
    assert bands.count("Insufficient history for the") == 2
    assert "2 hours with traffic, a band needs 24" in bands
    page = client.get(f"/ui/journeys/{ids['j-small']}/similar")
    assert page.status_code == 200, page.text[:500]
    similar = _section(page.text, "sim-h")
    assert "Similar journeys cannot be looked up right now" in similar
    assert "no-milvus-here" in similar  # names where it looked


def test_the_slo_page_forecasts_its_budget_and_lists_the_burst_as_its_incident(
    stage: tuple[TestClient, int],
) -> None:
    client, journey_id = stage
    created = client.post("/api/v1/slos", headers=_api(client), json={
        "service": "shop-frontend", "environment": "prod", "journey_id": journey_id,
        "name": "checkout-availability", "sli_kind": "availability", "objective": 99.0,
        "window_days": 28})
    assert created.status_code == 201, created.text
    slo_id = created.json()["id"]
    signed_in(client, _key(client, "shop"))
    page = client.get(f"/ui/slos/{slo_id}")
    assert page.status_code == 200, page.text[:500]
    assert f'hx-get="/ui/slos/{slo_id}/forecast"' in page.text
    page = client.get(f"/ui/slos/{slo_id}/forecast", headers={"HX-Request": "true"})
    assert page.status_code == 200, page.text[:500]
    forecast = _section(page.text, "fc-h")
    api = client.get(f"/api/v1/slos/{slo_id}/forecast", headers=_api(client)).json()
    # a week of history extrapolated to the 28-day window: 4 x the week's requests
    bad = 7 * 24 * ERRORS - ERRORS + BURST_ERRORS
    allowed = 0.01 * 4 * 7 * 24 * REQUESTS
    assert api["budget"]["bad"] == bad
    assert f"{bad / allowed * 100:.1f}%: {bad:,} of {round(allowed):,} bad requests" in forecast
    # the last hour: 3 of 600 failed, half the rate that spends the budget
    assert re.search(r"Current burn \(last hour\)</dt><dd><strong>0\.5</strong>", forecast)
    assert f"{api['expected']['burn_rate']:.2f}".rstrip("0") in forecast
    assert api["summary"] in forecast.replace("&#39;", "'")
    assert "At this rate the 28-day budget is spent on" in forecast
    incidents = forecast[forecast.index("Incidents in the window"):]
    assert re.findall(r"<tr><td>([^<]+)</td>", incidents) == [BURST_AT]


def test_another_teams_journey_and_slo_pages_do_not_exist_for_a_viewer(
    stage: tuple[TestClient, int],
) -> None:
    client, journey_id = stage
    created = client.post("/api/v1/slos", headers=_api(client), json={
        "service": "shop-frontend", "environment": "prod", "journey_id": journey_id,
        "name": "checkout-availability", "sli_kind": "availability", "objective": 99.0})
    other = _key(client, "other", "admin")
    signed_in(client, other)
    slo_id = created.json()["id"]
    for path in (f"/ui/journeys/{journey_id}", f"/ui/journeys/{journey_id}/bands",
                 f"/ui/journeys/{journey_id}/similar", f"/ui/slos/{slo_id}",
                 f"/ui/slos/{slo_id}/forecast"):
        page = client.get(path)
        assert page.status_code == 404 and "Budget spent" not in page.text
        assert BURST_AT not in page.text


def test_a_latency_slos_forecast_counts_slow_requests_and_its_incidents_come_from_p99(
    stage: tuple[TestClient, int],
) -> None:
    client, journey_id = stage
    created = client.post("/api/v1/slos", headers=_api(client), json={
        "service": "shop-frontend", "environment": "prod", "journey_id": journey_id,
        "name": "checkout-latency", "sli_kind": "latency", "objective": 99.0,
        "threshold_seconds": 0.2, "window_days": 28})
    assert created.status_code == 201, created.text
    slo_id = created.json()["id"]
    signed_in(client, _key(client, "shop"))
    forecast = _section(client.get(f"/ui/slos/{slo_id}/forecast").text, "fc-h")
    api = client.get(f"/api/v1/slos/{slo_id}/forecast", headers=_api(client)).json()
    # the hours above 0.2 s are slow, every request in them: far beyond a 1% budget
    assert api["budget"]["bad"] == 7 * slow_hours_per_day(0.2) * REQUESTS
    assert f"{api['budget']['bad']:,} of" in forecast and 'class="bad"' in forecast
    assert "The 28-day budget is spent." in forecast
    # the daily p99 season is expected: no incident, and it says which SLI it looked at
    assert "p99 latency steps (hourly)" in forecast
    assert "None: every hour of the window within its band." in forecast
