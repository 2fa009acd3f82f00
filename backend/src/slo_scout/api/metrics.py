"""Prometheus metrics of the API process: requests, jobs, ingest; one registry per app."""

from __future__ import annotations

import time

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slo_scout.control.analysis import repository as analysis

JOB_STATES = ("queued", "running", "succeeded", "failed")
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "slo_scout_http_requests_total", "HTTP requests served",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "slo_scout_http_request_duration_seconds", "HTTP request latency",
            ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.jobs = Counter(
            "slo_scout_analysis_jobs_total", "Analysis jobs by event",
            ["event"], registry=self.registry,
        )
        # read from the database at scrape time: jobs finish in worker processes
        self.job_states = Gauge(
            "slo_scout_analysis_jobs_by_status", "Analysis jobs in the database by status",
            ["status"], registry=self.registry,
        )
        self.ingest_spans = Counter(
            "slo_scout_ingest_spans_total", "Spans accepted by ingest", registry=self.registry
        )
        self.ingest_rejected = Counter(
            "slo_scout_ingest_rejected_records_total", "Records ingest could not read",
            registry=self.registry,
        )
        self.ingest_requests = Counter(
            "slo_scout_ingest_requests_total", "Ingest requests by outcome",
            ["outcome"], registry=self.registry,
        )
        self.ingest_latency = Histogram(
            "slo_scout_ingest_duration_seconds", "Ingest request processing time",
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )


class _Measure:
    """Pure ASGI middleware (no per-request task group, unlike ``@app.middleware``)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics, prefix: str) -> None:
        self.app, self.metrics, self.prefix = app, metrics, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = [500]

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            # routers included under a prefix keep their own path: put the prefix back
            if route is not None and scope["path"].startswith(self.prefix + "/") and (
                    not template.startswith(self.prefix)):
                template = self.prefix + template
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status[0])).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - began)


def install(app: FastAPI, metrics: ApiMetrics, prefix: str) -> None:
    app.add_middleware(_Measure, metrics=metrics, prefix=prefix)

    @app.get("/metrics", include_in_schema=False)
    async def _metrics(request: Request) -> Response:
        async with request.app.state.sessions() as session:
            counts = await analysis.jobs_by_status(session)
        for status in JOB_STATES:
            metrics.job_states.labels(status).set(counts.get(status, 0))
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
