"""Per-journey statistics, id stability, optional-step folding and exact merging."""

from __future__ import annotations

import json

from tests.builders import span
from tests.core.journeys.traffic import shop_traffic

from slo_scout.core.journeys import JourneyCatalog, assemble, discover, discovery_to_dict
from slo_scout.core.journeys.discovery import Discovery
from slo_scout.core.journeys.model import new_sketch, quantile
from slo_scout.core.journeys.naming import distinctive_calls

T = 1_700_000_020_000_000_000  # 40 s into a minute
MS = 1_000_000


def request(n, *, start_ms, total_ms=100, backend_ms=80, failed=False, backend_failed=False):
    trace_id = f"{n:032x}"
    root = span(
        trace_id=trace_id,
        span_id=f"{n:08x}00000001",
        service="web",
        name="GET /orders/{id}",
        start_ns=T + start_ms * MS,
        end_ns=T + (start_ms + total_ms) * MS,
        error=failed,
    )
    child = span(
        trace_id=trace_id,
        span_id=f"{n:08x}00000002",
        parent_id=root.span_id,
        service="orders",
        name="SELECT orders",
        kind="client",
        start_ns=root.start_ns + 10 * MS,
        end_ns=root.start_ns + (10 + backend_ms) * MS,
        error=backend_failed,
    )
    return assemble(trace_id, [root, child])


def test_rates_are_over_the_whole_input_window_not_each_journeys_own():
    catalog = JourneyCatalog()
    for n in range(10):  # one request every 10 s: the input covers 90 s
        catalog.add(request(n, start_ms=n * 10_000))
    lone = span(trace_id=f"{99:032x}", span_id=f"{99:08x}00000001", service="web",
                name="GET /health", start_ns=T + 45_000 * MS, end_ns=T + 45_001 * MS)
    catalog.add(assemble(lone.trace_id, [lone]))
    rates = {j.entry.operation: j.rate_per_s for j in catalog.journeys()}
    assert rates == {"/orders/{id}": 10 / 90, "/health": 1 / 90}


def test_a_journey_counts_requests_errors_latency_minutes_and_samples():
    catalog = JourneyCatalog()
    for n in range(10):
        catalog.add(request(n, start_ms=n * 10_000, failed=n in (3, 7), backend_failed=n == 3))
    (journey,) = catalog.journeys()
    assert journey.requests == 10
    assert journey.errors == 2
    assert journey.error_ratio == 0.2
    assert journey.entry.label == "web GET /orders/{id}"
    assert journey.name == "orders (web GET /orders/{id} → orders)"
    assert journey.first_seen_ns == T
    assert journey.last_seen_ns == T + 90_000 * MS
    assert abs(journey.quantile(0.5) - 0.1) <= 0.1 * 0.01
    assert journey.sample_trace_ids == tuple(f"{n:032x}" for n in range(5))
    # Requests every 10 s from 40 s into a minute: 2 in it, 6 in the next, 2 in the third.
    minute0 = T // 1_000_000_000 // 60 * 60
    assert all(k % 60 == 0 for k in journey.minutes)
    assert {k - minute0: v.requests for k, v in journey.minutes.items()} == {0: 2, 60: 6, 120: 2}
    assert {k - minute0: v.errors for k, v in journey.minutes.items()} == {0: 0, 60: 2, 120: 0}
    assert [(e.caller, e.callee, e.operation, e.calls) for e in journey.edges] == [
        ("web", "orders", "SELECT orders", 10)
    ]
    steps = {(s.service, s.operation): s for s in journey.critical_path}
    # 10 ms before and after the 80 ms backend call are the web's own time.
    assert abs(steps[("orders", "SELECT orders")].share - 0.8) < 1e-9
    assert abs(steps[("web", "GET /orders/{id}")].share - 0.2) < 1e-9
    assert steps[("orders", "SELECT orders")].error_ratio == 0.1
    assert steps[("web", "GET /orders/{id}")].error_ratio == 0.2
    assert journey.services == ("orders", "web")


def test_journey_ids_are_stable_short_sha1_hashes_of_the_entry_and_structure():
    first, second = JourneyCatalog(), JourneyCatalog()
    a = first.add(request(1, start_ms=0))
    b = second.add(request(99, start_ms=5_000_000, total_ms=300))
    assert a == b
    assert len(a) == 12 and int(a, 16) >= 0
    assert first.journeys()[0].fingerprint.startswith(a)
    assert len(first.journeys()[0].fingerprint) == 40


def test_merging_catalogs_equals_one_pass_over_all_traces():
    traffic = [spans for _, spans in shop_traffic(rounds=3)]
    traces = [assemble(spans[0].trace_id, spans) for spans in traffic]
    whole = JourneyCatalog()
    for trace in traces:
        whole.add(trace)
    parts = [JourneyCatalog() for _ in range(3)]
    for i, trace in enumerate(traces):
        parts[i % 3].add(trace)
    merged = JourneyCatalog()
    for part in reversed(parts):
        merged.merge(part)

    def document(catalog):
        return json.dumps(
            discovery_to_dict(
                Discovery(
                    journeys=catalog.journeys(),
                    trace_count=catalog.traces,
                    span_count=catalog.spans,
                    incomplete_traces=catalog.incomplete_traces,
                    problems=dict(catalog.problems),
                )
            ),
            sort_keys=True,
        )

    assert document(merged) == document(whole)
    assert merged.traces == len(traces)
    # Merging did not change the parts.
    assert sum(p.traces for p in parts) == len(traces)


def test_an_optional_leaf_step_of_a_generic_entry_folds_into_its_base_journey():
    journeys = discover([s for _, s in shop_traffic(rounds=1)]).journeys
    checkout = next(j for j in journeys if "payment" in j.services)
    assert "loyalty" in checkout.services
    assert checkout.requests == 10


def test_the_folded_key_keeps_its_own_id_and_resolves_to_the_base_journey():
    catalog = JourneyCatalog()
    keys = {}
    for kind, spans in shop_traffic(rounds=1):
        keys[kind] = catalog.add(assemble(spans[0].trace_id, spans))
    assert keys["checkout+loyalty"] != keys["checkout"]
    assert catalog.resolve(keys["checkout+loyalty"]) == keys["checkout"]
    assert catalog.resolve(keys["checkout+retry"]) == keys["checkout"]  # same key already
    assert keys["checkout+retry"] == keys["checkout"]


def test_catalog_counts_traces_spans_incomplete_traces_and_problem_kinds():
    catalog = JourneyCatalog()
    catalog.add(request(1, start_ms=0))
    orphan = span(trace_id=f"{2:032x}", span_id="00000000000000aa", parent_id="00000000000000ff")
    catalog.add(assemble(orphan.trace_id, [orphan]))
    assert (catalog.traces, catalog.spans, catalog.incomplete_traces) == (2, 3, 1)
    assert dict(catalog.problems) == {"orphans": 1}


def test_journeys_json_is_byte_identical_on_rerun_and_has_the_documented_fields():
    spans = [x for _, trace in shop_traffic(rounds=2) for x in trace]
    one = json.dumps(discovery_to_dict(discover([spans])), sort_keys=True)
    two = json.dumps(discovery_to_dict(discover([list(reversed(spans))])), sort_keys=True)
    assert one == two
    doc = json.loads(one)
    assert doc["traces"] == 82
    assert doc["incomplete_traces"] == 0
    first = doc["journeys"][0]
    assert set(first) == {
        "id",
        "name",
        "fingerprint",
        "entry",
        "requests",
        "errors",
        "error_ratio",
        "rate_per_s",
        "latency_ms",
        "first_seen",
        "last_seen",
        "graph",
        "critical_path",
        "variants",
        "samples",
        "minutes",
    }
    assert set(first["latency_ms"]) == {"p50", "p90", "p95", "p99"}
    assert first["first_seen"].endswith("Z") and "T" in first["first_seen"]
    assert first["graph"]["nodes"] == sorted(first["graph"]["nodes"])
    assert first["minutes"][0]["start_unix_s"] % 60 == 0
    requests = [j["requests"] for j in doc["journeys"]]
    assert requests == sorted(requests, reverse=True)


def test_quantiles_are_by_nearest_rank_so_p99_of_a_few_requests_is_the_slowest():
    few = new_sketch()
    for seconds in (0.059, 0.928):
        few.add(seconds)
    assert abs(quantile(few, 0.99) - 0.928) <= 0.928 * 0.01
    assert abs(quantile(few, 0.5) - 0.059) <= 0.059 * 0.01
    many = new_sketch()
    for ms in range(1, 1001):
        many.add(ms / 1000)
    for q in (0.5, 0.9, 0.99):
        assert quantile(many, q) == many.get_quantile_value(q)  # on many requests they agree
    assert quantile(new_sketch(), 0.99) is None


def test_a_generic_journey_with_no_call_of_its_own_is_named_by_the_pair_only_it_makes():
    home = {("catalog", "ListProducts"), ("ad", "GetAds"), ("cart", "GetCart")}
    cart = {("cart", "GetCart"), ("recommendation", "ListRecommendations"), ("shipping", "Quote")}
    product = {("catalog", "GetProduct"), ("ad", "GetAds"),
               ("recommendation", "ListRecommendations")}
    add = {("catalog", "GetProduct"), ("cart", "AddItem")}
    pages = [frozenset(p) for p in (home, cart, product, add)]
    assert distinctive_calls(product, [p for p in pages if p != product]) == [
        ("ad", "GetAds"),
        ("catalog", "GetProduct"),
    ]
    assert distinctive_calls(home, [p for p in pages if p != home]) == [("catalog", "ListProducts")]
    # Calls that a sibling makes all of: the rarest alone.
    assert distinctive_calls({("cart", "GetCart")}, [frozenset(home)]) == [("cart", "GetCart")]
