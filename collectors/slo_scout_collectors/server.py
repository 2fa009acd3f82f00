"""Runs the collector: the HTTP receivers (uvicorn) and the gRPC receiver on one event loop."""

from __future__ import annotations

import asyncio

import uvicorn

from slo_scout.http_limits import header_deadline_protocol
from slo_scout_collectors.grpc_server import build_server
from slo_scout_collectors.http_app import CollectorApp
from slo_scout_collectors.metrics import CollectorMetrics
from slo_scout_collectors.pipeline import KafkaPipeline
from slo_scout_collectors.settings import CollectorSettings


async def serve(settings: CollectorSettings) -> None:
    metrics = CollectorMetrics()
    pipeline = KafkaPipeline(settings, metrics)
    app = CollectorApp(pipeline, metrics)
    # uvicorn has no header timeout of its own: slo_scout.http_limits adds one
    config = uvicorn.Config(app, host=settings.host, port=settings.http_port, lifespan="on",
                            log_level="warning", access_log=False,
                            http=header_deadline_protocol(settings.header_timeout_s),
                            limit_concurrency=settings.max_connections)
    http = uvicorn.Server(config)
    grpc_server = None
    if settings.grpc_port:
        grpc_server = build_server(pipeline, metrics, f"{settings.host}:{settings.grpc_port}",
                                   settings)
    try:
        # uvicorn's lifespan starts the Kafka producer; gRPC starts once HTTP is up.
        http_task = asyncio.create_task(http.serve())
        while not http.started and not http_task.done():
            await asyncio.sleep(0.05)
        if grpc_server is not None and not http_task.done():
            await grpc_server.start()
        await http_task
    finally:
        if grpc_server is not None:
            await grpc_server.stop(grace=2)


def run(settings: CollectorSettings) -> None:
    asyncio.run(serve(settings))
