from __future__ import annotations

from pathlib import Path

import pytest

from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry import CsvColumns, DecodeReport, decode_bytes, decode_stream

HEADER = (
    "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n"
)
ROOT = (
    "898fbabdd1894463575af052c4cd7982,233d5101e107e112,root,"
    "ts-gateway-service-6f6cfc45b-h5m2n,/*,"
    "1674982159219000000,1674982159247160439,28160\n"
)
CHILD = (
    "898fbabdd1894463575af052c4cd7982,2d1d6503278d9348,233d5101e107e112,"
    "ts-execute-service-775f544d9-zqvjb,/api/v1/executeservice/execute/execute/{orderId},"
    "1674982159224000000,1674982159246632005,22632\n"
)


@pytest.mark.parametrize(
    ("day", "spans", "traces"), [("2023-01-29", 4890, 71), ("2023-01-30", 4595, 62)]
)
def test_the_trainticket_recordings_decode_with_services_from_pod_names(
    datasets: Path, day: str, spans: int, traces: int
) -> None:
    path = datasets / "trainticket" / f"{day}_trace.csv"
    data = path.read_bytes()
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    decoded = [s for batch in decode_stream(chunks, source=path.name) for s in batch]
    assert len(decoded) == spans
    assert len({s.trace_id for s in decoded}) == traces
    # "root" is the root's parent: exactly one root per trace.
    assert sum(s.parent_id is None for s in decoded) == traces
    services = {s.service for s in decoded}
    assert "ts-gateway-service" in services and "ts-travel-service" in services
    assert all(s.service.startswith("ts-") and s.service.endswith("-service") for s in decoded)


def test_the_trainticket_header_is_recognised_and_rows_are_exact() -> None:
    root, child = decode_bytes((HEADER + ROOT + CHILD).encode(), source="t.csv")
    assert (root.parent_id, root.service, root.name) == (None, "ts-gateway-service", "/*")
    assert (root.start_ns, root.end_ns, root.kind) == (
        1674982159219000000,
        1674982159247160439,
        "unspecified",
    )
    assert (child.parent_id, child.service) == ("233d5101e107e112", "ts-execute-service")


def test_a_custom_mapping_reads_service_kind_status_duration_and_kept_columns() -> None:
    columns = CsvColumns(
        trace_id="trace",
        span_id="span",
        parent_id="parent",
        service="svc",
        name="op",
        start_ns="start_us",
        duration="dur_ms",
        kind="kind",
        status="status",
        time_unit_ns=1000,
        duration_unit_ns=1_000_000,
    )
    text = (
        "trace,span,parent,svc,op,start_us,dur_ms,kind,status,http.route\n"
        "abc,1,,web,GET /a,1700000000000000,5,SPAN_KIND_SERVER,error,/a/{id}\n"
    )
    (s,) = decode_bytes(text.encode(), source="m.csv", csv_columns=columns)
    assert (s.trace_id, s.span_id, s.parent_id) == ("0" * 29 + "abc", "0" * 15 + "1", None)
    assert (s.start_ns, s.end_ns) == (1_700_000_000_000_000_000, 1_700_000_000_005_000_000)
    assert (s.kind, s.status, s.error, s.attributes) == (
        "server",
        "error",
        True,
        {"http.route": "/a/{id}"},
    )


def test_an_unknown_header_asks_for_a_mapping() -> None:
    with pytest.raises(DecodeError, match="column mapping"):
        decode_bytes(b"a,b,c,d\n1,2,3,4\n", source="x.csv")


def test_a_mapping_naming_a_missing_column_is_named() -> None:
    with pytest.raises(DecodeError) as raised:
        decode_bytes(
            b"TraceID,SpanID\n", source="x.csv", fmt="csv", csv_columns=CsvColumns.trainticket()
        )
    assert raised.value.field == "ParentID"


def test_bad_rows_name_line_and_column_and_skipping_keeps_the_rest() -> None:
    bad_end = CHILD.replace("1674982159246632005", "1674982159000000000")
    bad_id = ROOT.replace("233d5101e107e112", "not-hex")
    data = (HEADER + ROOT + bad_end + bad_id + CHILD).encode()
    with pytest.raises(DecodeError) as raised:
        decode_bytes(data, source="t.csv")
    assert (raised.value.record, raised.value.field) == ("line 3", "EndTimeUnixNano")
    report = DecodeReport()
    spans = decode_bytes(data, source="t.csv", skip_invalid=True, report=report)
    assert len(spans) == 2
    assert report.bad_records == 2
    assert [(p.record, p.field) for p in report.problems] == [
        ("line 3", "EndTimeUnixNano"),
        ("line 4", "SpanID"),
    ]


def test_a_mapping_without_service_or_end_is_refused() -> None:
    with pytest.raises(ValueError, match="service"):
        CsvColumns(trace_id="t", span_id="s", parent_id="p", name="n", start_ns="b", end_ns="e")
