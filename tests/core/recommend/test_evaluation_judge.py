"""The figures of ``bench.recommendations`` rest on ``judge``: what "holds" and "steps looser"
mean, checked on journeys whose next day is known exactly."""

from __future__ import annotations

from bench.recommendations import Outcome, goals, judge
from tests.golden.journeys import build_journey, traffic

from slo_scout.core.recommend import (
    Status,
    Strategy,
    WindowCounts,
    recommend_availability_counts,
    recommend_latency_counts,
)
from slo_scout.core.slis import FAMILIES, FamilyKind

START = 1_700_000_000 - 1_700_000_000 % 60
SPANMETRICS = FAMILIES[FamilyKind.SPANMETRICS]


def _next_day(error_every: int, latencies=(0.05,)):
    return build_journey(minutes=traffic(start_s=START, minutes=1440, per_minute=10,
                                         error_every=error_every, latencies_s=latencies))


def _availability(good: int, total: int):
    # the rule's own answer: a provisional draft is not an objective the evidence backs
    return recommend_availability_counts("j", [WindowCounts(0, 86_400, good, total)],
                                         strategy=Strategy.BALANCED, draft_thin=False)


def test_an_objective_the_next_day_meets_holds_and_counts_rungs_to_its_lower_bound():
    rec = _availability(9_860, 10_000)  # 98.6%: Wilson low 98.36 -> 98
    assert rec.objective == 98.0 and rec.status is Status.BELOW_STANDARD
    # next day: 14,400 requests, one failure in 1,000 -> 99.9%, lower bound 99.84 -> 99.5
    got = judge(rec, _next_day(1_000), (1, 2), "j")
    assert got.holds and got.next_total == 14_400
    assert got.steps_looser == 2  # 98 -> 99 -> 99.5


def test_an_objective_above_the_next_day_breaks():
    rec = _availability(99_990, 100_000)
    got = judge(rec, _next_day(50), (1, 2), "j")  # 98% the next day
    assert rec.objective is not None and not got.holds
    assert not dict(goals([got]))["none breaks the next day"]


def test_latency_steps_are_bucket_boundaries():
    counts = {b: [WindowCounts(0, 86_400, 10_000 if b >= 0.1 else 0, 10_000)]
              for b in SPANMETRICS.buckets_s}
    rec = recommend_latency_counts("j", counts, strategy=Strategy.BALANCED)
    assert rec.threshold_s == 0.1
    got = judge(rec, _next_day(0, latencies=(0.009,)), (1, 2), "j")
    # next day all within 10 ms: 0.1 s lies two boundaries above 0.01 (0.05, then 0.1)
    assert got.holds and got.steps_looser == SPANMETRICS.buckets_s.index(0.1) - \
        SPANMETRICS.buckets_s.index(0.01)


def test_a_missing_objective_fails_the_first_goal():
    rec = _availability(50, 60)  # too few requests
    got = judge(rec, _next_day(1_000), (1, 2), "j")
    assert isinstance(got, Outcome) and not got.has_objective
    assert not dict(goals([got]))["every journey and SLI gets an objective"]
