"""Ingest: OTLP JSON, protobuf and gzip bodies become journeys and per-minute statistics; bad
records are named (record, field) and never cost the good ones."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from tests.api.conftest import ADMIN_KEY, NOW
from tests.api.otlp_payloads import otlp_json, otlp_proto, trace_spans

from slo_scout.api.app import create_app
from slo_scout.settings import Settings

START = NOW - timedelta(minutes=30)


def _spans(count: int, **kwargs: object) -> list[dict[str, object]]:
    return [s for i in range(count) for s in trace_spans(i, START, **kwargs)]  # type: ignore[arg-type]


def test_an_otlp_json_body_becomes_a_journey_with_minute_statistics(client: TestClient) -> None:
    response = client.post(
        "/api/v1/ingest/traces", params={"team": "shop", "environment": "prod", "flush": "true"},
        content=otlp_json(_spans(90)), headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted_spans"], body["traces"], body["journeys"]) == (180, 90, 1)
    assert (body["waiting_traces"], body["duplicate_traces"], body["fragments"]) == (0, 0, [])
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


def _post(client: TestClient, body: bytes, **params: str) -> dict[str, object]:
    response = client.post("/api/v1/ingest/traces", params={"team": "shop", **params},
                           content=body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_gzip_protobuf_batches_merge_into_the_same_journey(client: TestClient) -> None:
    spans = _spans(20, status=500)
    for half, flush in ((spans[:20], "false"), (spans[20:], "true")):
        response = client.post(
            "/api/v1/ingest/traces", params={"team": "shop", "flush": flush},
            content=gzip.compress(otlp_proto(half)),
            headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
        )
        assert response.status_code == 200, response.text
    [journey] = client.get("/api/v1/journeys").json()["items"]
    assert (journey["requests"], journey["errors"]) == (20, 20)


def test_a_trace_split_across_uploads_is_one_request_of_its_journey(client: TestClient) -> None:
    """Collectors send a trace in pieces: roots in one upload, children in the next."""
    spans = _spans(10)
    roots, children = spans[0::2], spans[1::2]
    first = _post(client, otlp_json(roots))
    assert (first["traces"], first["waiting_traces"]) == (0, 10)
    assert client.get("/api/v1/journeys").json()["items"] == []
    second = _post(client, otlp_json(children), flush="true")
    assert (second["traces"], second["journeys"], second["fragments"]) == (10, 1, [])
    [journey] = client.get("/api/v1/journeys").json()["items"]
    assert journey["requests"] == 10
    detail = client.get(f"/api/v1/journeys/{journey['id']}").json()
    assert detail["name"] == "checkout (shop-frontend POST /checkout)"


def test_resending_an_upload_counts_nothing_twice(client: TestClient) -> None:
    body = otlp_json(_spans(30))
    _post(client, body, flush="true")
    again = _post(client, body, flush="true")
    assert (again["traces"], again["duplicate_traces"], again["late_spans"]) == (0, 30, 60)
    [journey] = client.get("/api/v1/journeys").json()["items"]
    assert journey["requests"] == 30
    stats = client.get(f"/api/v1/journeys/{journey['id']}/stats", params={
        "start": (START - timedelta(minutes=5)).isoformat(), "end": NOW.isoformat(),
        "step_minutes": 60}).json()
    assert sum(p["requests"] for p in stats["points"]) == 30


def test_a_trace_whose_root_never_arrives_is_a_fragment_never_a_journey(
    client: TestClient,
) -> None:
    spans = _spans(3)
    orphans = spans[1::2]  # the children only: their roots never come
    body = _post(client, otlp_json(orphans), flush="true")
    assert body["journeys"] == 0
    assert body["fragments"] == [{"entry": "shop-frontend Charge", "traces": 3,
                                  "samples": [f"{i + 1:032x}" for i in range(3)]}]
    assert client.get("/api/v1/journeys").json()["items"] == []


def test_a_bad_record_is_named_while_the_good_ones_are_stored(client: TestClient) -> None:
    """OTLP-style partial success: the good records count, the bad one is named, and the
    answer is not an error the client would retry with the whole body."""
    spans = _spans(10)
    spans[3]["traceId"] = "not-hex"
    body = _post(client, otlp_json(spans), flush="true")
    assert body["accepted_spans"] == 19 and body["rejected_records"] == 1
    assert body["problems"][0]["field"] == (  # type: ignore[index]
        "resourceSpans[0].scopeSpans[0].spans[3].traceId")
    [journey] = client.get("/api/v1/journeys").json()["items"]
    assert journey["requests"] == 10  # only a child span was bad: every request still counts
    metrics = client.get("/metrics").text
    assert 'slo_scout_ingest_requests_total{outcome="partial"} 1.0' in metrics


def test_unreadable_bodies_and_unknown_teams_are_problems(client: TestClient) -> None:
    garbage = client.post("/api/v1/ingest/traces", content=b"\x1f\x8bnot gzip at all")
    assert garbage.status_code == 400 and garbage.json()["accepted_spans"] == 0
    no_team = client.post("/api/v1/ingest/traces", content=otlp_json(_spans(2)))
    assert no_team.status_code == 422 and no_team.json()["errors"][0]["field"] == "team"
    bad_format = client.post("/api/v1/ingest/traces", params={"format": "xml"}, content=b"{}")
    assert bad_format.status_code == 422 and bad_format.json()["errors"][0]["field"] == "format"


def test_waiting_traces_are_counted_once_quiet_without_another_upload(
    migrated_url: str,
) -> None:
    """No flush, no later upload: the API process counts a trace once its gap has passed."""
    import time

    from tests.api.conftest import ADMIN_KEY, settings_for

    from slo_scout.api.app import create_app
    from slo_scout.settings import IngestSettings

    settings = settings_for(migrated_url).model_copy(
        update={"ingest": IngestSettings(trace_gap_seconds=0.2)})
    with TestClient(create_app(settings)) as client:
        client.headers["X-API-Key"] = ADMIN_KEY
        body = _post(client, otlp_json(_spans(5)))
        assert (body["traces"], body["waiting_traces"]) == (0, 5)
        deadline = time.monotonic() + 30
        while not client.get("/api/v1/journeys").json()["items"]:
            assert time.monotonic() < deadline, "the waiting traces were never counted"
            time.sleep(0.1)
        [journey] = client.get("/api/v1/journeys").json()["items"]
        assert journey["requests"] == 5


def _two_services(index: int, callee: str) -> bytes:
    """A checkout whose root (frontend) calls ``callee``: two resources, as two SDKs send."""
    root, child = trace_spans(index, START)
    child = {**child, "kind": 2, "name": f"{callee}.Run"}
    front = json.loads(otlp_json([root], service="frontend"))
    back = json.loads(otlp_json([child], service=callee))
    return json.dumps({"resourceSpans": front["resourceSpans"] + back["resourceSpans"]}).encode()


def test_a_journeys_graph_and_critical_path_come_from_every_upload(client: TestClient) -> None:
    """Not the graph of the last upload and the critical path of the first."""
    for index in range(4):
        _post(client, _two_services(index, "payments"), flush="true")
    for index in range(4, 8):
        _post(client, _two_services(index, "fraud"), flush="true")
    [journey] = client.get("/api/v1/journeys").json()["items"]
    assert journey["requests"] == 8
    detail = client.get(f"/api/v1/journeys/{journey['id']}").json()
    assert {(e["callee"], e["calls"]) for e in detail["graph"]["edges"]} == {
        ("payments", 4), ("fraud", 4)}
    assert {s["service"] for s in detail["critical_path"]} == {"frontend", "payments", "fraud"}


DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def test_trainticket_uploaded_in_three_parts_gives_the_journeys_of_one_pass(
    api_settings: Settings,
) -> None:
    """A real recording cut into three uploads by rows: traces straddle the cuts. (Recorded in
    2023: kept whatever its age, by a retention of 0, none.)"""
    from slo_scout.core.journeys import discover
    from slo_scout.core.telemetry import decode_stream

    settings = api_settings.model_copy(update={"stats_retention_days": 0})
    with TestClient(create_app(settings, clock=lambda: NOW)) as client:
        client.headers["X-API-Key"] = ADMIN_KEY
        path = DATASETS / "trainticket" / "2023-01-29_trace.csv"
        header, *rows = path.read_text().splitlines(keepends=True)
        third = len(rows) // 3
        parts = [rows[:third], rows[third:2 * third], rows[2 * third:]]
        for i, part in enumerate(parts):
            response = client.post(
                "/api/v1/ingest/traces", content="".join([header, *part]).encode(),
                params={"team": "tt", "flush": str(i == 2).lower()},
                headers={"Content-Type": "text/csv"})
            assert response.status_code == 200, response.text
        one_pass = discover(decode_stream([path.read_bytes()], source=path.name)).journeys
        items = client.get("/api/v1/journeys", params={"limit": 100}).json()["items"]
        assert sorted((j["key"], j["name"], j["requests"]) for j in items) == sorted(
            (j.id, j.name, j.requests) for j in one_pass)
        assert len(items) == 9
