"""Journey vectors in Milvus: one row per (environment, journey), written once, searched by meaning.

The same code talks to Milvus Lite (a local file URI: tests, embedded mode) and to a Milvus
server (``http://host:19530``). Rows:

- ``id`` (primary key, VARCHAR): ``<environment>/<journey key>``. The journey key is stable
  across environments, so the environment is part of the id: staging's and production's
  ``checkout`` are two rows.
- ``journey_key``, ``service`` (the entry service), ``environment``, ``name``, ``description``
  (the text that was embedded, so a reader sees why two journeys are neighbours).
- ``vector``: 384 floats, L2-normalised, compared by cosine similarity.

Index: a journey catalog is small (hundreds to tens of thousands of rows per environment).
Milvus Lite supports only FLAT/IVF_FLAT/AUTOINDEX; exact search (FLAT) over that size answers
in milliseconds and never misses a neighbour. On a server, HNSW (M=16, efConstruction=200) keeps
queries sub-millisecond as the collection grows into the millions, with recall near 1 at
``ef=64``. ``index="auto"`` picks FLAT for a file URI and HNSW for a server.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pymilvus import DataType, MilvusClient

DIMENSIONS = 384
_ID_MAX = 512
_TEXT_MAX = 8192


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


def row_id(environment: str, journey_key: str) -> str:
    return f"{environment}/{journey_key}"


def is_lite(uri: str) -> bool:
    """Milvus Lite is a local file; a server is reached over http(s)/tcp."""
    return not uri.startswith(("http://", "https://", "tcp://", "unix:"))


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class JourneyVectors:
    def __init__(self, uri: str, collection: str, *, index: str = "auto",
                 token: str = "") -> None:
        self.uri, self.collection = uri, collection
        self.index = ("FLAT" if is_lite(uri) else "HNSW") if index == "auto" else index.upper()
        self.client = MilvusClient(uri, token=token) if token else MilvusClient(uri)

    def close(self) -> None:
        self.client.close()

    def ensure_collection(self) -> None:
        """Creates the collection and its index when absent (idempotent), then loads it."""
        if self.client.has_collection(self.collection):
            self.client.load_collection(self.collection)
            return
        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=_ID_MAX)
        schema.add_field("journey_key", DataType.VARCHAR, max_length=_ID_MAX)
        schema.add_field("service", DataType.VARCHAR, max_length=_ID_MAX)
        schema.add_field("environment", DataType.VARCHAR, max_length=_ID_MAX)
        schema.add_field("name", DataType.VARCHAR, max_length=_TEXT_MAX)
        schema.add_field("description", DataType.VARCHAR, max_length=_TEXT_MAX)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIMENSIONS)
        params = self.client.prepare_index_params()
        extra: dict[str, Any] = {"M": 16, "efConstruction": 200} if self.index == "HNSW" else {}
        params.add_index(field_name="vector", index_type=self.index, metric_type="COSINE",
                         params=extra)
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
                 "environment": r.environment, "name": r.name[:_TEXT_MAX],
                 "description": r.description[:_TEXT_MAX], "vector": r.vector} for r in rows]
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
            terms.append(f"environment == {_quote(environment)}")
        if service is not None:
            terms.append(f"service == {_quote(service)}")
        if exclude is not None:
            terms.append(f"id != {_quote(exclude)}")
        search_params: dict[str, Any] = {"metric_type": "COSINE"}
        if self.index == "HNSW":
            search_params["params"] = {"ef": max(64, k)}
        hits = self.client.search(
            self.collection, data=[list(vector)], filter=" and ".join(terms), limit=k,
            output_fields=["journey_key", "service", "environment", "name", "description"],
            search_params=search_params)[0]
        return [Neighbour(id=str(h["id"]), journey_key=h["entity"]["journey_key"],
                          service=h["entity"]["service"],
                          environment=h["entity"]["environment"], name=h["entity"]["name"],
                          description=h["entity"]["description"],
                          similarity=float(h["distance"]))
                for h in hits]
