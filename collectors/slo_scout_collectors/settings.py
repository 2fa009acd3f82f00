"""Settings of the collector, read from the environment (``SLO_SCOUT_COLLECTOR_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Topics(BaseSettings):
    spans: str = "otlp.spans"
    metrics: str = "otlp.metrics"
    logs: str = "otlp.logs"
    dead_letter: str = "dead.letter"


class CollectorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLO_SCOUT_COLLECTOR_", env_nested_delimiter="__")

    bootstrap_servers: str = "127.0.0.1:9092"
    host: str = "0.0.0.0"
    http_port: int = 4318
    grpc_port: int = 4317  # 0 turns the gRPC receiver off
    topics: Topics = Topics()
    # Items (spans, points, log records) accepted but not yet acknowledged by Kafka. Past it the
    # collector answers 429 with Retry-After instead of growing its memory; one request with
    # more items than this is refused with 413.
    max_buffered_items: int = 200_000
    # A decompressed body larger than this is refused with 413 before it is decoded. Decoded
    # spans take about 20x their protobuf size; 20 MiB is the OpenTelemetry Collector's default.
    max_body_bytes: int = 20 * 1024 * 1024
    # Body bytes all HTTP requests in flight may hold together; past it 503 with Retry-After.
    max_body_budget_bytes: int = 128 * 1024 * 1024
    # Slow clients: HTTP headers within header_timeout_s (also the gRPC handshake), a body
    # within body_timeout_s of its first read (408); past max_connections new requests get 503.
    header_timeout_s: float = Field(default=10.0, gt=0)
    body_timeout_s: float = Field(default=30.0, gt=0)
    max_connections: int = Field(default=1000, ge=1)
    # gRPC: a connection with no RPC for this long is closed; streams per connection.
    grpc_max_idle_s: float = Field(default=300.0, gt=0)
    grpc_max_concurrent_streams: int = Field(default=100, ge=1)
    # How long a request waits for Kafka's acknowledgement before answering 503.
    kafka_timeout_s: float = 10.0
    linger_ms: int = 5
    # Idempotent production needs InitProducerId, which Apache Kafka supports and the tansu
    # broker used in tests does not; switch it off only for such a broker.
    idempotent: bool = True
    retry_after_s: int = 1
    # The largest Kafka record value produced (a span bundle's few header bytes aside). A
    # trace's fragment (or a metrics/logs request) past it can never be delivered: its spans are
    # refused as rejected records (413 / INVALID_ARGUMENT when nothing else is left) and
    # dead-lettered, never retried. Bundles of smaller fragments stay under 1 MiB. The
    # producer's request limit is this plus 1 MiB of headroom for the batch framing; a broker
    # with a smaller message.max.bytes is answered the same way.
    max_record_bytes: int = 15 * 1024 * 1024
    # Dead-letter records keep at most this much of the refused payload.
    dead_letter_max_bytes: int = 1024 * 1024


@lru_cache(maxsize=1)
def get_settings() -> CollectorSettings:
    return CollectorSettings()
