"""Upstream servers' URLs (Prometheus, Mimir, VictoriaMetrics) as secrets.

A URL may carry credentials (``http://user:password@host``, or a token in the query), and an
upstream's answer may echo what it was sent (an Authorization header). So the credentials are
taken out of the URL before any client holds it, every URL that reaches a message is redacted,
and upstream bodies never reach an error a user or a log reads: only the status code does.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, unquote, urlsplit

import httpx

REDACTED = "***"
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@")


def redact_url(url: str | httpx.URL) -> str:
    """``url`` with its userinfo and query values replaced by ``***``: safe to show."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = (f"{REDACTED}@" if parts.username or parts.password else "") + host
    if parts.port is not None:
        netloc += f":{parts.port}"
    query = "&".join(f"{pair.split('=', 1)[0]}={REDACTED}" if "=" in pair else pair
                     for pair in parts.query.split("&")) if parts.query else ""
    return SplitResult(parts.scheme, netloc, parts.path, query, "").geturl()


def redact_text(text: str) -> str:
    """Any ``scheme://user:password@`` in free text (an exception's message) as ``***@``."""
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)


def split_credentials(url: str) -> tuple[str, httpx.BasicAuth | None]:
    """The URL without its userinfo, and that userinfo as basic auth for the client."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    netloc = parts.netloc.rsplit("@", 1)[1]
    bare = SplitResult(parts.scheme, netloc, parts.path, parts.query, parts.fragment).geturl()
    return bare, httpx.BasicAuth(unquote(parts.username or ""), unquote(parts.password or ""))
