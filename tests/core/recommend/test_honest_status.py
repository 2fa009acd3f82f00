"""Issue 13: the status says what is true; a journey below 99 gets an honest, extended target."""

from __future__ import annotations

from slo_scout.core.recommend import (
    EXTENDED_TARGETS,
    MIN_EVENTS,
    Status,
    Strategy,
    WindowCounts,
    recommend_availability_counts,
)

MINUTE = 120  # the demo's four windows are two minutes long


def _demo_checkout() -> list[WindowCounts]:
    """`make demo`'s checkout: 1,583 requests, 96.0% good, worst window 88.5%."""
    counts = [(392, 396), (384, 392), (339, 383), (405, 412)]
    assert sum(t for _, t in counts) == 1_583 and sum(g for g, _ in counts) == 1_520
    return [WindowCounts(i * MINUTE, (i + 1) * MINUTE, g, t) for i, (g, t) in enumerate(counts)]


def test_the_demo_checkout_gets_an_objective_not_insufficient_data():
    rec = recommend_availability_counts("checkout", _demo_checkout(), strategy=Strategy.BALANCED)
    assert rec.status is Status.BELOW_STANDARD
    assert rec.objective in EXTENDED_TARGETS
    assert rec.evidence.budget_minutes_30d is not None
    assert "needs reliability work" in rec.rationale
    # the budget the honest objective buys, against the loosest standard target's
    assert f"{rec.evidence.budget_minutes_30d:,.1f} minutes" in rec.rationale
    assert "432.0 at 99%" in rec.rationale


def test_plentiful_data_is_never_insufficient():
    # 2% errors over 10,000 requests: far from 99, and the data says so with confidence.
    for good in (9_800, 9_600, 9_300):
        windows = [WindowCounts(0, 3600, good, 10_000)]
        for strategy in Strategy:
            rec = recommend_availability_counts("j", windows, strategy=strategy)
            assert rec.status is not Status.INSUFFICIENT_DATA, (good, strategy)


def test_a_journey_at_a_standard_target_is_ok_and_below_it_is_below_standard():
    ok = recommend_availability_counts("j", [WindowCounts(0, 3600, 99_950, 100_000)],
                                       strategy=Strategy.BALANCED)
    assert ok.status is Status.OK and ok.objective == 99.9
    below = recommend_availability_counts("j", [WindowCounts(0, 3600, 98_600, 100_000)],
                                          strategy=Strategy.BALANCED)
    assert below.status is Status.BELOW_STANDARD and below.objective == 98.0


def test_too_few_requests_say_nothing():
    windows = [WindowCounts(0, 60, MIN_EVENTS - 1, MIN_EVENTS - 1)]
    rec = recommend_availability_counts("j", windows, strategy=Strategy.AGGRESSIVE,
                                        draft_thin=False)
    assert rec.status is Status.INSUFFICIENT_DATA and rec.objective is None
    # by default a draft is proposed, marked provisional, and the rule's status stays
    drafted = recommend_availability_counts("j", windows, strategy=Strategy.AGGRESSIVE)
    assert drafted.status is Status.INSUFFICIENT_DATA and drafted.provisional is not None
