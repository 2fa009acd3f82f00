"""Turns journeys into SLI candidates and recommended targets with the core, in a form to store.

Without a Prometheus-compatible server the history is the stored per-minute journey statistics;
with one, each candidate's good/total counts over the lookback come from its query API (the
journey's own SLI queries), so targets rest on the server's full history from the first run.
"""

from __future__ import annotations

import asyncio
import copy
import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, Protocol

from slo_scout.control.analysis import family as families
from slo_scout.control.analysis.metric_catalog import CatalogMetric
from slo_scout.control.analysis.neighbours import Neighbours
from slo_scout.core.journeys.model import Journey
from slo_scout.core.recommend.journey import (
    recommend_availability_counts,
    recommend_journey,
    recommend_latency_counts,
)
from slo_scout.core.recommend.model import Recommendation, Strategy, WindowCounts
from slo_scout.core.recommend.similar import SimilarJourney
from slo_scout.core.slis import MetricFamily, SliCandidate, sli_candidates
from slo_scout.llm.client import ModelClient
from slo_scout.llm.naming import name_journeys
from slo_scout.llm.proposals import propose

# Equal windows read from the history server: enough to isolate an incident (30 days in 6-hour
# windows) and still four comparable groups for the worst-window figure. The number of queries
# does not depend on it (one query_range per good and total series).
HISTORY_WINDOWS = 120


class HistorySource(Protocol):
    name: str

    async def window_counts(
        self, good_query: str, total_query: str, *, now: datetime, lookback_s: int, windows: int
    ) -> list[WindowCounts]: ...

    async def detect_family(self) -> families.FamilyChoice: ...


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def candidate_dict(candidate: SliCandidate) -> dict[str, Any]:
    body = {f: getattr(candidate, f) for f in candidate.__slots__ if f != "family"}
    body["family"] = candidate.family.kind.value
    return _plain(body)


def recommendation_dict(rec: Recommendation) -> dict[str, Any]:
    return _plain(asdict(rec))


class Recommender:
    """``family`` None: detected from the history server when there is one, else from the
    environment's metric catalog, else the default. ``model``: builds one analysis's client of
    the configured model (names, rationales, provisional picks); None: all deterministic."""

    def __init__(self, family: MetricFamily | None, history: HistorySource | None = None,
                 model: Callable[[], ModelClient] | None = None,
                 neighbours: Neighbours | None = None) -> None:
        """``neighbours``: similar journeys for provisional drafts (None: none looked up)."""
        self.configured = families.FamilyChoice(family, families.CONFIGURED) if family else None
        self.history = history
        self.history_source = history.name if history else "stored journey statistics"
        self._model = model
        self.neighbours = neighbours

    def with_history(self, history: HistorySource) -> Recommender:
        """The same recommender reading ``history`` (an environment's own server)."""
        chosen = copy.copy(self)
        chosen.history, chosen.history_source = history, history.name
        return chosen

    def model_client(self) -> ModelClient | None:
        """A fresh client for one analysis (its usage, breaker and budget are that run's)."""
        return self._model() if self._model is not None else None

    @property
    def reads_catalog(self) -> bool:
        """Whether :meth:`choose_family` wants the environment's metric catalog."""
        return self.configured is None and self.history is None

    async def choose_family(self, catalog: Sequence[CatalogMetric] = ()) -> families.FamilyChoice:
        """The configured family, else the one the history server holds, else the one the
        metric catalog shows, else the default."""
        if self.configured is not None:
            return self.configured
        if self.history is not None:
            return await self.history.detect_family()
        return families.choose_from_catalog(catalog)

    async def recommend(
        self, journeys: list[Journey], *, now: datetime, lookback_s: int, strategy: str,
        family: MetricFamily, include_incidents: bool = False,
        client: ModelClient | None = None,
        similar: Mapping[str, Sequence[SimilarJourney]] | None = None,
    ) -> list[dict[str, Any]]:
        """Every journey's SLI candidates and recommendations; with an enabled ``client`` the
        model names the journeys and explains the recommendations (guarded, else the rules').
        ``similar``: per journey key, its neighbours with their approved SLOs, the context of a
        provisional draft where the evidence is thin."""
        similar = similar or {}
        chosen = Strategy(strategy)
        ordered = sorted(journeys, key=lambda j: j.id)
        by_journey: list[tuple[Recommendation, ...]] = []
        for journey in ordered:
            if self.history is None:
                recs = recommend_journey(
                    journey, family, strategy=chosen, now_s=int(now.timestamp()),
                    lookback_s=lookback_s, include_incidents=include_incidents,
                    similar=similar.get(journey.id, ()),
                )
            else:
                recs = await self._from_history(journey, family, chosen, now, lookback_s,
                                                include_incidents, similar.get(journey.id, ()))
            by_journey.append(recs)
            await asyncio.sleep(0)  # long analyses stay fair to the worker's heartbeat
        names: dict[str, str] = {}
        if client is not None and client.enabled:
            # the SDKs block: off the event loop, so the worker's lease renewals keep going
            names = await asyncio.to_thread(name_journeys, client, ordered)
            flat = await asyncio.to_thread(propose, client, [r for rs in by_journey for r in rs],
                                           similar)
            explained = {(r.journey_id, r.kind): r for r in flat}
            by_journey = [tuple(explained[(r.journey_id, r.kind)] for r in rs)
                          for rs in by_journey]
        out = []
        for journey, recs in zip(ordered, by_journey, strict=True):
            candidates = sli_candidates(journey, family)
            out.append(
                {
                    "journey_key": journey.id,
                    "journey_name": journey.name,
                    "display_name": names.get(journey.id, journey.name),
                    "named_by": "model" if journey.id in names else "rules",
                    "requests": journey.requests,
                    "errors": journey.errors,
                    "sli_candidates": [candidate_dict(c) for c in candidates],
                    "recommendations": [recommendation_dict(r) for r in recs],
                }
            )
        return out

    async def _from_history(
        self, journey: Journey, family: MetricFamily, strategy: Strategy, now: datetime,
        lookback_s: int, include_incidents: bool, similar: Sequence[SimilarJourney] = (),
    ) -> tuple[Recommendation, Recommendation]:
        assert self.history is not None
        window = {"now": now, "lookback_s": lookback_s, "windows": HISTORY_WINDOWS}
        availability = sli_candidates(journey, family)[0]
        counts = await self.history.window_counts(
            availability.good_query, availability.total_query, **window
        )
        by_threshold = {}
        for threshold in family.buckets_s:
            latency = sli_candidates(journey, family, latency_threshold_s=threshold)[1]
            by_threshold[threshold] = await self.history.window_counts(
                latency.good_query, latency.total_query, **window
            )
        return (
            recommend_availability_counts(journey.id, counts, strategy=strategy,
                                          include_incidents=include_incidents, similar=similar),
            recommend_latency_counts(journey.id, by_threshold, strategy=strategy,
                                     include_incidents=include_incidents, similar=similar),
        )
