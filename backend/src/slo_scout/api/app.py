"""The FastAPI application: routers under /api/v1, problem+json errors, metrics, health.

The API knows no other runtime: whoever starts it may hand it a ``background`` factory (the
command line hands ``serve --with-worker`` the analysis worker), which gets the app's sessions
once the database is open and runs for as long as the app does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from fastapi import APIRouter, Depends, FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slo_scout.api import metrics, problems
from slo_scout.api.analysis.endpoints import router as analysis_router
from slo_scout.api.artifacts.endpoints import router as artifacts_router
from slo_scout.api.auth.endpoints import router as access_router
from slo_scout.api.body_limits import BodyLimits
from slo_scout.api.catalog.endpoints import router as catalog_router
from slo_scout.api.deliveries.endpoints import router as deliveries_router
from slo_scout.api.deps import single_query_values
from slo_scout.api.forecast.endpoints import router as forecast_router
from slo_scout.api.fragments.endpoints import router as fragments_router
from slo_scout.api.health.endpoints import router as health_router
from slo_scout.api.incidents.endpoints import router as incidents_router
from slo_scout.api.ingest.endpoints import router as ingest_router
from slo_scout.api.journeys.endpoints import router as journeys_router
from slo_scout.api.logs.endpoints import router as logs_router
from slo_scout.api.slos.endpoints import router as slos_router
from slo_scout.control.auth import service as auth
from slo_scout.control.auth.cache import PrincipalCache
from slo_scout.control.auth.oidc import OidcVerifier
from slo_scout.control.journeys import pending
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.settings import Settings, get_settings
from slo_scout.ui.router import router as ui_router

API_PREFIX = "/api/v1"
log = logging.getLogger("slo_scout.api")


class Background(Protocol):
    """Work that runs beside the API in its event loop until asked to stop."""

    async def run_forever(self) -> None: ...

    def stop(self) -> None: ...


# given the app's sessions and its metrics registry, so an embedded worker's counters (jobs,
# model calls and tokens) are served on the API's own /metrics
BackgroundFactory = Callable[[async_sessionmaker[AsyncSession], CollectorRegistry], Background]


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def _count_quiet_traces(
    sessions: async_sessionmaker[AsyncSession], settings: Settings,
    clock: Callable[[], datetime] | None,
) -> None:
    """Uploaded traces that stopped receiving spans are counted without waiting for another
    upload (``control.journeys.pending``); several API processes may do it at once."""
    gap = timedelta(seconds=settings.ingest.trace_gap_seconds)
    while True:
        await asyncio.sleep(max(gap.total_seconds() / 2, 0.1))
        try:
            async with sessions() as session:
                await pending.close_idle(session, now=(clock or _utc_now)(), gap=gap)
                await session.commit()
        except Exception:
            log.exception("counting the waiting uploaded traces failed")


def _routers() -> list[APIRouter]:
    return [access_router, catalog_router, journeys_router, fragments_router, analysis_router,
            ingest_router, slos_router, artifacts_router, deliveries_router, forecast_router,
            logs_router, incidents_router]


def create_app(
    settings: Settings | None = None,
    *,
    background: BackgroundFactory | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.sqlalchemy_url())
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        bootstrap = settings.auth.bootstrap_admin_key
        if bootstrap is not None:
            async with app.state.sessions() as session:
                await auth.ensure_bootstrap_key(
                    session, bootstrap.get_secret_value(), (clock or _utc_now)()
                )
                await session.commit()
        companion = (background(app.state.sessions, app.state.metrics.registry)
                     if background is not None else None)
        task = asyncio.create_task(companion.run_forever()) if companion is not None else None
        closer = asyncio.create_task(_count_quiet_traces(app.state.sessions, settings, clock))
        try:
            yield
        finally:
            closer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await closer
            if companion is not None and task is not None:
                companion.stop()
                await task
            vectors = getattr(app.state, "vectors", None)  # the similar-journeys store, if used
            if vectors is not None:
                await asyncio.to_thread(vectors.close)
            await engine.dispose()

    app = FastAPI(
        title="SLO Scout",
        version="1.0.0",
        description="Journeys, SLIs, recommended SLOs and their review, from your traces.",
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.oidc = OidcVerifier(settings.auth)
    app.state.principals = PrincipalCache(settings.auth.key_cache_seconds)
    app.state.metrics = metrics.ApiMetrics()
    if clock is not None:
        app.state.clock = clock
    problems.install(app)
    metrics.install(app, app.state.metrics, API_PREFIX)
    # added last, so it runs first: no body is read before its limits apply
    app.add_middleware(BodyLimits, settings=settings)
    app.include_router(health_router)
    for router in _routers():
        app.include_router(router, prefix=API_PREFIX, responses=problems.PROBLEM_RESPONSES,
                           dependencies=[Depends(single_query_values)])
    app.include_router(ui_router)  # the review UI at /ui: same process, same credentials
    return app
