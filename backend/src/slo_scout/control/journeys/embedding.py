"""Journey vectors written once per journey: what every writer (the streaming embedding job,
``slo-scout analyze``, the control plane) calls, so "embed only what changed" has one rule.

A journey is embedded when it has no row yet or its plain-words description
(``core.journeys.description``) differs from the stored one; a journey whose description is
unchanged is skipped, and the model is not even loaded when nothing needs embedding (loading it
costs about 6 s on CPU, a journey about 4.5 ms). Rows carry the service the control plane
keeps the journey under as ``service`` (recording files a journey under the service it enters
at, which is what the streaming job writes too), so (service, environment, key) names one
stored journey.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.catalog.service import team_of_environment
from slo_scout.control.journeys import repository
from slo_scout.control.vectors import JourneyVector, JourneyVectors, row_id
from slo_scout.core.journeys.description import describe_parts
from slo_scout.core.journeys.model import Edge, Entry


class TextEmbedder(Protocol):
    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


@dataclass(frozen=True, slots=True)
class ToEmbed:
    """A journey to store a vector for, with the text the model reads."""

    environment: str
    journey_key: str
    service: str
    name: str
    description: str

    @property
    def id(self) -> str:
        return row_id(self.environment, self.journey_key)


@dataclass
class EmbedReport:
    embedded: int = 0
    unchanged: int = 0  # stored already with this description
    ids: list[str] = field(default_factory=list)  # the rows embedded, by id


def embed_new(vectors: JourneyVectors, embedder: Callable[[], TextEmbedder],
              items: Iterable[ToEmbed]) -> EmbedReport:
    """Embeds and stores the journeys of ``items`` that are new or whose description changed
    (a repeated id counts once, the last one given). ``embedder`` is called only when there is
    something to embed. Synchronous (pymilvus and torch): async callers run it in a thread."""
    unique = {item.id: item for item in items}
    stored = vectors.descriptions(unique)
    report = EmbedReport()
    fresh = []
    for rid, item in sorted(unique.items()):
        if stored.get(rid) == item.description:
            report.unchanged += 1
        else:
            fresh.append(item)
    if not fresh:
        return report
    vectors_of = embedder().embed([item.description for item in fresh])
    vectors.upsert([JourneyVector(i.journey_key, i.service, i.environment, i.name,
                                  i.description, v)
                    for i, v in zip(fresh, vectors_of, strict=True)])
    report.embedded = len(fresh)
    report.ids = [item.id for item in fresh]
    return report


def describe_row(entry_service: str, entry_operation: str, protocol: str, span_name: str,
                 method: str | None, services: Iterable[str],
                 edges: Iterable[dict[str, Any]]) -> str:
    """A stored journey's description, equal to the core's for the journey it was made from."""
    entry = Entry(entry_service, entry_operation, protocol, span_name, method)
    return describe_parts(entry, services, [
        Edge(str(e["caller"]), str(e["callee"]), str(e["operation"]), int(e["calls"]))
        for e in edges])


async def embed_environment(session: AsyncSession, vectors: JourneyVectors,
                            embedder: Callable[[], TextEmbedder],
                            environment_id: int) -> EmbedReport:
    """Embeds the journeys of one environment that have no vector yet or changed since: what
    the control plane runs before it looks for a journey's neighbours (an analysis)."""
    _, service, environment = await team_of_environment(session, environment_id)
    rows = await repository.journeys_of_environment(session, environment_id)
    items = [ToEmbed(environment, r.key, service, r.name,
                     describe_row(r.entry_service, r.entry_operation, r.protocol, r.span_name,
                                  r.method, r.services, r.edges)) for r in rows]
    return await asyncio.to_thread(embed_new, vectors, embedder, items)
