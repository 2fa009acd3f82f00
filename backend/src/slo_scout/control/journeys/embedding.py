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
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.catalog.service import team_of_environment
from slo_scout.control.journeys import repository
from slo_scout.core.journeys.description import describe_parts
from slo_scout.core.journeys.model import Edge, Entry

if TYPE_CHECKING:  # pymilvus (the 'streaming' extra) is imported only by what uses Milvus
    from slo_scout.control.vectors import JourneyVectors


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
        return f"{self.environment}/{self.journey_key}"  # control.vectors.row_id


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
    from slo_scout.control.vectors import JourneyVector

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


class EnvironmentEmbedding:
    """The control plane's embedding of environments (the worker's, after each analysis): one
    store, opened on first use and again after a failure, and the process's one model, loaded
    only when a journey needs embedding."""

    def __init__(self, uri: str, collection: str, *, index: str = "auto", token: str = "",
                 threads: int = 0) -> None:
        self.uri, self.collection, self.index = uri, collection, index
        self._token, self._threads = token, threads
        self._vectors: JourneyVectors | None = None

    def _model(self) -> TextEmbedder:
        from slo_scout.control.embedder import shared_embedder  # torch: only when embedding

        return shared_embedder(self._threads)

    def _open(self) -> JourneyVectors:
        from slo_scout.control.vectors import JourneyVectors

        if self._vectors is None:
            self._vectors = JourneyVectors(self.uri, self.collection, index=self.index,
                                           token=self._token).open(create=True)
        return self._vectors

    async def embed(self, session: AsyncSession, environment_id: int) -> EmbedReport:
        try:
            vectors = await asyncio.to_thread(self._open)
            return await embed_environment(session, vectors, self._model, environment_id)
        except Exception:
            self.close()  # the next call connects again
            raise

    def close(self) -> None:
        if self._vectors is not None:
            self._vectors.close()
            self._vectors = None
