"""The control plane's tables. Alembic migrations (slo_scout.migrations) are the only way the
schema changes; these declarations mirror them for queries and are checked against them by a test.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from slo_scout.db.types import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime]


class Service(Base):
    __tablename__ = "services"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]


class Environment(Base):
    __tablename__ = "environments"
    __table_args__ = (UniqueConstraint("service_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class JourneyRow(Base):
    __tablename__ = "journeys"
    __table_args__ = (UniqueConstraint("environment_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))  # the core's stable journey id
    name: Mapped[str] = mapped_column(String(500))
    entry_service: Mapped[str] = mapped_column(String(200))
    entry_operation: Mapped[str] = mapped_column(String(500))
    protocol: Mapped[str] = mapped_column(String(20))
    span_name: Mapped[str] = mapped_column(String(500))
    method: Mapped[str | None] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(128))
    services: Mapped[list[Any]]
    edges: Mapped[list[Any]]
    critical_path: Mapped[list[Any]]
    sample_trace_ids: Mapped[list[Any]]
    requests: Mapped[int] = mapped_column(BigInteger)
    errors: Mapped[int] = mapped_column(BigInteger)
    latency_sketch: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime] = mapped_column(index=True)


class JourneyStat(Base):
    """One journey's requests, errors and latency sketch in one minute (the time series)."""

    __tablename__ = "journey_stats"
    journey_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    minute: Mapped[datetime] = mapped_column(primary_key=True)
    requests: Mapped[int] = mapped_column(BigInteger)
    errors: Mapped[int] = mapped_column(BigInteger)
    latency_sketch: Mapped[str] = mapped_column(Text)


class JourneyKey(Base):
    """One structural key (the fingerprint before folding) and its mergeable summary."""

    __tablename__ = "journey_keys"
    __table_args__ = (UniqueConstraint("environment_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    key: Mapped[str] = mapped_column(String(64))
    # the folded journey the key belongs to now (folding may move it as traffic arrives)
    journey_id: Mapped[int | None] = mapped_column(
        ForeignKey("journeys.id", ondelete="SET NULL"), index=True
    )
    summary: Mapped[str] = mapped_column(Text)  # core.journeys.keystats_codec
    requests: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]


class JourneyKeyStat(Base):
    """One key's requests, errors and latency sketch in one minute."""

    __tablename__ = "journey_key_stats"
    key_id: Mapped[int] = mapped_column(
        ForeignKey("journey_keys.id", ondelete="CASCADE"), primary_key=True
    )
    minute: Mapped[datetime] = mapped_column(primary_key=True, index=True)
    requests: Mapped[int] = mapped_column(BigInteger)
    errors: Mapped[int] = mapped_column(BigInteger)
    latency_sketch: Mapped[str] = mapped_column(Text)
    # the key's steps in this minute (keystats_codec.encode_steps); None before 0022
    steps: Mapped[str | None] = mapped_column(Text, default=None)


class TraceLedgerEntry(Base):
    """Every trace counted, whatever path it came by: counting is exactly once.

    On PostgreSQL the table is partitioned by week of ``minute`` and its key is (trace_id,
    minute) (migration 0005); ``control.journeys.keys.claim`` keeps trace ids unique."""

    __tablename__ = "trace_ledger"
    trace_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    journey_key: Mapped[str | None] = mapped_column(String(64))  # None: a fragment
    minute: Mapped[datetime] = mapped_column(index=True)
    recorded_at: Mapped[datetime]


class PendingSpans(Base):
    """Spans of an uploaded trace that may not be complete yet (core.telemetry.wire text)."""

    __tablename__ = "pending_spans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str | None] = mapped_column(String(100))
    environment: Mapped[str] = mapped_column(String(100))
    trace_id: Mapped[str] = mapped_column(String(64), index=True)
    spans: Mapped[str] = mapped_column(Text)
    span_count: Mapped[int] = mapped_column(Integer)
    last_end_ns: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(index=True)


class JourneyFragment(Base):
    """Traces whose root never arrived, by their topmost span (core.journeys.fragments):
    counted apart, never journeys. Per team and environment name: a fragment's top service
    need not be a service of the catalog."""

    __tablename__ = "journey_fragments"
    __table_args__ = (UniqueConstraint("team_id", "environment", "service", "operation"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    environment: Mapped[str] = mapped_column(String(100))
    service: Mapped[str] = mapped_column(String(200))
    operation: Mapped[str] = mapped_column(String(500))
    traces: Mapped[int] = mapped_column(BigInteger)
    spans: Mapped[int] = mapped_column(BigInteger)
    samples: Mapped[list[Any]]  # [[top span start ns, trace id], ...], the earliest few
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class AnalysisJob(Base):
    __tablename__ = "analysis_jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"), index=True)
    lookback_seconds: Mapped[int] = mapped_column(Integer)
    strategy: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    stage: Mapped[str] = mapped_column(String(50))
    progress: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int] = mapped_column(Integer)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    timings: Mapped[dict[str, Any]]
    result_id: Mapped[int | None] = mapped_column(Integer)
    # the end the request named; None: the environment's newest stored minute (0005)
    window_end: Mapped[datetime | None] = mapped_column(default=None)
    # incidents kept in the estimate, as the request asked (0013)
    include_incidents: Mapped[bool] = mapped_column(default=False, server_default=false())


class AnalysisResult(Base):
    """One analysis' output, versioned per environment and linked to its job."""

    __tablename__ = "analysis_results"
    __table_args__ = (UniqueConstraint("environment_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"), index=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("analysis_jobs.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    summary: Mapped[dict[str, Any]]
    recommendations: Mapped[list[Any]]


class Slo(Base):
    __tablename__ = "slos"
    __table_args__ = (UniqueConstraint("environment_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"), index=True)
    journey_id: Mapped[int | None] = mapped_column(ForeignKey("journeys.id"))
    name: Mapped[str] = mapped_column(String(200))
    sli_kind: Mapped[str] = mapped_column(String(20))
    objective: Mapped[float] = mapped_column(Float)
    threshold_seconds: Mapped[float | None] = mapped_column(Float)
    window_days: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    result_id: Mapped[int | None] = mapped_column(ForeignKey("analysis_results.id"))
    last_changed_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SloRevision(Base):
    __tablename__ = "slo_revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slo_id: Mapped[int] = mapped_column(ForeignKey("slos.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any]]
    at: Mapped[datetime]


class ArtifactBundle(Base):
    __tablename__ = "artifact_bundles"
    __table_args__ = (UniqueConstraint("environment_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"), index=True)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("analysis_results.id"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None]


class ArtifactFile(Base):
    __tablename__ = "artifact_files"
    bundle_id: Mapped[int] = mapped_column(ForeignKey("artifact_bundles.id"), primary_key=True)
    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)


class Delivery(Base):
    """A bundle delivered to the team's repository: the branch, the commit (None when the branch
    already held exactly these files) and the pull request."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("artifact_bundles.id"), index=True)
    target: Mapped[str] = mapped_column(String(500))  # "github:acme/slos", never a credential
    service: Mapped[str] = mapped_column(String(200))
    branch: Mapped[str] = mapped_column(String(300))
    commit: Mapped[str | None] = mapped_column(String(64))
    files_changed: Mapped[int] = mapped_column(Integer)
    pull_request_url: Mapped[str | None] = mapped_column(String(500))
    pull_request_number: Mapped[int | None] = mapped_column(Integer)
    pull_request_action: Mapped[str | None] = mapped_column(String(20))
    delivered_by: Mapped[str] = mapped_column(String(200))
    delivered_at: Mapped[datetime]


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # the key that issued this one; None when made by the settings, the CLI or an OIDC user
    issued_by_key_id: Mapped[int | None] = mapped_column(Integer, default=None)


class ApiKeyGrant(Base):
    """A (team, role) one key carries: grants belong to keys, never to a subject's name."""

    __tablename__ = "api_key_grants"
    __table_args__ = (UniqueConstraint("key_id", "team"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"),
                                        index=True)
    team: Mapped[str] = mapped_column(String(100))  # a team name, or "*" for every team
    role: Mapped[str] = mapped_column(String(20))


class RoleBinding(Base):
    __tablename__ = "role_bindings"
    __table_args__ = (UniqueConstraint("subject", "team"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    team: Mapped[str] = mapped_column(String(100))  # a team name, or "*" for every team
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str] = mapped_column(String(100))
    team: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any]]


class UiSession(Base):
    """A signed-in browser of the review UI (migration 0012): only the token's SHA-256."""

    __tablename__ = "ui_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # the API key signed in with; None for an OIDC sign-in, which keeps its subject and grants
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"),
                                               index=True)
    subject: Mapped[str | None] = mapped_column(String(200), default=None)
    grants: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
