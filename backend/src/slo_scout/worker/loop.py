"""The analysis worker: claims durable jobs from the database and runs them, one at a time.

A heartbeat renews the lease while a job runs, so only a worker that stopped (crashed, killed,
cut off from the database) loses its job; another worker takes it when the lease expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slo_scout.control.analysis import repository
from slo_scout.control.analysis.log_pulling import LogSourceOf
from slo_scout.control.analysis.pulling import SourceOf
from slo_scout.control.analysis.recommending import HistorySource, Recommender
from slo_scout.control.analysis.runner import JobRunner
from slo_scout.control.analysis.upstream import redact_text
from slo_scout.control.journeys import retention
from slo_scout.control.journeys.embedding import EnvironmentEmbedding
from slo_scout.db.models import AnalysisJob
from slo_scout.worker.metrics import WorkerMetrics

log = logging.getLogger("slo_scout.worker")


def utc_now() -> datetime:
    return datetime.now(UTC)


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        recommender: Recommender,
        *,
        name: str | None = None,
        lease_seconds: float = 60.0,
        poll_seconds: float = 1.0,
        retention_days: int | None = None,
        clock: Callable[[], datetime] = utc_now,
        metrics: WorkerMetrics | None = None,
        embedding: EnvironmentEmbedding | None = None,
        sources: SourceOf | None = None,
        log_sources: LogSourceOf | None = None,
        histories: Callable[[str, str], HistorySource | None] | None = None,
    ) -> None:
        self.name = name or default_worker_name()
        self.lease_seconds, self.poll_seconds = lease_seconds, poll_seconds
        self.retention_days = retention_days
        self._sessions = sessions
        self._lease = timedelta(seconds=lease_seconds)
        self._poll = poll_seconds
        self._retention = timedelta(days=retention_days) if retention_days else None
        self._clock = clock
        self._runner = JobRunner(
            sessions, worker=self.name, lease=self._lease, clock=clock, recommender=recommender,
            observe_model=metrics.model_used if metrics is not None else None,
            sources=sources, retention=self._retention, log_sources=log_sources,
            histories=histories,
        )
        self._stopping = asyncio.Event()
        self._metrics = metrics
        self._embedding = embedding

    def stop(self) -> None:
        self._stopping.set()

    async def claim(self) -> AnalysisJob | None:
        async with self._sessions() as session:
            failed = await repository.fail_exhausted(session, self._clock())
            job = await repository.claim_next(session, self.name, self._clock(), self._lease)
            await session.commit()
        for job_id in failed:
            log.warning("job %s failed: its worker stopped on the last allowed attempt", job_id)
        if self._metrics is not None:
            self._metrics.expired.inc(len(failed))
            if job is not None:
                self._metrics.claimed.inc()
        return job

    async def run_once(self) -> bool:
        """Claims and runs one job; False when none was runnable."""
        job = await self.claim()
        if job is None:
            return False
        log.info("job %s: attempt %d of %d", job.id, job.attempts, job.max_attempts)
        heartbeat = asyncio.create_task(self._heartbeat(job))
        began = time.perf_counter()
        outcome = "error"
        if self._metrics is not None:
            self._metrics.busy.set(1)
        try:
            await self._runner.run(job)
            outcome = await self._outcome(job)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            seconds = time.perf_counter() - began
            log.info("job %s: attempt %d %s after %.2fs", job.id, job.attempts, outcome, seconds)
            if self._metrics is not None:
                self._metrics.busy.set(0)
                self._metrics.job_finished(outcome, seconds)
        if outcome == "succeeded":  # after the job's lease and timing: not part of the job
            await self.embed_journeys(job.environment_id)
        return True

    async def _outcome(self, job: AnalysisJob) -> str:
        """How this attempt ended, read back from the job row (the runner keeps it to itself).

        Only this worker's fenced writes can end the attempt it holds, so a row still on this
        attempt tells its outcome; expiry on the last attempt (``fail_exhausted``) also fails
        it, but without the runner's stage, and means the lease was lost.
        """
        async with self._sessions() as session:
            row = await repository.get_job(session, job.id)
            if row is None or row.attempts != job.attempts:
                return "lease_lost"
            status, stage = row.status, row.stage
        if status == "succeeded":
            return "succeeded"
        if status == "queued":
            return "retrying"
        if status == "failed" and stage == "failed":
            return "failed"
        return "lease_lost"

    async def _heartbeat(self, job: AnalysisJob) -> None:
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            async with self._sessions() as session:
                held = await repository.update_held(
                    session, job.id, self.name, job.attempts,
                    lease_expires_at=self._clock() + self._lease,
                )
                await session.commit()
            if not held:
                return
            if self._metrics is not None:
                self._metrics.beat()

    def _pass_done(self, error: Exception | None) -> None:
        if self._metrics is not None:
            self._metrics.pass_done(error)

    async def embed_journeys(self, environment_id: int) -> None:
        """Embeds the analysed environment's journeys that are new or changed (similar
        journeys); a failure is logged and leaves the analysis as it is."""
        if self._embedding is None:
            return
        try:
            async with self._sessions() as session:
                done = await self._embedding.embed(session, environment_id)
        except Exception as error:  # Milvus down, the model missing: the job stands
            log.warning("journey vectors of environment %d not stored: %s: %s", environment_id,
                        type(error).__name__, redact_text(str(error)))
            return
        log.info("journey vectors of environment %d: %d embedded, %d unchanged",
                 environment_id, done.embedded, done.unchanged)

    async def retention_pass(self) -> None:
        """Drops what is older than the retention (``control.journeys.retention``): the
        ledger's entries, then the statistics with the totals brought back to their sum."""
        if self._retention is None:
            return
        now = self._clock()
        cutoff = now - self._retention
        async with self._sessions() as session:  # short: partition DDL locks the ledger
            ledger = await retention.prune_ledger(session, cutoff=cutoff, now=now)
            await session.commit()
        async with self._sessions() as session:
            dropped = await retention.drop_statistics(session, cutoff=cutoff, now=now)
            await session.commit()
        if dropped.stats or ledger or dropped.keys_refreshed or dropped.keys_removed:
            log.info("retention: dropped %d stats partitions/rows, %d ledger partitions/rows; "
                     "totals of %d journey keys taken again from their minutes, %d keys left "
                     "without minutes removed, %d environments folded again", dropped.stats,
                     ledger, dropped.keys_refreshed, dropped.keys_removed, dropped.environments)

    async def run_forever(self) -> None:
        log.info("worker %s started", self.name)
        passes = 0
        while not self._stopping.is_set():
            try:
                if passes % 600 == 0:
                    await self.retention_pass()
                passes += 1
                ran = await self.run_once()
            except Exception as error:
                log.exception("worker pass failed; retrying")
                self._pass_done(error)
            else:
                self._pass_done(None)
                if ran:
                    continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._poll)
        log.info("worker %s stopped", self.name)
