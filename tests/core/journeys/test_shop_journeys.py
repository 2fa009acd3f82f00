"""A shop whose every request enters through one generic frontend operation: structure decides."""

from __future__ import annotations

import pytest
from tests.core.journeys.traffic import SHOP_MIX, shop_traffic

from slo_scout.core.journeys import JourneyCatalog, assemble, discover

KIND_JOURNEY = {
    "checkout": "checkout",
    "checkout+retry": "checkout",
    "checkout+loyalty": "checkout",
    "browse": "browse",
    "browse+cache-hit": "browse",
    "add-to-cart": "add-to-cart",
    "view-cart": "view-cart",
    "product-page": "product-page",
    "empty-cart": "empty-cart",
}


def catalog_of(traffic):
    catalog = JourneyCatalog()
    kinds_by_key: dict[str, set[str]] = {}
    for kind, spans in traffic:
        key = catalog.add(assemble(spans[0].trace_id, spans))
        kinds_by_key.setdefault(catalog.resolve(key), set()).add(KIND_JOURNEY[kind])
    return catalog, kinds_by_key


@pytest.mark.parametrize(
    ("frontend_name", "attributes"),
    [
        ("HTTP POST", None),
        ("/api", None),
        ("frontend", None),  # otelhttp.NewHandler(h, "frontend") names every span "frontend"
        ("HTTP POST", {"url.path": "/api"}),
        ("POST /api/v1", {"http.route": "/api/v1"}),
    ],
)
def test_request_kinds_behind_one_generic_frontend_are_separate_journeys(frontend_name, attributes):
    catalog, kinds_by_key = catalog_of(
        shop_traffic(frontend_name=frontend_name, rounds=2, root_attributes=attributes)
    )
    journeys = catalog.journeys()
    # One journey per request kind, and each journey holds exactly one kind.
    assert len(journeys) == 6
    assert sorted(len(kinds) for kinds in kinds_by_key.values()) == [1] * 6
    assert {j.id for j in journeys} == set(kinds_by_key)
    by_kind = {next(iter(kinds_by_key[j.id])): j for j in journeys}
    assert by_kind["checkout"].requests == 2 * (
        SHOP_MIX["checkout"] + SHOP_MIX["checkout+retry"] + SHOP_MIX["checkout+loyalty"]
    )
    assert by_kind["browse"].requests == 2 * (SHOP_MIX["browse"] + SHOP_MIX["browse+cache-hit"])
    assert by_kind["view-cart"].requests == 2 * SHOP_MIX["view-cart"]


def test_a_gateway_in_front_of_the_frontend_is_looked_through():
    catalog, kinds_by_key = catalog_of(shop_traffic(rounds=1, gateway=True))
    journeys = catalog.journeys()
    assert len(journeys) == 6
    assert all(len(kinds) == 1 for kinds in kinds_by_key.values())
    assert {j.entry.service for j in journeys} == {"frontend", "cart"}


def test_small_differences_inside_one_request_kind_are_variants_in_plain_words():
    journeys = discover([s for _, s in shop_traffic(rounds=1)]).journeys
    checkout = next(j for j in journeys if "payment" in j.services)
    browse = next(j for j in journeys if j.name.startswith("list products"))
    main, *others = checkout.variants
    assert (main.requests, main.difference) == (6, "most common shape")
    assert {(v.requests, v.difference) for v in others} == {
        (2, "adds loyalty AddPoints"),  # an optional step
        (2, "repeats payment Charge"),  # a retried call
    }
    # A cache hit skips the database under catalog (the recommendation's call still reaches it).
    assert [(v.requests, v.difference) for v in browse.variants] == [
        (8, "most common shape"),
        (4, "skips postgres SELECT products"),
    ]
    assert len({v.fingerprint for v in checkout.variants}) == 3


def test_the_entry_that_forwards_to_one_service_is_named_by_that_service():
    journeys = discover([s for _, s in shop_traffic(rounds=1)]).journeys
    empty = next(j for j in journeys if j.entry.service == "cart")
    assert empty.entry.label == "cart EmptyCart"
    assert empty.name == "empty cart (cart EmptyCart → redis)"


def test_generic_journeys_are_named_by_their_distinguishing_downstream_work():
    journeys = discover([s for _, s in shop_traffic(rounds=1)]).journeys
    names = sorted(j.name for j in journeys if j.entry.service == "frontend")
    assert names == [
        "add item (frontend HTTP POST → cart, catalog)",
        "convert (frontend HTTP POST → cart, currency, recommendation, shipping)",
        "get ads + get product (frontend HTTP POST → ad, catalog, recommendation)",
        "list products (frontend HTTP POST → ad, catalog, recommendation)",
        "send confirmation (frontend HTTP POST → cart, email, loyalty, payment, +1 more)",
    ]
