"""Journey vectors in Milvus: the embedding job's writer, one row per (environment, journey).

The same code talks to Milvus Lite (a local file URI: tests, embedded mode) and to a Milvus
server (``http://host:19530``). The collection's name, rows, schema and index are defined once,
in ``slo_scout.control.vectors``, beside the reader the control plane uses
(``JourneyVectorReader``); this module only writes rows of that shape (and keeps ``similar``,
the writer's own check that what it stored can be found).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pymilvus import MilvusClient

from slo_scout.control.vectors import (
    DIMENSIONS,
    OUTPUT_FIELDS,
    TEXT_MAX,
    VECTOR_FIELD,
    collection_schema,
    index_params,
    index_type,
    is_lite,
    quote,
    row_id,
    search_params,
)

__all__ = ["DIMENSIONS", "JourneyVector", "JourneyVectors", "Neighbour", "is_lite", "row_id"]


@dataclass(frozen=True, slots=True)
class JourneyVector:
    journey_key: str
    service: str
    environment: str
    name: str
    description: str
    vector: list[float]

    @property
    def id(self) -> str:
        return row_id(self.environment, self.journey_key)


@dataclass(frozen=True, slots=True)
class Neighbour:
    id: str
    journey_key: str
    service: str
    environment: str
    name: str
    description: str
    similarity: float  # cosine, 1.0 = same direction


class JourneyVectors:
    def __init__(self, uri: str, collection: str, *, index: str = "auto",
                 token: str = "") -> None:
        self.uri, self.collection = uri, collection
        self.index = index_type(uri, index)
        self.client = MilvusClient(uri, token=token) if token else MilvusClient(uri)

    def close(self) -> None:
        self.client.close()

    def ensure_collection(self) -> None:
        """Creates the collection and its index when absent (idempotent), then loads it."""
        if self.client.has_collection(self.collection):
            self.client.load_collection(self.collection)
            return
        schema = collection_schema(self.client)
        params = index_params(self.client, self.index)
        self.client.create_collection(self.collection, schema=schema, index_params=params)
        self.client.load_collection(self.collection)

    def existing(self, ids: Iterable[str]) -> set[str]:
        """Which of these row ids are stored already (the dedupe before embedding)."""
        wanted = sorted(set(ids))
        if not wanted:
            return set()
        rows = self.client.query(self.collection, ids=wanted, output_fields=["id"])
        return {str(r["id"]) for r in rows}

    def upsert(self, rows: Sequence[JourneyVector]) -> int:
        """Writes rows by primary key: writing one twice leaves one row."""
        if not rows:
            return 0
        data = [{"id": r.id, "journey_key": r.journey_key, "service": r.service,
                 "environment": r.environment, "name": r.name[:TEXT_MAX],
                 "description": r.description[:TEXT_MAX], VECTOR_FIELD: r.vector} for r in rows]
        self.client.upsert(self.collection, data)
        # Milvus Lite and a server both make an upsert visible to queries after a flush; the
        # job flushes per batch so the next batch's dedupe sees these rows.
        self.client.flush(self.collection)
        return len(data)

    def count(self) -> int:
        rows = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def similar(self, vector: Sequence[float], k: int = 5, *, environment: str | None = None,
                service: str | None = None, exclude: str | None = None) -> list[Neighbour]:
        """The ``k`` stored journeys nearest to ``vector``, most similar first."""
        terms = []
        if environment is not None:
            terms.append(f"environment == {quote(environment)}")
        if service is not None:
            terms.append(f"service == {quote(service)}")
        if exclude is not None:
            terms.append(f"id != {quote(exclude)}")
        hits = self.client.search(
            self.collection, data=[list(vector)], filter=" and ".join(terms), limit=k,
            output_fields=list(OUTPUT_FIELDS), search_params=search_params(self.index, k))[0]
        return [Neighbour(id=str(h["id"]), journey_key=h["entity"]["journey_key"],
                          service=h["entity"]["service"],
                          environment=h["entity"]["environment"], name=h["entity"]["name"],
                          description=h["entity"]["description"],
                          similarity=float(h["distance"]))
                for h in hits]
