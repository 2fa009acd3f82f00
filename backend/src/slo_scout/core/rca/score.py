"""Evidence -> ranked suspects, with a score anyone can recompute by hand.

1. Per service and signal, the strongest finding's surprise (``-log10 p``, see
   :mod:`slo_scout.core.rca.signals`).
2. Per signal, how far each service stands out from the other services with a finding in the
   same signal and incident: ``z = (surprise - median) / max(1.4826 * MAD, 1)``. A signal that
   flags every service (a change of workload makes many log templates look new) thus lifts
   none; one that flags one service far above the rest lifts it. The floor of 1 is one decade
   of probability, so nothing is divided by a near-zero spread.
   Where a signal tests a known population (``error_origin``: every service with spans in
   the incident window; ``calls_stopped``, ``network``: see ``investigate``), its quiet
   services count at 0: in a system that rarely fails, the
   one service whose errors start now is the lone finding, and a lone finding stands out by
   its own surprise (against no one else, its standout would be 0).
3. The score is the service's largest ``z`` over the signals; the sum of its ``z`` breaks ties.
   The suspect's kind is that signal's kind (but see :func:`_kind`: a saturated resource
   explains slowness), its operation that of its strongest finding with an operation.
   Remaining ties break by name, so the ranking is deterministic.

Why the largest and not the sum: a fault shows in one or two signals (a CPU hog in metrics and
latency, a thrown exception in error logs), and the others add noise. Why relative to the other
services: the surprises assume independent spans and a baseline like the incident's workload;
neither holds exactly, and the comparison across services cancels what they share.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Final

from slo_scout.core.rca.model import Evidence, FaultKind, Suspect
from slo_scout.core.rca.stats import MIN_SPREAD, median

EVIDENCE_PER_SUSPECT = 5


def standout(strength: dict[str, float]) -> dict[str, float]:
    """Each service's robust z against the others' strengths in one signal (never negative)."""
    names = sorted(strength)
    values = [strength.get(name, 0.0) for name in names]
    if not values:
        return {}
    centre = median(values)
    spread = max(1.4826 * median([abs(v - centre) for v in values]), MIN_SPREAD)
    return {name: max(0.0, (strength.get(name, 0.0) - centre) / spread) for name in names}


def rank(
    evidence: Iterable[Evidence], tested: Mapping[str, Iterable[str]] | None = None
) -> list[Suspect]:
    """Suspects, best first.

    ``tested`` names, per signal, every service that signal tested, where the signal has such
    a population: a tested service without a finding stands in its standout at 0 (quiet), so
    a lone finding stands out by its own surprise instead of by nothing.
    """
    by_service: dict[str, list[Evidence]] = defaultdict(list)
    strongest: dict[str, dict[str, Evidence]] = defaultdict(dict)
    for item in evidence:
        by_service[item.service].append(item)
        best = strongest[item.signal].get(item.service)
        if best is None or item.surprise > best.surprise:
            strongest[item.signal][item.service] = item
    tested = tested or {}
    z_by_signal = {
        signal: standout({
            **dict.fromkeys(tested.get(signal, ()), 0.0),
            **{svc: e.surprise for svc, e in found.items()},
        })
        for signal, found in strongest.items()
    }
    suspects = []
    for service, items in by_service.items():
        items.sort(key=lambda e: (-e.surprise, e.signal, e.detail))
        signals = {
            signal: z[service] for signal, z in z_by_signal.items() if service in strongest[signal]
        }
        top_signal = max(signals, key=lambda name: (signals[name], name))
        operation = next((e.operation for e in items if e.operation), None)
        suspects.append(Suspect(
            service=service,
            score=signals[top_signal],
            kind=_kind(top_signal, signals, {name: found[service]
                                             for name, found in strongest.items()
                                             if service in found}),
            operation=operation,
            signals=signals,
            evidence=items[:EVIDENCE_PER_SUSPECT],
        ))
    suspects.sort(key=lambda s: (-s.score, -sum(s.signals.values()), s.service))
    return suspects


_SLOWNESS: Final = frozenset({"latency", "network"})
_RESOURCES: Final = frozenset({"cpu", "memory"})


def _kind(top: str, standouts: Mapping[str, float], strongest: Mapping[str, Evidence]
          ) -> FaultKind:
    """The kind of the top signal, unless that is slowness (latency, the wire) and one of the
    service's own CPU or memory metrics stands out too (by a decade or more): a saturated pod
    is slow in all it does, its queues included, so the resource is the cause and the slowness
    its symptom."""
    kind = strongest[top].kind
    if kind not in _SLOWNESS:
        return kind
    resources = [(standouts[name], name) for name, e in strongest.items()
                 if e.kind in _RESOURCES and standouts[name] >= MIN_SPREAD]
    return strongest[max(resources)[1]].kind if resources else kind
