"""Settings of the streaming jobs (``SLO_SCOUT_PIPELINE_*``)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class PipelineSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLO_SCOUT_PIPELINE_", env_nested_delimiter="__")

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
    # A trace is complete when none of its spans arrived for this long (event time).
    session_gap_s: float = 30.0
    # Spans may arrive this much out of order before the watermark passes them.
    lateness_s: float = 5.0
    parallelism: int = 1
    checkpoint_interval_ms: int = 10_000
    checkpoint_dir: str = "file:///tmp/slo-scout-checkpoints"
    restore_from: str | None = None  # a checkpoint or savepoint path to resume from
    # Restarts from the last checkpoint before the job fails for good (0: fail at once).
    restart_attempts: int = 10
    write_batch: int = 500
    write_flush_ms: int = 1000
    # A closed trace keeps its state this much longer in event time, until its outcome is
    # written (the batch is written early when it is not): what makes the in-memory batch safe.
    write_hold_s: float = 10.0
    jars_dir: str = ".cache/flink-jars"
    bounded: bool = False  # stop at the offsets that exist at start (tests, benchmarks)
    # Milvus (embedding job)
    milvus_uri: str = "slo-scout-milvus.db"
    milvus_collection: str = "journeys"
    # "auto": FLAT on Milvus Lite (exact; a catalog is small), HNSW on a server (see vectors.py).
    milvus_index: str = "auto"
    embedding_group_id: str = "slo-scout-embeddings"
    embedding_batch: int = 256  # journeys.new records per poll, embedded in one model call
    embedding_threads: int = 0  # torch CPU threads (0: torch's default)
    # Metrics catalog and log templates job
    catalog_group_id: str = "slo-scout-catalog"
