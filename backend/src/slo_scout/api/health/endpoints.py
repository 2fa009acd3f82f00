"""Liveness and readiness: /healthz (process up), /readyz (database reachable, schema at head)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from slo_scout.db import migrate

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database is reachable and migrated to the latest revision")
async def readyz(request: Request) -> JSONResponse:
    engine = request.app.state.engine
    head = migrate.head_revision()
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        current = await migrate.current_revision(engine)
    except Exception as error:
        return JSONResponse(
            {"status": "unavailable", "database": f"unreachable ({type(error).__name__})"},
            status_code=503,
        )
    if current != head:
        return JSONResponse(
            {"status": "unavailable", "database": "reachable",
             "migrations": {"current": current, "head": head}},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "reachable",
                         "migrations": {"current": current, "head": head}})
