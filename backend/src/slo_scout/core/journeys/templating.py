"""Route templating and the names that say nothing about a request.

Two questions, both asked once per distinct string (results are cached, because the same few
hundred operation names repeat millions of times):

- :func:`template_path` turns a concrete URL path into its route template: the parts that vary
  per request (ids, UUIDs, numbers, hex hashes, e-mails, dates, base64-ish tokens) become
  placeholders, so ``/api/users/42/orders/9f86d081884c7d65`` reads
  ``/api/users/{id}/orders/{hash}``.
  Placeholders the application already wrote (``{orderId}``, ``:id``, ``[slug]``) are kept.
- :func:`is_generic_name` tells whether a span name (or route) says nothing about which request
  it serves: gateway catch-alls (``/*``, ``/``, ``*``), bare HTTP verbs (``GET``, ``HTTP POST``),
  gRPC transport names (``...Recv.``), proxy names (``ingress``), a handler named after its own
  service (otelhttp's ``NewHandler(h, "frontend")`` names every span ``frontend``), and paths made
  only of generic words (``/api``, ``/api/v1``, ``/graphql``).

Placeholder precedence (first match wins): ``{uuid}``, ``{email}``, ``{date}``, ``{id}`` (all
digits), ``{hash}`` (hex, 8+ characters, with a digit), ``{token}`` (16+ characters of a base64 or
url-safe alphabet mixing upper case, lower case and digits, or with 4+ digits, or ending in
``=`` padding), ``{id}`` (upper-case codes of 6+ characters with a digit, e.g. ``OLJCESPC7Z``, or
8+ alphanumerics with 2+ digits). Words with separators (``user_details_cache-20150901``) are
kept: they name a thing, not an instance.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

HTTP_METHODS: Final[frozenset[str]] = frozenset(
    {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE"}
)

# Dashes required: 32 bare hex digits are as likely an MD5 as a UUID, and read as {hash}.
_UUID: Final = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_EMAIL: Final = re.compile(r"^[^@/\s]+@[^@/\s]+\.[A-Za-z]{2,}$")
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+Z?)?$")
_DIGITS: Final = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
_HEX: Final = re.compile(r"^(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}$")
# base64 / url-safe tokens: mixed case and digits, or long runs of letters with many digits.
_TOKEN: Final = re.compile(
    r"^(?:(?=.*\d)(?=.*[a-z])(?=.*[A-Z])[A-Za-z0-9+/_=-]{16,}"
    r"|(?=(?:.*\d){4})(?=.*[A-Za-z])[A-Za-z0-9]{16,}|[A-Za-z0-9+/_-]{6,}={1,2})$"
)
# Upper-case product codes (OLJCESPC7Z) and mixed ids with several digits (a1b2c3d4e5).
_MIXED_ID: Final = re.compile(
    r"^(?:(?=.*\d)[A-Z0-9]{6,}|(?=(?:.*\d){2})(?=.*[A-Za-z])[A-Za-z0-9]{8,})$"
)
_PLACEHOLDER: Final = re.compile(r"^(?:\{[^}]*\}|:[A-Za-z_]\w*|\[[^\]]*\]|<[^>]*>)$")
_SCHEME_HOST: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*")

# Segments that name an API surface, not a request kind: a path made only of these is generic.
# fmt: off
_GENERIC_SEGMENTS: Final[frozenset[str]] = frozenset({
    "", "*", "**", "api", "apis", "graphql", "gql", "rpc", "jsonrpc", "twirp", "grpc", "rest",
    "query", "batch", "gateway", "proxy", "ingress", "egress", "internal", "public", "service",
    "services", "svc", "app", "web", "www", "invoke", "dispatch", "handler", "request", "index",
    "index.html", "root",
})
_VERSION_SEGMENT: Final = re.compile(r"^v\d+(?:\.\d+)?$")
_GENERIC_NAMES: Final[frozenset[str]] = frozenset({
    "ingress", "egress", "proxy", "gateway", "router", "request", "http request", "handle",
    "handler", "servehttp", "middleware", "unknown", "root", "span",
})
# fmt: on


@lru_cache(maxsize=8192)
def template_segment(segment: str) -> str:
    """One path segment, with a placeholder when it varies per request."""
    if not segment or _PLACEHOLDER.match(segment):
        return segment
    if _UUID.match(segment):
        return "{uuid}"
    if "@" in segment and _EMAIL.match(segment):
        return "{email}"
    if _DATE.match(segment):
        return "{date}"
    if _DIGITS.match(segment):
        return "{id}"
    if _HEX.match(segment):
        return "{hash}"
    if _TOKEN.match(segment):
        return "{token}"
    if _MIXED_ID.match(segment):
        return "{id}"
    return segment


@lru_cache(maxsize=65536)
def template_path(url_or_path: str) -> str:
    """``https://h/api/users/42?x=1`` -> ``/api/users/{id}``; scheme, host, query are dropped."""
    path = _SCHEME_HOST.sub("", url_or_path.strip())
    for sep in ("?", "#"):
        cut = path.find(sep)
        if cut >= 0:
            path = path[:cut]
    if not path.startswith("/"):
        path = "/" + path
    segments = [template_segment(part) for part in path.split("/")[1:]]
    templated = "/" + "/".join(segments)
    if len(templated) > 1 and templated.endswith("/"):
        templated = templated[:-1]
    return templated


def looks_like_path(name: str) -> bool:
    return name.startswith("/") or "://" in name


def split_method(name: str) -> tuple[str | None, str]:
    """``"GET /users/{id}"`` -> ``("GET", "/users/{id}")``; ``"HTTP POST"`` -> ``("POST", "")``."""
    head, _, rest = name.partition(" ")
    upper = head.upper()
    if upper == "HTTP" and rest.upper() in HTTP_METHODS:
        return rest.upper(), ""
    if upper in HTTP_METHODS:
        return upper, rest.strip()
    return None, name


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def is_generic_path(path: str) -> bool:
    """A route made only of API-surface words (``/``, ``/*``, ``/api/v1``, ``/graphql``)."""
    for segment in path.split("/"):
        low = segment.lower()
        if low not in _GENERIC_SEGMENTS and not _VERSION_SEGMENT.match(low):
            return False
    return True


@lru_cache(maxsize=16384)
def is_generic_name(name: str, service: str = "") -> bool:
    """Whether an operation name says nothing about the request it serves."""
    stripped = name.strip()
    if not stripped or stripped in ("*", "/*", "/", "/**"):
        return True
    if stripped.endswith("Recv.") or stripped.endswith(".Recv"):
        return True
    method, rest = split_method(stripped)
    if method is not None:
        return not rest or (looks_like_path(rest) and is_generic_path(template_path(rest)))
    if looks_like_path(stripped):
        return is_generic_path(template_path(stripped))
    low = stripped.lower()
    if low in _GENERIC_NAMES:
        return True
    # A handler labelled with its own service's name (otelhttp.NewHandler(h, "frontend")).
    return bool(service) and _squash(stripped) == _squash(service)


@lru_cache(maxsize=65536)
def template_operation(name: str) -> str:
    """A span name with per-request parts replaced: the operation as journeys compare it."""
    method, rest = split_method(name)
    if method is not None and rest and looks_like_path(rest):
        return f"{method} {template_path(rest)}"
    if looks_like_path(name):
        return template_path(name)
    if " " in name:
        # Zipkin/Yelp style "get user_details_cache-20150901": template word by word.
        return " ".join(template_segment(word) for word in name.split(" "))
    return name
