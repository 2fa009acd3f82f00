"""OTLP protobuf traces: one ``ExportTraceServiceRequest``, or the collector's framed files.

The collector's ``fileexporter`` with ``format: proto`` writes each request preceded by its
length as a 4-byte big-endian unsigned integer; such files are decoded message by message, so
memory stays bounded by the largest request. A single message starts with the tag of field 1
(byte ``0x0a``); a framed file starts with a length, whose first byte is ``0x00`` for any
request under 16 MiB. That first byte tells the two apart.

This is the hot path. Each ScopeSpans is first decoded by a tight loop that only checks the
invariants cheaply (see :mod:`._otlp_lite`); if anything in it looks wrong, that ScopeSpans is
decoded again, from the careful schema, by a loop that names the bad span and field and keeps the
good ones. A message the fast schema cannot parse at all (a corrupt attribute fails the merged
attribute message) is decoded carefully throughout.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final

from google.protobuf.message import DecodeError as ProtoDecodeError
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry._context import Context
from slo_scout.core.telemetry._fields import (
    KEPT_PARENTS,
    KIND_BY_NUMBER,
    MAX_UNIX_NS,
    STATUS_BY_NUMBER,
    too_late,
)
from slo_scout.core.telemetry._otlp_json import RESOURCE_KEYS, RESOURCE_PARENTS
from slo_scout.core.telemetry._otlp_lite import CarefulRequest, LiteRequest
from slo_scout.core.telemetry.model import (
    KEPT_ATTRIBUTES,
    AttrValue,
    Span,
    SpanKind,
    StatusCode,
    is_error_span,
    service_from_resource,
)

BATCH_SIZE: Final = 4096
_CACHE_LIMIT: Final = 1 << 14
# Distinct attribute lists: most repeat, but one carrying a per-request value (a URL with an id)
# is seen once; a small cache emptied when full keeps memory flat in the input's size.
_SET_CACHE_LIMIT: Final = 1 << 12
# The attributes :func:`is_error_span` reads when a span has no status.
_ERROR_KEYS: Final = frozenset(
    {"error", "http.status_code", "http.response.status_code", "rpc.grpc.status_code"}
)
_ZERO_TRACE: Final = bytes(16)
_ZERO_SPAN: Final = bytes(8)
_KIND: Final[dict[int, SpanKind]] = dict(enumerate(KIND_BY_NUMBER))
# Encoded KeyValue prefix (tag of field 1, length, key) -> key, for the kept keys and for the
# parents of kept keys (a kvlist under "http" may hold "route"). All are shorter than 128 bytes,
# so their length is one varint byte.
_PREFIX: Final[dict[bytes, str]] = {
    b"\x0a" + bytes([len(key)]) + key.encode(): key for key in KEPT_ATTRIBUTES | KEPT_PARENTS
}


# (JSON name, schema field) of a resource's scopes; old SDKs send the legacy one.
_SCOPE_FIELDS: Final = (
    ("scopeSpans", "scope_spans"),
    ("instrumentationLibrarySpans", "instrumentation_library_spans"),
)
# (resource index, schema field, scope index, JSON path, service, the ScopeSpans message)
_Scope = tuple[int, str, int, str, str, Any]


class _Slow(Exception):
    """The fast loop met something it does not check precisely; decode this scope carefully."""


class _Bad(Exception):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def iter_otlp_proto_messages(
    chunks: Iterable[bytes], *, source: str = "<input>"
) -> Iterator[bytes]:
    """Messages of a length-prefixed file (4-byte big-endian length, then the message)."""
    buf = bytearray()
    number = 0
    for chunk in chunks:
        buf += chunk
        pos = 0
        while len(buf) - pos >= 4:
            size = int.from_bytes(buf[pos : pos + 4], "big")
            if len(buf) - pos - 4 < size:
                break
            number += 1
            yield bytes(buf[pos + 4 : pos + 4 + size])
            pos += 4 + size
        if pos:
            del buf[:pos]
    if buf:
        announced = int.from_bytes(buf[:4], "big") if len(buf) >= 4 else None
        detail = (
            f"announces {announced} bytes but only {len(buf) - 4} remain"
            if announced is not None
            else f"only {len(buf)} bytes of its 4-byte length remain"
        )
        raise DecodeError(
            f"truncated input: the last message {detail}",
            source=source,
            record=f"message {number + 1}",
            field="length",
        )


def decode_otlp_proto(chunks: Iterable[bytes], ctx: Context) -> Iterator[list[Span]]:
    it = iter(chunks)
    first = next(it, b"")
    if not first:
        return

    def replay() -> Iterator[bytes]:
        yield first
        yield from it

    decoder = _Decoder(ctx)
    if first[0] == 0x0A:
        yield from decoder.message(b"".join(replay()), None)
        return
    messages = iter_otlp_proto_messages(replay(), source=ctx.source)
    number = 0
    while True:
        try:
            data = next(messages)
        except StopIteration:
            return
        except DecodeError as exc:
            ctx.bad(exc)
            return
        number += 1
        yield from decoder.message(data, f"message {number}")


# Kept attributes of one raw attribute list, and the error verdict per span kind for spans
# without a status: ``None`` when no attribute bears on errors, else filled per kind on first use
# (:func:`is_error_span` depends on nothing else).
_AttrSet = tuple[dict[str, AttrValue], dict[SpanKind, bool] | None]


def _verdict(attrs: dict[str, AttrValue], verdicts: dict[SpanKind, bool], kind: SpanKind) -> bool:
    verdict = verdicts[kind] = is_error_span("unset", kind, attrs)
    return verdict


class _Decoder:
    """Per-decode state: the running span number and caches of repeated attribute values.

    Spans of one kind of request carry the same few attribute encodings over and over, so the
    kept attributes are looked up once per distinct *list* of raw attributes (its encoding, one
    ``bytes``), and the error verdict once per such list and span kind. The dicts in the cache
    are shared by every span with that list: spans are treated as immutable after decoding.
    Operation names and trace ids are shared strings too. Caches are emptied when full, so
    memory stays bounded however many distinct values pass.
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.counter = 0
        self.values: dict[bytes, dict[str, AttrValue]] = {}
        self.attr_sets: dict[bytes, _AttrSet] = {}
        self.statuses: dict[bytes, StatusCode] = {}
        self.names: dict[str, str] = {}
        self.trace_ids: dict[bytes, str] = {}

    def message(self, data: bytes, record: str | None) -> Iterator[list[Span]]:
        try:
            request = LiteRequest.FromString(data)
        except ProtoDecodeError:
            yield from self._message_careful(data, record)
            return
        careful: Any = None  # the careful schema's parse of ``data``, made when first needed
        batch: list[Span] = []
        for ri, field, si, path, service, scope in self._scopes(request, record):
            spans = scope.spans
            first = self.counter
            self.counter += len(spans)
            try:
                self._fast(spans, service, batch)
            except (_Slow, IndexError, ProtoDecodeError):
                if careful is None:
                    careful = CarefulRequest.FromString(data)
                slow = getattr(careful.resource_spans[ri], field)[si].spans
                self._careful(slow, service, path, record, first, batch)
            if len(batch) >= BATCH_SIZE:
                yield batch
                batch = []
        if batch:
            yield batch

    def _message_careful(self, data: bytes, record: str | None) -> Iterator[list[Span]]:
        try:
            request = CarefulRequest.FromString(data)
        except ProtoDecodeError as exc:
            what = "not a valid ExportTraceServiceRequest (truncated or corrupt)"
            self.ctx.bad(self.ctx.error(f"{what}: {exc}", record=record or "message"))
            return
        batch: list[Span] = []
        for _, _, _, path, service, scope in self._scopes(request, record):
            first = self.counter
            self.counter += len(scope.spans)
            self._careful(scope.spans, service, path, record, first, batch)
        if batch:
            yield batch

    def _scopes(self, request: Any, record: str | None) -> Iterator[_Scope]:
        """Every ScopeSpans of ``request`` under a resource that decodes (others are reported)."""
        for ri, rs in enumerate(request.resource_spans):
            path = f"resourceSpans[{ri}]"
            try:
                service = _service(rs.resource)
            except _Bad as bad:
                where = f"{path}.{bad.field}"
                self.ctx.bad(self.ctx.error(bad.message, record=record or path, field=where))
                continue
            for key, field in _SCOPE_FIELDS:
                for si, scope in enumerate(getattr(rs, field)):
                    yield ri, field, si, f"{path}.{key}[{si}]", service, scope

    def _fast(self, spans: Any, service: str, batch: list[Span]) -> None:
        out: list[Span] = []
        append = out.append
        sets_get = self.attr_sets.get
        statuses_get = self.statuses.get
        names = self.names
        names_get = names.get
        kinds_get = _KIND.get
        zero_trace = _ZERO_TRACE
        zero_span = _ZERO_SPAN
        max_ns = MAX_UNIX_NS
        # One string per open trace id, shared by its spans: an allocation saved per span, and
        # the assembler's lookups by trace id reuse its cached hash.
        tids = self.trace_ids
        tids_get = tids.get
        for s in spans:
            tid = s.trace_id
            trace_id = tids_get(tid)
            if trace_id is None:
                if len(tid) != 16 or tid == zero_trace:
                    raise _Slow
                if len(tids) >= _CACHE_LIMIT:
                    tids.clear()
                tids[tid] = trace_id = tid.hex()
            sid = s.span_id
            pid = s.parent_span_id
            start = s.start_time_unix_nano
            end = s.end_time_unix_nano
            # fixed64 times may exceed int64: the careful loop names the field.
            if len(sid) != 8 or not start or end < start or end > max_ns or sid == zero_span or (
                pid and len(pid) != 8
            ):
                raise _Slow
            # A few operation names repeat across all spans: share one string per name (one
            # object fewer per span to allocate and free, and its hash is computed once).
            name = s.name
            shared = names_get(name)
            if shared is None:
                if len(names) >= _CACHE_LIMIT:
                    names.clear()
                names[name] = shared = name
            raw_attrs = s.attributes.SerializeToString()
            found = sets_get(raw_attrs)
            if found is None:
                found = self._attr_set(raw_attrs)
            attrs, verdicts = found
            raw_status = s.status
            kind = kinds_get(s.kind, "unspecified")
            status: StatusCode = (
                (statuses_get(raw_status) or self._status(raw_status)) if raw_status else "unset"
            )
            if status != "unset":
                failed = status == "error"
            elif verdicts is None:
                failed = False
            else:
                verdict = verdicts.get(kind)
                failed = verdict if verdict is not None else _verdict(attrs, verdicts, kind)
            append(
                Span(
                    trace_id,
                    sid.hex(),
                    pid.hex() if pid and pid != zero_span else None,
                    service,
                    shared,
                    kind,
                    start,
                    end,
                    status,
                    failed,
                    attrs,
                )
            )
        batch.extend(out)

    def _attr_set(self, blob: bytes) -> _AttrSet:
        """The kept attributes of one span's attribute blob; raises :class:`_Slow` on odd input.

        The blob is the span's ``KeyValue`` bodies back to back (see :mod:`._otlp_lite`). Each is
        expected as its key (field 1) then, unless empty, its value (field 2), the order every
        encoder writes; anything else is left to the careful loop, which reads each attribute.
        """
        prefix_get = _PREFIX.get
        values_get = self.values.get
        attrs: dict[str, AttrValue] = {}
        pos = 0
        size = len(blob)
        while pos < size:
            start = pos
            if blob[pos] != 0x0A:
                raise _Slow
            key_end = _skip(blob, pos + 1)
            pos = key_end
            if pos < size and blob[pos] == 0x12:
                pos = _skip(blob, pos + 1)
            if pos > size:
                raise _Slow
            if prefix_get(blob[start:key_end]) is not None:
                kv = blob[start:pos]
                found = values_get(kv)
                if found is None:
                    found = self._value(kv)
                if found:
                    attrs.update(found)
        entry: _AttrSet = (attrs, None if _ERROR_KEYS.isdisjoint(attrs) else {})
        if len(self.attr_sets) >= _SET_CACHE_LIMIT:
            self.attr_sets.clear()
        self.attr_sets[blob] = entry
        return entry

    def _value(self, kv: bytes) -> dict[str, AttrValue]:
        parsed = common_pb2.KeyValue.FromString(kv)
        found: dict[str, AttrValue] = {}
        _collect([parsed], "", KEPT_ATTRIBUTES, KEPT_PARENTS, found)
        if len(self.values) >= _CACHE_LIMIT:
            self.values.clear()
        self.values[kv] = found
        return found

    def _status(self, raw: bytes) -> StatusCode:
        code = int(trace_pb2.Status.FromString(raw).code)
        status: StatusCode = (
            STATUS_BY_NUMBER[code] if 0 <= code < len(STATUS_BY_NUMBER) else "unset"
        )
        if len(self.statuses) < _CACHE_LIMIT:
            self.statuses[raw] = status
        return status

    def _careful(
        self, spans: Any, service: str, path: str, record: str | None, first: int, batch: list[Span]
    ) -> None:
        for pi, s in enumerate(spans):
            try:
                batch.append(_span_careful(s, service))
            except _Bad as bad:
                field = f"{path}.spans[{pi}].{bad.field}"
                self.ctx.bad(self.ctx.error(bad.message, record=record or first + pi, field=field))


def _skip(data: bytes, pos: int) -> int:
    """The end of the length-delimited field whose length varint starts at ``pos``."""
    length = 0
    shift = 0
    while True:
        byte = data[pos]  # IndexError past the end: the fast loop hands over to the careful one
        pos += 1
        length |= (byte & 0x7F) << shift
        if byte < 0x80:
            return pos + length
        shift += 7
        if shift > 63:
            raise _Slow


def _span_careful(s: Any, service: str) -> Span:
    trace_id = _id(s.trace_id, 16, "traceId")
    span_id = _id(s.span_id, 8, "spanId")
    parent = s.parent_span_id
    parent_id = None if not parent or parent == _ZERO_SPAN else _id(parent, 8, "parentSpanId")
    start = s.start_time_unix_nano
    end = s.end_time_unix_nano
    if not start:
        raise _Bad("missing (zero)", "startTimeUnixNano")
    if start > MAX_UNIX_NS:
        raise _Bad(too_late(start), "startTimeUnixNano")
    if end < start:
        raise _Bad(f"the span ends ({end}) before it starts ({start})", "endTimeUnixNano")
    if end > MAX_UNIX_NS:
        raise _Bad(too_late(end), "endTimeUnixNano")
    attrs: dict[str, AttrValue] = {}
    for ai, kv in enumerate(s.attributes):
        try:
            parsed = common_pb2.KeyValue.FromString(kv)
        except ProtoDecodeError as exc:
            raise _Bad(f"not a valid KeyValue: {exc}", f"attributes[{ai}]") from exc
        _collect([parsed], "", KEPT_ATTRIBUTES, KEPT_PARENTS, attrs)
    status: StatusCode = "unset"
    if s.status:
        try:
            code = trace_pb2.Status.FromString(s.status).code
        except ProtoDecodeError as exc:
            raise _Bad(f"not a valid Status: {exc}", "status") from exc
        status = STATUS_BY_NUMBER[code] if 0 <= code < len(STATUS_BY_NUMBER) else "unset"
    kind = _KIND.get(s.kind, "unspecified")
    return Span(
        trace_id,
        span_id,
        parent_id,
        service,
        s.name,
        kind,
        start,
        end,
        status,
        is_error_span(status, kind, attrs),
        attrs,
    )


def _id(raw: bytes, nbytes: int, field: str) -> str:
    if not raw:
        raise _Bad("missing", field)
    if len(raw) != nbytes:
        raise _Bad(f"expected {nbytes} bytes, got {len(raw)}", field)
    if raw.count(0) == nbytes:
        raise _Bad("all zeros (an invalid id)", field)
    return raw.hex()


def _service(raw: bytes) -> str:
    if not raw:
        return service_from_resource({})
    try:
        resource = resource_pb2.Resource.FromString(raw)
    except ProtoDecodeError as exc:
        raise _Bad(f"not a valid Resource: {exc}", "resource") from exc
    attrs: dict[str, AttrValue] = {}
    _collect(resource.attributes, "", RESOURCE_KEYS, RESOURCE_PARENTS, attrs)
    return service_from_resource(attrs)


def _collect(
    items: Iterable[Any],
    prefix: str,
    wanted: frozenset[str],
    parents: frozenset[str],
    out: dict[str, AttrValue],
) -> None:
    for kv in items:
        key = prefix + kv.key
        if key in wanted:
            value = _scalar(kv.value)
            if value is not None:
                out[key] = value
        elif key in parents and kv.value.WhichOneof("value") == "kvlist_value":
            _collect(kv.value.kvlist_value.values, key + ".", wanted, parents, out)


def _scalar(value: Any) -> AttrValue | None:
    which = value.WhichOneof("value")
    if which is None or which == "kvlist_value":
        return None
    if which == "array_value":
        parts = (_scalar(item) for item in value.array_value.values)
        return ",".join(_text(p) for p in parts if p is not None)
    if which == "bytes_value":
        return bytes(value.bytes_value).hex()
    result: AttrValue = getattr(value, which)
    return result


def _text(value: AttrValue) -> str:
    if type(value) is bool:
        return "true" if value else "false"
    return str(value)
