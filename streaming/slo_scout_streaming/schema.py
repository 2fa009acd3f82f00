"""The check a job makes before it starts: the database has the schema this version writes.

Alembic is the only schema path (``slo-scout migrate``, the chart's hook Job). A job started on
a database that was never migrated, or migrated by an older version, would otherwise run until
its first write and then fail (and restart, and fail) with an SQL error that says nothing about
the cause. So the journey and catalog jobs read the database's Alembic revision first and stop
with one line that says what to run.

The revision is compared with the head of the migrations shipped in this installation, found as
files (the job does not import the control plane's code). A database at a revision this
installation does not know was migrated by a newer version; its tables are checked instead.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import psycopg
from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

# The tables the streaming jobs write; each came with a migration.
TABLES = ("teams", "services", "environments", "journeys", "journey_stats", "journey_keys",
          "journey_key_stats", "trace_ledger", "metric_catalog", "log_templates",
          "log_template_traces")
_HINT = "run `slo-scout migrate` with SLO_SCOUT_DATABASE_URL set to this database"


class SchemaError(RuntimeError):
    """The database cannot take this version's writes; the message says what to do."""


def _migrations() -> ScriptDirectory:
    spec = importlib.util.find_spec("slo_scout.migrations")
    if spec is None or not spec.submodule_search_locations:
        raise SchemaError("the migrations of slo_scout are not installed beside the job")
    return ScriptDirectory(str(Path(next(iter(spec.submodule_search_locations)))))


def _shown(dsn: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def check_schema(dsn: str, timeout_s: int = 10) -> str:
    """Returns the database's revision, or raises ``SchemaError`` naming what to run."""
    shown = _shown(dsn)
    try:
        with psycopg.connect(dsn, connect_timeout=timeout_s) as conn:
            has_version = conn.execute(
                "SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
            revision = None
            if has_version and has_version[0]:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = str(row[0]) if row else None
            missing = [t for t in TABLES
                       if not (r := conn.execute("SELECT to_regclass(%s) IS NOT NULL",
                                                 (t,)).fetchone()) or not r[0]]
    except psycopg.Error as exc:
        raise SchemaError(f"cannot read the schema of {shown}: {type(exc).__name__}: "
                          f"{str(exc).strip()}") from exc
    if revision is None:
        raise SchemaError(f"the database {shown} has no SLO Scout schema: {_HINT}")
    script = _migrations()
    head = script.get_current_head()
    known = {s.revision for s in script.walk_revisions()}
    if revision != head and revision in known:
        raise SchemaError(f"the database {shown} is at schema revision {revision}, this "
                          f"version writes revision {head}: {_HINT}")
    if missing:
        raise SchemaError(f"the database {shown} (revision {revision}) lacks the tables "
                          f"{', '.join(missing)}: {_HINT}")
    if revision != head:
        log.warning("database %s is at revision %s, newer than this version's %s: "
                    "running on it (its tables are there)", shown, revision, head)
    return revision
