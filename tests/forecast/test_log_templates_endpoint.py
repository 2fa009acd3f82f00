"""GET /logs/templates: a service environment's error templates over a range, per journey, with
their linked traces and whether the baseline before the range had them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import api_settings, client  # noqa: F401
from tests.fixtures.control_plane import database_url, migrated_url  # noqa: F401
from tests.fixtures.forecast_history import NOW, seed_team
from tests.fixtures.log_templates_seen import (
    browse,
    checkout,
    hours,
    mine,
    record,
    template,
    trace_id,
)
from tests.fixtures.postgres import postgres_server  # noqa: F401

CHARGE = "charge failed for order <NUM> after <NUM> retries"
TIMEOUT = 'level=error msg="upstream timeout" host=<IP>'
PATH = "/api/v1/logs/templates"
PROD = {"service": "frontend", "environment": "prod"}


def _seed(url: str) -> None:
    record(url, "prod", [checkout(1), checkout(2), checkout(3), browse(4), browse(5)], NOW)
    record(url, "staging", [checkout(6)], NOW)
    mine(url, [
        template("t-charge", "payment", CHARGE, 9, NOW - hours(240), NOW - hours(1)),
        template("t-timeout", "frontend", TIMEOUT, 2, NOW - hours(0.5), NOW - hours(0.3)),
        template("t-disk", "frontend", "disk <NUM>% full", 4, NOW - hours(5), NOW - hours(5)),
        template("t-old", "frontend", "cache miss storm", 7, NOW - hours(480), NOW - hours(72)),
        template("t-staging", "frontend", TIMEOUT, 1, NOW - hours(2), NOW - hours(2),
                 environment="staging"),
    ], [
        ("t-charge", trace_id(1), NOW - hours(3)),
        ("t-charge", trace_id(2), NOW - hours(1)),
        ("t-charge", trace_id(3), NOW - hours(48)),  # before the range
        ("t-timeout", trace_id(4), NOW - hours(0.5)),
        ("t-staging", trace_id(6), NOW - hours(2)),
    ])


def _journeys(api: TestClient) -> dict[str, int]:
    items = api.get("/api/v1/journeys", params=PROD).json()["items"]
    return {item["entry_operation"]: item["id"] for item in items}


def test_the_ranges_templates_with_their_journeys_traces_and_novelty(
    client: TestClient, migrated_url: str  # noqa: F811
) -> None:
    _seed(migrated_url)
    ids = _journeys(client)
    got = client.get(PATH, params=PROD)
    assert got.status_code == 200, got.text
    items = got.json()["items"]
    assert [t["id"] for t in items] == ["t-charge", "t-timeout", "t-disk"]
    charge, timeout, disk = items
    assert (charge["service"], charge["template"], charge["occurrences"]) == ("payment", CHARGE,
                                                                              9)
    assert charge["new"] is False and charge["traces"] == 2
    assert charge["journeys"] == [{"journey_id": ids["/checkout"], "traces": 2}]
    assert charge["sample_trace_ids"] == [trace_id(2), trace_id(1)]  # the latest first
    assert timeout["new"] is True
    assert timeout["journeys"] == [{"journey_id": ids["/items"], "traces": 1}]
    # logged by the service outside any counted trace: the service's, with no journey
    assert (disk["new"], disk["traces"], disk["journeys"]) == (True, 0, [])


def test_one_journeys_templates_and_a_wider_range(
    client: TestClient, migrated_url: str  # noqa: F811
) -> None:
    _seed(migrated_url)
    ids = _journeys(client)
    got = client.get(PATH, params={**PROD, "journey_id": ids["/checkout"]})
    assert [t["id"] for t in got.json()["items"]] == ["t-charge"]
    week = client.get(PATH, params={**PROD, "start": (NOW - hours(24 * 7)).isoformat(),
                                    "end": NOW.isoformat()}).json()["items"]
    by_id = {t["id"]: t for t in week}
    assert by_id["t-charge"]["traces"] == 3 and by_id["t-charge"]["new"] is False
    assert by_id["t-old"]["traces"] == 0 and by_id["t-old"]["new"] is False
    assert "t-staging" not in by_id


def test_another_teams_service_does_not_exist_for_its_callers(
    client: TestClient, migrated_url: str  # noqa: F811
) -> None:
    _seed(migrated_url)
    seed_team(migrated_url, "ledger", "ledger-api")
    issued = client.post("/api/v1/api-keys", json={
        "subject": "olga", "name": "olga", "team": "ledger", "role": "viewer"})
    outsider = {"X-API-Key": issued.json()["key"]}
    hidden = client.get(PATH, params=PROD, headers=outsider)
    missing = client.get(PATH, params={"service": "nope", "environment": "prod"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(("params", "status", "field"), [
    ({"start": NOW.isoformat(), "end": (NOW - hours(1)).isoformat()}, 400, "start"),
    ({"start": "2026-11-01T00:00:00"}, 400, "start"),
    ({"journey_id": 999}, 422, "journey_id"),
    ({"limit": 0}, 422, None),
])
def test_bad_parameters_are_refused_naming_the_field(
    client: TestClient, migrated_url: str, params: dict[str, object], status: int,  # noqa: F811
    field: str | None,
) -> None:
    _seed(migrated_url)
    got = client.get(PATH, params={**PROD, **params})
    assert got.status_code == status, got.text
    assert got.headers["content-type"].startswith("application/problem+json")
    if field is not None:
        assert got.json()["errors"][0]["field"] == field
