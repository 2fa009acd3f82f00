"""POST /api/v1/incidents: why a journey burns, from the minutes the control plane stores.

Traffic is counted the way every ingest path counts it (``record_traces``), so the step counts
per minute (migration 0022) are the ones ingest writes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from tests.api.conftest import NOW
from tests.api.test_slos_endpoints import _key
from tests.builders import START_NS, span

from slo_scout.control.journeys.recording import record_traces
from slo_scout.core.journeys import assemble
from slo_scout.core.journeys.model import Trace
from slo_scout.db.engine import create_engine, session_factory

MS = 1_000_000
MINUTE_NS = 60_000 * MS
BASE_MINUTE = START_NS // MINUTE_NS * MINUTE_NS  # traffic starts on a whole minute
BURN_MINUTE = 30  # the fault starts here
MINUTES = 40
PER_MINUTE = 10


def _at(minute: int) -> datetime:
    return datetime.fromtimestamp((BASE_MINUTE + minute * MINUTE_NS) / 1e9, tz=UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _checkout(n: int, *, payment_fails: bool = False, reserve_ms: int = 20) -> Trace:
    trace_id = f"{n + 1:032x}"
    start = BASE_MINUTE + n * (MINUTE_NS // PER_MINUTE)
    charge_ms = 20
    return assemble(trace_id, [
        span(trace_id=trace_id, span_id="1" * 16, service="frontend", name="POST /checkout",
             start_ns=start, duration_ns=(20 + charge_ms + reserve_ms) * MS,
             error=payment_fails, status="error" if payment_fails else "unset"),
        span(trace_id=trace_id, span_id="2" * 16, parent_id="1" * 16, service="payment",
             name="Charge", start_ns=start + 10 * MS, duration_ns=charge_ms * MS,
             error=payment_fails, status="error" if payment_fails else "unset"),
        span(trace_id=trace_id, span_id="3" * 16, parent_id="1" * 16, service="inventory",
             name="Reserve", start_ns=start + (10 + charge_ms) * MS,
             duration_ns=reserve_ms * MS),
    ])


def _traffic(*, fail_payment: bool = False, slow_inventory: bool = False) -> list[Trace]:
    traces = []
    for n in range(MINUTES * PER_MINUTE):
        burning = n >= BURN_MINUTE * PER_MINUTE
        traces.append(_checkout(
            n, payment_fails=fail_payment and burning and n % 2 == 0,
            reserve_ms=200 if slow_inventory and burning else 20))
    return traces


def _record(url: str, traces: list[Trace], team: str = "shop") -> None:
    async def go() -> None:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                await record_traces(session, traces, environment="prod", team=team, now=NOW)
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(go())


def _journey(client: TestClient) -> dict:  # type: ignore[type-arg]
    [journey] = client.get("/api/v1/journeys").json()["items"]
    return journey  # type: ignore[no-any-return]


def test_errors_planted_in_one_step_rank_its_service_first_with_the_slo_burn(
    client: TestClient, migrated_url: str
) -> None:
    traffic = _traffic(fail_payment=True)
    # two writes into the same minutes: their step counts add up (merge_minutes)
    _record(migrated_url, [t for n, t in enumerate(traffic) if n % 3])
    _record(migrated_url, [t for n, t in enumerate(traffic) if not n % 3])
    journey = _journey(client)
    slo = client.post("/api/v1/slos", json={
        "service": "frontend", "environment": "prod", "journey_id": journey["id"],
        "name": "checkout-availability", "sli_kind": "availability", "objective": 99.0})
    assert slo.status_code == 201, slo.text

    answer = client.post("/api/v1/incidents", json={
        "journey_id": journey["id"], "started_at": _iso(_at(BURN_MINUTE)),
        "window_minutes": 10, "baseline_minutes": 30})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    top = body["suspects"][0]
    # the caller (frontend) fails only because payment does: payment is the origin
    assert (top["service"], top["operation"], top["kind"]) == ("payment", "Charge", "code")
    assert top["evidence"][0]["signal"] == "step_errors"
    assert top["evidence"][0]["detail"].startswith("50 errors of its own in 100 spans")
    assert all(s["service"] != "frontend" or s["score"] < top["score"]
               for s in body["suspects"])
    assert body["window"]["requests"] == 10 * PER_MINUTE
    assert body["window"]["errors"] == 10 * PER_MINUTE // 2
    assert body["baseline"]["errors"] == 0
    assert body["affected_journeys"] == [journey["name"]]
    assert body["affected_slos"] == ["checkout-availability"]
    [burn] = body["slos"]
    # half the requests bad against 1% allowed: a burn rate of 50
    assert burn["bad"] == 50 and burn["burn_rate"] == 50.0
    # 50 bad of the 1% allowed of a 30-day period at the stored rate (10 a minute)
    assert abs(burn["budget_consumed"] - 50 / (0.01 * 10 * 60 * 24 * 30)) < 1e-6
    assert body["budget_consumed"] == burn["budget_consumed"]
    assert body["severity"] == "high"
    assert body["minutes_without_steps"] == 0
    note = body["note"]
    assert "**payment / Charge**" in note and note.startswith("# Incident at")
    assert "SLO checkout-availability: 50 of 100 requests bad, burn rate 50.0" in note


def test_a_slow_step_ranks_its_service_first_as_latency(
    client: TestClient, migrated_url: str
) -> None:
    _record(migrated_url, _traffic(slow_inventory=True))
    journey = _journey(client)
    body = client.post("/api/v1/incidents", json={
        "journey_id": journey["id"], "started_at": _iso(_at(BURN_MINUTE))}).json()
    top = body["suspects"][0]
    assert (top["service"], top["kind"]) == ("inventory", "latency"), body["suspects"]
    assert body["slos"] == [] and body["budget_consumed"] is None
    # no SLO: the severity is the top suspect's standout
    assert body["severity"] in {"low", "medium", "high"}


def test_a_quiet_window_names_no_suspect(client: TestClient, migrated_url: str) -> None:
    _record(migrated_url, _traffic())
    journey = _journey(client)
    body = client.post("/api/v1/incidents", json={
        "journey_id": journey["id"], "started_at": _iso(_at(BURN_MINUTE))}).json()
    assert [s for s in body["suspects"] if s["score"] > 1] == []
    assert body["severity"] in {"none", "low"}


def test_unknown_and_invisible_journeys_are_404(client: TestClient, migrated_url: str) -> None:
    _record(migrated_url, _traffic(fail_payment=True))
    journey = _journey(client)
    body = {"journey_id": journey["id"], "started_at": _iso(_at(BURN_MINUTE))}
    outsider = _key(client, "olga", "viewer", team="other")
    hidden = client.post("/api/v1/incidents", headers=outsider, json=body)
    missing = client.post("/api/v1/incidents", json={**body, "journey_id": 999_999})
    for answer in (hidden, missing):
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
    assert hidden.json()["detail"] == f"journey {journey['id']} does not exist"
    viewer = _key(client, "vic", "viewer")
    assert client.post("/api/v1/incidents", headers=viewer, json=body).status_code == 200


def test_a_time_outside_the_stored_minutes_is_422_naming_them(
    client: TestClient, migrated_url: str
) -> None:
    _record(migrated_url, _traffic())
    journey = _journey(client)
    for when in (_at(0), _at(-5), _at(MINUTES + 1), _at(BURN_MINUTE) + timedelta(days=3)):
        answer = client.post("/api/v1/incidents", json={
            "journey_id": journey["id"], "started_at": _iso(when)})
        assert answer.status_code == 422, (when, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["errors"][0]["field"] == "started_at"
        assert f"{_iso(_at(0))} to {_iso(_at(MINUTES))}" in problem["detail"]
    for bad in ({"started_at": "2023-11-14T22:40:00"}, {"started_at": "1700000000"},
                {"window_minutes": 0}, {"baseline_minutes": 10**6}, {"extra": 1}):
        answer = client.post("/api/v1/incidents", json={
            "journey_id": journey["id"], "started_at": _iso(_at(BURN_MINUTE)), **bad})
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
