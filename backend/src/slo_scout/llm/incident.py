"""An incident's explanation from the model, guarded; none where it gives none that passes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from slo_scout.core.llm import incident
from slo_scout.llm.client import ModelClient


def explain_incident(
    client: ModelClient, summary: dict[str, Any], known: Iterable[str] = ()
) -> str | None:
    """The guarded explanation, or None; ``known``: every service the incident's telemetry names."""
    answer = client.structured(incident.IncidentExplanation, incident.SYSTEM,
                               incident.request(summary))
    if answer is None:
        return None
    text, reason = incident.accept(summary, answer, known)
    if reason is not None:
        client.usage.rejected.append(reason)
    return text
