"""``slo-scout pipeline``: the PyFlink journey job, on a local MiniCluster or a cluster."""

from __future__ import annotations

import typer


def pipeline_command(
    local: bool = typer.Option(False, "--local", help="Run on an in-process MiniCluster."),
    bootstrap_servers: str = typer.Option(None, "--kafka", help="Kafka bootstrap servers."),
    database: str = typer.Option(None, "--database", help="PostgreSQL DSN for journey stats."),
    restore_from: str = typer.Option(None, "--restore-from",
                                     help="Checkpoint or savepoint path to resume from."),
    session_gap: float = typer.Option(None, "--session-gap", help="Trace session gap, seconds."),
) -> None:
    """Turn the spans topic into journeys and per-minute stats (settings: SLO_SCOUT_PIPELINE_*)."""
    try:
        from slo_scout_streaming.journey_job import run
        from slo_scout_streaming.settings import PipelineSettings
    except ImportError as exc:
        typer.echo(f"the pipeline needs the 'streaming' extra and PyFlink: {exc}", err=True)
        raise typer.Exit(2) from exc
    if not local:
        typer.echo("Submit to a Flink cluster with: flink run --python "
                   "streaming/slo_scout_streaming/journey_job.py (same SLO_SCOUT_PIPELINE_* "
                   "settings); use --local for an in-process MiniCluster.", err=True)
        raise typer.Exit(2)
    overrides = {k: v for k, v in {"bootstrap_servers": bootstrap_servers,
                                   "database_dsn": database, "restore_from": restore_from,
                                   "session_gap_s": session_gap}.items() if v is not None}
    run(PipelineSettings(**overrides))
