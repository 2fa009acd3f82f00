"""The process's one journey vector store for readers (the API's similar-journeys endpoint and
the UI's journey page): opened on first use, dropped when Milvus fails so that the next request
connects again, and never a Milvus Lite file created by a reader.

Retrieval needs only the stored vector of the journey (``vectors.nearest_to_journey``): no
reader loads the embedding model. pymilvus is the 'streaming' extra, imported on first use, so
a process without it serves everything else and says what is missing here.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.auth.principal import Principal
from slo_scout.core.recommend.similar import SimilarJourney
from slo_scout.db.models import JourneyRow
from slo_scout.settings import Settings

if TYPE_CHECKING:
    from slo_scout.control.vectors import JourneyVectors


class VectorsUnavailable(Exception):
    """Milvus cannot answer (unreachable, no collection, no Lite file) or pymilvus is missing;
    the message names which and where."""


class SharedVectors:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = asyncio.Lock()
        self._store: JourneyVectors | None = None

    async def similar(self, session: AsyncSession, journey: JourneyRow,
                      principal: Principal | None, limit: int) -> list[SimilarJourney]:
        """``similar_journeys`` through the shared store. Raises ``NotFound`` when the journey
        has no vector yet and :class:`VectorsUnavailable` when Milvus cannot answer."""
        try:
            from slo_scout.control.journeys.similar import similar_journeys
            from slo_scout.control.vectors import JourneyVectors, VectorStoreUnavailable
        except ImportError as error:
            raise VectorsUnavailable(
                f"journey vectors need pymilvus, which is not installed ({error}); install "
                "the 'streaming' extra") from None
        try:
            async with self._lock:
                if self._store is None:
                    vectors = self._settings.vectors
                    token = vectors.token
                    store = JourneyVectors(self._settings.milvus_uri(), vectors.collection,
                                           index=vectors.index,
                                           token=token.get_secret_value() if token else "")
                    await asyncio.to_thread(store.open)
                    self._store = store
                store = self._store
            return await similar_journeys(session, store, journey, principal, limit)
        except VectorStoreUnavailable as error:
            stale, self._store = self._store, None
            if stale is not None:
                await asyncio.to_thread(stale.close)
            raise VectorsUnavailable(str(error)) from None


def shared_vectors(state: Any, settings: Settings) -> SharedVectors:
    """The one :class:`SharedVectors` kept on ``state`` (an application's state), made on first
    use, so the API and the UI of one process share one connection."""
    found = getattr(state, "journey_vectors", None)
    if found is None:
        found = state.journey_vectors = SharedVectors(settings)
    return found
