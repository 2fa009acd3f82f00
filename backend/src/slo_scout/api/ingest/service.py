"""Embedded ingest: a trace file or OTLP body in, journeys and per-minute statistics stored.

Decoding and discovery are the core's (pure, CPU-bound); they run in a worker thread so a large
upload does not stall the event loop. Bad records never cost the good ones: the decoder skips
them (and reports each, naming record and field) and whatever decoded is stored. Journeys are
filed under their entry service, in the environment the caller names; a service seen for the
first time joins the team the caller names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.catalog import repository as catalog
from slo_scout.control.catalog.service import ensure_environment
from slo_scout.control.journeys.store import store_journeys
from slo_scout.core.errors import DecodeError
from slo_scout.core.journeys import Discovery, Journey, discover
from slo_scout.core.telemetry import DecodeReport, Span, decode_stream

# Content-Type -> decoder format; anything else is detected from the bytes.
CONTENT_FORMATS = {
    "application/x-protobuf": "otlp-proto",
    "application/protobuf": "otlp-proto",
    "text/csv": "csv",
}


@dataclass
class Decoded:
    spans: list[Span]
    report: DecodeReport
    fatal: DecodeError | None = None  # stopped the decoder; spans before it are kept


@dataclass
class Ingested:
    spans: int
    traces: int
    journeys: int
    new_journeys: int
    minute_rows: int
    services: list[str] = field(default_factory=list)


class MissingTeam(Exception):
    def __init__(self, services: list[str]) -> None:
        super().__init__(", ".join(services))
        self.services = services


def decode_body(body: bytes, *, source: str, fmt: str | None) -> Decoded:
    """Every good span of ``body``; bad records are counted, the first fatal error kept."""
    report = DecodeReport()
    spans: list[Span] = []
    try:
        for batch in decode_stream([body], source=source, fmt=fmt, skip_invalid=True,
                                   report=report):
            spans.extend(batch)
    except DecodeError as error:
        return Decoded(spans, report, error)
    return Decoded(spans, report)


def discover_journeys(spans: list[Span]) -> Discovery:
    return discover([spans])


async def teams_of(
    session: AsyncSession, journeys: list[Journey], default_team: str | None
) -> dict[str, str]:
    """entry service -> its team (existing services keep theirs); raises when one has none."""
    teams: dict[str, str] = {}
    missing = []
    for name in sorted({j.entry.service for j in journeys}):
        found = await catalog.get_service(session, name)
        if found is not None:
            teams[name] = (await catalog.team_of_service(session, found.id)).name
        elif default_team is not None:
            teams[name] = default_team
        else:
            missing.append(name)
    if missing:
        raise MissingTeam(missing)
    return teams


async def store(
    session: AsyncSession,
    discovery: Discovery,
    teams: dict[str, str],
    *,
    environment: str,
    now: datetime,
) -> Ingested:
    by_service: dict[str, list[Journey]] = {}
    for journey in discovery.journeys:
        by_service.setdefault(journey.entry.service, []).append(journey)
    created = written = 0
    for name, journeys in sorted(by_service.items()):
        _, _, env = await ensure_environment(
            session, team=teams[name], service=name, environment=environment, now=now
        )
        new, rows = await store_journeys(session, env.id, journeys)
        created += new
        written += rows
    return Ingested(
        spans=discovery.span_count, traces=discovery.trace_count,
        journeys=len(discovery.journeys), new_journeys=created, minute_rows=written,
        services=sorted(by_service),
    )
