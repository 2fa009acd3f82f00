"""Settings of the streaming jobs (``SLO_SCOUT_PIPELINE_*``).

Nothing defaults to the current directory: the connector jars live inside the installation
(``<sys.prefix>/share/slo-scout/flink-jars``, where ``scripts/fetch-flink-jars.sh`` puts them),
and checkpoints, Flink's logs and the Milvus Lite file live under the data dir
(``SLO_SCOUT_PIPELINE_DATA_DIR``, else ``SLO_SCOUT_DATA_DIR`` as the control plane reads it,
else ``~/.local/share/slo-scout``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_jars_dir() -> Path:
    """The Kafka connector jars' folder inside this installation (the virtualenv's prefix)."""
    return Path(sys.prefix) / "share" / "slo-scout" / "flink-jars"


def default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "slo-scout"


class PipelineSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLO_SCOUT_PIPELINE_", env_nested_delimiter="__",
                                      populate_by_name=True)

    bootstrap_servers: str = "127.0.0.1:9092"
    spans_topic: str = "otlp.spans"
    journeys_topic: str = "journeys.new"
    metrics_topic: str = "otlp.metrics"
    logs_topic: str = "otlp.logs"
    dead_letter_topic: str = "dead.letter"
    group_id: str = "slo-scout-journeys"
    database_dsn: str = "postgresql://postgres@127.0.0.1:5432/slo_scout"
    team: str = "default"
    environment: str = "production"
    data_dir: Path = Field(default_factory=default_data_dir, validation_alias=AliasChoices(
        "SLO_SCOUT_PIPELINE_DATA_DIR", "SLO_SCOUT_DATA_DIR"))
    # A trace is complete when none of its spans arrived for this long (event time).
    session_gap_s: float = 30.0
    # Spans may arrive this much out of order before the watermark passes them.
    lateness_s: float = 5.0
    # A Kafka partition with no record for this long (processing time) no longer holds the
    # watermark back, so one quiet partition does not stall every trace (0: never idle).
    idleness_s: float = 5.0
    parallelism: int = 1
    checkpoint_interval_ms: int = 10_000
    checkpoint_dir: str = ""  # a URI; empty: <data_dir>/checkpoints
    restore_from: str | None = None  # a checkpoint or savepoint path to resume from
    # Restarts from the last checkpoint with exponential backoff (initial, doubling, capped),
    # at most this many before the job fails for good (0: fail at once). The count starts
    # again once the job ran restart_reset_after_s without a failure.
    restart_attempts: int = 10
    restart_initial_backoff_s: float = 1.0
    restart_max_backoff_s: float = 60.0
    restart_reset_after_s: float = 600.0
    # Traces older than this many days are refused by the writer (counted and logged, never
    # stored): the control plane's retention pass would drop them. The control plane's
    # SLO_SCOUT_STATS_RETENTION_DAYS is read too, so one setting serves both; 0: no retention.
    stats_retention_days: int = Field(default=90, validation_alias=AliasChoices(
        "SLO_SCOUT_PIPELINE_STATS_RETENTION_DAYS", "SLO_SCOUT_STATS_RETENTION_DAYS",
        "stats_retention_days"))
    write_batch: int = 2000
    write_flush_ms: int = 1000
    # A closed trace keeps its state this much longer in event time, until its outcome is
    # written (the batch is written early when it is not): what makes the in-memory batch safe.
    write_hold_s: float = 10.0
    jars_dir: str = Field(default_factory=lambda: str(default_jars_dir()))
    log_dir: str = ""  # Flink's logs of a local run; empty: <data_dir>/logs
    bounded: bool = False  # stop at the offsets that exist at start (tests, benchmarks)
    # Milvus (embedding job); empty: Milvus Lite in <data_dir>/milvus.db
    milvus_uri: str = ""
    milvus_collection: str = "journeys"
    # "auto": FLAT on Milvus Lite (exact; a catalog is small), HNSW on a server (see vectors.py).
    milvus_index: str = "auto"
    embedding_group_id: str = "slo-scout-embeddings"
    embedding_batch: int = 256  # journeys.new records per poll, embedded in one model call
    embedding_threads: int = 0  # torch CPU threads (0: torch's default)
    # Metrics catalog and log templates job
    catalog_group_id: str = "slo-scout-catalog"

    @model_validator(mode="after")
    def _under_data_dir(self) -> PipelineSettings:
        # Resolved here, so every reader (and every child process) sees one absolute value.
        if not self.checkpoint_dir:
            self.checkpoint_dir = (self.data_dir.absolute() / "checkpoints").as_uri()
        if not self.log_dir:
            self.log_dir = str(self.data_dir.absolute() / "logs")
        if not self.milvus_uri:
            self.milvus_uri = str(self.data_dir.absolute() / "milvus.db")
        return self
