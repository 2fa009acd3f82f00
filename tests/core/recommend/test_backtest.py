"""Issue 13: every recommendation carries a backtest on its own history."""

from __future__ import annotations

import pytest
from tests.core.recommend.test_incidents import NOW, _checkout_day
from tests.golden.journeys import build_journey, traffic

from slo_scout.core.recommend import Strategy, WindowCounts, recommend_journey
from slo_scout.core.recommend.backtest import alerts, backtest, halves, judge
from slo_scout.core.slis import FAMILIES, FamilyKind

HTTP = FAMILIES[FamilyKind.HTTP_SERVER]
START = 1_700_000_000 - 1_700_000_000 % 60


def _minutes(bad_by_minute: dict[int, int], *, minutes: int = 1440, per_minute: int = 100):
    return [WindowCounts(START + 60 * m, START + 60 * (m + 1),
                         per_minute - bad_by_minute.get(m, 0), per_minute)
            for m in range(minutes)]


def test_steady_traffic_within_the_budget_fires_nothing():
    # 0.05% errors against a 99.9% objective: half the budget, burn rate 0.5
    series = _minutes({m: 1 for m in range(0, 1440, 20)})
    got = alerts(series, 99.9)
    assert (got.page, got.ticket) == (0, 0)


def test_an_hour_at_half_errors_pages_once_and_opens_one_ticket():
    series = _minutes({m: 50 for m in range(600, 660)})
    got = alerts(series, 99.9)
    assert (got.page, got.ticket) == (1, 1)


def test_a_slow_burn_opens_a_ticket_without_paging():
    # 0.5% errors all day against 99.9%: burn rate 5, under the page factors (14.4 and 6),
    # over the 1-day ticket factor (3)
    series = _minutes({m: 1 for m in range(0, 1440, 2)}, per_minute=100)
    got = alerts(series, 99.9)
    assert (got.page, got.ticket) == (0, 1)


def test_judge_counts_what_held_and_the_budget_spent():
    windows = [WindowCounts(0, 60, 995, 1000), WindowCounts(60, 120, 985, 1000)]
    verdict = judge(windows, 99.0)
    assert verdict.held and verdict.held_share == 0.5
    assert verdict.budget_consumed == pytest.approx(1.0)


def test_halves_split_in_time_order():
    windows = [WindowCounts(i * 60, (i + 1) * 60, 10, 10) for i in range(5)]
    earlier, later = halves(windows)
    assert [w.start_s for w in earlier] == [0, 60] and later[0].start_s == 120
    assert backtest([], later, 99.0) is None


def test_a_recommendation_backtests_on_its_own_history():
    rec, latency = recommend_journey(_checkout_day(), HTTP, strategy=Strategy.BALANCED,
                                     now_s=NOW)
    bt = rec.evidence.backtest
    assert bt is not None and bt.objective is not None
    assert bt.estimate_start_s < bt.split_s < bt.end_s <= NOW
    # the burst (60-70% of the day, 25% failing) lies in the later half: at 98% it burns at
    # 12.5x, under both page factors over their long windows (14.4x in 1h; 6x in 6h, which
    # averages the burst with steady hours), over the 1-day ticket's 3x
    assert not bt.held and bt.budget_consumed is not None and bt.budget_consumed > 1
    assert (bt.page_alerts, bt.ticket_alerts) == (0, 1)
    assert "Backtest:" in rec.rationale and "0 page and 1 ticket" in rec.rationale
    assert latency.evidence.backtest is not None and latency.evidence.backtest.held
    assert latency.evidence.backtest.threshold_s == latency.threshold_s


def test_a_steady_journey_holds_its_backtest_without_alerts():
    journey = build_journey(minutes=traffic(start_s=START, minutes=1440, per_minute=50,
                                            error_every=3000))
    rec, _ = recommend_journey(journey, HTTP, strategy=Strategy.BALANCED, now_s=START + 86_400)
    bt = rec.evidence.backtest
    assert bt is not None and bt.held and bt.page_alerts == 0 and bt.ticket_alerts == 0
    assert bt.budget_consumed is not None and bt.budget_consumed < 1
