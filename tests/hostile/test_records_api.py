"""Hostile records against a running `slo-scout serve`: good data kept, bad data named.

Each test asserts the answer, the good records stored, the process's peak memory growth under
a stated bound, and that the process still serves afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fixtures.hostile_records import (
    MIB,
    ApiServer,
    PeakRss,
    late_span,
    otlp_json,
    start_api,
    stop_api,
)

# What one request of a few kilobytes may cost the server at most, with room for the
# allocator: the measured growth is a few MiB; a decode that kept the input would exceed it.
GROWTH_BOUND = 64 * MIB
INGEST = "/ingest/traces?team=shop&flush=true"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    server = start_api(tmp_path_factory.mktemp("api"))
    yield server
    stop_api(server)


def _journey_requests(api: ApiServer, service: str) -> int:
    with api.client() as admin:
        page = admin.get("/journeys", params={"service": service}).json()
    return sum(item["requests"] for item in page["items"])


def test_a_span_past_2_63_ns_is_one_rejected_record_and_the_good_traces_are_stored(
    api: ApiServer,
) -> None:
    body = otlp_json(20, late_span(2**70), service="late-shop")
    with api.client() as admin, PeakRss(api.proc.pid) as rss:
        first = admin.post(INGEST, content=body, headers={"content-type": "application/json"})
        again = admin.post(INGEST, content=body, headers={"content-type": "application/json"})
    assert first.status_code == 200, first.text
    out = first.json()
    assert out["accepted_spans"] == 20 and out["rejected_records"] == 1
    assert out["traces"] == 20
    (problem,) = out["problems"]
    assert problem["record"] == "20"
    assert problem["field"].endswith("spans[20].startTimeUnixNano")
    assert "2262" in problem["message"]
    # the same on retry: the bad record named again, nothing counted twice
    assert again.status_code == 200
    assert again.json()["rejected_records"] == 1 and again.json()["duplicate_traces"] == 20
    assert _journey_requests(api, "late-shop") == 20
    assert rss.growth < GROWTH_BOUND
    assert api.serving()


def test_a_body_of_only_bad_records_is_a_400_problem_naming_them(api: ApiServer) -> None:
    body = otlp_json(0, late_span(2**64 + 7), service="late-shop")
    with api.client() as admin:
        answer = admin.post(INGEST, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["errors"][0]["field"].endswith("startTimeUnixNano")
    assert api.serving()


def test_another_teams_service_is_not_found_in_the_same_words_as_a_missing_one(
    api: ApiServer,
) -> None:
    with api.client() as admin:
        made = admin.post("/services", json={"name": "secret-svc", "team": "other",
                                             "environments": ["production"]})
        assert made.status_code == 201, made.text
    outsider = api.key("shop", "editor")
    with api.client(outsider) as client:
        for path, body in (("/services/{}/environments", None),
                           ("/analyze", {"service": "{}"}),
                           ("/artifacts", {"service": "{}", "environment": "production"})):
            answers = {}
            for name in ("secret-svc", "no-such-svc"):
                if body is None:
                    answers[name] = client.get(path.format(name))
                else:
                    filled = {k: v.format(name) for k, v in body.items()}
                    answers[name] = client.post(path, json=filled)
            hidden, missing = answers["secret-svc"], answers["no-such-svc"]
            assert (hidden.status_code, missing.status_code) == (404, 404), (path, hidden.text)
            assert hidden.json()["detail"].replace("secret-svc", "X") == \
                missing.json()["detail"].replace("no-such-svc", "X")
    # A viewer of the owning team may see it, and is refused (403) only what needs more.
    viewer = api.key("other", "viewer")
    with api.client(viewer) as client:
        assert client.get("/services/secret-svc/environments").status_code == 200
        assert client.post("/analyze", json={"service": "secret-svc"}).status_code == 403
    assert api.serving()


@pytest.mark.parametrize(("field", "value"), [("window_days", True), ("window_days", "30"),
                                               ("window_days", 30.0), ("journey_id", True),
                                               ("objective", True)])
def test_booleans_and_strings_are_not_numbers_in_request_bodies(
    api: ApiServer, field: str, value: object
) -> None:
    body = {"service": "late-shop", "journey_id": 1, "name": "checkout-availability",
            "sli_kind": "availability", "objective": 99.5, field: value}
    with api.client() as admin:
        answer = admin.post("/slos", json=body)
    assert answer.status_code == 422, answer.text
    assert field in {e["field"].split(".")[-1] for e in answer.json()["errors"]}


def test_an_integer_objective_is_still_a_number(api: ApiServer) -> None:
    with api.client() as admin:
        answer = admin.post("/slos", json={"service": "no-such-svc", "journey_id": 1,
                                           "name": "x", "sli_kind": "availability",
                                           "objective": 99, "window_days": 7})
    assert answer.status_code == 404  # validated, then not found: the integer was accepted


def test_the_server_log_holds_no_traceback(api: ApiServer, tmp_path: Path) -> None:
    assert "Traceback" not in api.output()
