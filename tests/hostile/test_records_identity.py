"""Identity and secrets against a running `slo-scout serve`: an identity provider whose key set
is slow or broken, anonymous tokens with made-up key ids, and a Prometheus URL with a password
talking to an upstream that echoes what it was sent."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from tests.fixtures.hostile_records import (
    MIB,
    ApiServer,
    EchoPrometheus,
    JwksServer,
    PeakRss,
    oidc_env,
    otlp_json,
    start_api,
    stop_api,
    wait_for,
)

MIN_REFRESH_S = 2.0
PASSWORD = "hunter2-never-shown"
BEARER = "tok-never-shown"


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    server = JwksServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def oidc_api(tmp_path_factory: pytest.TempPathFactory, jwks: JwksServer) -> Iterator[ApiServer]:
    server = start_api(tmp_path_factory.mktemp("oidc"),
                       **oidc_env(jwks, timeout_s=3.0, min_refresh_s=MIN_REFRESH_S))
    yield server
    stop_api(server)


def _get(api: ApiServer, token: str) -> httpx.Response:
    return httpx.get(f"{api.url}/services", headers={"Authorization": f"Bearer {token}"},
                     timeout=30)


def _after_refresh_window() -> None:
    # the verifier refetches at most once per MIN_REFRESH_S: let that window pass
    time.sleep(MIN_REFRESH_S + 0.1)


def _user(jwks: JwksServer) -> str:
    return jwks.mint(roles=["shop:viewer"])


def _keys_held(api: ApiServer, jwks: JwksServer) -> None:
    _after_refresh_window()
    jwks.mode = "ok"
    assert _get(api, _user(jwks)).status_code == 200


def test_a_broken_key_set_and_no_keys_held_is_503_never_500(
    tmp_path: Path, jwks: JwksServer,
) -> None:
    api = start_api(tmp_path, **oidc_env(jwks, timeout_s=1.0, min_refresh_s=MIN_REFRESH_S))
    try:
        with PeakRss(api.proc.pid) as rss:
            for mode in ("garbage", "down", "slow"):
                jwks.mode, jwks.delay = mode, 2.0  # slow: past the 1 s fetch timeout
                answer = _get(api, _user(jwks))
                assert answer.status_code == 503, (mode, answer.text)
                assert answer.headers["content-type"].startswith("application/problem+json")
                assert "retry-after" in answer.headers
                _after_refresh_window()
            jwks.mode = "ok"
            assert _get(api, _user(jwks)).status_code == 200  # and it recovers
        assert rss.growth < 64 * MIB
        assert "Traceback" not in api.output()
    finally:
        jwks.mode = "ok"
        stop_api(api)


def test_thirty_tokens_with_unknown_key_ids_fetch_the_key_set_at_most_once_a_window(
    oidc_api: ApiServer, jwks: JwksServer,
) -> None:
    _keys_held(oidc_api, jwks)
    _after_refresh_window()
    held = jwks.fetches
    strangers = [jwks.mint(kid=f"made-up-{i}", sub=f"anon-{i}") for i in range(30)]
    began = time.monotonic()
    with PeakRss(oidc_api.proc.pid) as rss, ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda t: _get(oidc_api, t).status_code, strangers))
    windows = (time.monotonic() - began) / MIN_REFRESH_S
    assert codes == [401] * 30
    # one fetch per refresh window at most (the measured bug: one per token, 30)
    assert jwks.fetches - held <= 1 + int(windows)
    assert jwks.fetches - held < 30
    assert rss.growth < 64 * MIB
    assert oidc_api.serving()


def test_a_slow_refetch_for_an_anonymous_token_does_not_hold_up_a_valid_user(
    oidc_api: ApiServer, jwks: JwksServer,
) -> None:
    _keys_held(oidc_api, jwks)
    _after_refresh_window()
    jwks.mode, jwks.delay = "slow", 2.5  # under the 3 s fetch timeout: the fetch hangs, then ends
    before = jwks.fetches
    anonymous: list[int] = []
    hanging = threading.Thread(
        target=lambda: anonymous.append(_get(oidc_api, jwks.mint(kid="other")).status_code))
    try:
        hanging.start()
        wait_for(lambda: jwks.fetches > before, timeout=10, interval=0.01)
        assert _get(oidc_api, _user(jwks)).status_code == 200
        assert hanging.is_alive()  # the user was answered while the anonymous fetch hung
    finally:
        hanging.join(30)
        jwks.mode = "ok"
    assert anonymous == [401]
    assert oidc_api.serving()


def test_an_outage_keeps_the_last_good_keys_and_strangers_get_401(
    oidc_api: ApiServer, jwks: JwksServer,
) -> None:
    _keys_held(oidc_api, jwks)
    _after_refresh_window()
    jwks.mode = "down"
    try:
        assert _get(oidc_api, jwks.mint(kid="rotated")).status_code == 401
        assert _get(oidc_api, _user(jwks)).status_code == 200
        forged = jwks.mint(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
        assert _get(oidc_api, forged).status_code == 401  # a known kid, a forged signature
    finally:
        jwks.mode = "ok"
    assert oidc_api.serving()
    assert "Traceback" not in oidc_api.output()


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoPrometheus]:
    server = EchoPrometheus()
    yield server
    server.close()


@pytest.fixture(scope="module")
def history_api(tmp_path_factory: pytest.TempPathFactory,
                echo: EchoPrometheus) -> Iterator[ApiServer]:
    server = start_api(
        tmp_path_factory.mktemp("history"),
        HISTORY__PROMETHEUS_URL=f"http://scout:{PASSWORD}@127.0.0.1:{echo.port}/prom",
        HISTORY__BEARER_TOKEN=BEARER, JOBS__MAX_ATTEMPTS="1", LOG_LEVEL="debug")
    yield server
    stop_api(server)


def test_the_prometheus_password_and_echoed_headers_never_reach_job_errors_or_logs(
    history_api: ApiServer, echo: EchoPrometheus,
) -> None:
    api = history_api
    with api.client() as admin:
        ingested = admin.post("/ingest/traces?team=shop&flush=true", content=otlp_json(50),
                              headers={"content-type": "application/json"})
        assert ingested.status_code == 200, ingested.text
    viewer = api.key("shop", "viewer")
    with api.client() as admin:
        queued = admin.post("/analyze", json={"service": "hostile-shop"})
        assert queued.status_code == 202, queued.text
        job_id = queued.json()["id"]

    def finished() -> dict[str, object] | None:
        with api.client(viewer) as client:
            job = client.get(f"/analyze/{job_id}").json()
        return job if job["status"] in ("failed", "succeeded") else None

    job = wait_for(finished, timeout=90)
    assert echo.authorizations, "the analysis never asked the history server"
    # the upstream did see the credentials (the bearer token, which wins over the URL's
    # userinfo: sources.Endpoint), and echoed them back in its error body
    assert any(a == f"Bearer {BEARER}" for a in echo.authorizations), echo.authorizations
    shown = str(job)
    for secret in (PASSWORD, BEARER, "Basic ", "Authorization", "authorization"):
        assert secret not in shown, job
        assert secret not in api.output()
    print("job error:", job["error"])
    assert job["status"] == "failed" and "HTTP 500" in str(job["error"])
    assert "127.0.0.1" in str(job["error"])  # the server is still named, redacted
    assert api.serving()


def test_the_command_line_names_a_prometheus_url_without_its_password(
    echo: EchoPrometheus, tmp_path: Path,
) -> None:
    import subprocess
    import sys

    traces = tmp_path / "traces.json"
    traces.write_bytes(otlp_json(5))
    done = subprocess.run(
        [sys.executable, "-c", "from slo_scout.cli.main import app; app()", "analyze",
         str(traces), "-o", str(tmp_path / "out"),
         "--prometheus-url", f"http://scout:{PASSWORD}@127.0.0.1:{echo.port}/"],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert f"127.0.0.1:{echo.port}" in done.stderr and "HTTP 500" in done.stderr
    assert "Traceback" not in done.stderr
