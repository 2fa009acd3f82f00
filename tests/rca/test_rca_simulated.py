"""The simulated fault evaluation: drawn faults, windows, and what the ranking finds."""

from __future__ import annotations

from slo_scout.core.rca.simulated import Report, judge
from slo_scout.core.simulate import default_shop
from slo_scout.core.simulate.faults import Fault, draw_faults, operations

SHOP = default_shop()


def test_faults_take_the_kinds_in_turn_over_services_a_journey_calls() -> None:
    faults = draw_faults(SHOP, seed=3, count=9)
    assert [f.kind for f in faults[:3]] == ["error_burst", "latency_regression", "network_delay"]
    assert faults == draw_faults(SHOP, seed=3, count=9)  # the same seed, the same faults
    targets = operations(SHOP)
    assert "frontend-proxy" not in targets  # the gateway makes no call of its own to change
    for fault in faults:
        assert fault.operation in targets[fault.service]


def test_an_error_burst_in_a_leaf_is_first_with_status_and_not_found_without_it() -> None:
    fault = Fault("error_burst", "quote", "/getquote", 0.9)
    seen = judge(SHOP, fault, seed=21, with_status=True)
    assert seen.rank == 1 and seen.rank_with_kind == 1
    assert "error_origin" in seen.suspects[0].signals
    # A leaf that fails without a status leaves no trace: nothing it called goes missing.
    blind = judge(SHOP, fault, seed=21, with_status=False)
    assert blind.rank != 1
    assert all("error_origin" not in s.signals for s in blind.suspects)


def test_without_status_a_service_that_throws_is_found_by_the_calls_it_stopped_making() -> None:
    fault = Fault("error_burst", "cart", "oteldemo.CartService/AddItem", 0.9)
    outcome = judge(SHOP, fault, seed=22, with_status=False)
    assert outcome.rank == 1 and outcome.rank_with_kind == 1
    top = outcome.suspects[0]
    assert top.operation == "oteldemo.CartService/AddItem"
    assert max(top.signals, key=lambda name: top.signals[name]) == "calls_stopped"


def test_a_network_delay_names_the_delayed_service_first_not_its_callers() -> None:
    # ad is called by frontend-proxy (get-ads) and frontend (home): both callers' client spans
    # grow by the delay, but the wire is no caller's own time, and ad is the end of both edges
    fault = Fault("network_delay", "ad", "oteldemo.AdService/GetAds", 60.0)
    outcome = judge(SHOP, fault, seed=23, with_status=True)
    assert outcome.rank == 1 and outcome.rank_with_kind == 1
    top = outcome.suspects[0]
    assert max(top.signals, key=lambda name: top.signals[name]) == "network"
    for caller in outcome.suspects[1:]:
        assert caller.signals.get("network", 0.0) < 1
    report = Report(7, [outcome])
    assert list(report.tallies()) == ["network_delay"]
    assert report.lines()[-2] == (
        "total (service), seed 7: AS@1 1.000 AS@3 1.000 AS@5 1.000 (1 faults)")


def test_a_network_delay_on_a_service_with_callees_names_it_not_its_leaves() -> None:
    # checkout's pods send late: its responses to frontend and its requests to payment, email,
    # shipping...; payment and email, called by checkout alone, see their only edge moved
    fault = Fault("network_delay", "checkout", "oteldemo.CheckoutService/PlaceOrder", 40.0)
    outcome = judge(SHOP, fault, seed=23, with_status=False)
    assert outcome.rank == 1 and outcome.rank_with_kind == 1
    only_checkout_calls = {"payment", "email", "shipping"}
    assert all(s.signals.get("network", 0.0) < 1 for s in outcome.suspects
               if s.service in only_checkout_calls)
    assert outcome.suspects[0].score > 10 * outcome.suspects[1].score
