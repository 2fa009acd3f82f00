"""An incident's error log templates: new templates in the journey's traces after the burn
started point to the service that logged them, with the traces as evidence.

The templates and their trace links are written exactly as the streaming catalog job writes
them (PostgreSQL: the job's store speaks psycopg)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import ADMIN_KEY, NOW, settings_for
from tests.api.test_incidents import BURN_MINUTE, PER_MINUTE, _at, _iso, _journey, _record, _traffic
from tests.control.conftest import psycopg_dsn

from slo_scout.api.app import create_app

pytest.importorskip("drain3", reason="drain3 not installed (scripts/install-nodeps.sh)")

from slo_scout_streaming.catalog_store import CatalogStore

from slo_scout.control.logs.mining import TemplateCount, template_id

STOCK = "reservation of item <NUM> failed: stock ledger locked"
NOISE = "slow query <NUM> ms"


@pytest.fixture
def client(pg_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(pg_url), clock=lambda: NOW)) as test_client:
        test_client.headers["X-API-Key"] = ADMIN_KEY
        yield test_client


def _mine(url: str, found: list[tuple[str, str, set[str]]]) -> None:
    store = CatalogStore(psycopg_dsn(url), "prod")
    store.open()
    try:
        store.write([], {template_id("prod", service, text):
                         TemplateCount(service, text, len(traces), traces)
                         for service, text, traces in found}, NOW)
    finally:
        store.close()


def test_a_new_error_template_ranks_the_service_that_logs_it_first(
    client: TestClient, pg_url: str
) -> None:
    traffic = _traffic()
    _record(pg_url, traffic)
    burning = [t.trace_id for n, t in enumerate(traffic) if n >= BURN_MINUTE * PER_MINUTE]
    steady = [t.trace_id for n, t in enumerate(traffic) if n % 10 == 0]  # before and after
    _mine(pg_url, [("inventory", STOCK, set(burning[::3])),
                   ("payment", NOISE, set(steady)),
                   ("inventory", "lost trace <NUM>", {"f" * 32})])  # a trace never counted
    journey = _journey(client)

    body = client.post("/api/v1/incidents", json={
        "journey_id": journey["id"], "started_at": _iso(_at(BURN_MINUTE))}).json()
    top = body["suspects"][0]
    assert (top["service"], top["kind"]) == ("inventory", "code"), body["suspects"]
    [evidence] = [e for e in top["evidence"] if e["signal"] == "log_template"]
    assert evidence["detail"].startswith("error template new: now in 34 of 100 requests' traces")
    assert STOCK in evidence["detail"] and sorted(burning[::3])[0] in evidence["detail"]
    # a template as frequent before as after is no evidence
    assert all(e["signal"] != "log_template" for s in body["suspects"]
               if s["service"] == "payment" for e in s["evidence"])
