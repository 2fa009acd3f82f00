"""A worker killed mid-job (SIGKILL) loses nothing: another worker finishes the job after the
lease expires. Runs real worker processes against the real PostgreSQL cluster.

To catch the first worker mid-job without any test hook in the code, the test holds an ACCESS
EXCLUSIVE lock on journey_stats: the worker claims the job, starts loading, and blocks there.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import asyncpg
from tests.fixtures.postgres import PostgresServer
from tests.worker.jobs import seed_and_enqueue

LEASE_SECONDS = 3


def _start_worker(url: str, name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SLO_SCOUT_DATABASE_URL": url,
        "SLO_SCOUT_JOBS__LEASE_SECONDS": str(LEASE_SECONDS),
        "SLO_SCOUT_JOBS__POLL_SECONDS": "0.2",
        "SLO_SCOUT_LOG_LEVEL": "warning",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "slo_scout.worker", "--name", name],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


async def _job(conn: asyncpg.Connection, job_id: str) -> asyncpg.Record:
    return await conn.fetchrow(
        "SELECT status, stage, attempts, lease_owner, result_id, error FROM analysis_jobs "
        "WHERE id = $1", job_id,
    )


async def _wait_for(conn: asyncpg.Connection, job_id: str, check, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = await _job(conn, job_id)
        if check(row):
            return row
        await asyncio.sleep(0.1)
    raise AssertionError(f"job never reached the expected state; last: {dict(row)}")


def test_a_job_whose_worker_is_killed_finishes_on_another_worker(
    postgres_server: PostgresServer,
) -> None:
    from slo_scout.db import migrate

    url = postgres_server.create_database("killed")
    migrate.upgrade(url)
    [job_id] = asyncio.run(seed_and_enqueue(url))
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")

    async def scenario() -> None:
        observer = await asyncpg.connect(dsn)
        blocker = await asyncpg.connect(dsn)
        first = second = None
        try:
            tx = blocker.transaction()
            await tx.start()
            await blocker.execute("LOCK TABLE journey_stats IN ACCESS EXCLUSIVE MODE")
            first = _start_worker(url, "worker-1")
            row = await _wait_for(
                observer, job_id,
                lambda r: r["lease_owner"] == "worker-1" and r["stage"] == "loading",
            )
            assert row["status"] == "running" and row["attempts"] == 1
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            await tx.rollback()

            second = _start_worker(url, "worker-2")
            done = await _wait_for(observer, job_id, lambda r: r["status"] == "succeeded")
            assert done["attempts"] == 2 and done["error"] is None
            results = await observer.fetch(
                "SELECT id, job_id, version FROM analysis_results WHERE job_id = $1", job_id
            )
            assert [(r["id"], r["version"]) for r in results] == [(done["result_id"], 1)]
        finally:
            for process in (first, second):
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=20)
            await observer.close()
            await blocker.close()

    asyncio.run(scenario())
