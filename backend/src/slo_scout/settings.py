"""Settings of the control plane (API server and worker), read from the environment.

Every key is prefixed ``SLO_SCOUT_`` and nested keys use ``__`` (``SLO_SCOUT_AUTH__OIDC_ISSUER``).
``DATABASE_URL`` (or ``SLO_SCOUT_DATABASE_URL``) selects PostgreSQL; without it the service runs
on an embedded SQLite file under ``data_dir`` with no setup. Secrets are ``SecretStr`` so they
never print. Settings are built by :func:`get_settings` on first use, never at import time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthSettings(BaseModel):
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    # JWT claim listing "team:role" grants (e.g. "shop:approver", "*:admin").
    oidc_roles_claim: str = "slo_scout_roles"
    oidc_algorithms: list[str] = ["RS256", "ES256"]
    jwks_cache_seconds: int = 300
    # A verified API key is remembered this long (per process): a revocation or role change made
    # through another process takes effect within it; through this process, at once. 0: off.
    key_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # An approver may approve a change they made themselves only when this is on.
    allow_self_approval: bool = False
    # Creates (once) an admin API key with this exact value: how the first admin gets in.
    bootstrap_admin_key: SecretStr | None = None


class JobSettings(BaseModel):
    lease_seconds: float = 60.0
    max_attempts: int = 3
    poll_seconds: float = 1.0


class IngestSettings(BaseModel):
    """How uploaded spans wait for the rest of their trace (``control.journeys.pending``)."""

    # a trace is complete once no span of it arrived for this long (the stream's session gap)
    trace_gap_seconds: float = 10.0
    # spans waiting over all environments; past it the oldest traces are counted as they are
    max_waiting_spans: int = 1_000_000


class HistorySettings(BaseModel):
    """A Prometheus-compatible server (Prometheus, Mimir, VictoriaMetrics) to read SLI history."""

    prometheus_url: str | None = None
    bearer_token: SecretStr | None = None
    timeout_seconds: float = 30.0
    step_seconds: int = 3600
    metric_family: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SLO_SCOUT_",
        env_nested_delimiter="__",
        env_file=None,
        extra="ignore",
    )

    database_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLO_SCOUT_DATABASE_URL", "DATABASE_URL"),
    )
    data_dir: Path = Path.home() / ".local" / "share" / "slo-scout"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    # Per-minute journey statistics older than this are dropped (retention policy / partitions)
    # and ingest refuses older traces; 0: no retention.
    stats_retention_days: int = 90
    max_ingest_bytes: int = 64 * 1024 * 1024
    auth: AuthSettings = AuthSettings()
    jobs: JobSettings = JobSettings()
    ingest: IngestSettings = IngestSettings()
    history: HistorySettings = HistorySettings()

    def sqlalchemy_url(self) -> str:
        """The async SQLAlchemy URL: the configured PostgreSQL, else the embedded SQLite file."""
        if self.database_url is not None:
            url = self.database_url.get_secret_value()
            for plain in ("postgresql://", "postgres://"):
                if url.startswith(plain):
                    return "postgresql+asyncpg://" + url[len(plain) :]
            return url
        return f"sqlite+aiosqlite:///{self.data_dir / 'slo-scout.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
