"""Jaeger query-API JSON (``/api/traces``): ``{"data": [trace, ...]}``, ``{"data": trace}``, or
a bare trace object, where a trace is ``{traceID, spans, processes}``.

- parent: the first ``CHILD_OF`` reference, else the first ``FOLLOWS_FROM`` (both within the
  span's own trace), else the legacy ``parentSpanID`` field;
- service: the span's process ``serviceName`` (``processID`` into ``processes``, or an inline
  ``process``);
- kind from the ``span.kind`` tag, status from ``otel.status_code``; ``error`` and the kept
  semantic-convention tags become attributes;
- ``startTime`` and ``duration`` are microseconds.

Ids that are not hex (Jaeger UI's fixtures use ``trace-123`` and ``span-1``) are mapped to a
stable hex id by hashing (see :mod:`._ids`), consistently for spans and references.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final

import orjson

from slo_scout.core.telemetry._context import Context
from slo_scout.core.telemetry._fields import (
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
from slo_scout.core.telemetry._ids import SPAN_BYTES, TRACE_BYTES, derived_id, hex_id
from slo_scout.core.telemetry.model import (
    KEPT_ATTRIBUTES,
    AttrValue,
    Span,
    SpanKind,
    StatusCode,
    is_error_span,
)

BATCH_SIZE: Final = 4096
_US: Final = 1000


def decode_jaeger(chunks: Iterable[bytes], ctx: Context) -> Iterator[list[Span]]:
    try:
        doc = orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:
        ctx.bad(ctx.error(f"not valid JSON: {exc}", record="document"))
        return
    traces: list[tuple[str, Any]]
    if type(doc) is dict and "data" in doc:
        data = doc["data"]
        if type(data) is list:
            traces = [(f"data[{i}]", t) for i, t in enumerate(data)]
        elif type(data) is dict:
            traces = [("data", data)]
        else:
            errors = doc.get("errors")
            detail = f": {str(errors)[:200]}" if errors else ""
            ctx.bad(ctx.error(f"no traces in 'data'{detail}", record="document", field="data"))
            return
    elif type(doc) is dict:
        traces = [("", doc)]
    else:
        ctx.bad(ctx.error("expected a JSON object with 'data' or a trace", record="document"))
        return
    counter = 0
    batch: list[Span] = []
    for path, trace in traces:
        spans = _trace_spans(trace)
        if isinstance(spans, FieldError):
            ctx.bad(
                ctx.error(
                    spans.message, record=path or "trace", field=join_field(path, spans.field)
                )
            )
            continue
        processes = trace.get("processes") or {}
        for si, raw in enumerate(spans):
            try:
                batch.append(_span(raw, processes))
            except FieldError as bad:
                field = join_field(f"{join_field(path, 'spans')}[{si}]", bad.field)
                ctx.bad(ctx.error(bad.message, record=counter, field=field))
            counter += 1
            if len(batch) >= BATCH_SIZE:
                yield batch
                batch = []
    if batch:
        yield batch


def _trace_spans(trace: Any) -> list[Any] | FieldError:
    if type(trace) is not dict:
        return FieldError("expected a trace object", "")
    spans = trace.get("spans")
    if type(spans) is not list:
        return FieldError("expected a list of spans", "spans")
    processes = trace.get("processes")
    if processes is not None and type(processes) is not dict:
        return FieldError("expected an object", "processes")
    return spans


def jaeger_id(value: Any, nbytes: int, field: str) -> str:
    if value is None or value == "":
        raise FieldError("missing", field)
    if type(value) is not str:
        raise FieldError("expected a string", field)
    return hex_id(value, nbytes) or derived_id(value, nbytes)


def _span(raw: Any, processes: dict[str, Any]) -> Span:
    if type(raw) is not dict:
        raise FieldError("expected a span object", "")
    trace_id = jaeger_id(raw.get("traceID"), TRACE_BYTES, "traceID")
    span_id = jaeger_id(raw.get("spanID"), SPAN_BYTES, "spanID")
    parent_id = _parent(raw, trace_id)
    name = raw.get("operationName", "")
    if type(name) is not str:
        raise FieldError("expected a string", "operationName")
    start = _micros(raw.get("startTime"), "startTime")
    duration = _micros(raw.get("duration", 0), "duration")
    if start <= 0:
        raise FieldError(
            f"must be a positive Unix time in microseconds, got {raw.get('startTime')}", "startTime"
        )
    if duration < 0:
        raise FieldError(f"negative duration {raw.get('duration')}", "duration")
    if start > MAX_UNIX_NS:
        raise FieldError(too_late(start), "startTime")
    if start + duration > MAX_UNIX_NS:
        raise FieldError(too_late(start + duration), "duration")
    service = _service(raw, processes)
    kind: SpanKind = "unspecified"
    status: StatusCode = "unset"
    attrs: dict[str, AttrValue] = {}
    tags = raw.get("tags") or []
    if type(tags) is not list:
        raise FieldError("expected a list", "tags")
    for ti, tag in enumerate(tags):
        if type(tag) is not dict or type(tag.get("key")) is not str:
            raise FieldError("expected a tag object with a string key", f"tags[{ti}]")
        key = tag["key"]
        if key == "span.kind":
            kind = as_kind(tag.get("value")) or "unspecified"
        elif key == "otel.status_code":
            status = as_status(tag.get("value")) or "unset"
        if key in KEPT_ATTRIBUTES:
            value = _tag_value(tag, f"tags[{ti}].value")
            if value is not None:
                attrs[key] = value
    return Span(
        trace_id,
        span_id,
        parent_id,
        service,
        name,
        kind,
        start,
        start + duration,
        status,
        is_error_span(status, kind, attrs),
        attrs,
    )


def _parent(raw: dict[str, Any], trace_id: str) -> str | None:
    refs = raw.get("references") or []
    if type(refs) is not list:
        raise FieldError("expected a list", "references")
    chosen: dict[str, str | None] = {}
    for ri, ref in enumerate(refs):
        if type(ref) is not dict:
            raise FieldError("expected a reference object", f"references[{ri}]")
        ref_type = ref.get("refType", "CHILD_OF")
        if type(ref_type) is not str:
            raise FieldError("expected a string", f"references[{ri}].refType")
        ref_trace = ref.get("traceID")
        if (
            ref_trace is not None
            and jaeger_id(ref_trace, TRACE_BYTES, f"references[{ri}].traceID") != trace_id
        ):
            continue  # a link to another trace, not a parent
        if ref_type not in chosen:
            chosen[ref_type] = jaeger_id(ref.get("spanID"), SPAN_BYTES, f"references[{ri}].spanID")
    parent = chosen.get("CHILD_OF") or chosen.get("FOLLOWS_FROM")
    if parent is None:
        legacy = raw.get("parentSpanID")
        if type(legacy) is str and legacy.strip("0"):
            parent = jaeger_id(legacy, SPAN_BYTES, "parentSpanID")
    return parent


def _micros(value: Any, field: str) -> int:
    return required_int(value, field) * _US


def _service(raw: dict[str, Any], processes: dict[str, Any]) -> str:
    process = raw.get("process")
    field = "process"
    if process is None:
        pid = raw.get("processID")
        if type(pid) is not str or pid not in processes:
            raise FieldError(f"unknown process {pid!r}", "processID")
        process = processes[pid]
        field = f"processes.{pid}"
    if type(process) is not dict or type(process.get("serviceName")) is not str:
        raise FieldError("expected a process with a serviceName", field)
    return process["serviceName"] or "unknown_service"


def _tag_value(tag: dict[str, Any], field: str) -> AttrValue | None:
    value = tag.get("value")
    kind = str(tag.get("type", "string")).lower()
    if value is None:
        return None
    if kind == "int64":
        number = as_int(value)
        if number is None:
            raise FieldError(f"not an integer: {str(value)[:48]!r}", field)
        return int64(number, field)
    if kind == "bool" and type(value) is str:
        return value.lower() == "true"
    if type(value) is int:
        return int64(value, field)
    if type(value) in (str, float, bool):
        result: AttrValue = value
        return result
    raise FieldError(f"expected a scalar, got {type(value).__name__}", field)
