"""CSV span tables, one span per row, with a header row and a column mapping.

:class:`CsvColumns` says which column holds which span field. The TrainTicket recordings
(``TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration``)
are recognised from their header; other tables need a mapping. The service comes from a service
column, or from a Kubernetes pod name column through :func:`service_from_pod`. Columns named like
a kept attribute (``http.route``, ``http.status_code``...) become attributes. Rows are read one
at a time, so memory stays bounded.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry._context import Context
from slo_scout.core.telemetry._fields import MAX_UNIX_NS, as_int, as_kind, as_status, too_late
from slo_scout.core.telemetry._ids import SPAN_BYTES, TRACE_BYTES, hex_id
from slo_scout.core.telemetry.model import (
    KEPT_ATTRIBUTES,
    AttrValue,
    Span,
    SpanKind,
    StatusCode,
    is_error_span,
    service_from_pod,
)

BATCH_SIZE: Final = 4096


@dataclass(frozen=True)
class CsvColumns:
    """Column names for each span field; ``None`` where the table has no such column.

    ``start_ns``/``end_ns`` columns hold times in units of ``time_unit_ns`` nanoseconds (1: Unix
    nanoseconds); ``duration`` in units of ``duration_unit_ns`` (default microseconds) and is
    used only when there is no end column. A parent cell that is empty or equals
    ``root_marker`` means "no parent".
    """

    trace_id: str
    span_id: str
    parent_id: str
    name: str
    start_ns: str
    end_ns: str | None = None
    duration: str | None = None
    service: str | None = None
    pod: str | None = None
    kind: str | None = None
    status: str | None = None
    root_marker: str | None = None
    time_unit_ns: int = 1
    duration_unit_ns: int = 1000

    def __post_init__(self) -> None:
        if self.service is None and self.pod is None:
            raise ValueError("a CSV mapping needs a service column or a pod name column")
        if self.end_ns is None and self.duration is None:
            raise ValueError("a CSV mapping needs an end time column or a duration column")
        if self.time_unit_ns <= 0 or self.duration_unit_ns <= 0:
            raise ValueError("time units must be positive")

    @classmethod
    def trainticket(cls) -> CsvColumns:
        """The TrainTicket recordings: pod names, ``root`` as the root span's parent."""
        return cls(
            trace_id="TraceID",
            span_id="SpanID",
            parent_id="ParentID",
            pod="PodName",
            name="OperationName",
            start_ns="StartTimeUnixNano",
            end_ns="EndTimeUnixNano",
            duration="Duration",
            root_marker="root",
        )

    def required(self) -> list[str]:
        named = [self.trace_id, self.span_id, self.parent_id, self.name, self.start_ns]
        optional = (self.end_ns, self.duration, self.service, self.pod, self.kind, self.status)
        return named + [column for column in optional if column is not None]


_TRAINTICKET_HEADER: Final = tuple(
    c for c in CsvColumns.trainticket().required() if c != "Duration"
)


def detect_columns(header: list[str]) -> CsvColumns | None:
    """The mapping a known header implies (TrainTicket), or ``None``."""
    if set(_TRAINTICKET_HEADER) <= {h.strip() for h in header}:
        return CsvColumns.trainticket()
    return None


def _text_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    for chunk in chunks:
        # Split on "\n" only: str.splitlines would also split on characters a quoted cell may hold.
        lines = (pending + decoder.decode(chunk)).split("\n")
        pending = lines.pop()
        for line in lines:
            yield line + "\n"
    tail = pending + decoder.decode(b"", final=True)
    if tail:
        yield tail


def decode_csv(
    chunks: Iterable[bytes], ctx: Context, columns: CsvColumns | None
) -> Iterator[list[Span]]:
    reader = csv.reader(_text_lines(chunks), strict=True)
    try:
        header = next(reader, None)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ctx.error(f"unreadable CSV header: {exc}", record="line 1") from exc
    if header is None:
        return
    mapping = columns or detect_columns(header)
    if mapping is None:
        raise ctx.error(
            f"the header {','.join(header)[:200]!r} is not a known span table; "
            "pass a column mapping (CsvColumns)",
            record="line 1",
        )
    where = {name.strip(): i for i, name in enumerate(header)}
    for column in mapping.required():
        if column not in where:
            raise ctx.error("the header has no such column", record="line 1", field=column)
    row_of = _RowDecoder(mapping, where)
    batch: list[Span] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except (csv.Error, UnicodeDecodeError) as exc:
            ctx.bad(ctx.error(f"unreadable CSV: {exc}", record=f"line {reader.line_num}"))
            if isinstance(exc, UnicodeDecodeError):
                break  # the decoder cannot resynchronise: stop rather than misread the rest
            continue
        if not row or row == [""]:
            continue
        try:
            batch.append(row_of(row))
        except DecodeError as exc:
            exc_with_place = ctx.error(
                exc.reason, record=f"line {reader.line_num}", field=exc.field
            )
            ctx.bad(exc_with_place)
            continue
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


class _RowDecoder:
    def __init__(self, columns: CsvColumns, where: dict[str, int]) -> None:
        self.c = columns
        self.where = where
        self.attributes = [(name, i) for name, i in where.items() if name in KEPT_ATTRIBUTES]

    def cell(self, row: list[str], column: str) -> str:
        index = self.where[column]
        if index >= len(row):
            raise DecodeError("the row has no such cell (too few columns)", field=column)
        return row[index].strip()

    def id(self, row: list[str], column: str, nbytes: int) -> str:
        value = self.cell(row, column)
        out = hex_id(value, nbytes)
        if out is None:
            problem = "missing" if not value else f"not a hex id (or all zeros): {value[:48]!r}"
            raise DecodeError(problem, field=column)
        return out

    def number(self, row: list[str], column: str) -> int:
        value = self.cell(row, column)
        number = as_int(value)
        if number is None:
            raise DecodeError(f"not an integer: {value[:48]!r}", field=column)
        return number

    def __call__(self, row: list[str]) -> Span:
        c = self.c
        trace_id = self.id(row, c.trace_id, TRACE_BYTES)
        span_id = self.id(row, c.span_id, SPAN_BYTES)
        parent_cell = self.cell(row, c.parent_id)
        parent_id = None
        if parent_cell and parent_cell != c.root_marker:
            parent_id = self.id(row, c.parent_id, SPAN_BYTES)
        start = self.number(row, c.start_ns) * c.time_unit_ns
        if start <= 0:
            raise DecodeError("must be a positive Unix time", field=c.start_ns)
        if c.end_ns is not None:
            end = self.number(row, c.end_ns) * c.time_unit_ns
            end_column = c.end_ns
        else:
            assert c.duration is not None
            end = start + self.number(row, c.duration) * c.duration_unit_ns
            end_column = c.duration
        if end < start:
            raise DecodeError(f"the span ends ({end}) before it starts ({start})", field=end_column)
        if end > MAX_UNIX_NS:
            too_late_column = c.start_ns if start > MAX_UNIX_NS else end_column
            raise DecodeError(too_late(max(start, end)), field=too_late_column)
        if c.service is not None:
            service = self.cell(row, c.service)
        else:
            assert c.pod is not None
            service = service_from_pod(self.cell(row, c.pod))
        kind: SpanKind = "unspecified"
        if c.kind is not None and self.cell(row, c.kind):
            found_kind = as_kind(self.cell(row, c.kind))
            if found_kind is None:
                raise DecodeError(f"unknown span kind {self.cell(row, c.kind)!r}", field=c.kind)
            kind = found_kind
        status: StatusCode = "unset"
        if c.status is not None and self.cell(row, c.status):
            found_status = as_status(self.cell(row, c.status))
            if found_status is None:
                raise DecodeError(f"unknown status {self.cell(row, c.status)!r}", field=c.status)
            status = found_status
        attrs: dict[str, AttrValue] = {}
        for name, index in self.attributes:
            if index < len(row) and row[index]:
                attrs[name] = row[index]
        return Span(
            trace_id,
            span_id,
            parent_id,
            service or "unknown_service",
            self.cell(row, c.name),
            kind,
            start,
            end,
            status,
            is_error_span(status, kind, attrs),
            attrs,
        )
