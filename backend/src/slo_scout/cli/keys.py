"""``slo-scout keys``: API keys made with direct access to the database.

How the first admin gets in without putting a key in the environment: whoever can open the
control plane's database is trusted with it. The key is printed once on standard output (only
its hash is stored); everything else goes to standard error.
"""

from __future__ import annotations

import asyncio
import getpass
import re
from datetime import UTC, datetime

import typer
from sqlalchemy.exc import SQLAlchemyError

from slo_scout.cli._config import database_location, load_settings
from slo_scout.cli._console import fail_message, note, usage_error
from slo_scout.control.auth import service as auth
from slo_scout.control.auth.principal import ALL_TEAMS, ROLES
from slo_scout.db import migrate
from slo_scout.db.engine import create_engine, session_factory

keys_app = typer.Typer(
    help="API keys, made with direct access to the database (the first admin key).",
    no_args_is_help=True,
)

# the API's rules for the same fields (api/auth/endpoints.py)
_SUBJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,149}$")
_TEAM = re.compile(r"^(\*|[A-Za-z0-9][A-Za-z0-9._-]{0,99})$")


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no user name in this container
        return "cli"


async def _create(url: str, subject: str, name: str, team: str, role: str) -> tuple[str, str]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            key, stored = await auth.issue_operator_key(
                session, subject=subject, name=name, team=team, role=role,
                now=datetime.now(UTC), operator=_operator())
            await session.commit()
            return key, stored.prefix
    finally:
        await engine.dispose()


@keys_app.command("create")
def create_command(
    subject: str = typer.Option(
        "admin", help="Who the key acts as (stored as key:SUBJECT)."),
    team: str = typer.Option(ALL_TEAMS, help="The team of the grant; * is every team."),
    role: str = typer.Option("admin", help=f"One of: {', '.join(ROLES)}."),
    name: str | None = typer.Option(None, help="A label for people (default: the subject)."),
    migrate_first: bool = typer.Option(
        True, "--migrate/--no-migrate", help="Upgrade the database to the latest schema first."
    ),
) -> None:
    """Create an API key in the control plane's database and print it once on stdout.

    The database is SLO_SCOUT_DATABASE_URL (or DATABASE_URL), else the embedded SQLite file
    under SLO_SCOUT_DATA_DIR: run it with the environment `slo-scout serve` runs with.

    Examples:

        # the first admin key (admin of every team), on the embedded database
        slo-scout keys create

        # keep it in a variable; then issue everyone else's keys through the API
        KEY=$(slo-scout keys create --subject ops) && curl -H "X-API-Key: $KEY" ...

        # an approver of one team, on PostgreSQL
        SLO_SCOUT_DATABASE_URL=postgresql://slo@db:5432/slo_scout \\
            slo-scout keys create --subject dana --team shop --role approver
    """
    if not _SUBJECT.match(subject):
        usage_error(f"--subject {subject!r}: letters, digits and . _ : @ - (150 at most)")
    if not _TEAM.match(team):
        usage_error(f"--team {team!r}: * or letters, digits and . _ - (100 at most)")
    if role not in ROLES:
        usage_error(f"--role {role!r}: one of {', '.join(ROLES)}")
    settings = load_settings()
    url = settings.sqlalchemy_url()
    where = database_location(settings)
    try:
        if migrate_first:
            migrate.upgrade(url)
        key, prefix = asyncio.run(_create(url, subject, name or subject, team, role))
    except (SQLAlchemyError, OSError) as exc:
        fail_message(f"cannot create the key in {where}: {type(exc).__name__}: {exc}",
                     "check that the database is reachable and migrated (`slo-scout migrate`)")
    scope = "every team" if team == ALL_TEAMS else f"team {team}"
    note(f"created API key {prefix} for key:{subject}, {role} of {scope}, in {where}; "
         "it is shown once, below (send it as X-API-Key)")
    typer.echo(key)
