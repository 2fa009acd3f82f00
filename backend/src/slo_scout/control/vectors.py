"""Journey vectors in Milvus: the collection's shape, and the one reader the control plane uses.

The streaming embedding job (``slo_scout_streaming.embedding_job``) writes one row per
(environment, journey) through ``slo_scout_streaming.vectors.JourneyVectors``, with the name,
schema and index defined here, so writer and reader cannot disagree about the collection.
Everything that reads the vectors back (similar-journey retrieval) goes through
:class:`JourneyVectorReader`.

Rows:

- ``id`` (primary key, VARCHAR): ``<environment>/<journey key>`` (:func:`row_id`). The journey
  key is stable across environments, so the environment is part of the id: staging's and
  production's ``checkout`` are two rows.
- ``journey_key``, ``service`` (the entry service), ``environment``, ``name``, ``description``
  (the text that was embedded, so a reader sees why two journeys are neighbours).
- ``vector``: :data:`DIMENSIONS` floats, L2-normalised, compared by cosine similarity.

Index: a journey catalog is small (hundreds to tens of thousands of rows per environment).
Milvus Lite supports only FLAT/IVF_FLAT/AUTOINDEX; exact search (FLAT) over that size answers
in milliseconds and never misses a neighbour. On a server, HNSW (M=16, efConstruction=200) keeps
queries sub-millisecond as the collection grows into the millions, with recall near 1 at
``ef=64``. ``index="auto"`` picks FLAT for a file URI and HNSW for a server.

Milvus searches only a *loaded* collection: a released one (an operator freeing memory, a
restarted server that has not loaded it yet) answers every search with an error. The reader
loads the collection when it opens it, and loads it again and retries once when a search finds
it released since. pymilvus is synchronous: async callers run the reader in a thread
(``asyncio.to_thread``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pymilvus import CollectionSchema, DataType, MilvusClient, MilvusException
from pymilvus.milvus_client.index import IndexParams

from slo_scout.control.errors import NotFound

DEFAULT_COLLECTION = "journeys"
DIMENSIONS = 384  # all-MiniLM-L6-v2
ID_MAX = 512
TEXT_MAX = 8192
METRIC = "COSINE"
VECTOR_FIELD = "vector"
# The scalar fields, in the schema's order; a reader asks for all of them back.
ID_FIELDS = ("journey_key", "service", "environment")
TEXT_FIELDS = ("name", "description")
OUTPUT_FIELDS = (*ID_FIELDS, *TEXT_FIELDS)
HNSW_BUILD = {"M": 16, "efConstruction": 200}
HNSW_MIN_EF = 64

T = TypeVar("T")


class VectorStoreUnavailable(Exception):
    """The Milvus named cannot serve journey vectors (no such collection, unreachable)."""


def row_id(environment: str, journey_key: str) -> str:
    return f"{environment}/{journey_key}"


def is_lite(uri: str) -> bool:
    """Milvus Lite is a local file; a server is reached over http(s)/tcp."""
    return not uri.startswith(("http://", "https://", "tcp://", "unix:"))


def index_type(uri: str, index: str = "auto") -> str:
    return ("FLAT" if is_lite(uri) else "HNSW") if index == "auto" else index.upper()


def quote(value: str) -> str:
    """A string literal for a Milvus filter expression."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def collection_schema(client: MilvusClient) -> CollectionSchema:
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=ID_MAX)
    for name in ID_FIELDS:
        schema.add_field(name, DataType.VARCHAR, max_length=ID_MAX)
    for name in TEXT_FIELDS:
        schema.add_field(name, DataType.VARCHAR, max_length=TEXT_MAX)
    schema.add_field(VECTOR_FIELD, DataType.FLOAT_VECTOR, dim=DIMENSIONS)
    return schema


def index_params(client: MilvusClient, index: str) -> IndexParams:
    params = client.prepare_index_params()
    extra: dict[str, Any] = dict(HNSW_BUILD) if index == "HNSW" else {}
    params.add_index(field_name=VECTOR_FIELD, index_type=index, metric_type=METRIC, params=extra)
    return params


def search_params(index: str, k: int) -> dict[str, Any]:
    params: dict[str, Any] = {"metric_type": METRIC}
    if index == "HNSW":
        params["params"] = {"ef": max(HNSW_MIN_EF, k)}
    return params


@dataclass(frozen=True, slots=True)
class NearJourney:
    """A stored journey near the one asked about."""

    journey_key: str
    service: str
    environment: str
    name: str
    description: str
    similarity: float  # cosine, 1.0 = same direction

    @property
    def distance(self) -> float:
        """Cosine distance: 0.0 for the same direction, up to 2.0 for the opposite."""
        return 1.0 - self.similarity


class JourneyVectorReader:
    """Opens (and loads) the journey collection and answers nearest-journey questions.

    Use as a context manager, or call :meth:`open` and :meth:`close`.
    """

    def __init__(self, uri: str, collection: str = DEFAULT_COLLECTION, *, index: str = "auto",
                 token: str = "") -> None:
        self.uri, self.collection = uri, collection
        self.index = index_type(uri, index)
        self._token = token
        self._client: MilvusClient | None = None

    def __enter__(self) -> JourneyVectorReader:
        self.open()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _where(self) -> str:
        return f"Milvus at {self.uri}"

    def open(self) -> None:
        """Connects, checks the collection exists, and loads it when it is not loaded."""
        try:
            client = MilvusClient(self.uri, token=self._token) if self._token else (
                MilvusClient(self.uri))
        except MilvusException as error:
            raise VectorStoreUnavailable(f"cannot open {self._where()}: {error}") from None
        self._client = client
        try:
            exists = client.has_collection(self.collection)
        except MilvusException as error:
            self.close()
            raise VectorStoreUnavailable(f"cannot ask {self._where()} for collection "
                                         f"{self.collection!r}: {error}") from None
        if not exists:
            self.close()
            raise VectorStoreUnavailable(
                f"{self._where()} has no collection {self.collection!r}: the embedding job "
                "creates it when it stores its first journey vectors (is it writing to this URI "
                "and collection?)")
        self._load()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def client(self) -> MilvusClient:
        if self._client is None:
            raise RuntimeError("the journey vector reader is not open")
        return self._client

    def loaded(self) -> bool:
        state = self.client.get_load_state(self.collection).get("state")
        return getattr(state, "name", str(state)) == "Loaded"

    def _load(self) -> None:
        if not self.loaded():
            self.client.load_collection(self.collection)

    def _on_loaded(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except MilvusException:
            if self.loaded():
                raise
        # released since it was opened: load it again, once
        self.client.load_collection(self.collection)
        return call()

    def vector_of(self, environment: str, journey_key: str) -> list[float]:
        """The stored vector of one journey; :class:`NotFound` when none was stored."""
        wanted = row_id(environment, journey_key)
        rows = self._on_loaded(lambda: self.client.query(
            self.collection, ids=[wanted], output_fields=[VECTOR_FIELD]))
        if not rows:
            raise NotFound(f"a vector for journey {journey_key!r} of environment "
                           f"{environment!r} in collection {self.collection!r}")
        return [float(x) for x in rows[0][VECTOR_FIELD]]

    def nearest(self, vector: Sequence[float], *, environment: str, k: int = 5,
                service: str | None = None, exclude_key: str | None = None) -> list[NearJourney]:
        """The ``k`` journeys of ``environment`` nearest to ``vector``, nearest first."""
        if len(vector) != DIMENSIONS:
            raise ValueError(f"a journey vector has {DIMENSIONS} dimensions, not {len(vector)}")
        terms = [f"environment == {quote(environment)}"]
        if service is not None:
            terms.append(f"service == {quote(service)}")
        if exclude_key is not None:
            terms.append(f"journey_key != {quote(exclude_key)}")
        hits = self._on_loaded(lambda: self.client.search(
            self.collection, data=[[float(x) for x in vector]], filter=" and ".join(terms),
            limit=k, output_fields=list(OUTPUT_FIELDS),
            search_params=search_params(self.index, k)))[0]
        return [NearJourney(**{f: str(h["entity"][f]) for f in OUTPUT_FIELDS},
                            similarity=float(h["distance"])) for h in hits]

    def nearest_to_journey(self, environment: str, journey_key: str, *, k: int = 5,
                           service: str | None = None) -> list[NearJourney]:
        """The ``k`` journeys of ``environment`` nearest to a stored one, itself left out."""
        vector = self.vector_of(environment, journey_key)
        return self.nearest(vector, environment=environment, k=k, service=service,
                            exclude_key=journey_key)
