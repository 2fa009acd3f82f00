"""Journey names from the model, guarded; the rules' names where it gives none."""

from __future__ import annotations

from collections.abc import Sequence

from slo_scout.core.journeys.model import Journey
from slo_scout.core.llm import naming
from slo_scout.llm.client import ModelClient

BATCH = 40  # journeys per call: the answer stays well inside the output limit


def name_journeys(client: ModelClient, journeys: Sequence[Journey]) -> dict[str, str]:
    """journey id -> a name for people (only those the model gave and the guards passed)."""
    names: dict[str, str] = {}
    ordered = sorted(journeys, key=lambda j: (-j.requests, j.id))
    for start in range(0, len(ordered), BATCH):
        chunk = ordered[start:start + BATCH]
        answer = client.structured(naming.JourneyNames, naming.SYSTEM, naming.request(chunk))
        if answer is None:
            continue
        accepted, rejected = naming.accept(chunk, answer)
        client.usage.rejected.extend(rejected)
        names.update(accepted)
    return names
