"""``slo-scout pipeline``: the streaming jobs, on a local MiniCluster or a cluster.

``--job all`` (the default with ``--local``) runs the three jobs side by side: the PyFlink
journey job in this process, and the embedding job and the catalog job (Kafka consumer groups,
see their modules for why they are not Flink operators) as child processes with the same
``SLO_SCOUT_PIPELINE_*`` settings. The children are stopped when the journey job ends, and
when this process is stopped: SIGTERM (what systemd, Kubernetes and ``kill`` send) ends the
journey job and stops the children before the process exits, and a child whose parent died
anyway (SIGKILL) is sent SIGTERM by the kernel (Linux). The database's schema is checked before
anything starts.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import signal
import subprocess
import sys
from enum import StrEnum
from types import FrameType
from typing import Any

import typer

_MODULES = {"embeddings": "slo_scout_streaming.embedding_job",
            "catalog": "slo_scout_streaming.catalog_job"}


class Job(StrEnum):
    all = "all"
    journeys = "journeys"
    embeddings = "embeddings"
    catalog = "catalog"


_JOB_OPTION = typer.Option(Job.all, "--job", help="Which job to run (all: the three).")


def _start_children(jobs: list[str], env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    children = []
    for job in jobs:
        if job == "embeddings" and importlib.util.find_spec("torch") is None:
            typer.echo("embedding job skipped: torch is not installed (the 'embeddings' extra)",
                       err=True)
            continue
        children.append(subprocess.Popen([sys.executable, "-m", _MODULES[job]], env=env,
                                         preexec_fn=_die_with_parent))
    return children


def _die_with_parent() -> None:
    # Runs in the child before exec: the kernel sends it SIGTERM when this process dies, even
    # by SIGKILL, so no consumer job outlives the pipeline. Linux only; elsewhere a no-op.
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM))


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Raised in the main thread, where the journey job waits on the JVM: the wait ends, the
    # ``finally`` below stops the children, and the JVM exits with this process.
    raise SystemExit(128 + signum)


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def pipeline_command(
    local: bool = typer.Option(False, "--local", help="Run on an in-process MiniCluster."),
    job: Job = _JOB_OPTION,
    bootstrap_servers: str = typer.Option(None, "--kafka", help="Kafka bootstrap servers."),
    database: str = typer.Option(None, "--database", help="PostgreSQL DSN for journey stats."),
    milvus: str = typer.Option(None, "--milvus",
                               help="Milvus URI: a file for Milvus Lite, http://host:19530."),
    restore_from: str = typer.Option(None, "--restore-from",
                                     help="Checkpoint or savepoint path to resume from."),
    session_gap: float = typer.Option(None, "--session-gap", help="Trace session gap, seconds."),
    data_dir: str = typer.Option(None, "--data-dir",
                                 help="Checkpoints, Flink's logs and the Milvus Lite file go "
                                      "here (default: SLO_SCOUT_DATA_DIR, else "
                                      "~/.local/share/slo-scout)."),
) -> None:
    """Journeys and stats, journey vectors, metric catalog and log templates.

    Reads the spans, metrics and logs topics the collector writes. The database must be
    migrated first (`slo-scout migrate`); the pipeline checks its schema before it starts.
    SIGTERM stops every job it started. Settings: SLO_SCOUT_PIPELINE_*
    (streaming/slo_scout_streaming/settings.py); the options override them.

    Examples:

        # the three jobs on one machine, journey job on a local Flink MiniCluster
        slo-scout pipeline --local --kafka 127.0.0.1:9092 --database postgresql://db/slo_scout

        # resume with the open sessions of a checkpoint
        slo-scout pipeline --local --restore-from file:///data/checkpoints/JOB_ID/chk-42

        # one consumer job alone, beside a journey job on a Flink cluster
        slo-scout pipeline --job embeddings --milvus http://milvus:19530
    """
    try:
        from slo_scout_streaming.settings import PipelineSettings
    except ImportError as exc:
        typer.echo(f"the pipeline needs the 'streaming' extra: {exc}", err=True)
        raise typer.Exit(2) from exc
    given = {"bootstrap_servers": bootstrap_servers, "database_dsn": database,
             "milvus_uri": milvus, "restore_from": restore_from, "session_gap_s": session_gap,
             "data_dir": data_dir}
    overrides: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    settings = PipelineSettings(**overrides)
    if job in (Job.all, Job.journeys) and not local:
        typer.echo("Submit the journey job to a Flink cluster with: flink run --python "
                   "streaming/slo_scout_streaming/journey_job.py (same SLO_SCOUT_PIPELINE_* "
                   "settings) and run --job embeddings and --job catalog beside it; use --local "
                   "for an in-process MiniCluster.", err=True)
        raise typer.Exit(2)
    if job != Job.embeddings:  # the embedding job writes only to Milvus
        from slo_scout_streaming.schema import SchemaError, check_schema

        try:
            check_schema(settings.database_dsn)
        except SchemaError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
    if job in (Job.embeddings, Job.catalog):
        from importlib import import_module

        import_module(_MODULES[job.value]).run(settings)
        return
    try:
        from slo_scout_streaming.journey_job import run
    except ImportError as exc:
        typer.echo(f"the journey job needs PyFlink (scripts/install-pyflink.sh): {exc}", err=True)
        raise typer.Exit(2) from exc
    env = {**os.environ, **{f"SLO_SCOUT_PIPELINE_{k.upper()}": str(v)
                            for k, v in overrides.items()}}
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    children = _start_children(["embeddings", "catalog"], env) if job == Job.all else []
    try:
        run(settings)
    finally:
        _stop(children)
