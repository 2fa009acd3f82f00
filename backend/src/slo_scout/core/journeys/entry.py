"""Where a request enters the system and what it asks for.

A span *names* its request with, in this order of preference: ``http.route``; ``rpc.service`` and
``rpc.method`` (``Service/Method``); the messaging destination of a consumer; a templated URL path
(``url.path``, ``http.target``, ``http.url``, ``url.full``); its own name, templated when it looks
like a path (``GET /users/42`` -> ``GET /users/{id}``). A candidate that says nothing (see
:func:`.templating.is_generic_name`) is skipped in favour of the next.

The entry is found by walking from the main root:

1. If the span names the request, it is the entry.
2. Otherwise (a gateway's ``/*``, a proxy's ``ingress``, a bare ``HTTP POST``) look at its
   *downstream frontier*: the nearest descendants on another service (same-service spans in
   between, like a gateway's ``FilteringWebHandler.handle`` and ``HTTP GET`` client span, are
   passed through). When the frontier is a single operation (one service, one operation, maybe
   retried) the span only forwards: continue from the frontier's first span.
3. When the frontier fans out to several operations, the generic span is a real front end doing
   the work itself: it is the entry, and the journey is decided by what it calls (see
   :mod:`.catalog`).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Final

from slo_scout.core.journeys.model import Entry, Trace, TraceNode
from slo_scout.core.journeys.templating import (
    is_generic_name,
    looks_like_path,
    split_method,
    template_operation,
    template_path,
)
from slo_scout.core.telemetry.model import AttrValue, SpanKind

_URL_KEYS: Final = ("url.path", "http.target", "http.url", "url.full")
_MESSAGING_KINDS: Final = frozenset({"consumer", "producer"})
# A gateway chain longer than this is treated as the entry rather than walked further.
_MAX_HOPS: Final = 16


_Items = tuple[tuple[str, AttrValue], ...]


def _text(attributes: dict[str, AttrValue], key: str) -> str | None:
    value = attributes.get(key)
    return value if isinstance(value, str) and value else None


def _method(name: str, attributes: dict[str, AttrValue]) -> str | None:
    method = _text(attributes, "http.request.method") or _text(attributes, "http.method")
    if method:
        return method.upper()
    return split_method(name)[0]


def _attribute_candidates(
    kind: SpanKind, attributes: dict[str, AttrValue]
) -> Iterator[tuple[str, str]]:
    """``(protocol, operation)`` names of the request from attributes, most specific first."""
    route = _text(attributes, "http.route")
    if route:
        yield ("http", template_path(route) if looks_like_path(route) else route)
    rpc_service, rpc_method = _text(attributes, "rpc.service"), _text(attributes, "rpc.method")
    if rpc_service and rpc_method:
        yield ("rpc", f"{rpc_service}/{rpc_method}")
    elif rpc_method:
        yield ("rpc", rpc_method)
    if kind in _MESSAGING_KINDS:
        destination = _text(attributes, "messaging.destination.name") or _text(
            attributes, "messaging.destination"
        )
        if destination:
            yield ("messaging", destination)
    for key in _URL_KEYS:
        url = _text(attributes, key)
        if url:
            yield ("http", template_path(url))
            break


def _name_candidate(name: str) -> tuple[str, str]:
    _, rest = split_method(name)
    if rest and looks_like_path(rest):
        return ("http", template_path(rest))
    return ("span", template_operation(name))


def _entry(service: str, name: str, method: str | None, protocol: str, operation: str) -> Entry:
    if protocol == "span" and method is not None:
        protocol = "http"
        if split_method(operation)[0] is not None:
            method = None  # a bare "HTTP POST" already says its method; don't say it twice
    return Entry(
        service=service,
        operation=operation,
        protocol=protocol,
        span_name=template_operation(name),
        method=method if protocol == "http" else None,
    )


@lru_cache(maxsize=16384)
def _describe_by_name(service: str, name: str) -> Entry:
    protocol, operation = _name_candidate(name)
    return _entry(service, name, split_method(name)[0], protocol, operation)


def describe(node: TraceNode) -> Entry:
    """The entry a span would be, naming it as specifically as its attributes allow.

    Preference: ``http.route``, RPC method, messaging destination, templated URL path, then the
    span's own name; a candidate that says nothing gives way to the next.
    """
    span = node.span
    attributes = span.attributes
    if not attributes:
        return _describe_by_name(span.service, span.name)
    route = attributes.get("http.route")
    if route is not None:
        routed = _describe_routed(
            span.service,
            span.name,
            route,
            attributes.get("http.request.method"),
            attributes.get("http.method"),
        )
        if routed is not None:
            return routed
    return _describe(span.service, span.name, span.kind, tuple(attributes.items()))


# A route that names the request decides the entry alone: keying on it (not on every attribute,
# some of which, like url.path, differ per request) keeps routed spans from missing the cache.
@lru_cache(maxsize=4096)
def _describe_routed(
    service: str,
    name: str,
    route: AttrValue,
    request_method: AttrValue | None,
    legacy_method: AttrValue | None,
) -> Entry | None:
    """``_describe``'s answer when ``http.route`` is its first candidate and names the request."""
    if not isinstance(route, str) or not route:
        return None
    operation = template_path(route) if looks_like_path(route) else route
    if is_generic_name(operation, service):
        return None
    methods: dict[str, AttrValue] = {}
    if request_method is not None:
        methods["http.request.method"] = request_method
    if legacy_method is not None:
        methods["http.method"] = legacy_method
    return _entry(service, name, _method(name, methods), "http", operation)


# Keyed by everything the answer depends on; the same few attribute sets repeat per request kind.
@lru_cache(maxsize=4096)
def _describe(service: str, name: str, kind: SpanKind, items: _Items) -> Entry:
    attributes = dict(items)
    method = _method(name, attributes)
    first: tuple[str, str] | None = None
    for candidate in _attribute_candidates(kind, attributes):
        if first is None:
            first = candidate
        if not is_generic_name(candidate[1], service):
            return _entry(service, name, method, *candidate)
    by_name = _name_candidate(name)
    if first is None or not is_generic_name(by_name[1], service):
        return _entry(service, name, method, *by_name)
    return _entry(service, name, method, *first)


def is_generic_entry(entry: Entry) -> bool:
    """An entry that does not say which request it serves (the front end does the work)."""
    return is_generic_name(entry.operation, entry.service)


def frontier(node: TraceNode) -> list[TraceNode]:
    """The nearest descendants on another service, in tree order."""
    service = node.span.service
    found: list[TraceNode] = []
    stack = list(reversed(node.children))
    while stack:
        current = stack.pop()
        if current.span.service != service:
            found.append(current)
        else:
            stack.extend(reversed(current.children))
    return found


def find_entry(trace: Trace) -> tuple[TraceNode, Entry]:
    """The entry span of ``trace`` and how it names the request."""
    node = trace.root
    entry = describe(node)
    for _ in range(_MAX_HOPS):
        if not is_generic_entry(entry):
            break
        ahead = frontier(node)
        if not ahead:
            break
        first = ahead[0]
        operation = template_operation(first.span.name)
        if any(
            n.span.service != first.span.service or template_operation(n.span.name) != operation
            for n in ahead[1:]
        ):
            break
        node, entry = first, describe(first)
    return node, entry


def entry_of(trace: Trace) -> Entry:
    """Where ``trace``'s request entered and what it asked for (see the module docstring)."""
    return find_entry(trace)[1]
