"""Provisional targets where the evidence is too thin for the rule: a draft a team reviews.

A journey with fewer requests than the rule needs still gets its SLIs and an objective, marked
``provisional`` with its source named. The evidence bounds the choice: an availability objective
is a ladder rung not above the Wilson upper bound of what was measured, a latency threshold a
bucket boundary at which the requests seen allow the latency objective (its Wilson upper bound
reaches it). Within those options:

- **the model**, when one is configured, picks with the similar journeys' approved SLOs as
  context (a runtime asks it; the guards check its pick is one of the options, and
  :func:`redraft` applies it). Without a model, or when its answer is refused:
- **similar journeys**: the median approved objective (latency: threshold) of the neighbours
  at least ``SIMILARITY_CUT`` alike, snapped down to an allowed rung (up to an allowed
  boundary);
- **a documented convention** when there are none: availability 99% (the loosest standard
  target), latency the second-smallest boundary every request seen met (one bucket of
  headroom, since a handful of requests says little about the tail).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import replace

from slo_scout.core.recommend.model import (
    STANDARD_TARGETS,
    TARGET_LADDER,
    DraftSource,
    Provisional,
    Recommendation,
)
from slo_scout.core.recommend.ratio import low_traffic
from slo_scout.core.recommend.similar import SimilarJourney
from slo_scout.core.recommend.stats import MIN_EVENTS, budget_events_30d, budget_minutes_30d, wilson
from slo_scout.core.slis import SliKind

SIMILARITY_CUT = 0.8
CONVENTION_AVAILABILITY = STANDARD_TARGETS[0]
_EPS = 1e-9  # the Wilson bound of an all-good sample is 1.0 up to rounding


def availability_options(good: int, total: int) -> tuple[float, ...]:
    """Ladder rungs not above the Wilson upper bound (every rung when nothing was measured)."""
    if total <= 0:
        return TARGET_LADDER
    high = wilson(good, total).high
    return tuple(r for r in TARGET_LADDER if r / 100 <= high + _EPS)


def latency_options(counts: Mapping[float, tuple[int, int]], objective: float
                    ) -> tuple[float, ...]:
    """Bucket boundaries (seconds) at which ``objective`` percent of requests being no slower
    is within the Wilson upper bound of what was seen; ``counts``: boundary -> (good, total)."""
    out = []
    for boundary in sorted(counts):
        good, total = counts[boundary]
        if total <= 0 or objective / 100 <= wilson(good, total).high + _EPS:
            out.append(boundary)
    return tuple(out)


def _neighbours(similar: Sequence[SimilarJourney], kind: SliKind
                ) -> list[tuple[SimilarJourney, float, float | None]]:
    return [(n, a.objective, a.threshold_s) for n in similar if n.similarity >= SIMILARITY_CUT
            for a in n.approved if a.kind is kind]


def _names(found: Sequence[tuple[SimilarJourney, float, float | None]]) -> str:
    names = sorted({n.name for n, _, _ in found})
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{len(found)} approved SLO{'s' if len(found) > 1 else ''} of similar journeys ({shown})"


def draft(
    rec: Recommendation,
    *,
    objectives: Sequence[float],
    thresholds_s: Sequence[float] = (),
    similar: Sequence[SimilarJourney] = (),
) -> Recommendation:
    """``rec`` (insufficient data) with a provisional objective among the options, from similar
    journeys else the convention; unchanged when the evidence allows no option."""
    if not objectives or (rec.kind is SliKind.LATENCY and not thresholds_s):
        return rec
    found = _neighbours(similar, rec.kind)
    if rec.kind is SliKind.AVAILABILITY:
        threshold = None
        if found:
            median = statistics.median(o for _, o, _ in found)
            objective = max((o for o in objectives if o <= median), default=min(objectives))
            return redraft(rec, objective, None, DraftSource.SIMILAR,
                           f"the median of {_names(found)}, {median:g}%", objectives, ())
        objective = (CONVENTION_AVAILABILITY if CONVENTION_AVAILABILITY in objectives
                     else max(objectives))
        basis = ("the convention for thin evidence (99%, the loosest standard target, or "
                 "the highest the evidence allows below it)")
        return redraft(rec, objective, threshold, DraftSource.CONVENTION, basis, objectives, ())
    objective = objectives[0]
    ordered = sorted(thresholds_s)
    with_threshold = [(n, o, t) for n, o, t in found if t is not None]
    if with_threshold:
        median = statistics.median(t for _, _, t in with_threshold if t is not None)
        threshold = min((t for t in ordered if t >= median), default=ordered[-1])
        return redraft(rec, objective, threshold, DraftSource.SIMILAR,
                       f"the median threshold of {_names(with_threshold)}, {median:g} s",
                       objectives, ordered)
    threshold = ordered[1] if len(ordered) > 1 else ordered[0]
    basis = ("the convention for thin evidence (one bucket boundary above the smallest one "
             "every request seen met)")
    return redraft(rec, objective, threshold, DraftSource.CONVENTION, basis, objectives, ordered)


def redraft(
    rec: Recommendation,
    objective: float,
    threshold_s: float | None,
    source: DraftSource,
    basis: str,
    objectives: Sequence[float],
    thresholds_s: Sequence[float],
) -> Recommendation:
    """``rec`` with the provisional ``objective`` (and threshold) from ``source``. The choice
    must be one of the options: a model's pick passes the guards before it gets here."""
    if objective not in objectives:
        raise ValueError(f"{objective:g}% is not among the allowed objectives")
    if rec.kind is SliKind.LATENCY and threshold_s not in thresholds_s:
        raise ValueError(f"threshold {threshold_s} is not among the allowed boundaries")
    ev = rec.evidence
    reason = low_traffic(objective, ev.events_per_30d)
    evidence = replace(ev, budget_minutes_30d=budget_minutes_30d(objective),
                       budget_events_30d=budget_events_30d(objective, ev.events_per_30d))
    what = (f"{objective:g}%" if threshold_s is None
            else f"{objective:g}% of requests within {threshold_s:g} s")
    rationale = (
        f"Provisional, for review: {ev.total:,} requests were measured and the rule needs at "
        f"least {MIN_EVENTS} before it recommends a target, so this draft of {what} comes "
        f"from {basis}. The evidence allows "
        + (f"objectives up to {max(objectives):g}%" if threshold_s is None
           else f"thresholds from {min(thresholds_s):g} s")
        + "; confirm or change it once more traffic is measured."
    )
    return replace(
        rec, objective=objective, threshold_s=threshold_s, evidence=evidence,
        low_traffic=reason is not None, low_traffic_reason=reason, rationale=rationale,
        provisional=Provisional(source, tuple(objectives), tuple(thresholds_s), basis),
        rationale_by="rules",
    )
