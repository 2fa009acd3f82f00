"""An uploaded trace file or OTLP body, decoded: every good span, the bad records named.

Pure work on bytes (the core's decoders), run by the API in a worker thread so a large upload
does not stall its event loop. Bad records never cost the good ones: the decoder skips them (and
reports each, naming record and field) and whatever decoded is kept. What happens to the spans
next (waiting for the rest of their trace, the ledger, journeys) is ``pending``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from slo_scout.core.errors import DecodeError
from slo_scout.core.journeys import assemble
from slo_scout.core.journeys.entry import find_entry
from slo_scout.core.telemetry import DecodeReport, Inflation, Span, decode_stream

# Content-Type -> decoder format; anything else is detected from the bytes.
CONTENT_FORMATS = {
    "application/x-protobuf": "otlp-proto",
    "application/protobuf": "otlp-proto",
    "text/csv": "csv",
}


@dataclass
class Decoded:
    spans: list[Span]
    report: DecodeReport
    fatal: DecodeError | None = None  # stopped the decoder; spans before it are kept


def decode_body(body: bytes, *, source: str, fmt: str | None,
                inflation: Inflation | None = None) -> Decoded:
    """Every good span of ``body``; bad records are counted, the first fatal error kept.
    A gzip body that inflates past ``inflation`` raises ``InflationLimitError``: nothing kept."""
    report = DecodeReport()
    spans: list[Span] = []
    try:
        for batch in decode_stream([body], source=source, fmt=fmt, skip_invalid=True,
                                   report=report, inflation=inflation or Inflation()):
            spans.extend(batch)
    except DecodeError as error:
        return Decoded(spans, report, error)
    return Decoded(spans, report)


def entry_services(spans: list[Span]) -> list[str]:
    """The entry services of the traces whose root is in ``spans``: who must own them."""
    by_trace: dict[str, list[Span]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, []).append(span)
    services = set()
    for trace_id, group in by_trace.items():
        trace = assemble(trace_id, group)
        if not trace.fragment:
            services.add(find_entry(trace)[1].service)
    return sorted(services)
