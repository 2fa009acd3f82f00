"""The UI's one router, mounted by the API application at ``/ui`` (not in the OpenAPI
document: these are pages, not API)."""

from __future__ import annotations

from fastapi import APIRouter

from slo_scout.ui import admin, bundles, journeys, login, reviews
from slo_scout.ui.web import PREFIX

router = APIRouter(prefix=PREFIX, include_in_schema=False)
for part in (login.router, journeys.router, reviews.router, bundles.router, admin.router):
    router.include_router(part)
