"""``slo-scout analyze --similar``: the run's journeys into the journey vectors, and each one's
nearest stored journeys into journeys.json.

Each journey is embedded once (``control.journeys.embedding.embed_new``): a rerun on the same
traffic embeds nothing and does not even load the model; a journey whose description changed is
embedded again. Rows go to ``--environment`` (default ``local``) under the journey's entry
service, so recordings of several services in one file find each other's journeys. Opt-in:
loading the model costs about 6 s on CPU, several times what analysing a small recording does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from slo_scout.core.journeys import Discovery
from slo_scout.core.journeys.description import describe_journey

NEIGHBOURS = 5


@dataclass
class SimilarRun:
    uri: str
    embedded: int
    unchanged: int
    load_s: float | None  # None: the model was not needed
    embed_s: float
    query_s: float
    neighbours: dict[str, list[dict[str, Any]]]


def similar_of(discovery: Discovery, *, uri: str, collection: str, environment: str,
               threads: int = 0) -> SimilarRun:
    """Embeds the run's journeys (new or changed only) and finds each one's neighbours among
    every stored journey. Raises ``VectorStoreUnavailable`` (Milvus) or ``ImportError`` (the
    'streaming' or 'embeddings' extra missing)."""
    from slo_scout.control.journeys.embedding import ToEmbed, embed_new
    from slo_scout.control.vectors import JourneyVectors

    loaded: list[float] = []

    def model() -> Any:
        began = time.perf_counter()
        from slo_scout.control.embedder import shared_embedder

        embedder = shared_embedder(threads)
        loaded.append(time.perf_counter() - began)
        return embedder

    journeys = sorted(discovery.journeys, key=lambda j: j.id)
    items = [ToEmbed(environment, j.id, j.entry.service, j.name, describe_journey(j))
             for j in journeys]
    with JourneyVectors(uri, collection).open(create=True) as vectors:
        began = time.perf_counter()
        report = embed_new(vectors, model, items)
        embed_s = time.perf_counter() - began - sum(loaded)
        began = time.perf_counter()
        neighbours = {
            j.id: [{"id": n.journey_key, "environment": n.environment, "service": n.service,
                    "name": n.name, "similarity": round(n.similarity, 4)}
                   for n in vectors.nearest_to_journey(environment, j.id, k=NEIGHBOURS,
                                                       everywhere=True)]
            for j in journeys}
        query_s = time.perf_counter() - began
    return SimilarRun(uri=uri, embedded=report.embedded, unchanged=report.unchanged,
                      load_s=loaded[0] if loaded else None, embed_s=embed_s, query_s=query_s,
                      neighbours=neighbours)
