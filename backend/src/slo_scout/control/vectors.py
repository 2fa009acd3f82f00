"""Journey vectors in Milvus: the collection's shape, and the one store every runtime uses.

:class:`JourneyVectors` writes and reads the rows: the streaming embedding job
(``slo_scout_streaming.embedding_job``), ``slo-scout analyze`` and the control plane
(``control.journeys.embedding`` writes, ``control.journeys.similar`` reads) all go through it,
with the name, schema and index defined here, so no two of them can disagree about the
collection.

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
restarted server that has not loaded it yet) answers every search with an error. The store
loads the collection when it opens it, and loads it again and retries once when a search finds
it released since. A server that cannot be reached, or fails a call, is
:class:`VectorStoreUnavailable` naming the URI (never a pymilvus traceback). pymilvus is
synchronous: async callers run the store in a thread (``asyncio.to_thread``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pymilvus import CollectionSchema, DataType, MilvusClient, MilvusException
from pymilvus.milvus_client.index import IndexParams

from slo_scout.control.analysis.upstream import redact_text
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
    """The Milvus named cannot serve journey vectors (no such collection, unreachable).

    The message is shown to API callers and in logs: a URI's userinfo (and any echoed by
    pymilvus) is replaced by ``***``."""

    def __init__(self, message: str) -> None:
        super().__init__(redact_text(message))


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
class JourneyVector:
    """One row to store: a journey's identity, the text that was embedded and its vector."""

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


class JourneyVectors:
    """The journey collection of one Milvus: writes rows and answers nearest-journey questions.

    ``open(create=True)`` (writers) creates the collection and its index when absent;
    ``open()`` (readers) wants it to exist. Use as a context manager (a reader's open), or call
    :meth:`open` and :meth:`close`.
    """

    def __init__(self, uri: str, collection: str = DEFAULT_COLLECTION, *, index: str = "auto",
                 token: str = "") -> None:
        self.uri, self.collection = uri, collection
        self.index = index_type(uri, index)
        self._token = token
        self._client: MilvusClient | None = None

    def __enter__(self) -> JourneyVectors:
        self.open()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _where(self) -> str:
        return f"Milvus at {self.uri}"

    def open(self, *, create: bool = False) -> JourneyVectors:
        """Connects, checks the collection exists (creates it with ``create``), and loads it."""
        if self._client is not None:
            return self
        if is_lite(self.uri):
            if not create and not Path(self.uri).exists():  # a reader never makes the file
                raise VectorStoreUnavailable(
                    f"no Milvus Lite file at {self.uri}: no journey vectors were stored there "
                    "yet (by the embedding job, `slo-scout analyze --similar` or an analysis)")
            Path(self.uri).parent.mkdir(parents=True, exist_ok=True)  # a first run's data dir
        try:
            client = MilvusClient(self.uri, token=self._token) if self._token else (
                MilvusClient(self.uri))
        except Exception as error:  # MilvusException, or Lite failing to start on its file
            raise VectorStoreUnavailable(f"cannot open {self._where()}: {error}") from None
        self._client = client
        try:
            exists = client.has_collection(self.collection)
            if not exists and create:
                client.create_collection(self.collection, schema=collection_schema(client),
                                         index_params=index_params(client, self.index))
                exists = True
        except MilvusException as error:
            self.close()
            raise VectorStoreUnavailable(f"cannot ask {self._where()} for collection "
                                         f"{self.collection!r}: {error}") from None
        if not exists:
            self.close()
            raise VectorStoreUnavailable(
                f"{self._where()} has no collection {self.collection!r}: it is created when the "
                "first journey vectors are stored (by the embedding job, `slo-scout analyze "
                "--similar` or an analysis; are they writing to this URI and collection?)")
        self._guarded(self._load)
        return self

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def client(self) -> MilvusClient:
        if self._client is None:
            raise RuntimeError("the journey vector store is not open")
        return self._client

    def _guarded(self, call: Callable[[], T]) -> T:
        """``call``, with a Milvus failure (a server gone since it was opened) as
        :class:`VectorStoreUnavailable` naming the URI."""
        try:
            return call()
        except MilvusException as error:
            raise VectorStoreUnavailable(f"{self._where()} failed on collection "
                                         f"{self.collection!r}: {error}") from None

    def loaded(self) -> bool:
        state = self.client.get_load_state(self.collection).get("state")
        return getattr(state, "name", str(state)) == "Loaded"

    def _load(self) -> None:
        if not self.loaded():
            self.client.load_collection(self.collection)

    def _on_loaded(self, call: Callable[[], T]) -> T:
        def attempt() -> T:
            try:
                return call()
            except MilvusException:
                if self.loaded():
                    raise
            # released since it was opened: load it again, once
            self.client.load_collection(self.collection)
            return call()

        return self._guarded(attempt)

    # writing

    def descriptions(self, ids: Iterable[str]) -> dict[str, str]:
        """The stored description of each of these row ids that is stored (the check before
        embedding: a row whose description is unchanged is not embedded again)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = self._on_loaded(lambda: self.client.query(
            self.collection, ids=wanted, output_fields=["id", "description"]))
        return {str(r["id"]): str(r["description"]) for r in rows}

    def upsert(self, rows: Sequence[JourneyVector]) -> int:
        """Writes rows by primary key: writing one twice leaves one row."""
        if not rows:
            return 0
        for r in rows:
            if len(r.vector) != DIMENSIONS:
                raise ValueError(f"journey {r.id!r}: a vector has {DIMENSIONS} dimensions, "
                                 f"not {len(r.vector)}")
        data = [{"id": r.id, "journey_key": r.journey_key, "service": r.service,
                 "environment": r.environment, "name": r.name[:TEXT_MAX],
                 "description": r.description[:TEXT_MAX], VECTOR_FIELD: r.vector} for r in rows]

        def write() -> None:
            self.client.upsert(self.collection, data)
            # Milvus Lite and a server both make an upsert visible to queries after a flush;
            # writers flush per batch so the next batch's check sees these rows.
            self.client.flush(self.collection)

        self._guarded(write)
        return len(data)

    def count(self) -> int:
        rows = self._on_loaded(lambda: self.client.query(
            self.collection, filter="", output_fields=["count(*)"]))
        return int(rows[0]["count(*)"])

    # reading

    def vector_of(self, environment: str, journey_key: str) -> list[float]:
        """The stored vector of one journey; :class:`NotFound` when none was stored."""
        wanted = row_id(environment, journey_key)
        rows = self._on_loaded(lambda: self.client.query(
            self.collection, ids=[wanted], output_fields=[VECTOR_FIELD]))
        if not rows:
            raise NotFound(f"a vector for journey {journey_key!r} of environment "
                           f"{environment!r} in collection {self.collection!r}")
        return [float(x) for x in rows[0][VECTOR_FIELD]]

    def nearest(self, vector: Sequence[float], *, environment: str | None, k: int = 5,
                service: str | None = None, services: Sequence[str] | None = None,
                exclude_id: str | None = None) -> list[NearJourney]:
        """The ``k`` journeys nearest to ``vector``, nearest first: of ``environment`` (every
        environment when None), of ``service`` and of ``services`` when given (the filter
        runs inside the search, so ``k`` hits come back when ``k`` match)."""
        if len(vector) != DIMENSIONS:
            raise ValueError(f"a journey vector has {DIMENSIONS} dimensions, not {len(vector)}")
        terms = []
        if environment is not None:
            terms.append(f"environment == {quote(environment)}")
        if service is not None:
            terms.append(f"service == {quote(service)}")
        if services is not None:
            terms.append(f"service in [{', '.join(quote(s) for s in sorted(services))}]")
        if exclude_id is not None:
            terms.append(f"id != {quote(exclude_id)}")
        hits = self._on_loaded(lambda: self.client.search(
            self.collection, data=[[float(x) for x in vector]], filter=" and ".join(terms),
            limit=k, output_fields=list(OUTPUT_FIELDS),
            search_params=search_params(self.index, k)))[0]
        return [NearJourney(**{f: str(h["entity"][f]) for f in OUTPUT_FIELDS},
                            similarity=float(h["distance"])) for h in hits]

    def nearest_to_journey(self, environment: str, journey_key: str, *, k: int = 5,
                           service: str | None = None, services: Sequence[str] | None = None,
                           everywhere: bool = False) -> list[NearJourney]:
        """The ``k`` journeys nearest to a stored one, itself left out: of its environment, or
        of every environment with ``everywhere``."""
        vector = self.vector_of(environment, journey_key)
        return self.nearest(vector, environment=None if everywhere else environment, k=k,
                            service=service, services=services,
                            exclude_id=row_id(environment, journey_key))
