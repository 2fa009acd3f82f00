"""Similar journeys and the SLOs teams approved for them: context for provisional targets.

The vector store (Milvus) finds the neighbours; the control layer adds each neighbour's approved
objectives. The core only reads these values, so retrieval and drafting meet here and nowhere
else: whoever retrieves produces :class:`SimilarJourney`, whoever drafts consumes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from slo_scout.core.slis import SliKind


@dataclass(frozen=True, slots=True)
class ApprovedObjective:
    """One approved SLO of a neighbour: its SLI, objective (percent) and latency threshold."""

    slo_id: str
    version: int
    kind: SliKind
    objective: float
    threshold_s: float | None = None


@dataclass(frozen=True, slots=True)
class SimilarJourney:
    """A neighbour of a journey: ``similarity`` is the cosine similarity (1.0 is identical)."""

    journey_id: str
    environment: str
    service: str
    name: str
    similarity: float
    approved: tuple[ApprovedObjective, ...] = ()
