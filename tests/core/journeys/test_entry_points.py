"""Entry identity: the first span that names the request, looking through gateways."""

from __future__ import annotations

from tests.builders import span
from tests.core.journeys.traffic import call, spans_of

from slo_scout.core.journeys import Entry, assemble, entry_of


def entry(root, **kwargs) -> Entry:
    spans = spans_of(root, trace_no=1, **kwargs)
    return entry_of(assemble(spans[0].trace_id, spans))


def one(**kwargs) -> Entry:
    s = span(**kwargs)
    return entry_of(assemble(s.trace_id, [s]))


def test_http_route_is_preferred_over_the_path_and_the_name():
    e = one(
        service="web",
        name="GET",
        attributes={"http.route": "/users/{id}", "url.path": "/users/42", "http.method": "GET"},
    )
    assert (e.protocol, e.operation, e.method, e.label) == (
        "http",
        "/users/{id}",
        "GET",
        "web GET /users/{id}",
    )


def test_rpc_service_and_method_name_an_rpc_entry():
    e = one(
        service="cart",
        name="oteldemo.CartService/AddItem",
        attributes={
            "rpc.system": "grpc",
            "rpc.service": "oteldemo.CartService",
            "rpc.method": "AddItem",
        },
    )
    assert (e.protocol, e.operation, e.method) == ("rpc", "oteldemo.CartService/AddItem", None)


def test_a_url_path_is_templated_when_there_is_no_route():
    e = one(service="web", name="HTTP GET", attributes={"http.target": "/orders/77?x=1"})
    assert (e.protocol, e.operation, e.method) == ("http", "/orders/{id}", "GET")


def test_a_span_name_that_looks_like_a_path_is_templated():
    e = one(service="web", name="POST /orders/77/pay")
    assert (e.operation, e.method, e.span_name) == (
        "/orders/{id}/pay",
        "POST",
        "POST /orders/{id}/pay",
    )


def test_a_gateway_catch_all_is_looked_through_to_the_first_server_behind_it():
    root = call(
        "ts-gateway-service",
        "/*",
        call("ts-gateway-service", "FilteringWebHandler.handle"),
        call(
            "ts-gateway-service",
            "HTTP GET",
            call(
                "ts-travel-service",
                "/api/v1/travelservice/trips/left",
                call("ts-basic-service", "/api/v1/basicservice/basic/travels"),
            ),
        ),
    )
    assert entry(root).label == "ts-travel-service /api/v1/travelservice/trips/left"


def test_a_chain_of_saying_nothing_proxies_is_walked_to_the_named_service():
    root = call("edge", "ingress", call("mesh", "HTTP POST", call("api", "CreateOrder")))
    assert entry(root).label == "api CreateOrder"


def test_a_generic_frontend_that_fans_out_is_itself_the_entry():
    root = call("frontend", "HTTP POST", call("cart", "GetCart"), call("payment", "Charge"))
    assert entry(root).label == "frontend HTTP POST"


def test_a_generic_span_retrying_one_call_still_forwards():
    root = call("gw", "/*", call("orders", "PlaceOrder"), call("orders", "PlaceOrder"))
    assert entry(root).label == "orders PlaceOrder"


def test_a_generic_root_without_downstream_calls_is_the_entry():
    assert entry(call("frontend", "HTTP GET")).label == "frontend HTTP GET"
