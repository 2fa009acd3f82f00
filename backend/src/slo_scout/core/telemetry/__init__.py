"""Telemetry decoders: trace exports in the formats teams have, as one :class:`Span` model.

Pure: callers pass bytes (a file read in chunks, or one HTTP body) and get spans back.

>>> spans = decode_bytes(data, source="traces.json")                     # doctest: +SKIP
>>> for batch in decode_stream(chunks, source="big.pb.gz", skip_invalid=True, report=r): ...

Formats (:data:`FORMATS`): OTLP/JSON (documents and JSON Lines), OTLP protobuf (single
``ExportTraceServiceRequest`` or the collector's length-prefixed files), Jaeger query-API JSON,
Zipkin v2 JSON, CSV span tables. Any of them may be gzip-compressed; :class:`Inflation` bounds
how far (a service passes its body limit, a file reader a ratio).
"""

from slo_scout.core.errors import DecodeError, InflationLimitError, UnknownFormatError
from slo_scout.core.telemetry._context import DecodeReport
from slo_scout.core.telemetry._csv import CsvColumns
from slo_scout.core.telemetry._decode import decode_bytes, decode_stream
from slo_scout.core.telemetry._detect import FORMATS, detect_format
from slo_scout.core.telemetry._fields import MAX_UNIX_NS
from slo_scout.core.telemetry._otlp_proto import iter_otlp_proto_messages
from slo_scout.core.telemetry._stream import Inflation
from slo_scout.core.telemetry.model import KEPT_ATTRIBUTES, Span

__all__ = [
    "FORMATS",
    "KEPT_ATTRIBUTES",
    "MAX_UNIX_NS",
    "CsvColumns",
    "DecodeError",
    "DecodeReport",
    "Inflation",
    "InflationLimitError",
    "Span",
    "UnknownFormatError",
    "decode_bytes",
    "decode_stream",
    "detect_format",
    "iter_otlp_proto_messages",
]
