"""The one span model every decoder produces and every consumer reads.

Invariants (decoders guarantee them, the rest of the core relies on them):
- ids are lowercase hex strings; trace ids are 32 characters (64-bit ids are left-padded),
  span ids 16; ``parent_id`` is ``None`` for a span that names no parent.
- ``start_ns <= end_ns``, both Unix nanoseconds.
- ``service`` is never empty (see :func:`service_from_resource`).
- ``attributes`` holds only the keys in :data:`KEPT_ATTRIBUTES`: journeys need a handful of
  semantic-convention keys, and keeping every attribute of every span would make memory grow
  with the input instead of with the traffic.
- ``error`` is decided once, at decode time, by :func:`is_error_span`.

``Span`` is a slotted, mutable dataclass on purpose: it is built about a million times a second
on the hot path and ``frozen=True`` makes construction several times slower. Treat it as
immutable after decoding; trace assembly is the only step that adjusts times (clock skew), and
it does so on copies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

AttrValue = str | int | float | bool
SpanKind = Literal["unspecified", "internal", "server", "client", "producer", "consumer"]
StatusCode = Literal["unset", "ok", "error"]

SPAN_KINDS: Final[tuple[SpanKind, ...]] = (
    "unspecified",
    "internal",
    "server",
    "client",
    "producer",
    "consumer",
)
STATUS_CODES: Final[tuple[StatusCode, ...]] = ("unset", "ok", "error")

KEPT_ATTRIBUTES: Final[frozenset[str]] = frozenset(
    {
        # entry identity
        "http.route",
        "http.target",
        "http.url",
        "url.path",
        "url.full",
        "http.method",
        "http.request.method",
        "rpc.system",
        "rpc.service",
        "rpc.method",
        "messaging.system",
        "messaging.destination.name",
        "messaging.destination",
        "db.system",
        "db.operation",
        "db.operation.name",
        "peer.service",
        "server.address",
        # outcome
        "http.status_code",
        "http.response.status_code",
        "rpc.grpc.status_code",
        "error",
        "error.type",
        "otel.status_code",
    }
)

# gRPC codes that mean the server failed (OpenTelemetry's rule for server spans).
_GRPC_SERVER_ERRORS: Final[frozenset[int]] = frozenset({2, 4, 12, 13, 14, 15})


# ``init=False`` with a hand-written ``__init__``: when this module is compiled (see
# slo_scout/speedups.py), a dataclass-generated ``__init__`` would stay interpreted Python and set
# each field through a descriptor; this one is compiled with the rest.
@dataclass(slots=True, init=False)
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    name: str
    kind: SpanKind
    start_ns: int
    end_ns: int
    status: StatusCode
    error: bool
    attributes: dict[str, AttrValue]

    def __init__(
        self,
        trace_id: str,
        span_id: str,
        parent_id: str | None,
        service: str,
        name: str,
        kind: SpanKind,
        start_ns: int,
        end_ns: int,
        status: StatusCode = "unset",
        error: bool = False,
        attributes: dict[str, AttrValue] | None = None,
    ) -> None:
        self.trace_id = trace_id
        self.span_id = span_id
        self.parent_id = parent_id
        self.service = service
        self.name = name
        self.kind = kind
        self.start_ns = start_ns
        self.end_ns = end_ns
        self.status = status
        self.error = error
        self.attributes = {} if attributes is None else attributes

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns


def _as_int(value: AttrValue | None) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def is_error_span(status: StatusCode, kind: SpanKind, attributes: dict[str, AttrValue]) -> bool:
    """Whether a span failed, following OpenTelemetry's semantic conventions.

    Status ERROR always counts. Without one: HTTP 5xx (and 4xx on the client side), the gRPC
    codes a server owns, and the ``error`` tag that Jaeger and Zipkin instrumentations set.
    """
    if status == "error":
        return True
    if status == "ok":
        return False
    err = attributes.get("error")
    if err is True or (isinstance(err, str) and err.lower() not in ("", "false", "0")):
        return True
    code = _as_int(attributes.get("http.response.status_code", attributes.get("http.status_code")))
    if code is not None and (code >= 500 or (kind == "client" and code >= 400)):
        return True
    grpc = _as_int(attributes.get("rpc.grpc.status_code"))
    if grpc is not None:
        return grpc in _GRPC_SERVER_ERRORS if kind == "server" else grpc != 0
    return False


# A Deployment's pod is <name>-<replicaset hash>-<pod hash>; a StatefulSet's is <name>-<ordinal>.
_POD_SUFFIX: Final = re.compile(
    r"-(?:[0-9a-f]{8,10}|[bcdfghjklmnpqrstvwxz2456789]{9,10})-[a-z0-9]{5}$"
)
_STATEFUL_SUFFIX: Final = re.compile(r"-\d+$")


def service_from_pod(pod_name: str) -> str:
    """``ts-travel-service-7d8f9c6b5-x2k4p`` -> ``ts-travel-service``."""
    trimmed = _POD_SUFFIX.sub("", pod_name)
    if trimmed == pod_name:
        trimmed = _STATEFUL_SUFFIX.sub("", pod_name)
    return trimmed or pod_name


def service_from_resource(resource: dict[str, AttrValue]) -> str:
    """The service a resource describes: ``service.name``, else derived from Kubernetes or host."""
    name = resource.get("service.name")
    if isinstance(name, str) and name and not name.startswith("unknown_service"):
        return name
    for key in ("k8s.deployment.name", "k8s.statefulset.name", "k8s.daemonset.name"):
        value = resource.get(key)
        if isinstance(value, str) and value:
            return value
    pod = resource.get("k8s.pod.name")
    if isinstance(pod, str) and pod:
        return service_from_pod(pod)
    for key in ("process.executable.name", "host.name"):
        value = resource.get(key)
        if isinstance(value, str) and value:
            return value
    if isinstance(name, str) and name:
        return name
    return "unknown_service"
