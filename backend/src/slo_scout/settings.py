"""Settings of the control plane (API server and worker), read from the environment.

Every key is prefixed ``SLO_SCOUT_`` and nested keys use ``__`` (``SLO_SCOUT_AUTH__OIDC_ISSUER``).
``DATABASE_URL`` (or ``SLO_SCOUT_DATABASE_URL``) selects PostgreSQL; without it the service runs
on an embedded SQLite file under ``data_dir`` with no setup. Secrets are ``SecretStr`` so they
never print. Settings are built by :func:`get_settings` on first use, never at import time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthSettings(BaseModel):
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    # JWT claim listing "team:role" grants (e.g. "shop:approver", "*:admin").
    oidc_roles_claim: str = "slo_scout_roles"
    oidc_algorithms: list[str] = ["RS256", "ES256"]
    jwks_cache_seconds: int = 300
    # A token with an unknown key id refetches the key set at most this often (anyone can send
    # one); a fetch gives up after jwks_timeout_seconds and the last good keys keep serving.
    jwks_min_refresh_seconds: float = Field(default=30.0, ge=0)
    jwks_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # A verified API key is remembered this long (per process): a revocation or role change made
    # through another process takes effect within it; through this process, at once. 0: off.
    key_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # An approver may approve a change they made themselves only when this is on.
    allow_self_approval: bool = False
    # Creates (once) an admin API key with this exact value: how the first admin gets in.
    bootstrap_admin_key: SecretStr | None = None
    # The review UI's OIDC sign-in (authorization code with PKCE): the client registered at the
    # issuer and its two endpoints. The id token is verified like a bearer token (issuer, JWKS,
    # audience: set oidc_audience to the client id). All four, and the three above, needed.
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_authorization_url: str | None = None
    oidc_token_url: str | None = None

    @field_validator("bootstrap_admin_key")
    @classmethod
    def _key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # checked here, not when the server first opens the database: a typo is a one-line
        # configuration error, never a traceback from the middle of startup
        if value is not None:
            parts = value.get_secret_value().split("_", 2)
            if len(parts) != 3 or parts[0] != "ssk" or not parts[1].isalnum() or len(
                    parts[2]) < 16:
                raise ValueError("must look like ssk_<prefix>_<secret> (letters and digits "
                                 "for the prefix, at least 16 characters of secret); "
                                 "`slo-scout keys create` makes a key instead")
        return value


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

    # A secret: it may carry credentials (http://user:password@host). Shown only redacted.
    prometheus_url: SecretStr | None = None
    bearer_token: SecretStr | None = None
    # Mimir, Cortex: sent as X-Scope-OrgID. The URL carries the path prefix (/prometheus).
    tenant: str | None = None
    ca_file: str | None = None  # a CA bundle to trust (a private CA)
    insecure_skip_verify: bool = False
    timeout_seconds: float = 30.0
    step_seconds: int = 3600
    metric_family: str | None = None


class LogSourceSettings(BaseModel):
    """A Loki an environment's analysis jobs read the window's error lines from."""

    url: SecretStr  # a secret: it may carry user:password; the API's path prefix included
    tenant: str | None = None  # X-Scope-OrgID
    bearer_token: SecretStr | None = None
    ca_file: str | None = None
    insecure_skip_verify: bool = False
    query: str | None = None  # LogQL; default: each journey service's error lines
    label: str = "service_name"  # the stream label naming the service (app, job, ...)
    limit: int = Field(default=5000, ge=1)  # lines per query


class HistorySourceSettings(BaseModel):
    """An environment's own Prometheus-compatible history (Mimir, VictoriaMetrics), in place of
    ``SLO_SCOUT_HISTORY__PROMETHEUS_URL`` for its analysis jobs."""

    url: SecretStr  # a secret: it may carry user:password; the API's path prefix included
    tenant: str | None = None  # X-Scope-OrgID
    bearer_token: SecretStr | None = None
    ca_file: str | None = None
    insecure_skip_verify: bool = False
    timeout_seconds: float = 30.0


class TraceSourceSettings(BaseModel):
    """A trace backend an environment's analysis jobs pull the lookback from."""

    kind: Literal["tempo", "jaeger"] = "tempo"
    url: SecretStr  # a secret: it may carry user:password; the API's path prefix included
    tenant: str | None = None  # X-Scope-OrgID
    bearer_token: SecretStr | None = None
    ca_file: str | None = None
    insecure_skip_verify: bool = False
    query: str | None = None  # TraceQL; default: the traces the environment's service is in
    service: str | None = None  # Jaeger's service name; default: the environment's service
    limit: int = Field(default=5000, ge=1)
    concurrency: int = Field(default=8, ge=1, le=64)


class EnvironmentSourceSettings(TraceSourceSettings):
    """One ``service/env`` entry: its trace backend (``url``), its Loki (``logs``), its SLI
    history (``history``), or any of them."""

    url: SecretStr | None = None  # type: ignore[assignment]  # an entry may name only logs
    logs: LogSourceSettings | None = None  # else ``sources.logs``
    history: HistorySourceSettings | None = None  # else ``history.prometheus_url``


class SourcesSettings(BaseModel):
    """Trace backends and Lokis for analysis jobs: one for every environment, and per
    ``service/env``."""

    traces: TraceSourceSettings | None = None
    logs: LogSourceSettings | None = None
    environments: dict[str, EnvironmentSourceSettings] = {}

    def for_environment(self, service: str, environment: str) -> TraceSourceSettings | None:
        entry = self.environments.get(f"{service}/{environment}")
        if entry is None or entry.url is None:
            return self.traces
        return TraceSourceSettings.model_validate(entry.model_dump(exclude={"logs", "history"}))

    def logs_for(self, service: str, environment: str) -> LogSourceSettings | None:
        entry = self.environments.get(f"{service}/{environment}")
        return entry.logs if entry is not None and entry.logs is not None else self.logs

    def history_for(self, service: str, environment: str) -> HistorySourceSettings | None:
        """The environment's own history server; None: the common one (``SLO_SCOUT_HISTORY__``)."""
        entry = self.environments.get(f"{service}/{environment}")
        return entry.history if entry is not None else None


class LlmSettings(BaseModel):
    """The language model that names journeys (``none``: everything stays deterministic).

    ``api_key`` falls back to OPENAI_API_KEY or ANTHROPIC_API_KEY; ``base_url`` reaches any
    OpenAI-compatible server (vLLM, Ollama, llama.cpp's server, a gateway) or an
    Anthropic-compatible one."""

    provider: Literal["none", "openai", "anthropic"] = "none"
    model: str | None = None
    api_key: SecretStr | None = None
    base_url: str | None = None
    timeout_seconds: float = 30.0
    max_retries: int = 2  # the SDKs' own, with backoff honouring Retry-After
    failures_before_open: int = 3  # consecutive failures that stop calls for the run
    token_budget: int = 50_000  # per analysis; past it the rest is deterministic
    max_concurrency: int = Field(default=4, ge=1)  # calls in flight per process, all analyses
    cache_dir: Path | None = None  # default: <data_dir>/llm-cache


class VectorSettings(BaseModel):
    """The journey vectors' Milvus (similar journeys): a Milvus Lite file, or a server URI.

    ``uri`` empty: Milvus Lite in ``<data_dir>/milvus.db``, the file the embedding job writes
    in embedded mode (``SLO_SCOUT_PIPELINE_MILVUS_URI``'s default)."""

    uri: str = ""
    collection: str = "journeys"
    index: str = "auto"  # FLAT on Milvus Lite, HNSW on a server (control/vectors.py)
    token: SecretStr | None = None  # a server's "user:password" or API key
    embedding_threads: int = 0  # torch CPU threads when this process embeds (0: torch's)
    analyze: bool = False  # `slo-scout analyze` embeds and lists neighbours without --similar
    # The worker embeds an environment's new or changed journeys after each analysis of it
    # (loads the model, seconds, once per worker process); off: only the streaming job embeds.
    embed_after_analysis: bool = False
    # Analyses read the stored vectors for the similar journeys a provisional draft starts from
    # (the analysed team's only); off, or no store yet: drafts from the model or the convention.
    similar_drafts: bool = True


class DeliveryTarget(BaseModel):
    """Where an environment's approved bundles are delivered: one of ``repo`` (any git remote),
    ``github`` (OWNER/REPO) or ``gitlab`` (GROUP/PROJECT), with the ``slo-scout deliver`` flags'
    meanings for the rest (unset: the repository's .slo-scout.yaml, else the defaults)."""

    repo: SecretStr | None = None  # its userinfo may hold credentials
    github: str | None = None
    gitlab: str | None = None
    base: str = "main"
    path: str | None = None
    branch: str | None = None
    outputs: list[str] | None = None
    labels: list[str] | None = None
    reviewers: list[str] | None = None


class DeliverySettings(DeliveryTarget):
    """The default target, the forges' tokens and URLs, and targets of single environments
    (``targets``, by "service/environment", JSON in ``SLO_SCOUT_DELIVERY__TARGETS``)."""

    github_token: SecretStr | None = None
    gitlab_token: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    gitlab_url: str = "https://gitlab.com"
    targets: dict[str, DeliveryTarget] = {}

    def target_for(self, service: str, environment: str) -> DeliveryTarget | None:
        chosen = self.targets.get(f"{service}/{environment}", self)
        return chosen if (chosen.repo or chosen.github or chosen.gitlab) else None


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
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: str = "info"
    # Per-minute journey statistics older than this are dropped (retention policy / partitions)
    # and ingest refuses older traces; 0: no retention.
    stats_retention_days: int = 90
    # Ingest bodies: at most this many bytes as sent and, when gzip, as inflated.
    max_ingest_bytes: int = 64 * 1024 * 1024
    # Every other route's body (small JSON documents), refused before anything reads it.
    max_request_bytes: int = 1024 * 1024
    # Body bytes all requests in flight may hold together; past it a request is answered 503.
    max_body_budget_bytes: int = 256 * 1024 * 1024
    # A request's headers must arrive within header_timeout_s of its first byte (or of the
    # connection, or of the last response), its body within body_timeout_s of the first read.
    header_timeout_s: float = Field(default=10.0, gt=0)
    body_timeout_s: float = Field(default=60.0, gt=0)
    # Open connections plus requests in flight past which new requests are answered 503.
    max_connections: int = Field(default=1000, ge=1)
    auth: AuthSettings = AuthSettings()
    jobs: JobSettings = JobSettings()
    ingest: IngestSettings = IngestSettings()
    history: HistorySettings = HistorySettings()
    delivery: DeliverySettings = DeliverySettings()
    llm: LlmSettings = LlmSettings()
    vectors: VectorSettings = VectorSettings()
    sources: SourcesSettings = SourcesSettings()

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        levels = ("critical", "error", "warning", "info", "debug", "trace")
        if value.lower() not in levels:
            raise ValueError(f"must be one of {', '.join(levels)}")
        return value.lower()

    def sqlalchemy_url(self) -> str:
        """The async SQLAlchemy URL: the configured PostgreSQL, else the embedded SQLite file."""
        if self.database_url is not None:
            url = self.database_url.get_secret_value()
            for plain in ("postgresql://", "postgres://"):
                if url.startswith(plain):
                    return "postgresql+asyncpg://" + url[len(plain) :]
            return url
        return f"sqlite+aiosqlite:///{self.data_dir / 'slo-scout.db'}"


    def milvus_uri(self) -> str:
        """The journey vectors' Milvus: the configured URI, else the embedded Lite file."""
        return self.vectors.uri or str(self.data_dir.absolute() / "milvus.db")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
