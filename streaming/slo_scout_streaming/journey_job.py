"""The journey job: spans topic -> trace sessions -> journeys and per-minute stats in PostgreSQL.

Runs in PyFlink's thread mode (Python operators inside the JVM through pemja): the process mode
needs Apache Beam, which this project does not install, and is several times slower. The same
graph runs on a local MiniCluster (``slo-scout pipeline --local``) or is submitted to a cluster
(``flink run --python -m slo_scout_streaming.journey_job``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from slo_scout_streaming.schema import SchemaError, check_schema
from slo_scout_streaming.settings import PipelineSettings

JARS = ("flink-connector-kafka-4.0.1-2.0.jar", "kafka-clients-3.9.1.jar")


def _prepare_python(settings: PipelineSettings) -> None:
    # Flink's logs of a local run go to the data dir; PyFlink's default is a folder inside
    # the installed package (the virtualenv). On a cluster the driver's file system may be
    # read-only, and Flink's own log settings apply there anyway.
    try:
        Path(settings.log_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"journey job: Flink's logs stay in PyFlink's folder: {exc}", file=sys.stderr)
    else:
        os.environ["FLINK_LOG_DIR"] = settings.log_dir
    # The embedded interpreter inside the JVM must see this environment's packages; the
    # loopback worker pool PyFlink starts for local runs serves only process mode (Beam).
    # An editable install puts our packages on sys.path through an import hook, which the
    # embedded interpreter does not run: name their folders explicitly.
    import slo_scout
    import slo_scout_streaming

    roots = [str(Path(m.__file__).resolve().parents[1])  # type: ignore[arg-type]
             for m in (slo_scout, slo_scout_streaming)]
    paths = dict.fromkeys([*roots, *(p for p in sys.path if p)])
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    os.environ.setdefault("_python_worker_execution_mode", "process")


def jar_urls(settings: PipelineSettings) -> list[str]:
    folder = Path(settings.jars_dir).resolve()
    missing = [j for j in JARS if not (folder / j).exists()]
    if missing:
        raise FileNotFoundError(
            f"Kafka connector jars missing in {folder}: {', '.join(missing)} "
            "(run scripts/fetch-flink-jars.sh)")
    return [(folder / j).as_uri() for j in JARS]


def _restart_strategy(conf: Any, settings: PipelineSettings) -> None:
    # Exponential backoff: a database or broker outage of minutes is waited out by a few
    # restarts from the last checkpoint, not spent in a burst of them.
    if not settings.restart_attempts:
        conf.set_string("restart-strategy.type", "none")
        return
    prefix = "restart-strategy.exponential-delay."
    conf.set_string("restart-strategy.type", "exponential-delay")
    for key, value in {
            "initial-backoff": f"{int(settings.restart_initial_backoff_s * 1000)} ms",
            "max-backoff": f"{int(settings.restart_max_backoff_s * 1000)} ms",
            "backoff-multiplier": "2.0",
            "jitter-factor": "0.1",
            "reset-backoff-threshold": f"{int(settings.restart_reset_after_s * 1000)} ms",
            "attempts-before-reset-backoff": str(settings.restart_attempts)}.items():
        conf.set_string(prefix + key, value)


def _committed_or_earliest() -> Any:
    """``KafkaOffsetsInitializer.committed_offsets(EARLIEST)``, built through the gateway.

    PyFlink's own helper names the reset strategy by its class in the *SQL* connector jar, where
    Kafka's classes are shaded; the job runs the plain connector with kafka-clients beside it.
    """
    from pyflink.datastream.connectors.kafka import KafkaOffsetsInitializer
    from pyflink.java_gateway import get_gateway

    jvm = get_gateway().jvm
    initializer = jvm.org.apache.flink.connector.kafka.source.enumerator.initializer
    reset = jvm.org.apache.kafka.clients.consumer.OffsetResetStrategy.EARLIEST
    return KafkaOffsetsInitializer(initializer.OffsetsInitializer.committedOffsets(reset))


def _keyed_in_place(spans: Any) -> Any:
    """The stream keyed by shard where it was read: ``ShardKey`` picks keys this subtask owns,
    so the stream is reinterpreted as keyed (the rows PyFlink's own ``key_by`` makes, key
    first) instead of shuffled."""
    from pyflink.common import Types
    from pyflink.datastream.data_stream import KeyedStream
    from pyflink.java_gateway import get_gateway

    from slo_scout_streaming.functions import ShardKey

    rows = (spans.process(ShardKey(), output_type=Types.ROW([Types.STRING(), Types.STRING()]))
            .uid("shard-keys").name("shard keys"))
    jvm = get_gateway().jvm
    keyed = jvm.org.apache.flink.streaming.api.datastream.DataStreamUtils \
        .reinterpretAsKeyedStream(rows._j_data_stream, jvm.KeyByKeySelector(),
                                  Types.ROW([Types.STRING()]).get_java_type_info())
    return KeyedStream(keyed, Types.STRING(), spans)


def build(settings: PipelineSettings):  # type: ignore[no-untyped-def]
    _prepare_python(settings)
    from pyflink.common import Configuration, Duration, Types, WatermarkStrategy
    from pyflink.common.serialization import SimpleStringSchema
    from pyflink.datastream import CheckpointingMode, StreamExecutionEnvironment
    from pyflink.datastream.connectors.base import DeliveryGuarantee
    from pyflink.datastream.connectors.kafka import (
        KafkaOffsetsInitializer,
        KafkaRecordSerializationSchema,
        KafkaSink,
        KafkaSource,
    )

    from slo_scout_streaming.functions import TraceSessions

    conf = Configuration()
    conf.set_string("python.execution-mode", "thread")
    conf.set_string("python.executable", sys.executable)
    conf.set_string("python.client.executable", sys.executable)
    conf.set_string("execution.checkpointing.dir", settings.checkpoint_dir)
    conf.set_string("execution.checkpointing.externalized-checkpoint-retention",
                    "RETAIN_ON_CANCELLATION")
    conf.set_string("execution.checkpointing.num-retained", "3")
    _restart_strategy(conf, settings)
    if settings.restore_from:
        conf.set_string("execution.state-recovery.path", settings.restore_from)
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.add_jars(*jar_urls(settings))
    env.set_parallelism(settings.parallelism)
    env.enable_checkpointing(settings.checkpoint_interval_ms, CheckpointingMode.EXACTLY_ONCE)

    # A restore (--restore-from) takes its offsets from the checkpoint. A plain start resumes
    # from the offsets the group committed at its last completed checkpoint, and a group with
    # none (a first start) reads from the earliest record. What a plain restart gives up is
    # the state: sessions that were open at that checkpoint lose their earlier fragments.
    builder = (KafkaSource.builder()
               .set_bootstrap_servers(settings.bootstrap_servers)
               .set_topics(settings.spans_topic)
               .set_group_id(settings.group_id)
               .set_starting_offsets(_committed_or_earliest())
               .set_property("commit.offsets.on.checkpoint", "true")
               .set_value_only_deserializer(SimpleStringSchema()))
    if settings.bounded:
        builder = builder.set_bounded(KafkaOffsetsInitializer.latest())
    # Event time is the Kafka record timestamp, which the collector sets to the fragment's
    # latest span end; lateness bounds how far out of order fragments may arrive. The
    # watermark is the least over the partitions; a partition quiet for idleness_s is left
    # out of it, so one idle partition does not hold back every trace.
    watermarks = WatermarkStrategy.for_bounded_out_of_orderness(
        Duration.of_millis(int(settings.lateness_s * 1000)))
    if settings.idleness_s > 0:
        watermarks = watermarks.with_idleness(Duration.of_millis(int(settings.idleness_s * 1000)))
    spans = env.from_source(builder.build(), watermarks, "spans").uid("spans-source")
    # One keyed operator does it all (sessions, core, batched idempotent writes): a second
    # shuffle into a separate writer cost a Python record and four state operations per trace.
    # Keyed by shard, without a shuffle: a partition is a shard (key_groups.py).
    new_journeys = (_keyed_in_place(spans)
                    .process(TraceSessions(int(settings.session_gap_s * 1000),
                                           int(settings.write_hold_s * 1000),
                                           settings.database_dsn, settings.team,
                                           settings.environment, settings.write_batch,
                                           settings.write_flush_ms, sys.executable,
                                           retention_days=settings.stats_retention_days),
                             output_type=Types.STRING())
                    .uid("trace-sessions-v4").name("trace sessions and journey stats"))
    sink = (KafkaSink.builder()
            .set_bootstrap_servers(settings.bootstrap_servers)
            .set_record_serializer(KafkaRecordSerializationSchema.builder()
                                   .set_topic(settings.journeys_topic)
                                   .set_value_serialization_schema(SimpleStringSchema())
                                   .build())
            .set_delivery_guarantee(DeliveryGuarantee.AT_LEAST_ONCE)
            .build())
    new_journeys.sink_to(sink).uid("journeys-new-sink").name("journeys.new")
    return env


def run(settings: PipelineSettings) -> None:
    """Checks the database's schema, then runs the job (until the end of a bounded input)."""
    check_schema(settings.database_dsn)
    build(settings).execute("slo-scout journeys")


if __name__ == "__main__":
    try:
        run(PipelineSettings())
    except SchemaError as exc:
        sys.exit(f"journey job: {exc}")
