"""Rule 4's boundaries: when an extra direct call behind a generic entry is an optional step."""

from __future__ import annotations

from tests.core.journeys.traffic import MS, T0, Call, call, spans_of

from slo_scout.core.journeys import JourneyCatalog, assemble

PRODUCT = call("catalog", "GetProduct")
CONVERT = call("currency", "Convert")
ADS = call("ad", "GetAds")
RECOMMENDATIONS = call("recommendation", "ListRecommendations", call("catalog", "ListProducts"))
LIST = call("catalog", "ListProducts")
CURRENCIES = call("currency", "GetSupportedCurrencies")
GET_CART = call("cart", "GetCart")
ADD_ITEM = call("cart", "AddItem")

Kinds = dict[str, tuple[int, list[Call]]]


def traces(kinds: Kinds) -> list[tuple[str, list]]:
    """``(kind, spans)`` for ``count`` requests of each kind, interleaved, behind ``HTTP GET``."""
    out = []
    remaining = {kind: count for kind, (count, _) in kinds.items()}
    n = 0
    while any(remaining.values()):
        for kind, (_, calls) in kinds.items():
            if remaining[kind]:
                remaining[kind] -= 1
                n += 1
                root = call("frontend", "HTTP GET", *calls)
                out.append((kind, spans_of(root, trace_no=n, start_ns=T0 + n * 250 * MS)))
    return out


def journeys_of(kinds: Kinds, parts: int = 1) -> dict[str, str]:
    """kind -> the id of the journey its requests land in (catalogs merged from ``parts``)."""
    catalogs = [JourneyCatalog() for _ in range(parts)]
    keys = {}
    for i, (kind, spans) in enumerate(traces(kinds)):
        keys[kind] = catalogs[i % parts].add(assemble(spans[0].trace_id, spans))
    whole = JourneyCatalog()
    for catalog in reversed(catalogs):
        whole.merge(catalog)
    found = {kind: whole.resolve(key) for kind, key in keys.items()}
    assert {j.id for j in whole.journeys()} == set(found.values())
    return found


def test_a_one_leaf_optional_step_on_a_two_call_base_folds_into_that_journey():
    found = journeys_of({"home": (4, [LIST, CURRENCIES]), "home+ads": (6, [LIST, CURRENCIES, ADS])})
    assert found["home+ads"] == found["home"]


def test_an_optional_step_that_calls_further_folds_too_when_the_base_carries_the_request():
    # The product page with and without recommendations (which read the catalog themselves).
    found = journeys_of(
        {"page": (3, [PRODUCT, CONVERT]), "page+recs": (7, [PRODUCT, CONVERT, RECOMMENDATIONS])}
    )
    assert found["page+recs"] == found["page"]


def test_the_base_must_be_two_thirds_of_the_request():
    two_more = [ADS, RECOMMENDATIONS]
    small = journeys_of(
        {"home": (5, [LIST, CURRENCIES]), "more": (5, [LIST, CURRENCIES, *two_more])}
    )
    assert small["home"] != small["more"]
    base = [LIST, CURRENCIES, GET_CART, call("shipping", "GetQuote")]
    large = journeys_of({"cart": (5, base), "cart+items": (5, [*base, PRODUCT, CONVERT])})
    assert large["cart"] != large["cart+items"]  # catalog ListProducts is already called
    base = [CURRENCIES, GET_CART, RECOMMENDATIONS, call("shipping", "GetQuote")]
    large = journeys_of(
        {"cart": (5, base), "cart+items": (5, [*base, PRODUCT, call("tax", "Compute")])}
    )
    assert large["cart"] == large["cart+items"]


def test_request_kinds_that_differ_by_another_operation_of_a_service_they_use_never_merge():
    found = journeys_of(
        {
            "view-cart": (5, [GET_CART, CONVERT, CURRENCIES]),
            "add-to-cart": (5, [GET_CART, CONVERT, CURRENCIES, ADD_ITEM]),
            "home": (5, [CURRENCIES, GET_CART, LIST, ADS]),
            "product-page": (5, [CURRENCIES, GET_CART, LIST, ADS, PRODUCT]),
        }
    )
    assert len(set(found.values())) == 4


def test_add_to_cart_and_checkout_never_merge_however_the_calls_overlap():
    checkout = [
        PRODUCT,
        ADD_ITEM,
        call("payment", "Charge"),
        call("shipping", "ShipOrder"),
        call("email", "SendConfirmation"),
    ]
    found = journeys_of({"add-to-cart": (5, [PRODUCT, ADD_ITEM]), "checkout": (5, checkout)})
    assert found["add-to-cart"] != found["checkout"]


def test_a_fold_needs_its_base_observed():
    with_ads = [PRODUCT, CONVERT, ADS]
    with_recs = [PRODUCT, CONVERT, RECOMMENDATIONS]
    unseen = journeys_of({"ads": (5, with_ads), "recs": (5, with_recs)})
    assert unseen["ads"] != unseen["recs"]
    seen = journeys_of(
        {"ads": (5, with_ads), "recs": (5, with_recs), "base": (1, [PRODUCT, CONVERT])}
    )
    assert seen["ads"] == seen["recs"] == seen["base"]


def test_a_shared_call_made_differently_is_different_work():
    # Recommendations that fetch four products are not a product page that fetches one.
    four = [call("catalog", "GetProduct")] * 4
    converts = [call("currency", "Convert")] * 4
    found = journeys_of(
        {
            "product": (5, [PRODUCT, CONVERT]),
            "recommend": (5, [RECOMMENDATIONS, *four, *converts]),
        }
    )
    assert found["product"] != found["recommend"]


def test_folding_is_the_same_for_any_split_of_the_traffic():
    kinds: Kinds = {
        "page": (4, [PRODUCT, CONVERT]),
        "page+ads": (5, [PRODUCT, CONVERT, ADS]),
        "page+recs": (7, [PRODUCT, CONVERT, RECOMMENDATIONS]),
        "home": (4, [LIST, CURRENCIES]),
        "home+ads": (4, [LIST, CURRENCIES, ADS]),
        "cart": (3, [CURRENCIES, GET_CART, RECOMMENDATIONS, call("shipping", "GetQuote")]),
        "everything": (
            2,
            [CURRENCIES, GET_CART, RECOMMENDATIONS, call("shipping", "GetQuote"), PRODUCT, ADS],
        ),
    }
    one = journeys_of(kinds)
    assert len(set(one.values())) == 3
    assert journeys_of(kinds, parts=3) == one
    assert journeys_of(dict(reversed(kinds.items())), parts=2) == one
