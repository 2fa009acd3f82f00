"""``slo-scout collect``: the collector (OTLP/HTTP, OTLP/gRPC, remote_write, Loki) into Kafka."""

from __future__ import annotations

import typer


def collect_command(
    bootstrap_servers: str = typer.Option(None, "--kafka", help="Kafka bootstrap servers "
                                          "(default: SLO_SCOUT_COLLECTOR_BOOTSTRAP_SERVERS)."),
    http_port: int = typer.Option(None, "--http-port", help="OTLP/HTTP port (4318)."),
    grpc_port: int = typer.Option(None, "--grpc-port", help="OTLP/gRPC port (4317; 0: off)."),
    host: str = typer.Option(None, "--host", help="Address to listen on (0.0.0.0)."),
    no_idempotence: bool = typer.Option(
        False, "--no-idempotence",
        help="Produce without the idempotent producer, for a broker that lacks InitProducerId "
             "(tansu; default: SLO_SCOUT_COLLECTOR_IDEMPOTENT, on)."),
) -> None:
    """Receive telemetry and produce it to Kafka; answers only after Kafka acknowledged.

    OTLP/HTTP traces, metrics and logs (/v1/traces, /v1/metrics, /v1/logs), OTLP/gRPC,
    Prometheus remote_write (/api/v1/write) and Loki push (/loki/api/v1/push). Settings:
    SLO_SCOUT_COLLECTOR_* (collectors/slo_scout_collectors/settings.py); the options override
    them.

    Examples:

        # Apache Kafka on its default port
        slo-scout collect --kafka kafka:9092

        # the tansu broker of the streaming quick start (no InitProducerId)
        slo-scout collect --kafka 127.0.0.1:9092 --no-idempotence
    """
    try:
        from slo_scout_collectors.server import run
        from slo_scout_collectors.settings import CollectorSettings
    except ImportError as exc:
        typer.echo(f"the collector needs the 'streaming' extra: {exc}", err=True)
        raise typer.Exit(2) from exc
    overrides = {k: v for k, v in {"bootstrap_servers": bootstrap_servers,
                                   "http_port": http_port, "grpc_port": grpc_port,
                                   "host": host,
                                   "idempotent": False if no_idempotence else None,
                                   }.items() if v is not None}
    run(CollectorSettings(**overrides))
