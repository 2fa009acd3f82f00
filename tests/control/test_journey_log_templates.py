"""Error log templates linked to a journey's traces show in its detail and in its runbook."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import ADMIN_KEY, NOW, settings_for
from tests.api.test_slos_endpoints import _key
from tests.builders import START_NS, span
from tests.control.conftest import psycopg_dsn

from slo_scout.api.app import create_app
from slo_scout.control.journeys.recording import record_traces
from slo_scout.core.journeys import assemble
from slo_scout.core.journeys.model import Trace
from slo_scout.db.engine import create_engine, session_factory

pytest.importorskip("drain3", reason="drain3 not installed (scripts/install-nodeps.sh)")

from slo_scout_streaming.catalog_store import CatalogStore

from slo_scout.control.logs.mining import TemplateCount, template_id

MS = 1_000_000
CHARGE = "charge failed for order <NUM> after <NUM> retries"
TIMEOUT = 'level=error msg="upstream timeout" host=<IP>'


def _trace_id(n: int) -> str:
    return f"{n:032x}"


def _checkout(n: int) -> Trace:
    trace_id, start = _trace_id(n), START_NS + n * 1000 * MS
    return assemble(trace_id, [
        span(trace_id=trace_id, span_id="1" * 16, service="frontend", name="POST /checkout",
             start_ns=start, duration_ns=80 * MS),
        span(trace_id=trace_id, span_id="2" * 16, parent_id="1" * 16, service="payment",
             name="Charge", start_ns=start + 10 * MS, duration_ns=50 * MS),
    ])


def _browse(n: int) -> Trace:
    trace_id, start = _trace_id(n), START_NS + n * 1000 * MS
    return assemble(trace_id, [
        span(trace_id=trace_id, span_id="1" * 16, service="frontend", name="GET /items",
             start_ns=start, duration_ns=20 * MS),
        span(trace_id=trace_id, span_id="3" * 16, parent_id="1" * 16, service="catalog",
             name="ListItems", start_ns=start + 2 * MS, duration_ns=10 * MS),
    ])


def _record(url: str, environment: str, traces: list[Trace]) -> None:
    """Counts the traces the way every ingest path does (ledger, keys, folded journeys)."""
    async def go() -> None:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                await record_traces(session, traces, environment=environment, team="shop",
                                    now=NOW)
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(go())


def _mine(url: str, environment: str, found: list[tuple[str, str, int, set[str]]],
          minutes_later: int = 0) -> None:
    """Writes templates and their trace links exactly as the streaming catalog job does."""
    store = CatalogStore(psycopg_dsn(url), environment)
    store.open()
    try:
        store.write([], {
            template_id(environment, service, text): TemplateCount(service, text, n, traces)
            for service, text, n, traces in found
        }, NOW + timedelta(minutes=minutes_later))
    finally:
        store.close()


@pytest.fixture
def client(pg_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(pg_url), clock=lambda: NOW)) as test_client:
        test_client.headers["X-API-Key"] = ADMIN_KEY
        yield test_client


def _journey(client: TestClient, environment: str, search: str) -> dict[str, object]:
    [found] = client.get("/api/v1/journeys", params={
        "environment": environment, "search": search}).json()["items"]
    detail: dict[str, object] = client.get(f"/api/v1/journeys/{found['id']}").json()
    return detail


def _seed(url: str) -> None:
    _record(url, "prod", [_checkout(n) for n in range(1, 6)] + [_browse(n) for n in (11, 12)])
    # staging runs the same code: its checkout journey has the same structural key
    _record(url, "staging", [_checkout(21)])
    _mine(url, "prod", [
        ("payment", CHARGE, 5, {_trace_id(1), _trace_id(2), _trace_id(3)}),
        ("frontend", TIMEOUT, 2, {_trace_id(1), _trace_id(11)}),
        ("payment", "lost trace <NUM>", 1, {_trace_id(99)}),  # a trace never counted
    ])
    _mine(url, "prod", [("payment", CHARGE, 1, {_trace_id(4)})], minutes_later=7)
    _mine(url, "staging", [("payment", "card vault sealed", 1, {_trace_id(21)})])


def test_a_journeys_detail_lists_the_error_templates_of_its_own_traces(
    client: TestClient, pg_url: str
) -> None:
    _seed(pg_url)

    checkout = _journey(client, "prod", "checkout")
    assert [(t["service"], t["template"], t["occurrences"]) for t in checkout["log_templates"]
            ] == [("payment", CHARGE, 4), ("frontend", TIMEOUT, 1)]
    charge = checkout["log_templates"][0]
    assert charge["first_seen"].startswith(NOW.isoformat()[:19])
    assert charge["last_seen"].startswith((NOW + timedelta(minutes=7)).isoformat()[:19])

    browse = _journey(client, "prod", "items")
    assert [(t["template"], t["occurrences"]) for t in browse["log_templates"]] == [(TIMEOUT, 1)]
    staging = _journey(client, "staging", "checkout")
    assert [t["template"] for t in staging["log_templates"]] == ["card vault sealed"]


def test_a_journeys_detail_lists_at_most_twenty_templates_most_frequent_first(
    client: TestClient, pg_url: str
) -> None:
    _record(pg_url, "prod", [_checkout(n) for n in range(1, 4)])
    _mine(pg_url, "prod", [("payment", f"failure {i:02d}", 1, {_trace_id(1)}) for i in range(25)]
          + [("payment", "everywhere", 3, {_trace_id(1), _trace_id(2), _trace_id(3)})])

    templates = _journey(client, "prod", "checkout")["log_templates"]
    assert len(templates) == 20
    assert templates[0]["template"] == "everywhere" and templates[0]["occurrences"] == 3
    assert [t["template"] for t in templates[1:]] == [f"failure {i:02d}" for i in range(19)]


def test_a_journey_without_logged_errors_has_none(client: TestClient, pg_url: str) -> None:
    _record(pg_url, "prod", [_checkout(1)])
    assert _journey(client, "prod", "checkout")["log_templates"] == []


def test_the_runbook_of_an_slo_lists_the_errors_logged_in_its_journeys_traces(
    client: TestClient, pg_url: str
) -> None:
    _seed(pg_url)
    checkout = _journey(client, "prod", "checkout")
    approver = _key(client, "dave", "approver")
    # erin authors (not the admin who minted dave's key: four eyes would refuse dave)
    client.headers.update(_key(client, "erin", "approver"))
    slo = client.post("/api/v1/slos", json={
        "service": "frontend", "environment": "prod", "journey_id": checkout["id"],
        "name": "checkout-availability", "sli_kind": "availability", "objective": 99.0})
    assert slo.status_code == 201, slo.text
    approved = client.post(f"/api/v1/slos/{slo.json()['id']}/approve", headers=approver,
                           json={"comment": "ok", "version": slo.json()["version"]})
    assert approved.status_code == 200, approved.text

    bundle = client.post("/api/v1/artifacts", json={"service": "frontend", "environment": "prod"})
    assert bundle.status_code == 201, bundle.text
    [path] = [f["path"] for f in bundle.json()["files"] if f["path"].startswith("runbooks/")]
    runbook = client.get(f"/api/v1/artifacts/{bundle.json()['id']}/files/{path}").text

    section = runbook.split("## Errors logged in this journey's traces\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    first, last = "2026-11-02 00:00 UTC", "2026-11-02 00:07 UTC"
    assert rows == [
        f"| `payment` | `{CHARGE}` | 4 | {first} | {last} |",
        f"| `frontend` | `{TIMEOUT}` | 1 | {first} | {first} |",
    ]
    assert "card vault sealed" not in runbook and "lost trace" not in runbook
    assert runbook.index("## Likely suspects") < runbook.index("## Errors logged") < runbook.index(
        "## Why this objective")


def _product_page(n: int, recommendations: bool) -> Trace:
    """A generic entry (``HTTP GET``): its direct calls make the structural key, and the
    optional recommendations call folds both keys into one journey."""
    trace_id, start = _trace_id(n), START_NS + n * 1000 * MS
    calls = [("product", "GetProduct"), ("currency", "Convert")]
    if recommendations:
        calls.append(("recommendation", "ListRecommendations"))
    return assemble(trace_id, [
        span(trace_id=trace_id, span_id="1" * 16, service="frontend", name="HTTP GET",
             start_ns=start, duration_ns=80 * MS),
        *(span(trace_id=trace_id, span_id=f"{i + 2:016x}", parent_id="1" * 16, service=svc,
               name=op, start_ns=start + MS, duration_ns=5 * MS)
          for i, (svc, op) in enumerate(calls)),
    ])


def test_a_template_counts_the_traces_of_every_key_folded_into_the_journey(
    client: TestClient, pg_url: str
) -> None:
    _record(pg_url, "prod", [_product_page(n, recommendations=n % 2 == 0) for n in range(1, 11)])
    _mine(pg_url, "prod", [("currency", "rate table stale for <*>", 3,
                            {_trace_id(1), _trace_id(2), _trace_id(3)})])

    [page] = client.get("/api/v1/journeys", params={"environment": "prod"}).json()["items"]
    with psycopg.connect(psycopg_dsn(pg_url)) as conn:
        keys = conn.execute("SELECT count(*) FROM journey_keys WHERE journey_id = %s",
                            (page["id"],)).fetchone()
    assert keys == (2,)  # the traces 1 and 3 have one key, the trace 2 the other
    detail = client.get(f"/api/v1/journeys/{page['id']}").json()
    assert [(t["template"], t["occurrences"]) for t in detail["log_templates"]] == [
        ("rate table stale for <*>", 3)]
