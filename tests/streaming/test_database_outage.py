"""PostgreSQL unreachable for two minutes mid-stream: the journey job waits it out (writes retried
with backoff, then Flink's restarts from the last checkpoint) and in the end every trace is
counted once: nothing lost, nothing doubled."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from tests.fixtures.kafka import Broker
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.tcp_proxy import CuttableProxy
from tests.streaming.flink import need_flink
from tests.streaming.test_faults import (
    _database,
    _job_env,
    _kill,
    _ledger_rows,
    _produce,
    _start_job,
    _totals,
    _wait,
)

pytestmark = pytest.mark.slow

OUTAGE_S = 120


def test_a_two_minute_database_outage_mid_stream_loses_and_doubles_nothing(
    kafka_broker: Broker, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    need_flink()
    dsn = _database(postgres_server)  # read directly; the job goes through the proxy
    proxy = CuttableProxy(postgres_server.host, postgres_server.port)
    job_dsn = dsn.replace(f":{postgres_server.port}/", f":{proxy.port}/")
    topic = kafka_broker.topic("spans", partitions=1)
    log = tmp_path / "job.log"
    env = {**_job_env(kafka_broker, topic, job_dsn, tmp_path, f"g{time.time_ns()}"),
           "SLO_SCOUT_PIPELINE_CHECKPOINT_DIR": (tmp_path / "checkpoints").as_uri(),
           # restarts allowed: a write that gives up is retried by Flink from a checkpoint
           "SLO_SCOUT_PIPELINE_RESTART_ATTEMPTS": "10",
           "SLO_SCOUT_PIPELINE_RESTART_INITIAL_BACKOFF_S": "1",
           "SLO_SCOUT_PIPELINE_RESTART_MAX_BACKOFF_S": "10"}
    total = 2000
    producer = threading.Thread(target=_produce,
                                args=(kafka_broker.bootstrap, topic, range(total), 0.25))
    job = _start_job(env, log)
    try:
        producer.start()
        _wait("the first traces stored", lambda: _ledger_rows(dsn) > 0, 90, job, log)
        proxy.cut()
        at_cut = _ledger_rows(dsn)
        time.sleep(OUTAGE_S)
        assert _ledger_rows(dsn) == at_cut  # nothing reached the database meanwhile
        assert at_cut < total, "the outage did not land mid-stream"
        proxy.restore()
        producer.join(120)
        # One trace an hour later moves the watermark past every session of the real ones.
        _produce(kafka_broker.bootstrap, topic, range(total + 72_000, total + 72_001), 0)
        _wait("every trace stored", lambda: _ledger_rows(dsn) >= total, 180, job, log)
        time.sleep(1.5)  # two more flush intervals: a late double count would show now
        assert _totals(dsn) == {"/cart": (1000, 1000, 1000), "/checkout": (1000, 1000, 1000)}
    finally:
        _kill(job)
        proxy.close()
