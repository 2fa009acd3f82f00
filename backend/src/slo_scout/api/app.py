"""The FastAPI application: routers under /api/v1, problem+json errors, metrics, health."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, FastAPI

from slo_scout.api import metrics, problems
from slo_scout.api.analysis.endpoints import router as analysis_router
from slo_scout.api.artifacts.endpoints import router as artifacts_router
from slo_scout.api.auth import service as auth
from slo_scout.api.auth.cache import PrincipalCache
from slo_scout.api.auth.endpoints import router as access_router
from slo_scout.api.auth.oidc import OidcVerifier
from slo_scout.api.catalog.endpoints import router as catalog_router
from slo_scout.api.deps import single_query_values
from slo_scout.api.health.endpoints import router as health_router
from slo_scout.api.ingest.endpoints import router as ingest_router
from slo_scout.api.journeys.endpoints import router as journeys_router
from slo_scout.api.slos.endpoints import router as slos_router
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.settings import Settings, get_settings

API_PREFIX = "/api/v1"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _routers() -> list[APIRouter]:
    return [access_router, catalog_router, journeys_router, analysis_router, ingest_router,
            slos_router, artifacts_router]


def create_app(
    settings: Settings | None = None,
    *,
    run_worker: bool = False,
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
        worker_task = None
        if run_worker:
            from slo_scout.worker.factory import build_recommender
            from slo_scout.worker.loop import Worker

            worker = Worker(app.state.sessions, build_recommender(settings),
                            lease_seconds=settings.jobs.lease_seconds,
                            poll_seconds=settings.jobs.poll_seconds)
            worker_task = asyncio.create_task(worker.run_forever())
        try:
            yield
        finally:
            if worker_task is not None:
                worker.stop()
                await worker_task
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
    app.include_router(health_router)
    for router in _routers():
        app.include_router(router, prefix=API_PREFIX, responses=problems.PROBLEM_RESPONSES,
                           dependencies=[Depends(single_query_values)])
    return app
