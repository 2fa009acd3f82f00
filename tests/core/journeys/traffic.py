"""Deterministic traffic for journey tests: call trees written as nested tuples.

A call is ``(service, operation, [children])``; children run one after another inside their
parent, each leaf taking ``LEAF_MS``, each parent adding ``GAP_MS`` before, between and after its
children. ``spans_of`` turns one call tree into the spans of one trace.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from tests.builders import span

from slo_scout.core.telemetry.model import Span

MS = 1_000_000
LEAF_MS = 2
GAP_MS = 1
T0 = 1_700_000_000_000_000_000

Call = tuple[str, str, Sequence[Any]]


def call(service: str, operation: str, *children: Call) -> Call:
    return (service, operation, list(children))


def _duration(node: Call) -> int:
    children = node[2]
    if not children:
        return LEAF_MS * MS
    return sum(_duration(c) for c in children) + GAP_MS * MS * (len(children) + 1)


def spans_of(
    root: Call,
    *,
    trace_no: int,
    start_ns: int = T0,
    errors: frozenset[str] = frozenset(),
    root_attributes: dict[str, str | int] | None = None,
) -> list[Span]:
    """The spans of one request; operations named in ``errors`` fail."""
    trace_id = f"{trace_no:032x}"
    out: list[Span] = []
    counter = iter(range(1, 1_000_000))

    def emit(node: Call, parent: Span | None, start: int) -> None:
        service, operation, children = node
        span_id = f"{trace_no:08x}{next(counter):08x}"
        kind = "server" if parent is None or parent.service != service else "internal"
        attributes = dict(root_attributes or {}) if parent is None else {}
        this = span(
            trace_id=trace_id,
            span_id=span_id,
            parent_id=parent.span_id if parent else None,
            service=service,
            name=operation,
            kind=kind,
            start_ns=start,
            duration_ns=_duration(node),
            error=operation in errors,
            attributes=attributes,
        )
        out.append(this)
        cursor = start + GAP_MS * MS
        for child in children:
            emit(child, this, cursor)
            cursor += _duration(child) + GAP_MS * MS

    emit(root, None, start_ns)
    return out


# --- an online shop whose every request enters through one generic frontend operation -------

DB = call("postgres", "SELECT products")


def checkout(*, retry: bool = False, loyalty: bool = False) -> list[Call]:
    charges = [call("payment", "Charge")] * (2 if retry else 1)
    calls = [
        call("cart", "GetCart", call("redis", "HGETALL")),
        *charges,
        call("shipping", "ShipOrder"),
        call("email", "SendConfirmation"),
    ]
    if loyalty:
        calls.append(call("loyalty", "AddPoints"))
    return calls


def browse(*, cache_hit: bool = False) -> list[Call]:
    listing = call("catalog", "ListProducts") if cache_hit else call("catalog", "ListProducts", DB)
    return [
        listing,
        call("recommendation", "ListRecommendations", call("catalog", "ListProducts", DB)),
        call("ad", "GetAds"),
    ]


def add_to_cart() -> list[Call]:
    return [call("catalog", "GetProduct", DB), call("cart", "AddItem", call("redis", "HSET"))]


def view_cart() -> list[Call]:
    return [
        call("cart", "GetCart", call("redis", "HGETALL")),
        call("recommendation", "ListRecommendations", call("catalog", "ListProducts", DB)),
        call("shipping", "GetQuote"),
        call("currency", "Convert"),
    ]


def product_page() -> list[Call]:
    return [
        call("catalog", "GetProduct", DB),
        call("recommendation", "ListRecommendations", call("catalog", "ListProducts", DB)),
        call("ad", "GetAds"),
    ]


def empty_cart() -> list[Call]:
    return [call("cart", "EmptyCart", call("redis", "DEL"))]


SHOP_KINDS: dict[str, list[Call]] = {
    "checkout": checkout(),
    "checkout+retry": checkout(retry=True),
    "checkout+loyalty": checkout(loyalty=True),
    "browse": browse(),
    "browse+cache-hit": browse(cache_hit=True),
    "add-to-cart": add_to_cart(),
    "view-cart": view_cart(),
    "product-page": product_page(),
    "empty-cart": empty_cart(),
}
# How many of each kind one round of traffic sends.
SHOP_MIX: dict[str, int] = {
    "checkout": 6,
    "checkout+retry": 2,
    "checkout+loyalty": 2,
    "browse": 8,
    "browse+cache-hit": 4,
    "add-to-cart": 5,
    "view-cart": 4,
    "product-page": 7,
    "empty-cart": 3,
}


def shop_traffic(
    *,
    frontend_name: str = "HTTP POST",
    rounds: int = 1,
    gateway: bool = False,
    spacing_ns: int = 250 * MS,
    root_attributes: dict[str, str | int] | None = None,
) -> Iterator[tuple[str, list[Span]]]:
    """``(kind, spans)`` per request, kinds interleaved, one request every ``spacing_ns``."""
    trace_no = 0
    for _ in range(rounds):
        remaining = dict(SHOP_MIX)
        while any(remaining.values()):
            for kind in SHOP_KINDS:
                if not remaining[kind]:
                    continue
                remaining[kind] -= 1
                trace_no += 1
                front = call("frontend", frontend_name, *SHOP_KINDS[kind])
                root = call("gateway", "ingress", front) if gateway else front
                spans = spans_of(
                    root,
                    trace_no=trace_no,
                    start_ns=T0 + trace_no * spacing_ns,
                    root_attributes=root_attributes,
                )
                yield kind, spans
