"""OTLP/gRPC on 4317: the Trace, Metrics and Logs services of opentelemetry-proto.

Status codes follow the OTLP spec: INVALID_ARGUMENT for undecodable data (not retried),
RESOURCE_EXHAUSTED with RetryInfo-free retry semantics when the buffer is full and UNAVAILABLE
when Kafka does not acknowledge (both retried by exporters).
"""

from __future__ import annotations

from typing import Any

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from slo_scout_collectors.metrics import CollectorMetrics
from slo_scout_collectors.otlp import (
    Decoded,
    Signal,
    Undecodable,
    decode_logs,
    decode_metrics,
    decode_traces,
    response,
)
from slo_scout_collectors.pipeline import (
    Backpressure,
    KafkaPipeline,
    KafkaUnavailable,
    TooLarge,
)
from slo_scout_collectors.settings import CollectorSettings


class _Receiver:
    def __init__(self, pipeline: KafkaPipeline, metrics: CollectorMetrics,
                 max_body_bytes: int) -> None:
        self.pipeline = pipeline
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def handle(self, signal: Signal, request: Any, context: grpc.aio.ServicerContext) -> Any:
        # The request arrives parsed; re-serialising it lets traces take the core's fast decoder.
        body = request.SerializeToString()
        try:
            if signal == "traces":
                decoded: Decoded = decode_traces(body, "protobuf", source="OTLP/gRPC",
                                                 max_inflated=self.max_body_bytes)
            elif signal == "metrics":
                decoded = decode_metrics(body, "protobuf")
            else:
                decoded = decode_logs(body, "protobuf")
        except Undecodable as exc:
            self.metrics.dropped.labels(signal, "invalid").inc()
            await self.pipeline.dead_letter(signal, str(exc), body, "application/grpc")
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except TooLarge as exc:
            self.metrics.dropped.labels(signal, "too_large").inc()
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
        try:
            if signal == "traces":
                await self.pipeline.send_spans(decoded.fragments)
            else:
                await self.pipeline.send_payload(signal, decoded.payload, decoded.items,
                                                 f"otlp.{signal}.protobuf")
        except TooLarge as exc:
            # Without RetryInfo, OTLP exporters do not retry RESOURCE_EXHAUSTED.
            self.metrics.dropped.labels(signal, "too_large").inc()
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
        except Backpressure as exc:
            self.metrics.dropped.labels(signal, "backpressure").inc()
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
        except KafkaUnavailable as exc:
            self.metrics.dropped.labels(signal, "kafka_unavailable").inc()
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
        self.metrics.accepted.labels(signal, "otlp_grpc").inc(decoded.items)
        if decoded.rejected:
            self.metrics.refused.labels(signal, "otlp_grpc").inc(decoded.rejected)
        return response(signal, decoded)


class _Traces(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, receiver: _Receiver) -> None:
        self.receiver = receiver

    async def Export(self, request: trace_service_pb2.ExportTraceServiceRequest,
                     context: grpc.aio.ServicerContext) -> Any:
        return await self.receiver.handle("traces", request, context)


class _Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, receiver: _Receiver) -> None:
        self.receiver = receiver

    async def Export(self, request: metrics_service_pb2.ExportMetricsServiceRequest,
                     context: grpc.aio.ServicerContext) -> Any:
        return await self.receiver.handle("metrics", request, context)


class _Logs(logs_service_pb2_grpc.LogsServiceServicer):
    def __init__(self, receiver: _Receiver) -> None:
        self.receiver = receiver

    async def Export(self, request: logs_service_pb2.ExportLogsServiceRequest,
                     context: grpc.aio.ServicerContext) -> Any:
        return await self.receiver.handle("logs", request, context)


def server_options(settings: CollectorSettings) -> list[tuple[str, int]]:
    """gRPC's own limits: the message size (checked after grpc-encoding inflation, so a
    compressed bomb is refused by gRPC before it reaches us), the handshake of a connection
    that never speaks, idle connections and streams per connection."""
    return [
        ("grpc.max_receive_message_length", settings.max_body_bytes),
        ("grpc.server_handshake_timeout_ms", int(settings.header_timeout_s * 1000)),
        ("grpc.max_connection_idle_ms", int(settings.grpc_max_idle_s * 1000)),
        ("grpc.max_concurrent_streams", settings.grpc_max_concurrent_streams),
    ]


def build_server(pipeline: KafkaPipeline, metrics: CollectorMetrics, address: str,
                 settings: CollectorSettings) -> grpc.aio.Server:
    server = grpc.aio.server(options=server_options(settings))
    receiver = _Receiver(pipeline, metrics, settings.max_body_bytes)
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_Traces(receiver), server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(_Metrics(receiver), server)
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(_Logs(receiver), server)
    server.add_insecure_port(address)
    return server
