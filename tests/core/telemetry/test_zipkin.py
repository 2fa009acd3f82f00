from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry import DecodeReport, decode_bytes
from slo_scout.core.telemetry._ids import derived_id

FILES = ("ascend.json", "skew.json", "yelp.json", "smartthings-mobile-web-install.json")


def client_id(trace: str, span: str) -> str:
    return derived_id(f"{trace}:{span}:client:0", 8)


def test_the_skew_sample_puts_the_server_half_under_its_client_half(datasets: Path) -> None:
    spans = decode_bytes((datasets / "zipkin" / "skew.json").read_bytes(), source="skew.json")
    trace = "0" * 16 + "1e223ff1f80f1c69"
    by = {(s.service, s.name, s.kind): s for s in spans}
    root = by[("servicea", "get", "server")]
    client = by[("servicea", "post", "client")]
    server = by[("serviceb", "post", "server")]
    local = by[("serviceb", "async", "internal")]
    assert {s.trace_id for s in spans} == {trace}
    assert root.parent_id is None
    assert (client.span_id, client.parent_id) == (
        client_id(trace, "74280ae0c10d8062"),
        root.span_id,
    )
    assert (server.span_id, server.parent_id) == ("74280ae0c10d8062", client.span_id)
    assert local.parent_id == server.span_id
    assert (server.start_ns, server.end_ns) == (1470150004008761000, 1470150004008761000 + 93577000)


@pytest.mark.parametrize("name", FILES)
def test_every_sample_decodes_without_bad_records_or_duplicate_ids(
    datasets: Path, name: str
) -> None:
    raw = json.loads((datasets / "zipkin" / name).read_bytes())
    report = DecodeReport()
    spans = decode_bytes((datasets / "zipkin" / name).read_bytes(), source=name, report=report)
    assert report.bad_records == 0
    ids = Counter(s.span_id for s in spans)
    assert [i for i, n in ids.items() if n > 1] == []
    # Untimed fragments merge into the timed record of the same span; nothing else disappears.
    assert len(spans) == sum(1 for r in raw if "timestamp" in r)
    for record in raw:
        if record.get("shared") and record.get("kind") == "SERVER":
            owner = [s for s in spans if s.span_id == record["id"]]
            assert len(owner) == 1 and owner[0].kind == "server"


def test_children_of_a_shared_id_hang_under_the_server_half(datasets: Path) -> None:
    spans = decode_bytes((datasets / "zipkin" / "ascend.json").read_bytes(), source="ascend.json")
    by_id = {s.span_id: s for s in spans}
    server = by_id["ecc00062ceef4bf0"]
    assert (server.service, server.kind) == ("content-service", "server")
    child = by_id["c21c6c51ac71b3ba"]
    assert child.parent_id == server.span_id
    client = by_id[server.parent_id]  # type: ignore[index]
    assert (client.service, client.kind, client.parent_id) == (
        "mobile-gateway",
        "client",
        "ef86c83c0a05a6d6",
    )
    assert client.attributes == {"http.method": "GET", "url.path": "/content/personal"}


def test_one_message_consumed_by_several_hosts_gives_each_consumer_its_own_id(
    datasets: Path,
) -> None:
    path = datasets / "zipkin" / "smartthings-mobile-web-install.json"
    spans = decode_bytes(path.read_bytes(), source=path.name)
    trace = "0" * 16 + "14b60fd9ae504820"
    sender = client_id(trace, "cbab506b53f336fc")
    consumers = [s for s in spans if s.name == "receive iot-events360"]
    assert len(consumers) == 5
    assert len({s.span_id for s in consumers}) == 5
    assert {s.parent_id for s in consumers} == {sender}
    assert "cbab506b53f336fc" in {s.span_id for s in consumers}


def test_error_tag_of_any_value_marks_the_span_failed() -> None:
    doc = [
        {
            "traceId": "a" * 32,
            "id": "b" * 16,
            "name": "get",
            "kind": "CLIENT",
            "timestamp": 1,
            "duration": 2,
            "localEndpoint": {"serviceName": "web"},
            "tags": {"error": "", "http.status_code": "200"},
        },
    ]
    (s,) = decode_bytes(json.dumps(doc).encode(), source="z.json")
    assert (s.error, s.attributes) == (True, {"error": True, "http.status_code": "200"})
    assert (s.start_ns, s.end_ns) == (1000, 3000)


def test_a_span_no_fragment_gives_a_start_time_is_a_named_bad_record() -> None:
    doc = [
        {
            "traceId": "a" * 16,
            "id": "b" * 16,
            "name": "ok",
            "timestamp": 5,
            "localEndpoint": {"serviceName": "x"},
        },
        {
            "traceId": "a" * 16,
            "id": "c" * 16,
            "name": "lost",
            "localEndpoint": {"serviceName": "x"},
        },
    ]
    data = json.dumps(doc).encode()
    with pytest.raises(DecodeError) as raised:
        decode_bytes(data, source="z.json")
    assert (raised.value.record, raised.value.field) == (1, "[1].timestamp")
    report = DecodeReport()
    (kept,) = decode_bytes(data, source="z.json", skip_invalid=True, report=report)
    assert (kept.name, kept.end_ns - kept.start_ns) == ("ok", 0)
    assert report.bad_records == 1


def test_a_list_of_traces_is_read_trace_by_trace() -> None:
    one = {
        "traceId": "a" * 16,
        "id": "1" * 16,
        "name": "a",
        "timestamp": 5,
        "duration": 1,
        "localEndpoint": {"serviceName": "x"},
    }
    two = dict(one, traceId="b" * 16)
    spans = decode_bytes(json.dumps([[one], [two]]).encode(), source="traces.json")
    assert [s.trace_id for s in spans] == ["0" * 16 + "a" * 16, "0" * 16 + "b" * 16]


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"id": "b" * 16, "timestamp": 1}, "[0].traceId"),
        ({"traceId": "xyz", "id": "b" * 16, "timestamp": 1}, "[0].traceId"),
        ({"traceId": "a" * 16, "id": "b" * 16, "timestamp": "noon"}, "[0].timestamp"),
        ({"traceId": "a" * 16, "id": "b" * 16, "timestamp": 1, "kind": "SIDEWAYS"}, "[0].kind"),
        (
            {
                "traceId": "a" * 16,
                "id": "b" * 16,
                "timestamp": 1,
                "tags": {"http.status_code": 500},
            },
            "[0].tags.http.status_code",
        ),
    ],
)
def test_bad_records_name_the_index_and_field(record: dict, field: str) -> None:
    with pytest.raises(DecodeError) as raised:
        decode_bytes(json.dumps([record]).encode(), source="z.json", fmt="zipkin")
    assert (raised.value.source, raised.value.record, raised.value.field) == ("z.json", 0, field)
