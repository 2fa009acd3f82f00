"""Route templating and the operation names that say nothing about a request."""

from __future__ import annotations

import pytest

from slo_scout.core.journeys import template_path
from slo_scout.core.journeys.templating import is_generic_name, template_operation


@pytest.mark.parametrize(
    ("raw", "templated"),
    [
        ("/api/users/42", "/api/users/{id}"),
        ("/api/users/-7/orders/3.5", "/api/users/{id}/orders/{id}"),
        ("/orders/550e8400-e29b-41d4-a716-446655440000", "/orders/{uuid}"),
        ("/orders/550E8400-E29B-41D4-A716-446655440000", "/orders/{uuid}"),
        ("/blobs/9f86d081884c7d659a2feaa0c55ad015", "/blobs/{hash}"),
        ("/commits/2d1d6503", "/commits/{hash}"),
        ("/users/bob.smith@example.com/avatar", "/users/{email}/avatar"),
        ("/reports/2023-01-29", "/reports/{date}"),
        ("/session/eyJhbGciOiJIUzI1NiJ9", "/session/{token}"),
        ("/files/QUJDREVGR0g=", "/files/{token}"),
        ("/product/OLJCESPC7Z", "/product/{id}"),
        ("/things/k1b2c3d4e5", "/things/{id}"),
        ("https://shop.example:8443/cart/12?coupon=x#top", "/cart/{id}"),
        ("/orders/{orderId}/items/:item/[slug]", "/orders/{orderId}/items/:item/[slug]"),
        ("/api/v1/travelservice/trips/left", "/api/v1/travelservice/trips/left"),
        ("/cache/user_details_cache-20150901", "/cache/user_details_cache-20150901"),
        ("/oauth2/authorize", "/oauth2/authorize"),
        ("/a/b/", "/a/b"),
        ("/", "/"),
        ("cart/5", "/cart/{id}"),
    ],
)
def test_per_request_parts_of_a_path_become_placeholders(raw, templated):
    assert template_path(raw) == templated


@pytest.mark.parametrize(
    ("name", "templated"),
    [
        ("GET /users/12", "GET /users/{id}"),
        ("/users/12", "/users/{id}"),
        ("get_multi my_cache_name_v1", "get_multi my_cache_name_v1"),
        ("SELECT orders", "SELECT orders"),
        ("oteldemo.CartService/AddItem", "oteldemo.CartService/AddItem"),
    ],
)
def test_operation_names_are_templated_only_where_they_vary(name, templated):
    assert template_operation(name) == templated


@pytest.mark.parametrize(
    "name",
    [
        "/*",
        "/",
        "*",
        "/**",
        "HTTP GET",
        "HTTP POST",
        "GET",
        "post",
        "POST /api",
        "/api",
        "/api/v1",
        "/graphql",
        "ingress",
        "io.grpc.Recv.",
        "Recv.",
        "frontend",
    ],
)
def test_names_that_say_nothing_are_generic(name):
    assert is_generic_name(name, "frontend")


@pytest.mark.parametrize(
    "name",
    [
        "/api/v1/users/login",
        "GET /users/{id}",
        "OrderVehicle",
        "oteldemo.CartService/AddItem",
        "FilteringWebHandler.handle",
        "checkout",
        "/cart",
    ],
)
def test_names_of_requests_are_not_generic(name):
    assert not is_generic_name(name, "frontend")
