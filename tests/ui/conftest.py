from __future__ import annotations

from tests.fixtures.control_plane import database_url, migrated_url  # noqa: F401
from tests.fixtures.postgres import postgres_server  # noqa: F401
