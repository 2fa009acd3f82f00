"""OTLP/gRPC on 4317: the Trace, Metrics and Logs services of opentelemetry-proto.

Status codes follow the OTLP spec: INVALID_ARGUMENT for undecodable data and for a record
Kafka can never take (neither is retried; both are dead-lettered),
RESOURCE_EXHAUSTED with RetryInfo-free retry semantics when the buffer is full and UNAVAILABLE
when Kafka does not acknowledge (both retried by exporters).
"""

from __future__ import annotations

from typing import Any

import grpc

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
    RecordTooLarge,
    TooLarge,
)
from slo_scout_collectors.settings import CollectorSettings


class _Receiver:
    def __init__(self, pipeline: KafkaPipeline, metrics: CollectorMetrics,
                 max_body_bytes: int) -> None:
        self.pipeline = pipeline
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def handle(self, signal: Signal, body: bytes, context: grpc.aio.ServicerContext) -> Any:
        # The request arrives as its bytes (see build_server): garbage is INVALID_ARGUMENT here,
        # where gRPC's own deserialiser would answer UNKNOWN, and traces take the core's fast
        # decoder without a parse and re-serialisation.
        max_record = self.pipeline.settings.max_record_bytes
        try:
            if signal == "traces":
                decoded: Decoded = decode_traces(body, "protobuf", source="OTLP/gRPC",
                                                 max_inflated=self.max_body_bytes,
                                                 max_record_bytes=max_record)
            elif signal == "metrics":
                decoded = decode_metrics(body, "protobuf")
            else:
                decoded = decode_logs(body, "protobuf")
        except Undecodable as exc:
            self.metrics.dropped.labels(signal, "invalid").inc()
            await self.pipeline.dead_letter(signal, str(exc), body, "application/grpc")
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except RecordTooLarge as exc:
            await self._refuse_too_large(signal, str(exc), body, context)
        except TooLarge as exc:
            self.metrics.dropped.labels(signal, "too_large").inc()
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
        try:
            if signal == "traces":
                await self.pipeline.send_spans(decoded.fragments)
            else:
                await self.pipeline.send_payload(signal, decoded.payload, decoded.items,
                                                 f"otlp.{signal}.protobuf")
        except RecordTooLarge as exc:
            await self._refuse_too_large(signal, str(exc), body, context)
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
            for fragment in decoded.oversized:
                await self.pipeline.dead_letter(signal, decoded.message, fragment.value,
                                                "application/x-slo-scout-spans")
        return response(signal, decoded)

    async def _refuse_too_large(self, signal: Signal, reason: str, body: bytes,
                                context: grpc.aio.ServicerContext) -> None:
        # A record Kafka can never take: INVALID_ARGUMENT, which exporters never retry.
        self.metrics.dropped.labels(signal, "record_too_large").inc()
        await self.pipeline.dead_letter(signal, reason, body, "application/grpc")
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, reason)


# The three OTLP services (opentelemetry-proto's collector/*/v1/*_service.proto), each with
# one unary method, Export.
_SERVICES: tuple[tuple[str, Signal], ...] = (
    ("opentelemetry.proto.collector.trace.v1.TraceService", "traces"),
    ("opentelemetry.proto.collector.metrics.v1.MetricsService", "metrics"),
    ("opentelemetry.proto.collector.logs.v1.LogsService", "logs"),
)


def _handler(receiver: _Receiver, signal: Signal) -> grpc.GenericRpcHandler:
    async def export(body: bytes, context: grpc.aio.ServicerContext) -> Any:
        return await receiver.handle(signal, body, context)

    # No request_deserializer: the method receives the raw request bytes.
    return grpc.unary_unary_rpc_method_handler(
        export, response_serializer=lambda message: message.SerializeToString())


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
    server.add_generic_rpc_handlers([
        grpc.method_handlers_generic_handler(name, {"Export": _handler(receiver, signal)})
        for name, signal in _SERVICES
    ])
    server.add_insecure_port(address)
    return server
