"""A span time past 2^63 ns or an attribute past int64 is one bad record, named by field; the
good records beside it are kept, in every format."""

from __future__ import annotations

import json

import pytest
from tests.builders import START_NS, otlp_request, span

from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry import DecodeReport, decode_bytes

HUGE = 2**70
LATE_US = HUGE // 1000


def _otlp_json(bad_start: int, attrs: list[dict[str, object]] | None = None) -> bytes:
    def one(i: int, start: int, attributes: list[dict[str, object]]) -> dict[str, object]:
        return {"traceId": f"{i + 1:032x}", "spanId": f"{i + 1:016x}", "name": "GET /a",
                "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 5),
                "attributes": attributes}
    spans = [one(i, START_NS + i, []) for i in range(3)]
    spans.append(one(9, bad_start, attrs or []))
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}).encode()


def _jaeger(bad_start_us: int) -> bytes:
    def one(i: int, start_us: int) -> dict[str, object]:
        return {"traceID": f"{i + 1:032x}", "spanID": f"{i + 1:016x}", "operationName": "x",
                "startTime": start_us, "duration": 5, "processID": "p1"}
    spans = [one(i, START_NS // 1000 + i) for i in range(3)] + [one(9, bad_start_us)]
    return json.dumps({"data": [{"traceID": "1", "spans": spans,
                                 "processes": {"p1": {"serviceName": "a"}}}]}).encode()


def _zipkin(bad_timestamp_us: int) -> bytes:
    def one(i: int, ts: int) -> dict[str, object]:
        return {"traceId": f"{i + 1:032x}", "id": f"{i + 1:016x}", "name": "x", "timestamp": ts,
                "duration": 5, "localEndpoint": {"serviceName": "a"}}
    return json.dumps([one(i, START_NS // 1000 + i) for i in range(3)]
                      + [one(9, bad_timestamp_us)]).encode()


def _otlp_proto(bad_start: int) -> bytes:
    good = [span(trace_id=f"{i + 1:032x}", span_id=f"{i + 1:016x}", start_ns=START_NS + i)
            for i in range(3)]
    request = otlp_request(good)
    bad = request.resource_spans[0].scope_spans[0].spans.add()
    bad.CopyFrom(request.resource_spans[0].scope_spans[0].spans[0])
    bad.trace_id = bytes.fromhex(f"{10:032x}")
    bad.start_time_unix_nano = bad_start
    bad.end_time_unix_nano = bad_start
    return request.SerializeToString()


def _csv(bad_start: int) -> bytes:
    rows = ["TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,"
            "Duration"]
    rows += [f"{i + 1:032x},{i + 1:016x},root,a,x,{START_NS + i},{START_NS + i + 5},5"
             for i in range(3)]
    rows.append(f"{10:032x},{10:016x},root,a,x,{bad_start},{bad_start + 5},5")
    return "\n".join(rows).encode()


CASES = {
    "otlp-json": (_otlp_json(HUGE), "startTimeUnixNano"),
    "otlp-proto": (_otlp_proto(2**64 - 1), "startTimeUnixNano"),
    "jaeger": (_jaeger(LATE_US), "startTime"),
    "zipkin": (_zipkin(LATE_US), "timestamp"),
    "csv": (_csv(HUGE), "StartTimeUnixNano"),
}


@pytest.mark.parametrize("fmt", sorted(CASES))
def test_a_time_past_2_63_ns_is_one_bad_record_and_the_good_ones_are_kept(fmt: str) -> None:
    data, field = CASES[fmt]
    report = DecodeReport()
    spans = decode_bytes(data, source="in", fmt=fmt, skip_invalid=True, report=report)
    assert len(spans) == 3
    assert all(0 < s.start_ns <= s.end_ns < 2**63 for s in spans)
    assert report.bad_records == 1
    problem = report.problems[0]
    assert problem.field is not None and problem.field.endswith(field)
    assert "2262" in problem.reason


@pytest.mark.parametrize("fmt", sorted(CASES))
def test_without_skipping_the_error_names_the_record_and_field(fmt: str) -> None:
    data, field = CASES[fmt]
    with pytest.raises(DecodeError) as caught:
        decode_bytes(data, source="in", fmt=fmt)
    assert caught.value.field is not None and caught.value.field.endswith(field)


def test_the_largest_int64_time_is_still_a_span() -> None:
    last = 2**63 - 1 - 5
    spans = decode_bytes(_otlp_json(last), source="in", fmt="otlp-json")
    assert max(s.end_ns for s in spans) == 2**63 - 1


def test_an_attribute_integer_past_int64_is_a_bad_record_naming_the_attribute() -> None:
    attrs: list[dict[str, object]] = [
        {"key": "http.status_code", "value": {"intValue": str(HUGE)}}]
    report = DecodeReport()
    spans = decode_bytes(_otlp_json(START_NS + 9, attrs), source="in", fmt="otlp-json",
                         skip_invalid=True, report=report)
    assert len(spans) == 3
    assert report.problems[0].field is not None
    assert report.problems[0].field.endswith("attributes[0].value.intValue")
