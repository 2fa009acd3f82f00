"""The journey job's writer: completed traces into the control layer, exactly once per trace.

The job classifies each completed trace into a ``TraceBatch`` (the control layer's; the core's
catalog) and hands the batch to :meth:`StatsStore.submit`, which runs ``record_batch`` in
ONE transaction: the trace ledger drops the traces counted before (a replay after a restore
from checkpoint), the rest are merged per structural key and the environment's journeys are
folded again over every stored key, exactly as API ingest and ``slo-scout analyze`` do. The
ledger and the statistics commit together, so a crash stores both or neither; the job's
checkpointed state (see ``functions``) guarantees each trace is written at least once.
docs/streaming.md has the argument. Traces older than the retention are refused, as API ingest
refuses them (``refused`` counts them, each batch's are logged): the retention pass would drop
their statistics.

The control layer is asynchronous (it is the API's too); the store runs it on an event loop in
a thread of its own, one batch at a time and in order (:meth:`StatsStore.submit`). In the job
the store lives in the writer process (``writer_process``), so the operator goes on closing
traces while PostgreSQL works on the last batch, and the writer's Python does not share the
operator's interpreter lock.

A lost or refused database connection is retried with exponential backoff for up to ``retry_s``
before the batch fails (and Flink restarts the job from its checkpoint, which loses nothing
either).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slo_scout.control.journeys.recording import TraceBatch, TracesOf
from slo_scout.core.journeys import Journey

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JourneyInfo:
    """What the embedding job needs about a journey first seen."""

    key: str
    name: str
    fingerprint: str
    entry_service: str
    entry_operation: str
    protocol: str
    span_name: str
    method: str | None
    services: list[str]
    edges: list[list[Any]]

    def dumps(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> JourneyInfo:
        return cls(**json.loads(text))

    @classmethod
    def of(cls, journey: Journey) -> JourneyInfo:
        e = journey.entry
        return cls(key=journey.id, name=journey.name, fingerprint=journey.fingerprint,
                   entry_service=e.service, entry_operation=e.operation, protocol=e.protocol,
                   span_name=e.span_name, method=e.method, services=list(journey.services),
                   edges=[[d.caller, d.callee, d.operation, d.calls] for d in journey.edges])


def async_url(dsn: str) -> str:
    for plain in ("postgresql://", "postgres://"):
        if dsn.startswith(plain):
            return "postgresql+asyncpg://" + dsn[len(plain):]
    return dsn


class StatsStore:
    def __init__(self, dsn: str, team: str, environment: str, *, retry_s: float = 120.0,
                 retention_days: int = 0) -> None:
        self.dsn = dsn
        self.team = team
        self.environment = environment
        self.retry_s = retry_s
        self.retention = timedelta(days=retention_days) if retention_days else None
        self.refused = 0  # traces refused as older than the retention, since open
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._one_at_a_time = asyncio.Lock()  # batches are written in the order handed over
        self._engine: Any = None
        self._sessions: Any = None

    def open(self) -> None:
        from slo_scout.db.engine import create_engine, session_factory

        self._loop = asyncio.new_event_loop()
        self._engine = create_engine(async_url(self.dsn), pool_size=1, max_overflow=0)
        self._sessions = session_factory(self._engine)
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        name="journey-stats-writer", daemon=True)
        self._thread.start()

    def close(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        if self._engine is not None:
            asyncio.run_coroutine_threadsafe(self._engine.dispose(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join()
        loop.close()

    def submit(self, batch: TraceBatch, traces_of: TracesOf) -> Future[list[JourneyInfo]]:
        """Starts storing a classified batch (``traces_of`` gives its traces again, should some
        have been counted before, and is called in the writer's thread); the future gives the
        journeys stored for the first time, or the error that ended the retries."""
        assert self._loop is not None, "store not open"
        return asyncio.run_coroutine_threadsafe(self._retrying(batch, traces_of), self._loop)

    async def _retrying(self, batch: TraceBatch, traces_of: TracesOf) -> list[JourneyInfo]:
        async with self._one_at_a_time:
            return await self._retry(batch, traces_of)

    async def _retry(self, batch: TraceBatch, traces_of: TracesOf) -> list[JourneyInfo]:
        delay, deadline = 0.5, time.monotonic() + self.retry_s
        while True:
            try:
                return await self._write(batch, traces_of)
            except Exception as exc:
                if not _transient(exc) or time.monotonic() + delay > deadline:
                    raise
                log.warning("journey stats write failed (%s: %s); retrying in %.1f s",
                            type(exc).__name__, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)

    async def _write(self, batch: TraceBatch, traces_of: TracesOf) -> list[JourneyInfo]:
        from slo_scout.control.journeys.recording import record_batch

        now = datetime.now(UTC)
        cutoff = now - self.retention if self.retention is not None else None
        async with self._sessions() as session:
            recorded = await record_batch(session, batch, traces_of, environment=self.environment,
                                          team=self.team, now=now, not_before=cutoff)
            await session.commit()
        if recorded.refused:
            self.refused += len(recorded.refused)
            log.warning("refused %d trace(s) older than the retention (cutoff %s, %d refused "
                        "since start): not stored, e.g. %s", len(recorded.refused),
                        cutoff.isoformat() if cutoff else "", self.refused,
                        ", ".join(f"{t} at {m.isoformat()}" for t, m in recorded.refused[:3]))
        return [JourneyInfo.of(journey) for journey in recorded.new_journeys]


def _transient(exc: BaseException) -> bool:
    """A lost connection, a refused one, or a write that lost a race (two subtasks creating
    the same service): worth another try of the whole transaction."""
    from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

    if isinstance(exc, (OSError, ConnectionError, OperationalError, InterfaceError,
                        IntegrityError)):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    name = type(exc).__name__
    return name in {"ConnectionDoesNotExistError", "CannotConnectNowError",
                    "ConnectionRefusedError", "PostgresConnectionError"}
