"""Builds the worker and its collaborators from settings (the one place that reads them).

``slo-scout worker`` and ``slo-scout serve --with-worker`` both call :func:`build_worker`, so the
embedded worker leases, polls and runs the retention pass exactly as a separate one does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slo_scout.control.analysis.history import PrometheusHistory
from slo_scout.control.analysis.log_pulling import LogSource, LogSourceOf
from slo_scout.control.analysis.neighbours import Neighbours
from slo_scout.control.analysis.pulling import SourceOf, TraceSource
from slo_scout.control.analysis.recommending import Recommender
from slo_scout.control.journeys.embedding import EnvironmentEmbedding
from slo_scout.core.slis import FAMILIES, FamilyKind
from slo_scout.llm.client import ModelClient
from slo_scout.settings import LogSourceSettings, Settings, TraceSourceSettings
from slo_scout.sources import Endpoint
from slo_scout.worker.loop import Worker, utc_now
from slo_scout.worker.metrics import WorkerMetrics


def build_recommender(settings: Settings) -> Recommender:
    # No configured family: the analysis asks the Prometheus server, else uses spanmetrics.
    configured = settings.history.metric_family
    family = FAMILIES[FamilyKind(configured)] if configured else None
    history = None
    if settings.history.prometheus_url:
        token = settings.history.bearer_token
        history = PrometheusHistory(
            settings.history.prometheus_url.get_secret_value(),
            bearer_token=token.get_secret_value() if token else None,
            timeout_s=settings.history.timeout_seconds,
            tenant=settings.history.tenant, ca_file=settings.history.ca_file,
            verify=not settings.history.insecure_skip_verify,
        )
    llm = settings.llm
    cache = llm.cache_dir or settings.data_dir / "llm-cache"
    # the same settings as analyze's (SLO_SCOUT_LLM__*): one client per analysis
    model = (lambda: ModelClient(llm, cache_dir=cache)) if llm.provider != "none" else None
    vectors = settings.vectors
    neighbours = Neighbours(
        settings.milvus_uri(), vectors.collection,
        token=vectors.token.get_secret_value() if vectors.token else "",
    ) if vectors.similar_drafts else None
    return Recommender(family, history, model=model, neighbours=neighbours)


def _endpoint(chosen: TraceSourceSettings | LogSourceSettings) -> Endpoint:
    token = chosen.bearer_token
    return Endpoint(chosen.url.get_secret_value(), tenant=chosen.tenant,
                    bearer_token=token.get_secret_value() if token else None,
                    ca_file=chosen.ca_file, verify=not chosen.insecure_skip_verify)


def build_sources(settings: Settings) -> SourceOf | None:
    """The trace backend each environment's analysis jobs pull from (``SLO_SCOUT_SOURCES__``)."""
    configured = settings.sources
    if configured.traces is None and not configured.environments:
        return None

    def source_of(service: str, environment: str) -> TraceSource | None:
        chosen = configured.for_environment(service, environment)
        if chosen is None:
            return None
        return TraceSource(chosen.kind, _endpoint(chosen), query=chosen.query,
                           service=chosen.service, limit=chosen.limit,
                           concurrency=chosen.concurrency)

    return source_of


def build_log_sources(settings: Settings) -> LogSourceOf | None:
    """The Loki each environment's analysis jobs mine error lines from
    (``SLO_SCOUT_SOURCES__LOGS__``, or an ``SLO_SCOUT_SOURCES__ENVIRONMENTS`` entry's ``logs``)."""
    configured = settings.sources
    if configured.logs is None and not any(e.logs for e in configured.environments.values()):
        return None

    def source_of(service: str, environment: str) -> LogSource | None:
        chosen = configured.logs_for(service, environment)
        if chosen is None:
            return None
        return LogSource(_endpoint(chosen), query=chosen.query, label=chosen.label,
                         limit=chosen.limit)

    return source_of


def build_histories(settings: Settings) -> Callable[[str, str], PrometheusHistory | None] | None:
    """Environments' own history servers (an ``SLO_SCOUT_SOURCES__ENVIRONMENTS`` entry's
    ``history``): one reader each, made at its first job and kept like the common one."""
    configured = settings.sources
    if not any(e.history for e in configured.environments.values()):
        return None
    readers: dict[tuple[str, str], PrometheusHistory] = {}

    def history_of(service: str, environment: str) -> PrometheusHistory | None:
        chosen = configured.history_for(service, environment)
        if chosen is None:
            return None
        reader = readers.get((service, environment))
        if reader is None:
            token = chosen.bearer_token
            reader = readers[(service, environment)] = PrometheusHistory(
                chosen.url.get_secret_value(),
                bearer_token=token.get_secret_value() if token else None,
                timeout_s=chosen.timeout_seconds, tenant=chosen.tenant,
                ca_file=chosen.ca_file, verify=not chosen.insecure_skip_verify)
        return reader

    return history_of


def build_worker(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    name: str | None = None,
    metrics: WorkerMetrics | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Worker:
    """The analysis worker over ``sessions``, with the job lease, the poll interval and the
    statistics retention the settings give."""
    return Worker(
        sessions,
        build_recommender(settings),
        name=name,
        lease_seconds=settings.jobs.lease_seconds,
        poll_seconds=settings.jobs.poll_seconds,
        retention_days=settings.stats_retention_days,
        clock=clock,
        metrics=metrics,
        embedding=build_embedding(settings),
        sources=build_sources(settings),
        log_sources=build_log_sources(settings),
        histories=build_histories(settings),
    )


def build_embedding(settings: Settings) -> EnvironmentEmbedding | None:
    """Journey vectors after each analysis, when SLO_SCOUT_VECTORS__EMBED_AFTER_ANALYSIS is on."""
    vectors = settings.vectors
    if not vectors.embed_after_analysis:
        return None
    return EnvironmentEmbedding(
        settings.milvus_uri(), vectors.collection, index=vectors.index,
        token=vectors.token.get_secret_value() if vectors.token else "",
        threads=vectors.embedding_threads)
