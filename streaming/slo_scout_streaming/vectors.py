"""Journey vectors in Milvus: the embedding job's writer, one row per (environment, journey).

The same code talks to Milvus Lite (a local file URI: tests, embedded mode) and to a Milvus
server (``http://host:19530``). The collection's name, rows, schema and index are defined once,
in ``slo_scout.control.vectors``, beside the reader the control plane uses
(``JourneyVectorReader``); this module only writes rows of that shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pymilvus import MilvusClient

from slo_scout.control.vectors import (
    DIMENSIONS,
    TEXT_MAX,
    VECTOR_FIELD,
    collection_schema,
    index_params,
    index_type,
    is_lite,
    row_id,
)

__all__ = ["DIMENSIONS", "JourneyVector", "JourneyVectors", "is_lite", "row_id"]


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
