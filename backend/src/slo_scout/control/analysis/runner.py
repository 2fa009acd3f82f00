"""Runs one claimed analysis job: load the window's per-minute journey statistics (the lookback
ending at the request's end, else at the environment's newest stored minute), derive SLI
candidates for the configured metric family (else the one Prometheus or the environment's metric
catalog shows), read history from Prometheus when configured, recommend targets, store a
versioned result linked to the job.

Each stage commits its progress with a fenced write that also renews the lease; the result and
the job's success are committed together, fenced, so a worker that lost its lease (and whose
job another worker took over) cannot store a second result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slo_scout.control.analysis import metric_catalog, repository
from slo_scout.control.analysis.log_pulling import LogSourceOf, mine_into
from slo_scout.control.analysis.pulling import SourceOf, pull_into
from slo_scout.control.analysis.recommending import HistorySource, Recommender
from slo_scout.control.analysis.upstream import redact_text
from slo_scout.control.analysis.window import window_of
from slo_scout.control.catalog import repository as catalog
from slo_scout.control.journeys import repository as journeys_repo
from slo_scout.control.journeys.convert import journey_from_row
from slo_scout.core.errors import SloScoutError
from slo_scout.db.models import AnalysisJob, AnalysisResult
from slo_scout.llm.client import Usage

Clock = Callable[[], datetime]
NO_MODEL = "no model configured (SLO_SCOUT_LLM__PROVIDER)"


class LeaseLost(Exception):
    """Another worker holds the job now; this one must drop its work."""


class JobRunner:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        worker: str,
        lease: timedelta,
        clock: Clock,
        recommender: Recommender,
        observe_model: Callable[[Usage], None] | None = None,
        sources: SourceOf | None = None,
        retention: timedelta | None = None,
        log_sources: LogSourceOf | None = None,
        histories: Callable[[str, str], HistorySource | None] | None = None,
    ) -> None:
        """``observe_model``: told each finished analysis's model usage (the worker's metrics).
        ``sources``: the trace backend an environment's jobs pull their lookback from;
        ``retention``: pulled traces older than this are not recorded (as API ingest refuses);
        ``log_sources``: the Loki whose error lines over the window are mined into templates;
        ``histories``: an environment's own history server (else the recommender's)."""
        self._histories = histories
        self._sources = sources
        self._log_sources = log_sources
        self._retention = retention
        self._sessions = sessions
        self._observe_model = observe_model
        self._worker = worker
        self._lease = lease
        self._clock = clock
        self._recommender = recommender

    async def _progress(self, job: AnalysisJob, stage: str, progress: float, **extra: Any) -> None:
        async with self._sessions() as session:
            held = await repository.update_held(
                session, job.id, self._worker, job.attempts,
                stage=stage, progress=progress,
                lease_expires_at=self._clock() + self._lease, **extra,
            )
            await session.commit()
        if not held:
            raise LeaseLost(job.id)

    async def run(self, job: AnalysisJob) -> None:
        timings: dict[str, float] = dict(job.timings or {})
        try:
            result = await self._stages(job, timings)
        except LeaseLost:
            return
        except SloScoutError as error:  # bad input or too little data: retrying will not help
            await self._finish(job, "failed", timings, error=f"{type(error).__name__}: {error}")
            return
        except Exception as error:
            status = "queued" if job.attempts < job.max_attempts else "failed"
            # Every viewer of the team reads the job's error: no credentials in URLs it quotes.
            await self._finish(
                job, status, timings, error=f"attempt {job.attempts}: {type(error).__name__}: "
                f"{redact_text(str(error))}"
            )
            return
        await self._finish(job, "succeeded", timings, result=result)

    async def _names(self, job: AnalysisJob) -> tuple[str, str, str]:
        """The job's service, environment and team names."""
        async with self._sessions() as session:
            env = await catalog.get_environment_by_id(session, job.environment_id)
            assert env is not None
            svc = await catalog.get_service_by_id(session, env.service_id)
            team = await catalog.team_of_service(session, env.service_id)
            assert svc is not None
        return svc.name, env.name, team.name

    async def _logs(self, job: AnalysisJob, timings: dict[str, float], services: list[str],
                    start: datetime, end: datetime) -> dict[str, Any] | None:
        """The window's error lines from the environment's Loki, when it names one, mined into
        templates linked to their traces (a Loki failure is a partial failure, never the job's)."""
        if self._log_sources is None:
            return None
        service, environment, _ = await self._names(job)
        source = self._log_sources(service, environment)
        if source is None:
            return None
        await self._progress(job, "logs", 0.35)
        began = time.perf_counter()
        mined = await mine_into(self._sessions, source, environment=environment,
                                services=[service, *services], start=start, end=end)
        timings["logs_s"] = round(time.perf_counter() - began, 6)
        return mined

    async def _pull(self, job: AnalysisJob, timings: dict[str, float]) -> dict[str, Any] | None:
        """The environment's traces over the lookback from its backend, when it names one."""
        if self._sources is None:
            return None
        service, environment, team = await self._names(job)
        source = self._sources(service, environment)
        if source is None:
            return None
        await self._progress(job, "pulling", 0.02)
        began = time.perf_counter()
        now = self._clock()
        end = job.window_end or now

        async def advance(fetched: int, found: int) -> None:
            # pulling takes the job from 2 % to 30 %; each step renews the lease
            await self._progress(job, "pulling", 0.02 + 0.28 * fetched / max(found, 1))

        pulled = await pull_into(self._sessions, source, service=service,
                                 environment=environment, team=team,
                                 start=end - timedelta(seconds=job.lookback_seconds), end=end,
                                 now=now, progress=advance,
                                 not_before=now - self._retention if self._retention else None)
        timings["pull_s"] = round(time.perf_counter() - began, 6)
        return pulled

    async def _recommender_for(self, job: AnalysisJob) -> Recommender:
        if self._histories is None:
            return self._recommender
        history = self._histories(*(await self._names(job))[:2])
        return self._recommender if history is None else self._recommender.with_history(history)

    async def _stages(self, job: AnalysisJob, timings: dict[str, float]) -> dict[str, Any]:
        pulled = await self._pull(job, timings)
        recommender = await self._recommender_for(job)
        await self._progress(job, "loading", 0.05)
        began = time.perf_counter()
        async with self._sessions() as session:
            window = await window_of(session, job.environment_id,
                                     lookback_s=job.lookback_seconds, end=job.window_end)
            start, now = window.start, window.end
            rows = await journeys_repo.journeys_of_environment(session, job.environment_id)
            stats = await journeys_repo.stats_between(session, [r.id for r in rows], start, now)
            catalog = (await metric_catalog.metrics_of_environment(session, job.environment_id)
                       if recommender.reads_catalog else [])
            neighbours = recommender.neighbours
            with_traffic = {stat.journey_id for stat in stats}
            similar = ({} if neighbours is None else await neighbours.of(
                session, job.environment_id, [r for r in rows if r.id in with_traffic]))
        by_journey: dict[int, list[Any]] = {}
        for stat in stats:
            by_journey.setdefault(stat.journey_id, []).append(stat)
        journeys = [journey_from_row(r, by_journey[r.id]) for r in rows if r.id in by_journey]
        if not any(j.requests for j in journeys):
            raise window.empty()
        timings["load_s"] = round(time.perf_counter() - began, 6)
        logs = await self._logs(job, timings, sorted({str(s) for r in rows if r.id in by_journey
                                                      for s in (r.services or [])}), start, now)
        if logs is not None:
            pulled = {**(pulled or {}), "logs": logs}
        await self._progress(job, "recommending", 0.4, timings=dict(timings))
        began = time.perf_counter()
        chosen = await recommender.choose_family(catalog)
        client = recommender.model_client()
        recommendations = await recommender.recommend(
            journeys, now=now, lookback_s=job.lookback_seconds, strategy=job.strategy,
            family=chosen.family, include_incidents=job.include_incidents, client=client,
            similar=similar,
        )
        usage = client.usage if client is not None else Usage()
        if client is None or not client.enabled:
            usage.fallback = NO_MODEL
        if self._observe_model is not None:
            self._observe_model(usage)
        timings["recommend_s"] = round(time.perf_counter() - began, 6)
        await self._progress(job, "storing", 0.9, timings=dict(timings))
        return {
            "summary": {
                "journeys": len(journeys),
                "minutes": len(stats),
                "requests": sum(j.requests for j in journeys),
                "window": {"start": start.isoformat(), "end": now.isoformat()},
                "strategy": job.strategy,
                "include_incidents": job.include_incidents,
                "history_source": recommender.history_source,
                # which parts a model wrote (names, rationales, provisional picks), its calls,
                # tokens, cache hits, refusals and why any part fell back to the rules
                "model": usage.as_dict(),
                **chosen.summary(),
                **({"source": pulled} if pulled is not None else {}),
            },
            "recommendations": recommendations,
            "row_ids": {r.key: r.id for r in rows},
        }

    async def _finish(
        self,
        job: AnalysisJob,
        status: str,
        timings: dict[str, float],
        *,
        error: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        now = self._clock()
        async with self._sessions() as session:
            values: dict[str, Any] = {"status": status, "timings": timings, "error": error}
            if status == "queued":
                values.update(lease_owner=None, lease_expires_at=None, stage="retrying")
            else:
                values.update(finished_at=now, lease_owner=None, lease_expires_at=None)
                values.update(stage="done" if status == "succeeded" else "failed")
            if result is not None:
                version = await repository.next_result_version(session, job.environment_id)
                stored = await repository.insert_result(
                    session,
                    AnalysisResult(
                        environment_id=job.environment_id, job_id=job.id, version=version,
                        created_at=now, summary=result["summary"],
                        recommendations=result["recommendations"],
                    ),
                )
                values.update(result_id=stored.id, progress=1.0)
            if await repository.update_held(session, job.id, self._worker, job.attempts, **values):
                await session.commit()
            else:
                await session.rollback()
