"""Zipkin v2 JSON: a list of spans, or a list of traces (lists of spans) as ``/api/v2/traces``
returns them. Times are microseconds; the service is ``localEndpoint.serviceName``.

Fragments. Zipkin may report one span in pieces (one carries the timing, another only a name or
tags). Records with the same trace id, span id and local endpoint whose kinds do not conflict
are merged, as Zipkin's own ``Trace.merge`` does. A span still without ``timestamp`` after
merging is incomplete and reported as a bad record; a missing ``duration`` means zero.

Shared span ids. In Zipkin's B3 model the client and the server halves of one RPC carry the same
span id (the server half usually says ``"shared": true``). The model needs distinct ids, so:

- the server half (kind SERVER or CONSUMER; the earliest if there are several) keeps the shared
  id, so children whose ``parentId`` is the shared id hang under the server that did the work;
- each client half (CLIENT, PRODUCER, or no kind) gets a derived id
  (``blake2b(trace id : span id : client : n)``) and keeps the original ``parentId``;
- the server half's parent becomes the first client half, so the tree reads
  caller -> client half -> server half -> children;
- further server halves (one message consumed by several hosts) get derived ids too and hang
  under the client half as well.

A span id with only one record is left as it is, and records that cannot be told apart (two
clients, no server) keep their id: trace assembly reports them as duplicates.

Tags: the kept semantic-convention keys are kept; ``error`` (any value, even empty, means
failure in Zipkin) becomes ``error=True``; Brave's ``http.path`` is kept as ``url.path``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from slo_scout.core.telemetry._context import Context
from slo_scout.core.telemetry._fields import MAX_UNIX_NS, as_int, too_late
from slo_scout.core.telemetry._ids import SPAN_BYTES, TRACE_BYTES, derived_id, hex_id
from slo_scout.core.telemetry.model import (
    KEPT_ATTRIBUTES,
    AttrValue,
    Span,
    SpanKind,
    is_error_span,
)

BATCH_SIZE: Final = 4096
_US: Final = 1000
_KINDS: Final[dict[str, SpanKind]] = {
    "CLIENT": "client",
    "SERVER": "server",
    "PRODUCER": "producer",
    "CONSUMER": "consumer",
}
_SERVER_SIDE: Final = frozenset({"server", "consumer"})
_ALIASES: Final = {"http.path": "url.path"}


class _Bad(Exception):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(slots=True)
class _Record:
    index: int  # position of the first fragment, for error messages
    path: str
    trace_id: str
    span_id: str
    parent_id: str | None
    endpoint: tuple[str, str, str, str]
    kind: SpanKind | None
    name: str
    timestamp: int | None
    duration: int | None
    shared: bool
    attributes: dict[str, AttrValue] = field(default_factory=dict)


def decode_zipkin(chunks: Iterable[bytes], ctx: Context) -> Iterator[list[Span]]:
    try:
        doc = orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:
        ctx.bad(ctx.error(f"not valid JSON: {exc}", record="document"))
        return
    if type(doc) is not list:
        ctx.bad(ctx.error("expected a JSON list of spans", record="document"))
        return
    # A list of traces is decoded trace by trace; a flat list is one group.
    groups: list[tuple[str, list[Any]]]
    if doc and all(type(item) is list for item in doc):
        groups = [(f"[{i}]", item) for i, item in enumerate(doc)]
    else:
        groups = [("", doc)]
    counter = 0
    batch: list[Span] = []
    for prefix, items in groups:
        records: list[_Record] = []
        for i, raw in enumerate(items):
            path = f"{prefix}[{i}]"
            try:
                records.append(_record(raw, counter, path))
            except _Bad as bad:
                ctx.bad(ctx.error(bad.message, record=counter, field=f"{path}{bad.field}"))
            counter += 1
        for rec in _resolve_shared(_merge(records)):
            if rec.timestamp is None:
                message = "missing: the span is incomplete (no fragment carries its start time)"
                ctx.bad(ctx.error(message, record=rec.index, field=f"{rec.path}.timestamp"))
                continue
            if rec.timestamp + (rec.duration or 0) > MAX_UNIX_NS:
                # Fragments merged into one: each was in range, their sum is not.
                late = too_late(rec.timestamp + (rec.duration or 0))
                ctx.bad(ctx.error(late, record=rec.index, field=f"{rec.path}.duration"))
                continue
            batch.append(_span(rec))
            if len(batch) >= BATCH_SIZE:
                yield batch
                batch = []
    if batch:
        yield batch


def _record(raw: Any, index: int, path: str) -> _Record:
    if type(raw) is not dict:
        raise _Bad("expected a span object", "")
    trace_id = _id(raw.get("traceId"), TRACE_BYTES, ".traceId")
    span_id = _id(raw.get("id"), SPAN_BYTES, ".id")
    parent = raw.get("parentId")
    parent_id = _id(parent, SPAN_BYTES, ".parentId") if parent else None
    kind_name = raw.get("kind")
    kind = None
    if kind_name is not None:
        kind = _KINDS.get(kind_name) if type(kind_name) is str else None
        if kind is None:
            raise _Bad(f"unknown kind {kind_name!r}", ".kind")
    name = raw.get("name") or ""
    if type(name) is not str:
        raise _Bad("expected a string", ".name")
    timestamp = _micros(raw.get("timestamp"), ".timestamp")
    duration = _micros(raw.get("duration"), ".duration")
    if timestamp is not None and timestamp <= 0:
        raise _Bad("must be a positive Unix time in microseconds", ".timestamp")
    if duration is not None and duration < 0:
        raise _Bad("negative duration", ".duration")
    if timestamp is not None and timestamp > MAX_UNIX_NS:
        raise _Bad(too_late(timestamp), ".timestamp")
    if timestamp is not None and timestamp + (duration or 0) > MAX_UNIX_NS:
        raise _Bad(too_late(timestamp + (duration or 0)), ".duration")
    endpoint = raw.get("localEndpoint") or {}
    if type(endpoint) is not dict:
        raise _Bad("expected an object", ".localEndpoint")
    service = endpoint.get("serviceName") or ""
    if type(service) is not str:
        raise _Bad("expected a string", ".localEndpoint.serviceName")
    where = (
        service,
        str(endpoint.get("ipv4", "")),
        str(endpoint.get("ipv6", "")),
        str(endpoint.get("port", "")),
    )
    return _Record(
        index,
        path,
        trace_id,
        span_id,
        parent_id,
        where,
        kind,
        name,
        timestamp,
        duration,
        raw.get("shared") is True,
        _tags(raw.get("tags")),
    )


def _id(value: Any, nbytes: int, field: str) -> str:
    if value is None or value == "":
        raise _Bad("missing", field)
    if type(value) is not str:
        raise _Bad("expected a hex string", field)
    out = hex_id(value, nbytes)
    if out is None:
        raise _Bad(
            f"not a hex id of at most {2 * nbytes} digits (or all zeros): {value[:48]!r}", field
        )
    return out


def _micros(value: Any, field: str) -> int | None:
    if value is None:
        return None
    number = as_int(value)
    if number is None:
        raise _Bad(f"not an integer: {str(value)[:48]!r}", field)
    return number * _US


def _tags(tags: Any) -> dict[str, AttrValue]:
    if tags is None:
        return {}
    if type(tags) is not dict:
        raise _Bad("expected an object", ".tags")
    attrs: dict[str, AttrValue] = {}
    for key, value in tags.items():
        if type(value) is not str:
            raise _Bad("expected a string (Zipkin tags are strings)", f".tags.{key}")
        if key == "error":
            attrs["error"] = True
        elif key in KEPT_ATTRIBUTES:
            attrs[key] = value
        elif key in _ALIASES:
            attrs.setdefault(_ALIASES[key], value)
    return attrs


def _merge(records: list[_Record]) -> list[_Record]:
    merged: list[_Record] = []
    by_key: dict[tuple[str, str, tuple[str, str, str, str]], list[_Record]] = {}
    for rec in records:
        candidates = by_key.setdefault((rec.trace_id, rec.span_id, rec.endpoint), [])
        target = next(
            (c for c in candidates if rec.kind is None or c.kind is None or c.kind == rec.kind),
            None,
        )
        # Two timed records are two spans (a retried RPC, one message read twice), not fragments.
        if target is None or (target.timestamp is not None and rec.timestamp is not None):
            candidates.append(rec)
            merged.append(rec)
            continue
        target.kind = target.kind or rec.kind
        target.name = target.name or rec.name
        target.parent_id = target.parent_id or rec.parent_id
        target.timestamp = target.timestamp if target.timestamp is not None else rec.timestamp
        target.duration = target.duration if target.duration is not None else rec.duration
        target.shared = target.shared or rec.shared
        target.attributes = {**rec.attributes, **target.attributes}
    return merged


def _resolve_shared(records: list[_Record]) -> list[_Record]:
    groups: dict[tuple[str, str], list[_Record]] = {}
    for rec in records:
        groups.setdefault((rec.trace_id, rec.span_id), []).append(rec)
    for (trace_id, span_id), group in groups.items():
        if len(group) < 2:
            continue
        servers = sorted(
            (r for r in group if r.kind in _SERVER_SIDE),
            key=lambda r: (r.timestamp is None, r.timestamp or 0, r.index),
        )
        if not servers:
            continue
        clients = [r for r in group if r.kind not in _SERVER_SIDE]
        for n, client in enumerate(clients):
            client.span_id = derived_id(f"{trace_id}:{span_id}:client:{n}", SPAN_BYTES)
        caller = clients[0].span_id if clients else servers[0].parent_id
        for n, server in enumerate(servers):
            if n:
                server.span_id = derived_id(f"{trace_id}:{span_id}:server:{n}", SPAN_BYTES)
            server.parent_id = caller
    return records


def _span(rec: _Record) -> Span:
    assert rec.timestamp is not None
    kind: SpanKind = rec.kind or "internal"
    attrs = rec.attributes
    return Span(
        rec.trace_id,
        rec.span_id,
        rec.parent_id,
        rec.endpoint[0] or "unknown_service",
        rec.name,
        kind,
        rec.timestamp,
        rec.timestamp + (rec.duration or 0),
        "unset",
        is_error_span("unset", kind, attrs),
        attrs,
    )
