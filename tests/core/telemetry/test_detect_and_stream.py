from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import pytest
from tests.builders import framed, otlp_request, span

from slo_scout.core.errors import DecodeError, UnknownFormatError
from slo_scout.core.telemetry import (
    FORMATS,
    DecodeReport,
    decode_bytes,
    decode_stream,
    detect_format,
)

SAMPLES = {
    "jaeger/otlp-multi-in.json": "otlp-json",
    "jaeger/ride-sharing-trace.json": "jaeger",
    "jaeger/trace-graph-trace.json": "jaeger",
    "otlp/trace.json": "otlp-json",
    "zipkin/ascend.json": "zipkin",
    "zipkin/skew.json": "zipkin",
    "zipkin/yelp.json": "zipkin",
    "zipkin/smartthings-mobile-web-install.json": "zipkin",
    "trainticket/2023-01-29_trace.csv": "csv",
    "trainticket/2023-01-30_trace.csv": "csv",
}


@pytest.mark.parametrize(("name", "fmt"), sorted(SAMPLES.items()))
def test_every_real_sample_is_recognised_from_its_first_kilobytes(
    datasets: Path, name: str, fmt: str
) -> None:
    head = (datasets / name).read_bytes()[:4096]
    assert detect_format(head) == fmt
    assert detect_format(head, name=name) == fmt


def test_protobuf_single_and_framed_are_recognised() -> None:
    message = otlp_request([span()]).SerializeToString()
    assert detect_format(message) == "otlp-proto"
    assert detect_format(framed(message)) == "otlp-proto"


def test_json_lines_are_otlp_json() -> None:
    line = json.dumps({"resourceSpans": []})
    assert detect_format(f"{line}\n{line}\n".encode()) == "otlp-json"


def test_unrecognisable_input_names_the_source() -> None:
    with pytest.raises(UnknownFormatError) as raised:
        detect_format(b'{"hello": "world"}', name="mystery.json")
    assert raised.value.source == "mystery.json"
    assert "mystery.json" in str(raised.value)


def test_an_unknown_format_override_is_refused() -> None:
    with pytest.raises(UnknownFormatError, match="otlp-json"):
        decode_bytes(b"{}", source="x", fmt="parquet")
    assert FORMATS == ("otlp-json", "otlp-proto", "jaeger", "zipkin", "csv")


def test_the_format_override_beats_detection() -> None:
    with pytest.raises(DecodeError) as raised:
        decode_bytes(b'{"resourceSpans": []}', source="x.json", fmt="zipkin")
    assert "list" in raised.value.reason


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_gzip_input_decodes_like_the_plain_file(datasets: Path, name: str) -> None:
    data = (datasets / name).read_bytes()
    squeezed = gzip.compress(data)
    chunks = [squeezed[i : i + 1000] for i in range(0, len(squeezed), 1000)]
    from_gzip = [s for batch in decode_stream(chunks, source=name + ".gz") for s in batch]
    assert from_gzip == decode_bytes(data, source=name)


def test_concatenated_gzip_members_are_all_read() -> None:
    first = json.dumps({"resourceSpans": []}) + "\n"
    data = gzip.compress(first.encode()) + gzip.compress(first.encode())
    assert decode_bytes(data, source="two.jsonl.gz") == []


def test_truncated_and_corrupt_gzip_are_decode_errors() -> None:
    message = framed(otlp_request([span()]).SerializeToString())
    squeezed = gzip.compress(message * 50)
    with pytest.raises(DecodeError, match="truncated"):
        decode_bytes(squeezed[: len(squeezed) // 2], source="cut.pb.gz")
    corrupt = squeezed[:10] + bytes(len(squeezed) - 10)
    with pytest.raises(DecodeError, match="gzip"):
        decode_bytes(corrupt, source="bad.pb.gz")


def test_big_inputs_arrive_in_bounded_batches() -> None:
    spans = [span(span_id=f"{i + 1:016x}") for i in range(10_000)]
    data = framed(
        *(otlp_request(spans[i : i + 1000]).SerializeToString() for i in range(0, 10_000, 1000))
    )
    report = DecodeReport()
    batches = list(decode_stream([data], source="big.pb", report=report))
    assert max(len(b) for b in batches) <= 4096 + 1000
    assert sum(len(b) for b in batches) == report.spans == 10_000


def test_the_report_counts_every_bad_record_but_keeps_only_the_first_hundred() -> None:
    lines = [json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "x"}]}]}]})] * 250
    report = DecodeReport()
    assert (
        decode_bytes(
            "\n".join(lines).encode(), source="bad.jsonl", skip_invalid=True, report=report
        )
        == []
    )
    assert report.bad_records == 250
    assert len(report.problems) == 100


def test_empty_input_yields_nothing() -> None:
    assert decode_bytes(b"", source="empty") == []
    assert decode_bytes(b"  \n", source="blank") == []


def test_plain_zlib_is_not_mistaken_for_gzip() -> None:
    with pytest.raises(DecodeError):
        decode_bytes(zlib.compress(b"hello"), source="x.bin")
