"""Provisional drafts for thin evidence: options bounded by the evidence, similar journeys first,
the convention otherwise; never an objective above what the Wilson interval allows."""

from __future__ import annotations

import pytest

from slo_scout.core.recommend import Strategy, recommend_availability_counts
from slo_scout.core.recommend.journey import recommend_latency_counts
from slo_scout.core.recommend.model import TARGET_LADDER, DraftSource, Status, WindowCounts
from slo_scout.core.recommend.provisional import (
    availability_options,
    latency_options,
    redraft,
)
from slo_scout.core.recommend.similar import ApprovedObjective, SimilarJourney
from slo_scout.core.slis import SliKind


def _windows(good: int, total: int) -> list[WindowCounts]:
    return [WindowCounts(0, 60, good, total)]


def _neighbour(similarity: float, *objectives: float, threshold: float | None = None,
               kind: SliKind = SliKind.AVAILABILITY) -> SimilarJourney:
    return SimilarJourney(
        journey_id=f"n{similarity}", environment="prod", service="shop", name=f"n{similarity}",
        similarity=similarity,
        approved=tuple(ApprovedObjective(f"s{o}", 1, kind, o, threshold) for o in objectives))


def test_options_never_exceed_the_wilson_upper_bound() -> None:
    assert availability_options(4, 4) == TARGET_LADDER
    assert availability_options(0, 0) == TARGET_LADDER
    # 3 of 4: the Wilson upper bound is about 95.4%
    assert availability_options(3, 4) == (90.0, 95.0)
    assert availability_options(0, 4) == ()
    assert latency_options({0.1: (3, 4), 0.2: (4, 4), 0.4: (4, 4)}, 99.0) == (0.2, 0.4)


def test_thin_evidence_gets_the_convention_and_enough_data_stays_with_the_rule() -> None:
    rec = recommend_availability_counts("j", _windows(4, 4), strategy=Strategy.BALANCED)
    assert rec.status is Status.INSUFFICIENT_DATA and rec.has_objective
    assert rec.objective == 99.0
    assert rec.provisional is not None and rec.provisional.source is DraftSource.CONVENTION
    assert rec.evidence.budget_minutes_30d == pytest.approx(432.0)
    loose = recommend_availability_counts("j", _windows(3, 4), strategy=Strategy.BALANCED)
    assert loose.objective == 95.0  # the highest option, never above the interval
    none = recommend_availability_counts("j", _windows(0, 4), strategy=Strategy.BALANCED)
    assert none.objective is None and none.provisional is None
    off = recommend_availability_counts("j", _windows(4, 4), strategy=Strategy.BALANCED,
                                        draft_thin=False)
    assert off.objective is None
    enough = recommend_availability_counts("j", _windows(1000, 1000),
                                           strategy=Strategy.BALANCED)
    assert enough.provisional is None and enough.status is Status.OK


def test_similar_journeys_above_the_cut_set_the_draft_within_the_options() -> None:
    similar = [_neighbour(0.9, 99.9), _neighbour(0.85, 99.5, 99.9), _neighbour(0.5, 90.0)]
    rec = recommend_availability_counts("j", _windows(4, 4), strategy=Strategy.BALANCED,
                                        similar=similar)
    assert rec.objective == 99.9  # median of 99.9, 99.5, 99.9; the 0.5 neighbour is ignored
    assert rec.provisional is not None and rec.provisional.source is DraftSource.SIMILAR
    assert "3 approved SLOs of similar journeys" in rec.rationale
    clamped = recommend_availability_counts("j", _windows(3, 4), strategy=Strategy.BALANCED,
                                            similar=similar)
    assert clamped.objective == 95.0


def test_latency_draft_is_a_bucket_boundary_the_requests_allow() -> None:
    by_threshold = {0.1: _windows(2, 4), 0.2: _windows(4, 4), 0.4: _windows(4, 4),
                    0.8: _windows(4, 4)}
    rec = recommend_latency_counts("j", by_threshold, strategy=Strategy.BALANCED)
    assert (rec.objective, rec.threshold_s) == (99.0, 0.4)  # one boundary of headroom
    assert rec.provisional is not None and rec.provisional.thresholds_s == (0.2, 0.4, 0.8)
    similar = [_neighbour(0.95, 99.0, threshold=0.3, kind=SliKind.LATENCY)]
    near = recommend_latency_counts("j", by_threshold, strategy=Strategy.BALANCED,
                                    similar=similar)
    assert near.threshold_s == 0.4 and near.provisional is not None
    assert near.provisional.source is DraftSource.SIMILAR


def test_a_choice_outside_the_options_is_refused() -> None:
    rec = recommend_availability_counts("j", _windows(3, 4), strategy=Strategy.BALANCED)
    assert rec.provisional is not None
    with pytest.raises(ValueError, match="not among"):
        redraft(rec, 99.9, None, DraftSource.MODEL, "the model", rec.provisional.objectives, ())
