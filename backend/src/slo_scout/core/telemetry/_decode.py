"""The one entry point of the decoders: bytes in (plain or gzip), batches of spans out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Final

from slo_scout.core.errors import UnknownFormatError
from slo_scout.core.telemetry._context import Context, DecodeReport
from slo_scout.core.telemetry._csv import CsvColumns, decode_csv
from slo_scout.core.telemetry._detect import FORMATS, detect_format
from slo_scout.core.telemetry._jaeger import decode_jaeger
from slo_scout.core.telemetry._otlp_json import decode_otlp_json
from slo_scout.core.telemetry._otlp_proto import decode_otlp_proto
from slo_scout.core.telemetry._stream import UNLIMITED, Inflation, maybe_gunzip, peek
from slo_scout.core.telemetry._zipkin import decode_zipkin
from slo_scout.core.telemetry.model import Span

HEAD_BYTES: Final = 8192

_Decoder = Callable[[Iterable[bytes], Context], Iterator[list[Span]]]
_DECODERS: Final[dict[str, _Decoder]] = {
    "otlp-json": decode_otlp_json,
    "otlp-proto": decode_otlp_proto,
    "jaeger": decode_jaeger,
    "zipkin": decode_zipkin,
}


def decode_stream(
    chunks: Iterable[bytes],
    *,
    source: str,
    fmt: str | None = None,
    skip_invalid: bool = False,
    csv_columns: CsvColumns | None = None,
    report: DecodeReport | None = None,
    inflation: Inflation = UNLIMITED,
) -> Iterator[list[Span]]:
    """Decode one file or body, given as raw byte chunks, into batches of spans.

    Gzip input (magic ``1f 8b``) is decompressed as it streams, within ``inflation``: past it
    :class:`InflationLimitError` stops the decode (it is no bad record to skip). ``fmt`` (one of
    :data:`FORMATS`) overrides detection. Without ``skip_invalid`` the first bad record raises
    :class:`DecodeError` naming ``source``, the record and the field; with it, bad records are
    counted in ``report`` and skipped, and every good record is still produced.
    """
    if fmt is not None and fmt not in FORMATS:
        raise UnknownFormatError(
            f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", source=source
        )
    ctx = Context(source, skip_invalid, report if report is not None else DecodeReport())
    head, stream = peek(maybe_gunzip(chunks, source, inflation), HEAD_BYTES)
    # Whitespace is an empty text file, but in protobuf it is a field tag (a 1-byte body of
    # b"\n" is a truncated message, not an empty one).
    if not head or (fmt != "otlp-proto" and not head.strip()):
        return
    chosen = fmt or detect_format(head, source)
    if chosen == "csv":
        batches = decode_csv(stream, ctx, csv_columns)
    else:
        batches = _DECODERS[chosen](stream, ctx)
    for batch in batches:
        ctx.report.spans += len(batch)
        yield batch


def decode_bytes(
    data: bytes,
    *,
    source: str,
    fmt: str | None = None,
    skip_invalid: bool = False,
    csv_columns: CsvColumns | None = None,
    report: DecodeReport | None = None,
    inflation: Inflation = UNLIMITED,
) -> list[Span]:
    """All spans of one in-memory input; see :func:`decode_stream`."""
    spans: list[Span] = []
    for batch in decode_stream(
        [data],
        source=source,
        fmt=fmt,
        skip_invalid=skip_invalid,
        csv_columns=csv_columns,
        report=report,
        inflation=inflation,
    ):
        spans.extend(batch)
    return spans
