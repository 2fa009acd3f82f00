"""Acceptance on real data: the TrainTicket recordings hold 9 and 10 journeys."""

from __future__ import annotations

import pytest
from tests.core.journeys.trees import decode_file

from slo_scout.core.journeys import discover
from slo_scout.core.telemetry import CsvColumns, decode_stream


@pytest.mark.parametrize(
    ("file", "count", "largest", "largest_requests"),
    [
        ("2023-01-29_trace.csv", 9, "ts-travel-service /api/v1/travelservice/trips/left", 22),
        ("2023-01-30_trace.csv", 10, "ts-travel2-service /api/v1/travel2service/trips/left", 16),
    ],
)
def test_trainticket_journeys_are_decided_by_the_first_server_behind_the_gateway(
    datasets, file, count, largest, largest_requests
):
    discovery = discover([decode_file(datasets / "trainticket" / file)])
    journeys = discovery.journeys
    assert len(journeys) == count
    assert journeys[0].entry.label == largest
    assert journeys[0].requests == largest_requests
    assert largest in journeys[0].name
    # The gateway's "/*" names nothing: no journey enters there.
    assert all(j.entry.service != "ts-gateway-service" for j in journeys)
    assert len({j.entry.label for j in journeys}) == count
    assert sum(j.requests for j in journeys) == discovery.trace_count
    assert discovery.incomplete_traces == 0


def test_trainticket_entries_are_service_and_route_template(datasets):
    journeys = discover([decode_file(datasets / "trainticket" / "2023-01-29_trace.csv")]).journeys
    assert sorted(j.entry.label for j in journeys) == [
        "ts-auth-service /api/v1/users/login",
        "ts-execute-service /api/v1/executeservice/execute/collected/{orderId}",
        "ts-execute-service /api/v1/executeservice/execute/execute/{orderId}",
        "ts-food-service /api/v1/foodservice/foods/{date}/{startStation}/{endStation}/{tripId}",
        "ts-inside-payment-service /api/v1/inside_pay_service/inside_payment",
        "ts-preserve-other-service /api/v1/preserveotherservice/preserveOther",
        "ts-preserve-service /api/v1/preserveservice/preserve",
        "ts-travel-service /api/v1/travelservice/trips/left",
        "ts-travel2-service /api/v1/travel2service/trips/left",
    ]
    payment = next(j for j in journeys if "inside_payment" in j.entry.operation)
    # Three different call sets behind one named entry (order vs order-other branches): variants.
    assert len(payment.variants) == 3
    assert payment.requests == 3


def test_streaming_the_csv_in_small_batches_finds_the_same_journeys(datasets):
    path = datasets / "trainticket" / "2023-01-30_trace.csv"
    data = path.read_bytes()
    chunks = (data[i : i + 4096] for i in range(0, len(data), 4096))
    batches = decode_stream(chunks, source=path.name, csv_columns=CsvColumns.trainticket())
    streamed = discover(batches)
    whole = discover([decode_file(path)])
    assert [(j.id, j.requests) for j in streamed.journeys] == [
        (j.id, j.requests) for j in whole.journeys
    ]
