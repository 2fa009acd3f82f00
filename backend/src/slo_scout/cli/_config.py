"""Settings and the database, as the server commands open them: a configuration mistake is one
line naming the environment variable, and exit status 2, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.markup import escape
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from slo_scout.cli._console import stderr
from slo_scout.settings import Settings, get_settings

PREFIX = "SLO_SCOUT_"


def config_error(message: str) -> NoReturn:
    """One line on stderr, exit status 2 (as for a bad option)."""
    stderr().print(f"[bold red]configuration error:[/] {escape(message)}")
    raise typer.Exit(2)


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = [f"{_variable(error['loc'])}: {error['msg'].removeprefix('Value error, ')}"
                    f"{_shown(error.get('input'), error['loc'])}" for error in exc.errors()]
        config_error("; ".join(problems))
    except SettingsError as exc:  # a value that is not JSON where JSON is expected (a list)
        config_error(f"{exc} (lists and objects are written as JSON, for "
                    "example SLO_SCOUT_AUTH__OIDC_ALGORITHMS='[\"RS256\"]')")


def _variable(loc: tuple[int | str, ...]) -> str:
    first = str(loc[0]) if loc else ""
    if first.isupper():  # an alias, already the variable's name (SLO_SCOUT_DATABASE_URL)
        return first
    return PREFIX + "__".join(str(part) for part in loc).upper()


def _shown(value: object, loc: tuple[int | str, ...]) -> str:
    # never echo what may be a secret (keys, tokens, URLs with passwords)
    secret = any(word in str(loc).lower() for word in ("key", "token", "url", "password"))
    if secret or not isinstance(value, (str, int, float)):
        return ""
    return f" (got {value!r})"


def database_location(settings: Settings) -> str:
    """Where the database is, for people (password hidden); creates the embedded SQLite file's
    folder, which may not exist yet on a first run."""
    url = settings.sqlalchemy_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        config_error(f"SLO_SCOUT_DATABASE_URL is not a database URL: {exc}")
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        folder = Path(parsed.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            config_error(f"cannot create the data directory {folder} "
                        f"(SLO_SCOUT_DATA_DIR): {exc.strerror or exc}")
        return f"SQLite file {parsed.database}"
    return parsed.render_as_string(hide_password=True)
