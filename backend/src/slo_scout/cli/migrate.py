"""``slo-scout migrate``: upgrade the database schema (Alembic), as the chart's hook Job does.

The database is the one the control plane uses (``SLO_SCOUT_DATABASE_URL``, else the embedded
SQLite file). Running it twice is harmless: an up-to-date database is left as it is.
"""

from __future__ import annotations

import asyncio

import typer
from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError

from slo_scout.cli._config import database_location, load_settings
from slo_scout.cli._console import fail_message, stderr, usage_error
from slo_scout.db import migrate
from slo_scout.db.engine import create_engine


def _revision_of(url: str) -> str | None:
    async def read() -> str | None:
        engine = create_engine(url)
        try:
            return await migrate.current_revision(engine)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def migrate_command(
    revision: str = typer.Option(
        "head", "--revision", "-r", help="Alembic revision to upgrade to (default: the latest)."
    ),
) -> None:
    """Upgrade the database to the latest schema (or to --revision) and print where it stands.

    The database is SLO_SCOUT_DATABASE_URL (or DATABASE_URL), else the embedded SQLite file.
    The control plane, the worker and the streaming jobs all expect it migrated.

    Examples:

        # a PostgreSQL database
        SLO_SCOUT_DATABASE_URL=postgresql://postgres@db:5432/slo_scout slo-scout migrate

        # the embedded SQLite database under SLO_SCOUT_DATA_DIR (created if missing)
        slo-scout migrate

        # check where a database stands: upgrading an up-to-date one changes nothing
        slo-scout migrate --revision head
    """
    settings = load_settings()
    url = settings.sqlalchemy_url()
    shown = database_location(settings)
    try:
        migrate.upgrade(url, revision)
        current = _revision_of(url)
    except CommandError as exc:  # an unknown or ambiguous revision
        usage_error(f"--revision {revision}: {exc}")
    except (SQLAlchemyError, OSError) as exc:
        fail_message(f"cannot migrate {shown}: {type(exc).__name__}: {exc}",
                     "check that the database is reachable and the credentials are right")
    head = migrate.head_revision()
    where = "the latest" if current == head else f"the latest is {head}"
    stderr().print(f"{shown}: schema at revision {current} ({where})")
