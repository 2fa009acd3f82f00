"""Explanations and provisional picks from the model, guarded; the rules' where it gives none."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from slo_scout.core.llm import proposals
from slo_scout.core.recommend.model import Recommendation
from slo_scout.core.recommend.similar import SimilarJourney
from slo_scout.llm.client import ModelClient

BATCH = 20  # recommendations per call (10 journeys): the answer stays inside the output limit


def propose(client: ModelClient, recs: Sequence[Recommendation],
            similar: Mapping[str, Sequence[SimilarJourney]] | None = None,
            ) -> list[Recommendation]:
    """``recs`` with every guarded model explanation (and provisional pick) applied."""
    ordered = sorted(recs, key=lambda r: (r.journey_id, r.kind.value))
    out: dict[tuple[str, str], Recommendation] = {}
    for start in range(0, len(ordered), BATCH):
        chunk = ordered[start:start + BATCH]
        answer = client.structured(proposals.Proposals, proposals.SYSTEM,
                                   proposals.request(chunk, similar))
        if answer is None:
            continue
        accepted, rejected = proposals.accept(chunk, answer, similar)
        client.usage.rejected.extend(rejected)
        client.usage.explained += sum(r.rationale_by == "model" for r in accepted)
        client.usage.drafted += sum(r.provisional is not None
                                    and r.provisional.source.value == "model" for r in accepted)
        out.update(((r.journey_id, r.kind.value), r) for r in accepted)
    return [out.get((r.journey_id, r.kind.value), r) for r in recs]
