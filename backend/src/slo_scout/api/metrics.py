"""Prometheus metrics of the API process: requests, jobs, ingest; one registry per app."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

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


def install(app: FastAPI, metrics: ApiMetrics, prefix: str) -> None:
    @app.middleware("http")
    async def _measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        began = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        # routers included under a prefix keep their own path: put the prefix back
        if route is not None and request.url.path.startswith(prefix + "/"):
            template = prefix + template
        metrics.requests.labels(request.method, template, str(response.status_code)).inc()
        metrics.latency.labels(request.method, template).observe(time.perf_counter() - began)
        return response

    @app.get("/metrics", include_in_schema=False)
    async def _metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
