"""OTLP/JSON traces: one ``ExportTraceServiceRequest`` document, or JSON Lines of them.

Accepted beyond the letter of the spec, because real exporters write it:

- ids in hex (the spec) or base64 (protobuf's generic JSON mapping, used by some exporters);
- enums as numbers (``2``) or names (``"SPAN_KIND_SERVER"``, ``"STATUS_CODE_ERROR"``);
- 64-bit integers as strings or numbers;
- ``scopeSpans`` or the legacy ``instrumentationLibrarySpans``;
- ``resourceSpans``, Tempo's ``batches``, and the ``result``/``trace`` wrappers of the Jaeger v3
  and Tempo v2 query APIs;
- JSON Lines, as the collector's ``fileexporter`` writes them: one request per line, decoded
  line by line so memory stays bounded.

Only :data:`KEPT_ATTRIBUTES` are kept; a ``kvlistValue`` is flattened into dotted keys first
(``{"http": {"route": ...}}`` -> ``http.route``) and an ``arrayValue`` becomes its items joined
with commas. Attributes that are not kept are not validated.
"""

from __future__ import annotations

import base64
import binascii
import itertools
from collections.abc import Iterable, Iterator
from typing import Any, Final

import orjson

from slo_scout.core.telemetry._context import Context
from slo_scout.core.telemetry._fields import (
    KEPT_PARENTS,
    MAX_UNIX_NS,
    FieldError,
    as_int,
    as_kind,
    as_status,
    int64,
    join_field,
    required_int,
    too_late,
)
from slo_scout.core.telemetry._ids import SPAN_BYTES, TRACE_BYTES, base64_id, hex_id
from slo_scout.core.telemetry._stream import first_line, iter_lines
from slo_scout.core.telemetry.model import (
    KEPT_ATTRIBUTES,
    AttrValue,
    Span,
    StatusCode,
    is_error_span,
    service_from_resource,
)

# The resource keys service_from_resource reads; nothing else of a resource is kept.
RESOURCE_KEYS: Final = frozenset(
    {
        "service.name",
        "k8s.deployment.name",
        "k8s.statefulset.name",
        "k8s.daemonset.name",
        "k8s.pod.name",
        "process.executable.name",
        "host.name",
    }
)
RESOURCE_PARENTS: Final = frozenset(
    key.rsplit(".", n)[0] for key in RESOURCE_KEYS for n in range(1, key.count(".") + 1)
)
BATCH_SIZE: Final = 4096
_WRAPPERS: Final = ("result", "trace")
_ZERO_PARENTS: Final = frozenset({"0" * 16, "AAAAAAAAAAA=", "AAAAAAAAAAA"})
_DOUBLE_WORDS: Final = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def decode_otlp_json(chunks: Iterable[bytes], ctx: Context) -> Iterator[list[Span]]:
    line, stream = first_line(chunks)
    try:
        lines_mode = isinstance(orjson.loads(line), dict) if line.strip() else False
    except orjson.JSONDecodeError:
        lines_mode = False  # a pretty-printed document: its first line is not JSON on its own
    if lines_mode:
        yield from _decode_lines(stream, ctx)
        return
    body = b"".join(stream)
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        ctx.bad(ctx.error(f"not valid JSON: {exc}", record=0))
        return
    yield from _batched(_request(doc, ctx, None, [0]))


def _nonblank(stream: Iterator[bytes]) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(iter_lines(stream), start=1):
        if line.strip():
            yield number, line


def _decode_lines(stream: Iterator[bytes], ctx: Context) -> Iterator[list[Span]]:
    lines = _nonblank(stream)
    first = next(lines, None)
    second = next(lines, None)
    if first is None:
        return
    counter = [0]
    if second is None:
        # One line is one document: name spans by their number, as for a pretty-printed file.
        yield from _batched(_request(orjson.loads(first[1]), ctx, None, counter))
        return
    batch: list[Span] = []
    for number, line in itertools.chain((first, second), lines):
        record = f"line {number}"
        try:
            doc = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            ctx.bad(ctx.error(f"not valid JSON: {exc}", record=record))
            continue
        for spans in _request(doc, ctx, record, counter):
            batch.extend(spans)
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _batched(groups: Iterator[list[Span]]) -> Iterator[list[Span]]:
    batch: list[Span] = []
    for spans in groups:
        batch.extend(spans)
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _request(
    doc: Any, ctx: Context, record: str | None, counter: list[int]
) -> Iterator[list[Span]]:
    """Spans of one request, a list per ResourceSpans; bad spans go to ``ctx.bad``."""
    where = record if record is not None else "document"
    if type(doc) is not dict:
        ctx.bad(ctx.error("expected a JSON object (an ExportTraceServiceRequest)", record=where))
        return
    for wrapper in _WRAPPERS:
        if "resourceSpans" not in doc and type(doc.get(wrapper)) is dict:
            doc = doc[wrapper]
    key = "resourceSpans" if "resourceSpans" in doc else "batches" if "batches" in doc else None
    if key is None:
        ctx.bad(
            ctx.error("no resourceSpans (nor Tempo batches)", record=where, field="resourceSpans")
        )
        return
    resource_spans = doc[key]
    if resource_spans is None:
        return
    if type(resource_spans) is not list:
        ctx.bad(ctx.error("expected a list", record=where, field=key))
        return
    for ri, rs in enumerate(resource_spans):
        yield _resource_spans(rs, f"{key}[{ri}]", ctx, record, counter)


def _resource_spans(
    rs: Any, path: str, ctx: Context, record: str | None, counter: list[int]
) -> list[Span]:
    out: list[Span] = []
    try:
        if type(rs) is not dict:
            raise FieldError("expected an object", "")
        service = _service(rs.get("resource"))
        scope_key = "scopeSpans" if "scopeSpans" in rs else "instrumentationLibrarySpans"
        scopes = _list(rs.get(scope_key), scope_key)
    except FieldError as bad:
        ctx.bad(ctx.error(bad.message, record=record or path, field=join_field(path, bad.field)))
        return out
    for si, scope in enumerate(scopes):
        scope_path = f"{path}.{scope_key}[{si}]"
        try:
            if type(scope) is not dict:
                raise FieldError("expected an object", "")
            spans = _list(scope.get("spans"), "spans")
        except FieldError as bad:
            ctx.bad(
                ctx.error(
                    bad.message,
                    record=record or scope_path,
                    field=join_field(scope_path, bad.field),
                )
            )
            continue
        for pi, raw in enumerate(spans):
            index = counter[0]
            counter[0] += 1
            try:
                out.append(_span(raw, service))
            except FieldError as bad:
                field = join_field(f"{scope_path}.spans[{pi}]", bad.field)
                ctx.bad(ctx.error(bad.message, record=record or index, field=field))
    return out


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if type(value) is not list:
        raise FieldError("expected a list", field)
    return value


def _service(resource: Any) -> str:
    if resource is None:
        return service_from_resource({})
    if type(resource) is not dict:
        raise FieldError("expected an object", "resource")
    attrs = _attributes(
        resource.get("attributes"), RESOURCE_KEYS, RESOURCE_PARENTS, "resource.attributes"
    )
    return service_from_resource(attrs)


def _span(raw: Any, service: str) -> Span:
    if type(raw) is not dict:
        raise FieldError("expected a span object", "")
    trace_id = _id(raw.get("traceId"), TRACE_BYTES, "traceId")
    span_id = _id(raw.get("spanId"), SPAN_BYTES, "spanId")
    parent = raw.get("parentSpanId")
    # An all-zero parent is how some SDKs spell "no parent".
    parent_id = (
        None
        if not parent or (type(parent) is str and parent in _ZERO_PARENTS)
        else _id(parent, SPAN_BYTES, "parentSpanId")
    )
    name = raw.get("name", "")
    if type(name) is not str:
        raise FieldError("expected a string", "name")
    kind = as_kind(raw.get("kind", 0))
    if kind is None:
        raise FieldError(f"unknown span kind {raw.get('kind')!r}", "kind")
    start = _time(raw.get("startTimeUnixNano"), "startTimeUnixNano")
    end = _time(raw.get("endTimeUnixNano"), "endTimeUnixNano")
    if end < start:
        raise FieldError(f"the span ends ({end}) before it starts ({start})", "endTimeUnixNano")
    status: StatusCode = "unset"
    raw_status = raw.get("status")
    if raw_status is not None:
        if type(raw_status) is not dict:
            raise FieldError("expected an object", "status")
        code = as_status(raw_status.get("code", 0))
        if code is None:
            raise FieldError(f"unknown status code {raw_status.get('code')!r}", "status.code")
        status = code
    attrs = _attributes(raw.get("attributes"), KEPT_ATTRIBUTES, KEPT_PARENTS, "attributes")
    return Span(
        trace_id,
        span_id,
        parent_id,
        service,
        name,
        kind,
        start,
        end,
        status,
        is_error_span(status, kind, attrs),
        attrs,
    )


def _id(value: Any, nbytes: int, field: str) -> str:
    if value is None or value == "":
        raise FieldError("missing", field)
    if type(value) is not str:
        raise FieldError("expected a string", field)
    out = hex_id(value, nbytes) if len(value) == 2 * nbytes else base64_id(value, nbytes)
    if out is None:
        raise FieldError(
            f"not a {nbytes}-byte id in hex or base64 (or all zeros): {value[:48]!r}", field
        )
    return out


def _time(value: Any, field: str) -> int:
    number = required_int(value, field)
    if number <= 0:
        raise FieldError(f"must be a positive Unix time in nanoseconds, got {number}", field)
    if number > MAX_UNIX_NS:
        raise FieldError(too_late(number), field)
    return number


def _attributes(
    items: Any, wanted: frozenset[str], parents: frozenset[str], path: str
) -> dict[str, AttrValue]:
    out: dict[str, AttrValue] = {}
    if items is None:
        return out
    if type(items) is not list:
        raise FieldError("expected a list", path)
    _collect(items, "", wanted, parents, path, out)
    return out


def _collect(
    items: list[Any],
    prefix: str,
    wanted: frozenset[str],
    parents: frozenset[str],
    path: str,
    out: dict[str, AttrValue],
) -> None:
    for i, kv in enumerate(items):
        if type(kv) is not dict or type(kv.get("key")) is not str:
            raise FieldError("expected an object with a string key", f"{path}[{i}]")
        key = prefix + kv["key"]
        if key in wanted:
            value = _any(kv.get("value"), f"{path}[{i}].value")
            if value is not None:
                out[key] = value
        elif key in parents:
            value = kv.get("value")
            if type(value) is dict and type(value.get("kvlistValue")) is dict:
                nested = _list(
                    value["kvlistValue"].get("values"), f"{path}[{i}].value.kvlistValue.values"
                )
                _collect(
                    nested, key + ".", wanted, parents, f"{path}[{i}].value.kvlistValue.values", out
                )


def _any(value: Any, path: str) -> AttrValue | None:
    """A scalar from an AnyValue; ``None`` for an empty one or a kvlist (it has no scalar)."""
    if value is None:
        return None
    if type(value) is not dict:
        raise FieldError("expected an AnyValue object", path)
    if "stringValue" in value:
        text = value["stringValue"]
        if type(text) is not str:
            raise FieldError("expected a string", f"{path}.stringValue")
        return text
    if "intValue" in value:
        number = as_int(value["intValue"])
        if number is None:
            raise FieldError(f"not an integer: {str(value['intValue'])[:48]!r}", f"{path}.intValue")
        return int64(number, f"{path}.intValue")
    if "boolValue" in value:
        flag = value["boolValue"]
        if type(flag) is not bool:
            raise FieldError("expected true or false", f"{path}.boolValue")
        return flag
    if "doubleValue" in value:
        return _double(value["doubleValue"], f"{path}.doubleValue")
    if "arrayValue" in value:
        array = value["arrayValue"]
        if type(array) is not dict:
            raise FieldError("expected an object", f"{path}.arrayValue")
        items = _list(array.get("values"), f"{path}.arrayValue.values")
        parts = [_any(item, f"{path}.arrayValue.values[{i}]") for i, item in enumerate(items)]
        return ",".join(_text(p) for p in parts if p is not None)
    if "bytesValue" in value:
        data = value["bytesValue"]
        try:
            return base64.b64decode(data, validate=True).hex()
        except (TypeError, ValueError, binascii.Error) as exc:
            raise FieldError("expected a base64 string", f"{path}.bytesValue") from exc
    return None


def _double(raw: Any, path: str) -> float:
    if type(raw) in (int, float):
        return float(raw)
    if type(raw) is str:
        if raw in _DOUBLE_WORDS:
            return _DOUBLE_WORDS[raw]
        try:
            return float(raw)
        except ValueError:
            pass
    raise FieldError(f"not a number: {str(raw)[:48]!r}", path)


def _text(value: AttrValue) -> str:
    if type(value) is bool:
        return "true" if value else "false"
    return str(value)
