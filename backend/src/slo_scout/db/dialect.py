"""What differs between the two databases the control plane runs on (SQLite, PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession) -> Any:
    """The session's dialect's INSERT, which has ``on_conflict_do_*`` on both."""
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
