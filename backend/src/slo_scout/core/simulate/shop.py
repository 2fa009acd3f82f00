"""The built-in shop: the demo's traffic and the tests' ground truth.

Modelled on the OpenTelemetry demo shop. Every request enters through ``frontend-proxy`` with
the same span name, ``HTTP POST``, and no route: the kind of request shows only below it. Two
journeys share the route ``/api/cart`` and differ by method and downstream work; the product
page reads through a Redis cache (a hit skips PostgreSQL); checkout charges with retries and
repeats per-item calls; recommendations and ads are optional. ``email`` publishes no
``service.name``, so its name must come from the pod. A payment error burst and a catalog latency
regression fall inside the run whatever its length.
"""

from __future__ import annotations

from typing import Any, Final

from slo_scout.core.simulate.scenario import Scenario, scenario_from_dict

_CACHED_PRODUCT: Final[dict[str, Any]] = {
    "service": "product-catalog", "protocol": "grpc",
    "operation": "oteldemo.ProductCatalogService/GetProduct", "latency_ms": 1.5,
    "calls": [{
        "service": "redis", "protocol": "cache", "operation": "GET", "latency_ms": 0.3,
        "hit_ratio": 0.8,
        "on_miss": [{"service": "postgres", "protocol": "db", "operation": "SELECT products",
                     "latency_ms": 4.0, "sigma": 0.5}],
    }],
}

_CONVERT: Final[dict[str, Any]] = {
    "service": "currency", "protocol": "grpc", "operation": "oteldemo.CurrencyService/Convert",
    "latency_ms": 0.6,
}

DEFAULT_SHOP: Final[dict[str, Any]] = {
    "name": "shop",
    "rate": 50.0,
    "services": [
        {"name": "frontend-proxy", "pods": 2},
        {"name": "frontend", "pods": 3},
        {"name": "product-catalog", "pods": 2},
        {"name": "cart", "pods": 2},
        {"name": "checkout", "pods": 2},
        {"name": "payment", "pods": 2},
        {"name": "shipping", "pods": 1},
        {"name": "quote", "pods": 1},
        {"name": "currency", "pods": 2},
        {"name": "recommendation", "pods": 2},
        {"name": "ad", "pods": 1},
        {"name": "email", "pods": 1, "name_from_pod": True},
    ],
    "gateway": {"service": "frontend-proxy", "operation": "HTTP POST", "method": "POST"},
    "journeys": [
        {"name": "browse-product", "weight": 0.34, "entry": {
            "service": "frontend", "protocol": "http", "method": "GET",
            "operation": "/api/products/{productId}", "latency_ms": 3.0,
            "calls": [
                _CACHED_PRODUCT,
                _CONVERT,
                {"service": "recommendation", "protocol": "grpc", "optional": 0.7,
                 "operation": "oteldemo.RecommendationService/ListRecommendations",
                 "latency_ms": 6.0, "error_rate": 0.002,
                 "calls": [{"service": "product-catalog", "protocol": "grpc",
                            "operation": "oteldemo.ProductCatalogService/ListProducts",
                            "latency_ms": 2.0}]},
            ]}},
        {"name": "home", "weight": 0.18, "entry": {
            "service": "frontend", "protocol": "http", "method": "GET",
            "operation": "/api/products", "latency_ms": 4.0,
            "calls": [
                {"service": "product-catalog", "protocol": "grpc",
                 "operation": "oteldemo.ProductCatalogService/ListProducts", "latency_ms": 2.0,
                 "calls": [{"service": "postgres", "protocol": "db",
                            "operation": "SELECT products", "latency_ms": 6.0}]},
                {"service": "currency", "protocol": "grpc",
                 "operation": "oteldemo.CurrencyService/GetSupportedCurrencies",
                 "latency_ms": 0.4},
                {"service": "ad", "protocol": "grpc", "operation": "oteldemo.AdService/GetAds",
                 "optional": 0.5, "latency_ms": 2.5},
            ]}},
        {"name": "view-cart", "weight": 0.13, "entry": {
            "service": "frontend", "protocol": "http", "method": "GET",
            "operation": "/api/cart", "latency_ms": 2.0,
            "calls": [{"service": "cart", "protocol": "grpc",
                       "operation": "oteldemo.CartService/GetCart", "latency_ms": 0.8,
                       "calls": [{"service": "redis", "protocol": "cache",
                                  "operation": "HGETALL", "latency_ms": 0.4}]}],
        }},
        {"name": "add-to-cart", "weight": 0.13, "entry": {
            "service": "frontend", "protocol": "http", "method": "POST",
            "operation": "/api/cart", "latency_ms": 2.5, "error_rate": 0.001,
            "calls": [
                _CACHED_PRODUCT,
                {"service": "cart", "protocol": "grpc",
                 "operation": "oteldemo.CartService/AddItem", "latency_ms": 1.2,
                 "calls": [{"service": "redis", "protocol": "cache", "operation": "HSET",
                            "latency_ms": 0.5}]},
            ]}},
        {"name": "checkout", "weight": 0.08, "entry": {
            "service": "frontend", "protocol": "http", "method": "POST",
            "operation": "/api/checkout", "latency_ms": 3.0,
            "calls": [{
                "service": "checkout", "protocol": "grpc",
                "operation": "oteldemo.CheckoutService/PlaceOrder", "latency_ms": 4.0,
                "calls": [
                    {"service": "cart", "protocol": "grpc",
                     "operation": "oteldemo.CartService/GetCart", "latency_ms": 0.8,
                     "calls": [{"service": "redis", "protocol": "cache",
                                "operation": "HGETALL", "latency_ms": 0.4}]},
                    {**_CACHED_PRODUCT, "repeat": [1, 4]},
                    {**_CONVERT, "repeat": [1, 4]},
                    {"service": "shipping", "protocol": "grpc",
                     "operation": "oteldemo.ShippingService/GetQuote", "latency_ms": 1.0,
                     "calls": [{"service": "quote", "protocol": "http", "method": "POST",
                                "operation": "/getquote", "latency_ms": 2.0}]},
                    {"service": "payment", "protocol": "grpc",
                     "operation": "oteldemo.PaymentService/Charge", "latency_ms": 25.0,
                     "sigma": 0.5, "error_rate": 0.004, "retry": 0.05},
                    {"service": "shipping", "protocol": "grpc",
                     "operation": "oteldemo.ShippingService/ShipOrder", "latency_ms": 1.5},
                    {"service": "cart", "protocol": "grpc",
                     "operation": "oteldemo.CartService/EmptyCart", "latency_ms": 0.7,
                     "calls": [{"service": "redis", "protocol": "cache", "operation": "DEL",
                                "latency_ms": 0.3}]},
                    {"service": "postgres", "protocol": "db", "operation": "INSERT orders",
                     "latency_ms": 5.0},
                    {"service": "email", "protocol": "http", "method": "POST",
                     "operation": "/send_order_confirmation", "latency_ms": 12.0,
                     "error_rate": 0.002},
                ],
            }],
        }},
        {"name": "search", "weight": 0.09, "entry": {
            "service": "frontend", "protocol": "http", "method": "GET",
            "operation": "/api/search", "latency_ms": 2.0,
            "calls": [{"service": "product-catalog", "protocol": "grpc",
                       "operation": "oteldemo.ProductCatalogService/SearchProducts",
                       "latency_ms": 3.0,
                       "calls": [{"service": "postgres", "protocol": "db",
                                  "operation": "SELECT products", "latency_ms": 15.0,
                                  "sigma": 0.6}]}],
        }},
        {"name": "get-ads", "weight": 0.05, "entry": {
            "service": "ad", "protocol": "grpc", "operation": "oteldemo.AdService/GetAds",
            "latency_ms": 2.5,
        }},
    ],
    "incidents": [
        {"kind": "error_burst", "service": "payment", "operation":
         "oteldemo.PaymentService/Charge", "start": 0.6, "duration": 0.1, "error_rate": 0.4},
        {"kind": "latency_regression", "service": "product-catalog", "start": 0.3,
         "duration": 0.15, "factor": 4.0},
    ],
}


def default_shop() -> Scenario:
    return scenario_from_dict(DEFAULT_SHOP, source="<built-in shop>")
