"""Similar journeys for an analysis's provisional drafts, from the journey vectors already stored.

A journey whose evidence is too thin for the rule gets a provisional objective; its neighbours'
approved SLOs are the first source (``core.recommend.provisional``). The neighbours are read
from the vectors stored before this analysis (the streaming embedding job's, ``analyze
--similar``'s, or the worker's after an earlier analysis): a journey without a vector yet simply
has none, and its draft comes from the model or the convention.

Only the analysed environment's team is searched: an analysis result is read by that team, and
its drafts must not name or reflect another team's journeys or SLOs. A store that cannot answer
(no Lite file yet, a server down) leaves every draft without neighbours and is logged; it never
fails the analysis.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.auth.principal import Principal
from slo_scout.control.catalog.service import visible_environments
from slo_scout.control.errors import NotFound
from slo_scout.core.recommend.similar import SimilarJourney
from slo_scout.db.models import JourneyRow

if TYPE_CHECKING:
    from slo_scout.control.vectors import JourneyVectors

log = logging.getLogger(__name__)

LIMIT = 5


class Neighbours:
    """Opens the store on first use and keeps it open across analyses (a Milvus Lite open
    starts its server: seconds, not something to pay per job)."""

    def __init__(self, uri: str, collection: str, *, token: str = "", limit: int = LIMIT) -> None:
        self.uri, self.collection, self._token, self.limit = uri, collection, token, limit
        self._vectors: JourneyVectors | None = None

    def _store(self) -> JourneyVectors:
        if self._vectors is None:
            from slo_scout.control.vectors import JourneyVectors, is_lite  # pymilvus: when used

            if is_lite(self.uri) and not Path(self.uri).exists():
                raise FileNotFoundError(f"no Milvus Lite file at {self.uri} yet")
            self._vectors = JourneyVectors(self.uri, self.collection, token=self._token).open()
        return self._vectors

    async def of(self, session: AsyncSession, environment_id: int, rows: Sequence[JourneyRow],
                 ) -> dict[str, list[SimilarJourney]]:
        """Per journey key, its nearest journeys of the same team with their approved SLOs."""
        if not rows:
            return {}
        from slo_scout.control.vectors import VectorStoreUnavailable

        try:
            vectors = await asyncio.to_thread(self._store)
        except (VectorStoreUnavailable, FileNotFoundError) as error:
            log.info("drafts without similar journeys: %s", error)
            return {}
        from slo_scout.control.journeys.similar import similar_journeys

        team = (await visible_environments(session, None, None, None))[environment_id][0]
        reader = Principal(subject="slo-scout analysis", grants={team: "viewer"})
        found: dict[str, list[SimilarJourney]] = {}
        for row in rows:
            try:
                found[row.key] = await similar_journeys(session, vectors, row, reader, self.limit)
            except NotFound:  # no vector for this journey yet
                continue
            except VectorStoreUnavailable as error:
                log.warning("similar journeys stopped: %s", error)
                self.close()
                break
        return found

    def close(self) -> None:
        if self._vectors is not None:
            self._vectors.close()
            self._vectors = None
