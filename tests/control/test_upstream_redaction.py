"""Upstream URLs as secrets: credentials out of the URL, redacted wherever a URL is shown."""

from __future__ import annotations

import httpx
import pytest

from slo_scout.control.analysis.upstream import redact_text, redact_url, split_credentials


@pytest.mark.parametrize(("url", "shown"), [
    ("http://scout:hunter2@prom:9090/api", "http://***@prom:9090/api"),
    ("https://token@mimir.example/prometheus", "https://***@mimir.example/prometheus"),
    ("http://prom:9090/?api_key=abc&x=1", "http://prom:9090/?api_key=***&x=***"),
    ("http://u:p@[::1]:9090/", "http://***@[::1]:9090/"),
    ("http://prom:9090", "http://prom:9090"),
])
def test_a_url_is_shown_without_its_credentials(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert redact_url(httpx.URL(url)) == shown


def test_credentials_in_free_text_are_redacted() -> None:
    text = "ConnectError for http://scout:hunter2@prom:9090/x and https://ok.example/y"
    assert redact_text(text) == "ConnectError for http://***@prom:9090/x and https://ok.example/y"


def test_the_userinfo_becomes_basic_auth_and_leaves_the_url() -> None:
    bare, auth = split_credentials("http://scout:hun%40ter2@prom:9090/prom")
    assert bare == "http://prom:9090/prom"
    assert auth is not None
    request = next(auth.auth_flow(httpx.Request("GET", bare)))
    assert request.headers["authorization"] == httpx.BasicAuth("scout", "hun@ter2")._auth_header
    assert split_credentials("http://prom:9090") == ("http://prom:9090", None)
