"""Ingest: OTLP JSON, protobuf and gzip bodies become journeys and per-minute statistics; bad
records are named (record, field) and never cost the good ones."""

from __future__ import annotations

import gzip
from datetime import timedelta

from fastapi.testclient import TestClient
from tests.api.conftest import NOW
from tests.api.otlp_payloads import otlp_json, otlp_proto, trace_spans

START = NOW - timedelta(minutes=30)


def _spans(count: int, **kwargs: object) -> list[dict[str, object]]:
    return [s for i in range(count) for s in trace_spans(i, START, **kwargs)]  # type: ignore[arg-type]


def test_an_otlp_json_body_becomes_a_journey_with_minute_statistics(client: TestClient) -> None:
    response = client.post(
        "/api/v1/ingest/traces", params={"team": "shop", "environment": "prod"},
        content=otlp_json(_spans(90)), headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted_spans"], body["traces"], body["journeys"]) == (180, 90, 1)
    assert body["rejected_records"] == 0 and body["services"] == ["shop-frontend"]
    assert body["minute_rows"] == 2  # 90 traces one second apart span two minutes
    [journey] = client.get("/api/v1/journeys", params={"environment": "prod"}).json()["items"]
    assert journey["requests"] == 90 and journey["service"] == "shop-frontend"
    stats = client.get(f"/api/v1/journeys/{journey['id']}/stats", params={
        "start": (START - timedelta(minutes=5)).isoformat(), "end": NOW.isoformat(),
        "step_minutes": 60}).json()
    assert sum(p["requests"] for p in stats["points"]) == 90
    metrics = client.get("/metrics").text
    assert "slo_scout_ingest_spans_total 180.0" in metrics
    assert 'slo_scout_ingest_requests_total{outcome="accepted"} 1.0' in metrics


def test_gzip_protobuf_batches_merge_into_the_same_journey(client: TestClient) -> None:
    spans = _spans(20, status=500)
    for half in (spans[:20], spans[20:]):
        response = client.post(
            "/api/v1/ingest/traces", params={"team": "shop"}, content=gzip.compress(
                otlp_proto(half)),
            headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
        )
        assert response.status_code == 200, response.text
    [journey] = client.get("/api/v1/journeys").json()["items"]
    assert (journey["requests"], journey["errors"]) == (20, 20)


def test_a_bad_record_is_a_400_naming_it_while_the_good_ones_are_stored(
    client: TestClient,
) -> None:
    spans = _spans(10)
    spans[3]["traceId"] = "not-hex"
    response = client.post("/api/v1/ingest/traces", params={"team": "shop"},
                           content=otlp_json(spans))
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["accepted_spans"] == 19 and problem["rejected_records"] == 1
    assert problem["errors"][0]["field"] == "resourceSpans[0].scopeSpans[0].spans[3].traceId"
    assert "record 3" in problem["detail"]
    [journey] = client.get("/api/v1/journeys").json()["items"]
    assert journey["requests"] == 10  # only a child span was bad: every request still counts
    skipped = client.post("/api/v1/ingest/traces", params={"skip_invalid": "true"},
                          content=otlp_json(spans))
    assert skipped.status_code == 200 and skipped.json()["rejected_records"] == 1
    assert skipped.json()["problems"][0]["field"].endswith("spans[3].traceId")


def test_unreadable_bodies_and_unknown_teams_are_problems(client: TestClient) -> None:
    garbage = client.post("/api/v1/ingest/traces", content=b"\x1f\x8bnot gzip at all")
    assert garbage.status_code == 400 and garbage.json()["accepted_spans"] == 0
    no_team = client.post("/api/v1/ingest/traces", content=otlp_json(_spans(2)))
    assert no_team.status_code == 422 and no_team.json()["errors"][0]["field"] == "team"
    bad_format = client.post("/api/v1/ingest/traces", params={"format": "xml"}, content=b"{}")
    assert bad_format.status_code == 422 and bad_format.json()["errors"][0]["field"] == "format"
