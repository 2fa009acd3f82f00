"""An analysis job of an environment whose team runs only Tempo (or Jaeger): the worker pulls
the lookback from the backend the settings name (``SLO_SCOUT_SOURCES__``), counts it once
through the trace ledger, and recommends from it; failures name the source."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures.backends import (
    LokiServer,
    TempoServer,
    jaeger_server,
    jaeger_trace,
    loki_server,
    otlp_traces,
    prometheus_server,
    tempo_server,
)

from slo_scout.control.analysis import service as analysis
from slo_scout.control.catalog.service import ensure_environment
from slo_scout.core.journeys import discover
from slo_scout.core.simulate import Simulation, default_shop, encode
from slo_scout.core.telemetry import decode_bytes
from slo_scout.db import migrate
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.db.models import AnalysisJob, AnalysisResult
from slo_scout.settings import Settings
from slo_scout.worker.factory import build_worker

END = datetime.fromtimestamp(1_700_000_000 + 3600, UTC)
LOOKBACK_S = 2 * 3600


@pytest.fixture(scope="module")
def shop() -> dict[str, Any]:
    sim = Simulation(default_shop(), seed=5, traces=300)
    return json.loads(b"".join(encode(sim.batches(), sim.resources, "otlp-json")))


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'slo-scout.db'}"
    migrate.upgrade(url)
    return url


def run_jobs(url: str, settings: Settings, jobs: int = 1, lookback_s: int = LOOKBACK_S
             ) -> list[tuple[AnalysisJob, AnalysisResult | None]]:
    async def go() -> list[tuple[AnalysisJob, AnalysisResult | None]]:
        engine = create_engine(url)
        sessions = session_factory(engine)
        try:
            async with sessions() as session:
                _, _, env = await ensure_environment(session, team="shop",
                                                     service="frontend",
                                                     environment="prod", now=END)
                await session.commit()
            worker = build_worker(settings, sessions, name="sources-test", clock=lambda: END)
            out = []
            for _ in range(jobs):
                async with sessions() as session:
                    job = await analysis.enqueue(
                        session, environment_id=env.id, lookback_seconds=lookback_s,
                        strategy="balanced", requested_by="key:test", max_attempts=1, now=END,
                        end=END)
                    await session.commit()
                assert await worker.run_once()
                async with sessions() as session:
                    done = await analysis.get_job(session, job.id)
                    assert done is not None
                    result = (await analysis.get_result(session, done.result_id)
                              if done.result_id else None)
                    out.append((done, result))
            return out
        finally:
            await engine.dispose()

    return asyncio.run(go())


def requests_of(document: dict[str, Any], service: str) -> int:
    """Requests of the journeys entering at ``service``, as discovery counts them in the file."""
    found = discover([decode_bytes(json.dumps(document).encode(), source="shop.json")])
    return sum(j.requests for j in found.journeys if j.entry.service == service)


def settings_for(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    monkeypatch.setenv("SLO_SCOUT_STATS_RETENTION_DAYS", "0")
    monkeypatch.setenv("SLO_SCOUT_HISTORY__METRIC_FAMILY", "spanmetrics")
    for key, value in env.items():
        monkeypatch.setenv(f"SLO_SCOUT_SOURCES__{key}", value)
    return Settings()


def test_a_team_that_runs_only_tempo_gets_its_analysis_counted_once(
    db: str, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    tempo = tempo_server(tenant="shop")
    tempo.add_document(shop)
    try:
        settings = settings_for(monkeypatch, TRACES__URL=tempo.url, TRACES__TENANT="shop")
        (first, result), (_second, again) = run_jobs(db, settings, jobs=2)
        assert first.status == "succeeded", first.error
        assert result is not None and again is not None
        source = result.summary["source"]
        having = sum("frontend" in t.services for t in tempo.traces.values())
        assert source["found"] == source["fetched"] == source["recorded"] == having > 250
        assert source["problems"] == 0
        assert source["source"].startswith(f"tempo at {tempo.url} ")
        assert result.summary["requests"] == requests_of(shop, "frontend")
        assert result.summary["journeys"] >= 4
        # the second job pulls the same window: the ledger counts nothing twice
        assert again.summary["source"]["recorded"] == 0
        assert again.summary["source"]["counted_before"] == having
        assert again.summary["requests"] == requests_of(shop, "frontend")
        query = tempo.requests_to("/api/search")[0].params["q"]
        assert query == '{ resource.service.name = "frontend" }'
    finally:
        tempo.close()


def test_pulled_traces_older_than_the_retention_are_refused_and_counted(
    db: str, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As API ingest refuses them: the next retention pass would drop their statistics."""
    two_days_ns = 2 * 86400 * 10**9
    old = copy.deepcopy(shop)
    ids = sorted({s["traceId"].lower() for rs in old["resourceSpans"]
                  for ss in rs["scopeSpans"] for s in ss["spans"]})
    shifted = set(ids[::3])  # a third of the traces, two days before the rest
    for rs in old["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                if span["traceId"].lower() in shifted:
                    for field in ("startTimeUnixNano", "endTimeUnixNano"):
                        span[field] = str(int(span[field]) - two_days_ns)
    tempo = tempo_server()
    tempo.add_document(old)
    frontend = {t for t, v in tempo.traces.items() if "frontend" in v.services}
    too_old = frontend & shifted
    try:
        settings = settings_for(monkeypatch, TRACES__URL=tempo.url).model_copy(
            update={"stats_retention_days": 1})
        [(job, result)] = run_jobs(db, settings, lookback_s=3 * 86400)
        assert job.status == "succeeded", job.error
        assert result is not None
        source = result.summary["source"]
        assert len(too_old) > 50
        assert source["found"] == source["fetched"] == len(frontend)
        assert source["recorded"] == len(frontend - too_old)
        assert source["too_old"] == len(too_old)
        assert source["not_before"] == (END - timedelta(days=1)).isoformat()
        assert len(source["first_too_old"]) == 10
        assert all(entry.split(" ")[0] in too_old for entry in source["first_too_old"])
        # only the recent traces are counted in the statistics
        recent = {t for t in ids if t not in shifted}
        assert result.summary["requests"] == requests_of(
            {"resourceSpans": [
                {**rs, "scopeSpans": [{**ss, "spans": [
                    s for s in ss["spans"] if s["traceId"].lower() in recent]}
                    for ss in rs["scopeSpans"]]} for rs in shop["resourceSpans"]]},
            "frontend")
    finally:
        tempo.close()


def test_a_trace_gone_before_its_fetch_is_in_the_result_not_lost_silently(
    db: str, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    tempo: TempoServer = tempo_server()
    tempo.add_document(shop)
    gone = sorted(t for t, v in tempo.traces.items() if "frontend" in v.services)[:2]
    having = sum("frontend" in t.services for t in tempo.traces.values())
    tempo.vanish_after_search.update(gone)
    try:
        settings = settings_for(monkeypatch, TRACES__URL=tempo.url)
        [(job, result)] = run_jobs(db, settings)
        assert job.status == "succeeded", job.error
        assert result is not None
        source = result.summary["source"]
        assert source["recorded"] == having - 2 and source["problems"] == 2
        assert all("gone between search and fetch" in p for p in source["first_problems"])
    finally:
        tempo.close()


def test_a_source_refusing_the_job_fails_it_with_an_error_naming_source_url_and_status(
    db: str, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    tempo = tempo_server(tenant="shop")
    tempo.add_document(shop)
    try:
        url = tempo.url.replace("http://", "http://user:hunter2@")
        settings = settings_for(monkeypatch, TRACES__URL=url)  # no tenant
        [(job, result)] = run_jobs(db, settings)
        assert job.status == "failed" and result is None
        assert f"tempo at {tempo.url.replace('http://', 'http://***@')}/api/echo: HTTP 401" \
            in (job.error or "")
        assert "hunter2" not in (job.error or "")
    finally:
        tempo.close()


def test_an_environment_can_name_its_own_jaeger(
    db: str, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    jaeger = jaeger_server()
    for trace_id, parts in otlp_traces(shop).items():
        jaeger.add(jaeger_trace(trace_id, parts))
    try:
        settings = settings_for(monkeypatch, ENVIRONMENTS=json.dumps(
            {"frontend/prod": {"kind": "jaeger", "url": jaeger.url}}))
        [(job, result)] = run_jobs(db, settings)
        assert job.status == "succeeded", job.error
        assert result is not None
        having = sum(any(p["serviceName"] == "frontend" for p in t["processes"].values())
                     for t in jaeger.traces.values())
        assert result.summary["source"]["recorded"] == having > 250
        assert result.summary["requests"] == requests_of(shop, "frontend")
    finally:
        jaeger.close()


ADMIN_KEY = "ssk_5a11ce5a11ce_sources-admin-secret-0123456789abcdef"


def test_post_analyze_works_for_a_team_that_runs_only_tempo(
    db: str, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Register the service, ask for an analysis, let the worker run: no upload, no pipeline."""
    from fastapi.testclient import TestClient

    from slo_scout.api.app import create_app

    tempo = tempo_server(tenant="shop")
    tempo.add_document(shop)
    try:
        monkeypatch.setenv("SLO_SCOUT_DATABASE_URL", db)
        monkeypatch.setenv("SLO_SCOUT_AUTH__BOOTSTRAP_ADMIN_KEY", ADMIN_KEY)
        settings = settings_for(monkeypatch, TRACES__URL=tempo.url, TRACES__TENANT="shop")
        with TestClient(create_app(settings, clock=lambda: END)) as client:
            client.headers["X-API-Key"] = ADMIN_KEY
            registered = client.post("/api/v1/services", json={
                "name": "frontend", "team": "shop", "environments": ["prod"]})
            assert registered.status_code == 201, registered.text
            queued = client.post("/api/v1/analyze", json={
                "service": "frontend", "environment": "prod", "lookback": "2h"})
            assert queued.status_code == 202, queued.text

            async def work() -> None:
                engine = create_engine(db)
                try:
                    worker = build_worker(settings, session_factory(engine), name="w",
                                          clock=lambda: END)
                    assert await worker.run_once()
                finally:
                    await engine.dispose()

            asyncio.run(work())
            status = client.get(f"/api/v1/analyze/{queued.json()['id']}").json()
            assert status["status"] == "succeeded", status
            assert "pull_s" in status["timings"]
            result = client.get(status["links"]["result"]).json()
            assert result["summary"]["source"]["recorded"] > 250
            assert result["summary"]["requests"] == requests_of(shop, "frontend")
            assert {r["journey_key"] for r in result["recommendations"]}
    finally:
        tempo.close()


CHARGE = "charge failed: card <NUM> declined after <DURATION> traceId=<HEX>"
UPSTREAM = "error: upstream checkout unavailable (attempt <NUM>) trace_id=<HEX>"


def error_logs(tempo: TempoServer) -> tuple[LokiServer, set[str], set[str]]:
    """A Loki holding error lines logged in stored traces: payment's in six traces that reach
    it, frontend's in four that reach checkout, one in a trace nobody stored, and a line that
    is no error. Returns it with the trace ids of each template."""
    frontend = sorted((t for t in tempo.traces.values() if "frontend" in t.services),
                      key=lambda t: t.trace_id)
    paying = [t for t in frontend if "payment" in t.services][:6]
    checking = [t for t in frontend if "checkout" in t.services][-4:]
    loki = loki_server(tenant="shop")
    loki.streams.append(({"service_name": "payment"}, [
        (t.start_ns + 1000, f"charge failed: card {4000 + i} declined after {300 + i}ms "
                            f"traceId={t.trace_id}") for i, t in enumerate(paying)]))
    loki.streams.append(({"service_name": "frontend"}, [
        *[(t.start_ns + 2000, f"error: upstream checkout unavailable (attempt {i}) "
                              f"trace_id={t.trace_id}") for i, t in enumerate(checking)],
        (frontend[0].start_ns, f"GET /cart 200 in 12ms trace_id={frontend[0].trace_id}"),
        (frontend[0].start_ns + 5, "error: upstream checkout unavailable (attempt 9) "
                                   f"trace_id={'f' * 32}"),
    ]))
    return loki, {t.trace_id for t in paying}, {t.trace_id for t in checking}


def test_an_analysis_job_mines_the_environments_loki_into_templates_linked_to_its_journeys(
    db: str, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Error lines of traces the job pulled: GET /logs/templates and the journey detail show
    their templates linked to the journeys; the Loki of the environment's entry is read with
    its tenant, and a second job over the same window links nothing twice."""
    from fastapi.testclient import TestClient

    from slo_scout.api.app import create_app

    tempo = tempo_server(tenant="shop")
    tempo.add_document(shop)
    loki, paying, checking = error_logs(tempo)
    try:
        monkeypatch.setenv("SLO_SCOUT_DATABASE_URL", db)
        monkeypatch.setenv("SLO_SCOUT_AUTH__BOOTSTRAP_ADMIN_KEY", ADMIN_KEY)
        settings = settings_for(
            monkeypatch, TRACES__URL=tempo.url, TRACES__TENANT="shop",
            ENVIRONMENTS=json.dumps({"frontend/prod": {"logs": {"url": loki.url,
                                                                 "tenant": "shop"}}}))
        with TestClient(create_app(settings, clock=lambda: END)) as client:
            client.headers["X-API-Key"] = ADMIN_KEY
            assert client.post("/api/v1/services", json={
                "name": "frontend", "team": "shop", "environments": ["prod"]}).status_code == 201

            def analyse() -> dict[str, Any]:
                queued = client.post("/api/v1/analyze", json={
                    "service": "frontend", "environment": "prod", "lookback": "2h",
                    "end": END.isoformat()})
                assert queued.status_code == 202, queued.text

                async def work() -> None:
                    engine = create_engine(db)
                    try:
                        worker = build_worker(settings, session_factory(engine), name="w",
                                              clock=lambda: END)
                        assert await worker.run_once()
                    finally:
                        await engine.dispose()

                asyncio.run(work())
                status = client.get(f"/api/v1/analyze/{queued.json()['id']}").json()
                assert status["status"] == "succeeded", status
                assert "logs_s" in status["timings"]
                summary: dict[str, Any] = client.get(status["links"]["result"]).json()["summary"]
                return summary

            logs = analyse()["source"]["logs"]
            assert logs["source"] == f"loki at {loki.url}"
            assert (logs["lines"], logs["templates"], logs["problems"]) == (11, 2, 0)
            assert logs["linked_traces"] == len(paying) + len(checking) + 1
            seen = loki.requests_to("/loki/api/v1/query_range")
            assert seen and all(s.headers.get("X-Scope-OrgID") == "shop" for s in seen)
            queries = {s.params["query"] for s in seen}
            assert '{service_name="payment"} |~ "(?i)(error|exception|fatal|panic|fail)"' \
                in queries and len(queries) == logs["queries"] > 2

            page = client.get("/api/v1/logs/templates", params={
                "service": "frontend", "environment": "prod"})
            assert page.status_code == 200, page.text
            by_text = {t["template"]: t for t in page.json()["items"]}
            assert set(by_text) == {CHARGE, UPSTREAM}
            charge, upstream = by_text[CHARGE], by_text[UPSTREAM]
            assert (charge["service"], charge["occurrences"], charge["traces"]) == (
                "payment", 6, 6)
            # the unstored trace logged the upstream error too, but belongs to no journey
            assert (upstream["occurrences"], upstream["traces"]) == (5, 4)
            assert sum(j["traces"] for j in charge["journeys"]) == 6
            assert sum(j["traces"] for j in upstream["journeys"]) == 4
            for template in (charge, upstream):
                for journey in template["journeys"]:
                    detail = client.get(f"/api/v1/journeys/{journey['journey_id']}").json()
                    logged = {t["template"]: t for t in detail["log_templates"]}
                    assert logged[template["template"]]["occurrences"] == journey["traces"]

            # the same window again: lines count again, links are a set
            again = analyse()["source"]["logs"]
            assert (again["lines"], again["templates"]) == (11, 2)
            repeat = {t["template"]: t for t in client.get("/api/v1/logs/templates", params={
                "service": "frontend", "environment": "prod"}).json()["items"]}
            assert (repeat[CHARGE]["occurrences"], repeat[CHARGE]["traces"]) == (12, 6)
    finally:
        tempo.close()
        loki.close()


def test_a_loki_that_refuses_is_a_partial_failure_never_a_failed_analysis(
    db: str, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    tempo = tempo_server()
    tempo.add_document(shop)
    loki, _, _ = error_logs(tempo)  # wants tenant "shop"
    try:
        url = loki.url.replace("http://", "http://ops:s3cret@")
        settings = settings_for(monkeypatch, TRACES__URL=tempo.url, LOGS__URL=url)
        [(job, result)] = run_jobs(db, settings)
        assert job.status == "succeeded", job.error
        assert result is not None
        logs = result.summary["source"]["logs"]
        assert logs["templates"] == logs["lines"] == 0
        assert logs["problems"] == logs["queries"] > 2
        where = loki.url.replace("http://", "http://***@")
        assert all(p.startswith(f"loki at {where}/loki/api/v1/query_range") and "HTTP 401" in p
                   for p in logs["first_problems"])
        assert "s3cret" not in json.dumps(result.summary)
        assert result.summary["source"]["recorded"] > 250  # the traces are kept
    finally:
        tempo.close()
        loki.close()


def test_an_environment_reads_its_own_mimir_with_its_tenant(
    db: str, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``history`` in the environment's entry: its jobs read SLI history from that server (with
    its tenant), not from the stored statistics; other environments keep the common source."""
    tempo = tempo_server()
    tempo.add_document(shop)
    mimir = prometheus_server(prefix="/prometheus", tenant="pay")
    try:
        settings = settings_for(monkeypatch, TRACES__URL=tempo.url, ENVIRONMENTS=json.dumps({
            "frontend/prod": {"history": {"url": mimir.url, "tenant": "pay"}},
            "frontend/staging": {"history": {"url": mimir.url}}}))
        [(job, result)] = run_jobs(db, settings)
        assert job.status == "succeeded", job.error
        assert result is not None
        assert result.summary["history_source"] == "prometheus"
        seen = mimir.requests_to("/prometheus/api/v1/query_range")
        assert seen and all(s.headers.get("X-Scope-OrgID") == "pay" for s in seen)
        # each journey's SLI queries, as the common history server would be asked
        keys = {r["journey_key"] for r in result.recommendations}
        assert len(seen) >= 2 * len(keys) > 0
    finally:
        tempo.close()
        mimir.close()


def test_without_its_own_history_an_environment_reads_the_stored_statistics(
    db: str, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    tempo = tempo_server()
    tempo.add_document(shop)
    mimir = prometheus_server(prefix="/prometheus")
    try:
        settings = settings_for(monkeypatch, TRACES__URL=tempo.url, ENVIRONMENTS=json.dumps({
            "frontend/staging": {"history": {"url": mimir.url}}}))
        [(job, result)] = run_jobs(db, settings)
        assert job.status == "succeeded", job.error
        assert result is not None
        assert result.summary["history_source"] == "stored journey statistics"
        assert mimir.seen == []
    finally:
        tempo.close()
        mimir.close()
