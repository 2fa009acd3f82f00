"""Memory and time an outsider controls, against a running ``slo-scout serve`` (issue 12).

Each test sends one class of hostile input and asserts the answer, the most the server's
resident memory grew while it was handled, that good records sent after it are stored, and that
the process still serves. Bound: :data:`BOUND` for any single request (the API's body and
inflation limit is 64 MiB; a request costs at most about twice that).
"""

from __future__ import annotations

import gzip
import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import psutil
from tests.api.otlp_payloads import otlp_json, trace_spans
from tests.fixtures.hostile_processes import (
    BODY_TIMEOUT_S,
    HEADER_TIMEOUT_S,
    MIB,
    ApiProcess,
    PeakRss,
    closed_by_server,
    hostile_api,  # noqa: F401
    otlp_json_bomb,
    send_quietly,
    slow_connection,
)

BOUND = 256 * MIB
INGEST = "/api/v1/ingest/traces"
_TRACES = itertools.count(1000)


def _good_trace(service: str) -> bytes:
    """One fresh two-span trace (its own trace id) of ``service``, five minutes old."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    return otlp_json(trace_spans(next(_TRACES), start), service=service)


def _good_upload(api: ApiProcess, team: str, service: str) -> dict[str, object]:
    body = _good_trace(service)
    with api.client(api.key(team, "editor")) as c:
        answer = c.post(INGEST, params={"team": team, "flush": "true"}, content=body,
                        headers={"content-type": "application/json"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _journeys_of(api: ApiProcess, service: str) -> list[dict[str, object]]:
    with api.client(api.admin_key) as c:
        items = c.get("/api/v1/journeys", params={"limit": 200}).json()["items"]
    return [j for j in items if service in str(j)]


def test_a_gzip_bomb_to_ingest_is_a_413_and_costs_the_limit_not_the_bomb(
    hostile_api: ApiProcess,  # noqa: F811
) -> None:
    bomb = otlp_json_bomb(1024 * MIB)  # ~1 MB sent, 1 GiB inflated
    assert len(bomb) < 2 * MIB
    with PeakRss(hostile_api.pid) as peak, hostile_api.client(
            hostile_api.key("bombs", "editor")) as c:
        answer = c.post(INGEST, params={"team": "bombs"}, content=bomb,
                        headers={"content-type": "application/json"})
    assert peak.growth < BOUND, f"+{peak.growth / MIB:.0f} MiB"
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "inflates past the 67108864-byte limit" in answer.json()["detail"]
    assert _good_upload(hostile_api, "bombs", "after-the-bomb")["traces"] == 1
    assert _journeys_of(hostile_api, "after-the-bomb")
    assert hostile_api.serving()


def test_a_viewer_is_refused_before_the_body_is_read_or_inflated(
    hostile_api: ApiProcess,  # noqa: F811
) -> None:
    bomb = otlp_json_bomb(1024 * MIB)
    with PeakRss(hostile_api.pid) as peak, hostile_api.client(
            hostile_api.key("bombs", "viewer")) as c:
        for params in ({}, {"team": "bombs"}):
            answer = c.post(INGEST, params=params, content=bomb,
                            headers={"content-type": "application/json"})
            assert answer.status_code == 403, answer.text
            assert "editor role" in answer.json()["detail"]
    assert peak.growth < 32 * MIB, f"+{peak.growth / MIB:.0f} MiB"
    assert hostile_api.serving()


def test_an_anonymous_large_body_is_refused_before_it_is_read_on_every_route(
    hostile_api: ApiProcess,  # noqa: F811
) -> None:
    declared = 100 * MIB
    with PeakRss(hostile_api.pid) as peak, hostile_api.client() as c:
        for path in ("/api/v1/slos", INGEST, "/api/v1/api-keys"):
            answer = c.post(path, content=b"{" + b" " * (declared - 2) + b"}",
                            headers={"content-type": "application/json"})
            assert answer.status_code == 413, (path, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
    assert peak.growth < 32 * MIB, f"+{peak.growth / MIB:.0f} MiB"
    assert hostile_api.serving()


def test_a_chunked_body_without_a_length_is_counted_and_cut_at_the_limit(
    hostile_api: ApiProcess,  # noqa: F811
) -> None:
    def chunks() -> object:
        for _ in range(100):
            yield b" " * MIB

    with PeakRss(hostile_api.pid) as peak, hostile_api.client() as c:
        answer = c.post("/api/v1/slos", content=chunks(),  # type: ignore[arg-type]
                        headers={"content-type": "application/json"})
    assert answer.status_code == 413, answer.text
    assert "1048576-byte limit" in answer.json()["detail"]
    assert peak.growth < 32 * MIB, f"+{peak.growth / MIB:.0f} MiB"
    assert hostile_api.serving()


def test_connections_that_send_no_or_half_headers_are_closed_after_the_header_timeout(
    hostile_api: ApiProcess,  # noqa: F811
) -> None:
    heads = [b"", b"POST /api/v1/slos HTTP/1.1\r\n", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A"]
    socks = [slow_connection(hostile_api.port, heads[i % 3]) for i in range(15)]
    began = time.monotonic()
    closed = [closed_by_server(s, HEADER_TIMEOUT_S + 5)[0] for s in socks]
    assert all(closed), closed
    assert time.monotonic() - began < HEADER_TIMEOUT_S + 5
    assert hostile_api.serving()


def test_endless_headers_are_refused_with_431(hostile_api: ApiProcess) -> None:  # noqa: F811
    sock = slow_connection(hostile_api.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    with PeakRss(hostile_api.pid) as peak:
        try:
            for i in range(4096):
                sock.sendall(b"X-Filler-%d: %s\r\n" % (i, b"y" * 1000))
        except (BrokenPipeError, ConnectionResetError):
            pass
        closed, answer = closed_by_server(sock, 5)
    assert closed and answer.startswith(b"HTTP/1.1 431"), answer[:80]
    assert peak.growth < 32 * MIB
    assert hostile_api.serving()


def test_stalled_bodies_are_answered_408_and_their_memory_given_back(
    hostile_api: ApiProcess,  # noqa: F811
) -> None:
    # four editors' uploads that send most of a 60 MiB body, then stall
    key = hostile_api.key("stall", "editor")
    sent = 48 * MIB
    head = (f"POST {INGEST}?team=stall HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {60 * MIB}\r\n\r\n").encode()
    socks = [slow_connection(hostile_api.port, head) for _ in range(4)]
    with PeakRss(hostile_api.pid) as peak:
        senders = [threading.Thread(target=s.sendall, args=(b" " * sent,)) for s in socks]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        answers = [closed_by_server(s, BODY_TIMEOUT_S + 10) for s in socks]
        after = psutil.Process(hostile_api.pid).memory_info().rss
    for closed, answer in answers:
        assert closed and answer.startswith(b"HTTP/1.1 408"), answer[:200]
    # four bodies in flight fit the 256 MiB budget; the process gives them back afterwards
    assert peak.growth < 4 * 60 * MIB + 64 * MIB, f"+{peak.growth / MIB:.0f} MiB"
    assert after - peak.baseline < 128 * MIB, f"+{(after - peak.baseline) / MIB:.0f} MiB held"
    assert _good_upload(hostile_api, "stall", "after-the-stall")["traces"] == 1
    assert hostile_api.serving()


def test_bodies_past_the_process_budget_are_answered_503_with_retry_after(
    hostile_api: ApiProcess,  # noqa: F811
) -> None:
    key = hostile_api.key("budget", "editor")
    head = (f"POST {INGEST}?team=budget HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {64 * MIB}\r\n\r\n").encode()
    socks = [slow_connection(hostile_api.port, head) for _ in range(5)]
    senders = [threading.Thread(target=send_quietly, args=(s, 63 * MIB)) for s in socks]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    answers = [closed_by_server(s, BODY_TIMEOUT_S + 10)[1] for s in socks]
    statuses = sorted(a[9:12] for a in answers)
    assert b"503" in statuses, statuses  # 5 x 63 MiB > the 256 MiB budget
    refused = next(a for a in answers if a[9:12] == b"503")
    assert b"retry-after: 1" in refused.lower()
    assert hostile_api.serving()


def test_a_plain_gzip_upload_under_the_limit_is_still_stored(hostile_api: ApiProcess) -> None:  # noqa: F811
    body = gzip.compress(_good_trace("gzip-under-limit"))
    with hostile_api.client(hostile_api.key("plain", "editor")) as c:
        answer = c.post(INGEST, params={"team": "plain", "flush": "true"}, content=body,
                        headers={"content-type": "application/json"})
    assert answer.status_code == 200 and answer.json()["traces"] == 1, answer.text
    assert _journeys_of(hostile_api, "gzip-under-limit")
