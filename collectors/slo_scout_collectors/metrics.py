"""The collector's own Prometheus metrics, served on ``/metrics``."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class CollectorMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.accepted = Counter("slo_scout_collector_accepted_items",
                                "Items acknowledged by Kafka.", ["signal", "protocol"],
                                registry=r)
        self.refused = Counter("slo_scout_collector_refused_items",
                               "Items refused as invalid (never retried).",
                               ["signal", "protocol"], registry=r)
        self.dropped = Counter("slo_scout_collector_dropped_requests",
                               "Requests turned away for backpressure or Kafka failure "
                               "(the client retries).", ["signal", "reason"], registry=r)
        self.dead_letters = Counter("slo_scout_collector_dead_letters",
                                    "Records written to the dead-letter topic.", ["signal"],
                                    registry=r)
        self.kafka_latency = Histogram("slo_scout_collector_kafka_ack_seconds",
                                       "Time from produce to Kafka acknowledgement.",
                                       buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                0.25, 0.5, 1, 2.5, 5, 10), registry=r)
        self.buffer_fill = Gauge("slo_scout_collector_buffer_items",
                                 "Items waiting for Kafka acknowledgement.", registry=r)
        self.buffer_capacity = Gauge("slo_scout_collector_buffer_capacity_items",
                                     "Most items that may wait for Kafka.", registry=r)
