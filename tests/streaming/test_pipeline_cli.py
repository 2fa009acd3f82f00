"""``slo-scout pipeline`` as an operator runs it: a real process, a real broker and database.

It refuses a database without this version's schema before it starts anything, and SIGTERM
stops the whole pipeline: the journey job (and its JVM) and the embedding and catalog children.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import psutil
import pytest
from tests.fixtures.kafka import Broker
from tests.fixtures.postgres import PostgresServer
from tests.streaming.flink import need_flink

from slo_scout.db.migrate import upgrade

pytestmark = pytest.mark.slow

SLO_SCOUT = str(Path(sys.executable).parent / "slo-scout")


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _pipeline(*args: str, env: dict[str, str] | None = None,
              out: int | IO[bytes] = subprocess.PIPE,
              err: int | IO[bytes] = subprocess.PIPE) -> subprocess.Popen[bytes]:
    return subprocess.Popen([SLO_SCOUT, "pipeline", *args], env={**os.environ, **(env or {})},
                            stdout=out, stderr=err)


@pytest.mark.parametrize("job", ["all", "journeys", "catalog"])
def test_the_pipeline_refuses_a_database_that_was_never_migrated_and_says_what_to_run(
    postgres_server: PostgresServer, tmp_path: Path, job: str
) -> None:
    dsn = _dsn(postgres_server.create_database("bare"))
    proc = _pipeline("--local", "--job", job, "--database", dsn, "--data-dir", str(tmp_path))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err.decode()
    message = err.decode()
    assert "has no SLO Scout schema" in message
    assert "run `slo-scout migrate`" in message
    assert "Traceback" not in message
    assert not (tmp_path / "logs").exists(), "the journey job started anyway"


def test_the_pipeline_refuses_a_database_at_an_older_revision(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.create_database("old")
    upgrade(url, "0002")
    proc = _pipeline("--local", "--job", "journeys", "--database", _dsn(url),
                     "--data-dir", str(tmp_path))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err.decode()
    assert "at schema revision 0002" in err.decode()
    assert "run `slo-scout migrate`" in err.decode()


def _children(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return list(proc.children(recursive=True))
    except psutil.NoSuchProcess:
        return []


def _wait_for(what: str, condition: object, timeout: float, proc: subprocess.Popen[bytes],
              log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if proc.poll() is not None:
            raise AssertionError(f"pipeline exited ({proc.returncode}) waiting for {what}:\n"
                                 + log.read_text()[-3000:])
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n" + log.read_text()[-3000:])
        time.sleep(0.2)


def test_sigterm_stops_the_journey_job_and_the_embedding_and_catalog_children(
    kafka_broker: Broker, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    need_flink()
    pytest.importorskip("torch", reason="torch not installed (the 'embeddings' extra)")
    url = postgres_server.create_database("sigterm")
    upgrade(url)
    data = tmp_path / "data"
    suffix = time.time_ns()
    env = {"SLO_SCOUT_PIPELINE_SPANS_TOPIC": kafka_broker.topic("spans"),
           "SLO_SCOUT_PIPELINE_JOURNEYS_TOPIC": kafka_broker.topic("journeys", partitions=1),
           "SLO_SCOUT_PIPELINE_METRICS_TOPIC": kafka_broker.topic("metrics", partitions=1),
           "SLO_SCOUT_PIPELINE_LOGS_TOPIC": kafka_broker.topic("logs", partitions=1),
           "SLO_SCOUT_PIPELINE_DEAD_LETTER_TOPIC": kafka_broker.topic("dlq", partitions=1),
           "SLO_SCOUT_PIPELINE_GROUP_ID": f"j{suffix}",
           "SLO_SCOUT_PIPELINE_EMBEDDING_GROUP_ID": f"e{suffix}",
           "SLO_SCOUT_PIPELINE_CATALOG_GROUP_ID": f"c{suffix}",
           "SLO_SCOUT_PIPELINE_CHECKPOINT_INTERVAL_MS": "500"}
    log = tmp_path / "pipeline.log"
    with log.open("wb") as out:
        proc = _pipeline("--local", "--kafka", kafka_broker.bootstrap, "--database", _dsn(url),
                         "--data-dir", str(data), env=env, out=out, err=out)
    parent = psutil.Process(proc.pid)
    descendants: list[psutil.Process] = []
    try:
        def everything_runs() -> bool:
            lines = [" ".join(c.cmdline()) for c in _children(parent)]
            return (any("slo_scout_streaming.embedding_job" in cmd for cmd in lines)
                    and any("slo_scout_streaming.catalog_job" in cmd for cmd in lines)
                    and any("java" in cmd for cmd in lines)
                    # a completed checkpoint: the journey job is running
                    and any(data.glob("checkpoints/*/chk-*/_metadata")))

        _wait_for("the three jobs running", everything_runs, 180, proc, log)
        descendants = _children(parent)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
        _, alive = psutil.wait_procs(descendants, timeout=30)
        assert [" ".join(p.cmdline())[:120] for p in alive] == []
        # Stopped through its own handler (children stopped first), not killed by the signal.
        assert code == 128 + signal.SIGTERM
        # Flink's logs went to the data dir, and say the restart strategy is exponential.
        logs = "".join(f.read_text() for f in (data / "logs").glob("flink-*.log"))
        assert "ExponentialDelayRestartBackoffTimeStrategy(initialBackoffMS=1000, " \
               "maxBackoffMS=60000" in logs
    finally:
        # The ones seen before the signal too: a child whose parent died is no child anymore.
        for p in [*descendants, *_children(parent), parent]:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
